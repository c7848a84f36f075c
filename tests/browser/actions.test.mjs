// The script tag's DOM applier leaves the same document as the edge: a page
// with a target for every action (tests/browser/pages/actions.html) is
// personalized in Chromium by tailor.js, and rewritten by `tailor rewrite`
// (lol_html, the same bytes as the worker's HTMLRewriter) and parsed by the
// same Chromium; the two <body>s must serialize identically.
import { test as nodeTest, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, launch, root, pagesDir, DESKTOP } from "./server.mjs";

// Every test is bounded in time.
const test = (name, fn) => nodeTest(name, { timeout: 60_000 }, fn);

const RULES = "tests/browser/actions-rules.toml";
const tailor = (args) => execFileSync(path.join(root, "target/debug/tailor"), args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

let browser, server, dir;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tailor-actions-"));
  tailor(["build", RULES, "--out", dir]);
  browser = await launch();
}, { timeout: 60_000 });
after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, { timeout: 30_000 });

for (const [label, cookie] of [["without a name cookie", null], ["with a name cookie that needs escaping", `Zoe<3&"co"`]]) {
  test(`every action gives the edge's document (${label})`, async () => {
    const fixture = readFileSync(path.join(pagesDir, "actions.html"), "utf8");
    const args = ["rewrite", RULES, "--page", path.join(pagesDir, "actions.html"), "--url", "http://127.0.0.1/actions/", "--no-state"];
    if (cookie) args.push("--cookie", `name=${cookie}`);
    const edge = tailor(args);
    assert.notEqual(edge, fixture, "the edge changed the page");
    server = await startServer({ browserDir: path.join(dir, "browser"), pages: { "/actions/": fixture, "/actions/edge": edge } });
    const context = await browser.newContext({ userAgent: DESKTOP });
    try {
      if (cookie) await context.addCookies([{ name: "name", value: cookie, url: server.url }]);
      const page = await context.newPage();
      const warnings = [];
      page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
      await page.goto(server.url + "/actions/edge?notag=1");
      const expected = await page.evaluate(() => document.body.outerHTML);
      await page.goto(server.url + "/actions/?timeout=300");
      await page.waitForFunction(() => typeof window.tailor?.decisions === "function");
      await page.waitForTimeout(100);
      const actual = await page.evaluate(() => document.body.outerHTML);
      assert.deepEqual(warnings, []);
      assert.equal(actual, expected);
      if (cookie) assert.equal(await page.$eval("#attr", (a) => a.dataset.who), cookie, "attribute values are not escaped twice");
      // Selectors that match nothing (here: the ones aimed at inserted
      // markup) stay pending until the timeout, then nothing is hidden.
      await page.waitForFunction(() => !document.getElementById("tailor-pending"), null, { timeout: 3000 });
    } finally {
      await context.close();
      await server.close();
      server = undefined;
    }
  });
}
