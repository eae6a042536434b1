// Messages: a coordinator edits a reminder's wording (a template that
// would fail is refused with a clear error, a good one is previewed and
// saved, then the built-in wording restored); a service's practitioner
// reads the reminders' effect on the measures page, its reminder settings
// and a family's record with its "stop messages" control.
// Accessible throughout.
import { assert, assertAccessible, assertNoProblems, expectStatus, go, newPage, signIn } from "../lib.mjs";

export async function aCoordinatorRewordsTheReminder({ browser, baseUrl }) {
  const context = await browser.newContext();
  const page = await newPage(context);
  await signIn(page, baseUrl, "coordinator@brackenbury.example");
  await page.goto(`${baseUrl}/messaging/templates`);
  await assertAccessible(page, "message templates");
  await go(page, "a[href='/messaging/templates/reminder/english']");
  await assertAccessible(page, "reminder template");

  // A date of birth is not something a reminder may say.
  await page.fill("#body", "Hello {{ first_name }}, born {{ date_of_birth }}");
  await go(page, "button[value='preview']");
  assert(await page.locator(".govuk-error-summary").isVisible(), "the error is summarised");
  expectStatus(page, 422);
  await assertAccessible(page, "template refused");

  await page.fill("#body", "Hi {{ first_name }}, see you {{ date }} at {{ time }}. Call {{ phone }} to change.");
  await go(page, "button[value='preview']");
  const preview = await page.locator("main").innerText();
  assert(preview.includes("Hi Alexandra-Louise, see you"), `the preview: ${preview}`);
  await assertAccessible(page, "template preview");
  await go(page, "button[value='save']");
  assert(page.url().includes("/messaging/templates"), page.url());
  await assertAccessible(page, "template saved");

  await page.goto(`${baseUrl}/messaging/templates/reminder/english`);
  await go(page, "button:has-text('Go back to the built-in wording')");
  await page.goto(`${baseUrl}/messaging/templates/reminder/english`);
  assert((await page.inputValue("#body")).startsWith("Hello {{ first_name }}, this is a reminder"), "built-in again");
  assertNoProblems(page, "template journey");
  await context.close();
}

export async function aServiceReadsTheReminderEffect({ browser, baseUrl }) {
  const context = await browser.newContext();
  const page = await newPage(context);
  // The trust's safeguarding lead: each demo account signs in once per
  // run, as a second-factor code works once.
  await signIn(page, baseUrl, "safeguarding@bch-nhs.example");
  await page.goto(`${baseUrl}/referrals/measures`);
  await page.selectOption("#months", "36");
  await go(page, "button:has-text('Show')");
  assert(page.url().includes("months=36"), page.url());
  await assertAccessible(page, "measures with reminders");
  await page.goto(`${baseUrl}/referrals`);
  await page.click("summary:has-text('Taking new referrals')");
  await assertAccessible(page, "referrals with reminder settings");
  await go(page, "tbody a >> nth=0");
  await go(page, "a[href^='/people/'] >> nth=0");
  await assertAccessible(page, "a person's record with messages");
  assertNoProblems(page, "reminder effect journey");
  await context.close();
}
