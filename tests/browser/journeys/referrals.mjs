// Connect a family to support: a school's family support worker refers a
// child to the NHS mental health service with consent on record; the
// service's practitioner opens and accepts it, records a missed
// appointment, then one attended, and closes it with an outcome; the school
// sees every step. Accessible throughout.
import { assert, assertAccessible, assertNoProblems, expectStatus, go, newPage, signIn } from "../lib.mjs";

// The date and time in the UK `minutesAgo` minutes ago, as form parts.
function ukTime(minutesAgo) {
  const at = new Date(Date.now() - minutesAgo * 60000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London", year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(at).map((p) => [p.type, p.value]),
  );
  return { day: parts.day, month: parts.month, year: parts.year, time: `${parts.hour}:${parts.minute}` };
}

async function book(page, minutesAgo) {
  await page.click("summary:has-text('Book an appointment')");
  const when = ukTime(minutesAgo);
  await page.fill("#when-day", when.day);
  await page.fill("#when-month", when.month);
  await page.fill("#when-year", when.year);
  await page.fill("#when-time", when.time);
  await page.fill("#place", "Brackenbury Health Centre, room 4");
  await go(page, "button:has-text('Book appointment')");
}

export async function aReferralFromSchoolToServiceAndBack({ browser, baseUrl }) {
  const school = await browser.newContext();
  const referrer = await newPage(school);
  await signIn(referrer, baseUrl, "family.support@northgate-primary.example");
  await referrer.goto(`${baseUrl}/find-support?q=mental+health`);
  await go(referrer, "a:has-text(\"Children and young people's mental health service\")");
  await go(referrer, "a:has-text('Refer someone to this service')");
  await assertAccessible(referrer, "referral form");

  // Sending with nothing filled in names every problem.
  await go(referrer, "button:has-text('Send referral')");
  assert(await referrer.locator(".govuk-error-summary").isVisible(), "errors are summarised");
  await assertAccessible(referrer, "referral form with errors");
  expectStatus(referrer, 422);

  await referrer.fill("#child_given_name", "Tayo");
  await referrer.fill("#child_family_name", "Mensah");
  await referrer.fill("#child_dob-day", "14");
  await referrer.fill("#child_dob-month", "2");
  await referrer.fill("#child_dob-year", "2014");
  await referrer.fill("#parent_given_name", "Efua");
  await referrer.fill("#parent_family_name", "Mensah");
  await referrer.fill("#parent_phone", "07700 900461");
  await referrer.check("#parent_contact_preference-text");
  await referrer.check("#needs-mental-health");
  await referrer.fill("#reason", "Tayo has stopped sleeping and won't go to school. Mum wants help.");
  await referrer.check("#privacy_notice");
  await referrer.check("#basis-consent");
  await referrer.fill("#purpose", "So the service can assess Tayo and contact his mum");
  await go(referrer, "button:has-text('Send referral')");
  assert(await referrer.locator("h1:has-text('Referral to')").isVisible(), "the referral's page");
  assert(await referrer.locator(".govuk-tag:has-text('Sent')").isVisible(), "sent");
  await assertAccessible(referrer, "referral page (referrer)");
  const referralUrl = referrer.url();

  const clinic = await browser.newContext();
  const receiver = await newPage(clinic);
  await signIn(receiver, baseUrl, "camhs@bch-nhs.example");
  await go(receiver, "a:has-text('Referrals')");
  await assertAccessible(receiver, "referrals inbox");
  await go(receiver, "a:has-text('Tayo Mensah')");
  assert(await receiver.locator(".govuk-tag:has-text('Opened')").isVisible(), "opening marks it opened");
  await assertAccessible(receiver, "referral page (receiver)");
  await go(receiver, "button:has-text('Accept referral')");
  assert(await receiver.locator(".govuk-tag:has-text('Accepted')").isVisible(), "accepted");

  await book(receiver, 90);
  await go(receiver, "button:has-text('Did not attend')");
  assert(await receiver.getByText("Contact the family about the missed appointment").first().isVisible(), "a follow-up");
  await book(receiver, 30);
  await go(receiver, "button:has-text('Attended')");
  await assertAccessible(receiver, "appointments recorded");
  await receiver.check("#outcome-needs_met");
  await go(receiver, "button:has-text('Close referral')");
  assert(await receiver.locator(".govuk-tag:has-text('Closed')").isVisible(), "closed");

  // The school sees what happened.
  await referrer.goto(referralUrl);
  assert(await referrer.getByText("Needs met").first().isVisible(), "the outcome");
  assert(await referrer.getByText("Did not attend").first().isVisible(), "the missed appointment");
  await go(referrer, "a:has-text('Tayo Mensah')");
  assert(await referrer.getByText("Who has looked at this record").isVisible(), "record views are listed");
  await assertAccessible(referrer, "the child's chronology");
  await referrer.goto(`${baseUrl}/referrals`);
  assert(await referrer.getByText("An appointment was missed").first().isVisible(), "the school was told");
  await assertAccessible(referrer, "referrals list (referrer)");
  assertNoProblems(referrer, "referrer's journey");
  assertNoProblems(receiver, "receiver's journey");
  await school.close();
  await clinic.close();
}

export async function aFamilyAsksForHelpThemselves({ browser, baseUrl }) {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${baseUrl}/find-support?q=parenting+course`);
  await go(page, "h3 a >> nth=0");
  await go(page, "a:has-text('Ask for help')");
  await assertAccessible(page, "ask for help form");
  await go(page, "button:has-text('Send request')");
  assert(await page.locator(".govuk-error-summary").isVisible(), "errors are summarised");
  await assertAccessible(page, "ask for help with errors");
  expectStatus(page, 422);
  await page.fill("#given_name", "Efua");
  await page.fill("#family_name", "Mensah");
  await page.fill("#phone", "07700 900461");
  await page.fill("#child_given_name", "Kofi");
  await page.fill("#child_family_name", "Mensah");
  await page.fill("#child_dob-day", "3");
  await page.fill("#child_dob-month", "9");
  await page.fill("#child_dob-year", "2018");
  await page.fill("#reason", "Kofi won't settle at bedtime and I'm exhausted.");
  await page.check("#consent");
  await go(page, "button:has-text('Send request')");
  assert(await page.getByText("Request sent").first().isVisible(), "sent");
  await assertAccessible(page, "request sent");
  assertNoProblems(page, "ask for help journey");
  await context.close();
}
