// Find support: search -> results -> a service page, with and without
// JavaScript, accessible throughout.
import { assert, assertAccessible, assertNoProblems, expectStatus, go, newPage } from "../lib.mjs";

export async function searchToServicePage({ browser, baseUrl }) {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${baseUrl}/`);
  await go(page, "a:has-text('Find support near you')");
  await assertAccessible(page, "find support page");
  await page.fill("#q", "parenting");
  await page.fill("#postcode", "BK3 2EA");
  await page.selectOption("#radius", "3");
  await go(page, "button:has-text('Search')");
  const heading = await page.locator("#results").innerText();
  assert(/\d+ services? found/.test(heading), `results heading was "${heading}"`);
  assert(await page.getByText("miles away").first().isVisible(), "distances shown");
  await assertAccessible(page, "search results");
  await go(page, "h3 a >> nth=0");
  assert((await page.locator("h1").count()) === 1, "a service page");
  assert(await page.getByText("Who it is for").isVisible(), "who it is for");
  await assertAccessible(page, "service page");

  // A postcode that is not one: an error summary, not a crash.
  await page.goto(`${baseUrl}/find-support?postcode=12345`);
  assert(await page.locator(".govuk-error-summary").isVisible(), "postcode error shown");
  await assertAccessible(page, "search with an error");
  expectStatus(page, 422);
  assertNoProblems(page, "find support journey");
  await context.close();
}

export async function searchWorksWithoutJavaScript({ browser, baseUrl }) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await newPage(context);
  await page.goto(`${baseUrl}/find-support`);
  await page.check("#need-food");
  await page.check("#free");
  await go(page, "button:has-text('Search')");
  assert(page.url().includes("need=food"), page.url());
  assert(await page.getByText("Emergency food parcels").isVisible(), "a free food service is listed");
  assert((await page.getByRole("link", { name: "Millbrook food pantry", exact: true }).count()) === 0, "a paid one is not");
  await go(page, "a:has-text('Emergency food parcels')");
  assert((await page.locator("h1").innerText()) === "Emergency food parcels", "service page without JS");
  await context.close();
}

export async function aCoordinatorEditsAListing({ browser, baseUrl }) {
  const { signIn } = await import("../lib.mjs");
  const context = await browser.newContext();
  const page = await newPage(context);
  await signIn(page, baseUrl, "coordinator@brackenbury.example");
  await go(page, "a:has-text('Directory')");
  await assertAccessible(page, "directory listings");
  await go(page, "a:has-text('Change Stay and play')");
  await assertAccessible(page, "edit a listing");
  await page.fill("#description", "Play sessions for babies and toddlers with their parents and carers. Now with a library corner.");
  await go(page, "button:has-text('Publish')");
  assert(await page.getByText("The service is published.").isVisible(), "published");
  await page.goto(`${baseUrl}/find-support?q=library`);
  assert(await page.getByRole("link", { name: "Stay and play", exact: true }).isVisible(), "the change is public");
  assertNoProblems(page, "editing journey");

  // Importing a feed from the web, watching its progress (the server is
  // started allowing feeds on 127.0.0.1, so it imports its own).
  await page.goto(`${baseUrl}/directory`);
  await go(page, "a:has-text('Import a directory feed')");
  await assertAccessible(page, "import form");
  await go(page, "button:has-text('Start import')");
  assert(await page.locator(".govuk-error-summary").isVisible(), "an empty address is named");
  await assertAccessible(page, "import form with an error");
  expectStatus(page, 422);
  await page.fill("#address", `${baseUrl}/oruk`);
  await page.check("#full");
  await go(page, "button:has-text('Start import')");
  assert(/\/directory\/imports\/[0-9a-f-]+$/.test(page.url()), page.url());
  await assertAccessible(page, "import progress");
  // The page follows the run by itself, then shows the results.
  await page.getByText("Results").waitFor({ timeout: 60000 });
  assert(await page.getByText(/Finished: \d+ created, \d+ updated, \d+ unchanged/).isVisible(), "the summary is shown");
  await assertAccessible(page, "import results");
  assertNoProblems(page, "import journey");
  await context.close();
}
