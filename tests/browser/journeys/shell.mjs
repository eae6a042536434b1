// The web shell: the home page and the error page, with and without
// JavaScript, accessible and free of CSP violations.
import { assert, assertAccessible, assertNoProblems, newPage } from "../lib.mjs";

export async function homePageIsAccessible({ browser, baseUrl }) {
  const context = await browser.newContext();
  const page = await newPage(context);
  const response = await page.goto(`${baseUrl}/`);
  assert(response.status() === 200, `home page answered ${response.status()}`);
  assert((await page.locator("h1").innerText()) === "Brackenbury Partnership", "demo instance name is the heading");
  assert(await page.getByText("Eastfield Community Hub").first().isVisible(), "partnership organisations are listed");
  // The inline script ran under the nonce: GOV.UK Frontend's JS is enabled.
  const bodyClass = await page.evaluate(() => document.body.className);
  assert(bodyClass.includes("govuk-frontend-supported"), `body class was "${bodyClass}"`);
  // The skip link leads to the main content.
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
  assert(focused === "Skip to main content", `first tab stop was "${focused}"`);
  await assertAccessible(page, "home page");
  assertNoProblems(page, "home page");
  await context.close();
}

export async function notFoundPageIsAccessible({ browser, baseUrl }) {
  const context = await browser.newContext();
  const page = await newPage(context);
  const response = await page.goto(`${baseUrl}/no-such-page`);
  assert(response.status() === 404, `expected 404, got ${response.status()}`);
  assert((await page.locator("h1").innerText()) === "Page not found", "404 heading");
  await assertAccessible(page, "404 page");
  // The browser logs the 404 itself; nothing else may go wrong.
  page.problems = page.problems.filter((p) => !p.includes("404"));
  assertNoProblems(page, "404 page");
  await context.close();
}

export async function homePageWorksWithoutJavaScript({ browser, baseUrl }) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await newPage(context);
  await page.goto(`${baseUrl}/`);
  assert((await page.locator("h1").innerText()) === "Brackenbury Partnership", "heading without JS");
  assert(await page.getByText("Riverside Family Hub").first().isVisible(), "content without JS");
  await context.close();
}
