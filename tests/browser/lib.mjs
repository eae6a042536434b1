// Shared helpers for Convene's browser tests: start the real binary on a
// demo database, drive the system's Chromium, and check accessibility.
import { spawn, spawnSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const chromiumPath = process.env.CONVENE_CHROMIUM || "/usr/bin/chromium";
const convene = process.env.CONVENE_BIN;

// Starts `convene serve` on a fresh demo database and resolves with its URL.
export async function startServer() {
  if (!convene) throw new Error("CONVENE_BIN must name the convene binary");
  const dir = mkdtempSync(join(tmpdir(), "convene-browser-"));
  // Feeds on 127.0.0.1 are allowed so a journey can import this server's own.
  const env = {
    ...process.env,
    CONVENE_DATABASE_URL: `sqlite://${join(dir, "demo.db")}`,
    CONVENE_IMPORT_FROM_PRIVATE_ADDRESSES: "true",
  };
  const seeded = spawnSync(convene, ["demo", "--no-serve"], { cwd: dir, env, encoding: "utf8" });
  if (seeded.status !== 0) throw new Error(`convene demo failed: ${seeded.stderr}`);
  const child = spawn(convene, ["serve", "--bind", "127.0.0.1:0"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk) => { log += chunk; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 60000);
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      const match = buffered.match(/Convene is listening on (http:\/\/[^\s]+?)\/?\n/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  return { url, stop: () => child.kill("SIGTERM"), log: () => log };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    ],
  });
}

// A page that records console errors, uncaught exceptions and CSP
// violations, so a journey fails if the page breaks under Convene's policy.
export async function newPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") page.problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => page.problems.push(`page error: ${error.message}`));
  return page;
}

// Runs axe-core on the page (WCAG 2.0-2.2 A and AA rules) and throws with
// every violation found. axe is evaluated through the DevTools protocol, so
// the page's own Content-Security-Policy stays in force.
export async function assertAccessible(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }),
  );
  if (result.violations.length > 0) {
    const details = result.violations
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`)
      .join("\n  ");
    throw new Error(`${label}: ${result.violations.length} accessibility violation(s):\n  ${details}`);
  }
  return result.passes.length;
}

export function assertNoProblems(page, label) {
  if (page.problems.length > 0) throw new Error(`${label}:\n  ${page.problems.join("\n  ")}`);
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// The demo's fixed password and second-factor secrets (see the demo town).
export const DEMO_PASSWORD = "brackenbury demo kettle orbit";

export function demoSecret(email) {
  return createHash("sha256").update(`convene-demo-totp:${email}`).digest().subarray(0, 20);
}

// RFC 6238 one-time code (SHA-1, 6 digits, 30 s), computed independently of
// Convene so the test checks Convene against the standard.
export function totp(secret, unixSeconds = Math.floor(Date.now() / 1000)) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(value).padStart(6, "0");
}

// Signs in through the real forms, typing the second-factor code.
// The time window each account last used a code in: a code works once, so
// an account signing in again within the same 30 seconds waits for the next.
const lastWindow = new Map();

export async function signIn(page, baseUrl, email) {
  const window = () => Math.floor(Date.now() / 30000);
  if (lastWindow.get(email) === window()) {
    await new Promise((resolve) => setTimeout(resolve, 30000 - (Date.now() % 30000) + 200));
  }
  await page.goto(`${baseUrl}/sign-in`);
  await page.fill("#email", email);
  await page.fill("#password", DEMO_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Sign in')")]);
  await page.waitForURL(`${baseUrl}/sign-in/second-factor`);
  lastWindow.set(email, window());
  await page.fill("#code", totp(demoSecret(email)));
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Continue')")]);
  await page.waitForURL(`${baseUrl}/account`);
}

// Clicks a button or link that loads a new page, and waits for that page.
export async function go(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

// Forgets the console's note of an error status the journey caused on purpose.
export function expectStatus(page, status) {
  page.problems = page.problems.filter((p) => !p.includes(`status of ${status}`));
}
