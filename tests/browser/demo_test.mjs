// SPDX-License-Identifier: MIT
// The demo page in a real browser: log in through the form, load posts, outlive the access token (silent
// refresh), check the refresh cookie is invisible to scripts, log out, and log a second browser out with
// "log out everywhere". Usage: node demo_test.mjs AUTH_SERVER RESOURCE_SERVER SCREENSHOT_DIR
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch {
  console.error("playwright-core is missing: run `npm ci --prefix tests/browser`");
  process.exit(1);
}
const [authBinary, resourceBinary, shots] = process.argv.slice(2);
if (!authBinary || !resourceBinary || !shots) {
  console.error("usage: node demo_test.mjs AUTH_SERVER RESOURCE_SERVER SCREENSHOT_DIR");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(url) {
  for (let i = 0; i < 100; ++i) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

const work = mkdtempSync(join(tmpdir(), "jot-browser-"));
const authPort = await freePort(), resourcePort = await freePort();
const auth = `http://localhost:${authPort}`, resource = `http://localhost:${resourcePort}`;
const store = `sqlite:${join(work, "jot.db")}`;
const children = [];
function start(binary, args) {
  const child = spawn(binary, args, { stdio: ["ignore", "inherit", "inherit"] });
  children.push(child);
  return child;
}
const accessTtl = 4;
start(authBinary, ["--port", String(authPort), "--store", store, "--keys", join(work, "keys"), "--issuer", auth,
                   "--audience", "posts", "--user", "Kyle:correct horse", "--access-ttl", `${accessTtl}s`,
                   "--demo-api", resource, "--grace", "0s"]);  // no grace: only the page keeps two tabs apart
await waitFor(`${auth}/healthz`);
start(resourceBinary, ["--port", String(resourcePort), "--jwks-url", `${auth}/.well-known/jwks.json`, "--issuer", auth,
                       "--audience", "posts", "--store", store, "--cors-origin", auth]);
await waitFor(`${resource}/healthz`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
let passed = 0, failed = 0, step = 0;
async function check(name, page, condition) {
  step += 1;
  const ok = await condition();
  await page.screenshot({ path: join(shots, `${String(step).padStart(2, "0")}-${name.replace(/[^a-z0-9]+/gi, "-")}.png`), fullPage: true });
  console.log(`${ok ? "pass" : "FAIL"}  ${name}`);
  ok ? ++passed : ++failed;
}
const text = (page, sel) => page.locator(sel).innerText();

try {
  const first = await (await browser.newContext()).newPage();
  await first.goto(`${auth}/`);
  await check("the page offers a login form", first, async () => (await first.locator("#login-form").isVisible()));

  await first.fill("#username", "Kyle");
  await first.fill("#password", "wrong");
  await first.click("#login");
  await first.locator("#error:not(:empty)").waitFor();
  await check("a wrong password is reported to the person", first, async () => (await text(first, "#error")).includes("Login failed"));

  await first.fill("#password", "correct horse");
  await first.click("#login");
  await first.locator("#session-panel").waitFor();
  await check("login shows the access token's claims", first,
              async () => (await text(first, "#status")).includes("Kyle") && (await text(first, "#claims")).includes('"sub": "Kyle"'));

  await first.click("#load-posts");
  await first.locator("#posts:not(.muted)").waitFor().catch(() => {});
  await sleep(300);
  await check("posts load with the access token", first, async () => (await text(first, "#posts")).includes("•"));

  await check("the refresh cookie is invisible to page scripts", first,
              async () => !(await first.evaluate(() => document.cookie)).includes("jot_refresh"));

  const before = await first.evaluate(() => JSON.parse(document.getElementById("claims").textContent).jti);
  await sleep((accessTtl + 2) * 1000);  // past the first access token's expiry
  await first.click("#load-posts");
  await sleep(800);
  const after = await first.evaluate(() => JSON.parse(document.getElementById("claims").textContent).jti);
  await check("after expiry posts still load, through a silent refresh", first,
              async () => (await text(first, "#posts")).includes("•") && after !== before &&
                          Number(await text(first, "#refresh-count")) >= 1 && (await text(first, "#error")) === "");

  await first.click("#logout");
  await first.locator("#login-panel").waitFor();
  const refreshAfterLogout = await first.evaluate(async () => (await fetch("/refresh", { method: "POST", headers: { "X-CSRF": "1" } })).status);
  await check("after logout the page is logged out and refresh fails", first,
              async () => (await text(first, "#status")).includes("Logged out") && refreshAfterLogout >= 400);

  // Two browsers, one user: "log out everywhere" in the first ends the second's session too.
  const second = await (await browser.newContext()).newPage();
  await second.goto(`${auth}/`);
  await second.fill("#username", "Kyle");
  await second.fill("#password", "correct horse");
  await second.click("#login");
  await second.locator("#session-panel").waitFor();
  await first.fill("#username", "Kyle");
  await first.fill("#password", "correct horse");
  await first.click("#login");
  await first.locator("#session-panel").waitFor();
  await first.click("#logout-all");
  await first.locator("#login-panel").waitFor();
  await check("log out everywhere ends the first browser's session", first,
              async () => (await text(first, "#status")).includes("everywhere"));
  await second.click("#load-posts");
  await second.locator("#error:not(:empty)").waitFor({ timeout: 5000 }).catch(() => {});
  await check("the second browser is logged out too: posts and refresh fail, and the person is told", second,
              async () => !(await text(second, "#posts")).includes("•") && (await text(second, "#error")) !== "");

  // Two tabs opening together with a live cookie and no access token: one refresh between them (a second
  // refresh with the same cookie would be reuse and end the session, with --grace 0s).
  const context = await browser.newContext();
  const opener = await context.newPage();
  await opener.goto(`${auth}/`);
  await opener.fill("#username", "Kyle");
  await opener.fill("#password", "correct horse");
  await opener.click("#login");
  await opener.locator("#session-panel").waitFor();
  await opener.close();
  const [tabA, tabB] = await Promise.all([context.newPage(), context.newPage()]);
  await Promise.all([tabA.goto(`${auth}/`), tabB.goto(`${auth}/`)]);
  await Promise.all([tabA.locator("#session-panel").waitFor(), tabB.locator("#session-panel").waitFor()]);
  const refreshed = Number(await text(tabA, "#refresh-count")) + Number(await text(tabB, "#refresh-count"));
  await tabA.click("#load-posts");
  await tabB.click("#load-posts");
  await sleep(500);
  await check("two tabs opened together share one refresh and both stay logged in", tabB,
              async () => refreshed === 1 && (await text(tabA, "#posts")).includes("•") &&
                          (await text(tabB, "#posts")).includes("•") && (await text(tabB, "#error")) === "");
} catch (e) {
  console.error(e);
  ++failed;
} finally {
  await browser.close();
  for (const c of children) c.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
