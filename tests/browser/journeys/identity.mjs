// Signing in with a second factor, the account and audit pages, the
// administration pages, and signing out: accessible, with and without JS.
import { assert, assertAccessible, assertNoProblems, expectStatus, go, newPage, signIn, DEMO_PASSWORD } from "../lib.mjs";

export async function signInWithSecondFactorAndSignOut({ browser, baseUrl }) {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${baseUrl}/sign-in`);
  await assertAccessible(page, "sign-in page");

  // A wrong password: an error summary that names the field.
  await page.fill("#email", "dsl@northgate-primary.example");
  await page.fill("#password", "not the password");
  await go(page, "button:has-text('Sign in')");
  assert(await page.locator(".govuk-error-summary").isVisible(), "error summary shown");
  await assertAccessible(page, "sign-in page with an error");

  await page.fill("#password", DEMO_PASSWORD);
  await go(page, "button:has-text('Sign in')");
  await page.waitForURL(`${baseUrl}/sign-in/second-factor`);
  await assertAccessible(page, "second-factor page");
  await page.fill("#code", "000000");
  await go(page, "button:has-text('Continue')");
  assert(await page.locator(".govuk-error-summary").isVisible(), "wrong code refused");
  await assertAccessible(page, "second-factor page with an error");

  const { totp, demoSecret } = await import("../lib.mjs");
  await page.fill("#code", totp(demoSecret("dsl@northgate-primary.example")));
  await go(page, "button:has-text('Continue')");
  await page.waitForURL(`${baseUrl}/account`);
  assert((await page.locator("h1").innerText()) === "Your account", "account page after sign-in");
  assert(await page.getByText("Safeguarding lead").first().isVisible(), "role shown");
  await assertAccessible(page, "account page");

  await go(page, "a:has-text('Audit trail')");
  await page.waitForURL(/\/audit/);
  assert(await page.locator("td", { hasText: "sign_in_succeeded" }).first().isVisible(), "the sign-in is on the record");
  await assertAccessible(page, "audit search");

  await go(page, "button:has-text('Sign out')");
  await page.waitForURL(/\/sign-in\?done=signed-out/);
  assert(await page.getByText("You have signed out.").isVisible(), "signed-out banner");
  await assertAccessible(page, "signed-out page");
  await page.goto(`${baseUrl}/account`);
  assert(page.url().endsWith("/sign-in"), `after sign-out /account went to ${page.url()}`);
  expectStatus(page, 422);
  assertNoProblems(page, "sign-in journey");
  await context.close();
}

export async function administrationPagesAreAccessible({ browser, baseUrl }) {
  const context = await browser.newContext();
  const page = await newPage(context);
  await signIn(page, baseUrl, "admin@brackenbury.example");
  await go(page, "a:has-text('Administration')");
  await page.waitForURL(`${baseUrl}/admin`);
  await assertAccessible(page, "administration page");
  // The outbox: what was sent, never a family's number.
  await go(page, "a:has-text('Messages: the outbox')");
  await assertAccessible(page, "outbox");
  assert(!/07\d{3} ?\d{6}/.test(await page.locator("main").innerText()), "no family phone number on the outbox page");
  await page.goto(`${baseUrl}/messaging/outbox?status=queued`);
  await assertAccessible(page, "outbox, queued only");
  await page.goto(`${baseUrl}/admin`);
  await go(page, "a:has-text('Accounts at Northgate Primary School')");
  await page.waitForURL(/\/organisations\/.+\/users$/);
  assert(await page.getByRole("cell", { name: /Amina Khan/ }).first().isVisible(), "members listed");
  await assertAccessible(page, "organisation users page");
  await go(page, "a:has-text('Invite someone')");
  await go(page, "button:has-text('Send invitation')");
  assert(await page.locator(".govuk-error-summary").isVisible(), "empty invitation refused");
  await assertAccessible(page, "invitation form with errors");
  await page.fill("#display_name", "Lena Novak");
  await page.fill("#email", "lena.novak@northgate-primary.example");
  await page.check("#role-practitioner");
  await go(page, "button:has-text('Send invitation')");
  await page.waitForURL(/\/users\?invited=/);
  assert(await page.getByText("We have sent an invitation to lena.novak@northgate-primary.example").isVisible(), "invitation confirmed");
  expectStatus(page, 422);
  assertNoProblems(page, "administration journey");
  await context.close();
}

export async function signInWorksWithoutJavaScript({ browser, baseUrl }) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await newPage(context);
  await signIn(page, baseUrl, "office@northgate-primary.example");
  assert((await page.locator("h1").innerText()) === "Your account", "signed in without JavaScript");
  await go(page, "a:has-text('Change password')");
  await go(page, "button:has-text('Change password')");
  assert(await page.locator(".govuk-error-summary").isVisible(), "validation without JavaScript");
  await go(page, "button:has-text('Sign out')");
  await page.waitForURL(/\/sign-in\?done=signed-out/);
  await context.close();
}
