// Progressive enhancement only: every page works without this file.
import { initAll } from "./govuk-frontend.min.js";

initAll();

// An import's page follows its progress while it runs, then reloads to
// show the results. Without JavaScript the page has a "Check progress"
// button instead; it never refreshes itself on a timer.
function followImport(region) {
  const url = region.getAttribute("data-import-progress");
  const text = region.querySelector("[data-import-progress-text]");
  const bar = region.querySelector("progress");
  const refresh = region.querySelector("[data-import-progress-refresh]");
  if (refresh) refresh.hidden = true;
  const tick = async () => {
    try {
      const response = await fetch(url, { headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(`progress answered ${response.status}`);
      const progress = await response.json();
      bar.value = progress.percent;
      bar.textContent = `${progress.percent}%`;
      if (text.textContent !== progress.text) text.textContent = progress.text;
      if (!progress.active) {
        window.location.reload();
        return;
      }
    } catch {
      // Leave it to the person: show the button again.
      if (refresh) refresh.hidden = false;
      return;
    }
    window.setTimeout(tick, 2000);
  };
  window.setTimeout(tick, 2000);
}

document.querySelectorAll("[data-import-progress]").forEach(followImport);
