// Runs every journey in ./journeys against a fresh demo server, in headless
// Chromium with JavaScript on (and, where a journey asks, off). Exits
// non-zero if any journey fails.
import { readdirSync } from "node:fs";
import { startServer, launchBrowser } from "./lib.mjs";

const only = process.argv[2];
const files = readdirSync(new URL("./journeys/", import.meta.url))
  .filter((f) => f.endsWith(".mjs") && (!only || f.includes(only)))
  .sort();

const server = await startServer();
const browser = await launchBrowser();
let failed = 0;
try {
  for (const file of files) {
    const journey = await import(`./journeys/${file}`);
    for (const [name, run] of Object.entries(journey)) {
      const started = Date.now();
      try {
        await run({ browser, baseUrl: server.url });
        console.log(`ok    ${file} ${name} (${Date.now() - started} ms)`);
      } catch (error) {
        failed += 1;
        console.log(`FAIL  ${file} ${name}\n${error.stack || error}`);
      }
    }
  }
} finally {
  await browser.close();
  server.stop();
}
if (failed > 0) {
  console.log(`${failed} journey(s) failed`);
  process.exit(1);
}
console.log(`all journeys passed (${files.length} file(s))`);
