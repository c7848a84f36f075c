// The npm package `tailor build` writes into DIR/browser/ (build/site/browser
// after `make site`): complete, consistent, and with the snippet for the rules.
import { test as nodeTest } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { root } from "./server.mjs";

// Every test is bounded in time.
const test = (name, fn) => nodeTest(name, { timeout: 60_000 }, fn);

const dir = path.join(root, "build/site/browser");
const read = (name) => readFileSync(path.join(dir, name), "utf8");

test("package.json describes the files that are there", () => {
  for (const name of ["package.json", "README.md", "LICENSE", "tailor.d.ts"]) {
    assert.ok(existsSync(path.join(dir, name)), `${name} is in build/site/browser (the Makefile copies pkg-template's static files)`);
  }
  const pkg = JSON.parse(read("package.json"));
  assert.equal(pkg.name, "tailor");
  assert.equal(pkg.license, "Apache-2.0");
  assert.equal(pkg.exports["."].import, "./tailor.mjs");
  assert.equal(pkg.exports["."].types, "./tailor.d.ts");
  assert.equal(pkg.browser, "./tailor.js");
  assert.equal(pkg.unpkg, "./tailor.js");
  const cargo = readFileSync(path.join(root, "Cargo.toml"), "utf8").match(/^version = "(.*)"$/m)[1];
  assert.equal(pkg.version, cargo, "the package version follows Cargo.toml");
  for (const f of pkg.files) assert.ok(existsSync(path.join(dir, f)), `${f} (in "files") exists`);
  for (const f of [pkg.main, pkg.types, pkg.browser]) assert.ok(existsSync(path.join(dir, f)), `${f} exists`);
  assert.ok(!pkg.files.some((f) => f.startsWith("engine-")), "only the engines with rules are shipped");
  assert.ok(!readdirSync(dir).some((f) => f.startsWith("engine-")), "tailor build copies no engine without rules");
});

test("README, LICENSE and types", () => {
  const readme = read("README.md");
  assert.match(readme, /<script src="\/tailor\/tailor\.js" data-timeout="800" async><\/script>/);
  assert.match(readme, /import \{ start \} from "tailor";/);
  const license = read("LICENSE");
  assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
  assert.match(license, /END OF TERMS AND CONDITIONS/);
  const dts = read("tailor.d.ts");
  assert.match(dts, /export function start\(options\?: StartOptions\): Promise<Tailor \| null>;/);
  for (const m of ["decisions()", "setAttributes(", "refresh()"]) assert.ok(dts.includes(m), m);
});

test("the bundles and the snippet", () => {
  const js = read("tailor.js");
  assert.ok(!/\bimport\s*[{(*]|\bexport\s*[{*]/.test(js), "tailor.js is a classic script");
  assert.match(read("tailor.mjs"), /export\s*\{[^}]*\bstart\b/);
  assert.ok(js.includes("tailor.rules") && js.includes("tailor-pending"));
  const snippet = read("snippet.html");
  assert.match(snippet, /^<style id="tailor-hide">[^<]+\{visibility:hidden!important\}<\/style>\n/);
  assert.match(snippet, /<script src="\/tailor\/tailor\.js" data-timeout="800" async><\/script>/);
  const wasm = readFileSync(path.join(dir, "tailor.wasm"));
  assert.ok(wasm.subarray(0, 4).equals(Buffer.from("\0asm")));
  assert.ok(wasm.includes(Buffer.from("tailor.rules")), "the rules travel in the wasm");
  const qa = readFileSync(path.join(dir, "tailor-qa.wasm"));
  assert.ok(qa.includes(Buffer.from("tailor.rules")), "and in the QA engine");
  assert.ok(qa.length > wasm.length, "the QA engine carries the preview code the lean one leaves out");
});

test("npm pack accepts it", () => {
  const [packed] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 60_000 }));
  assert.deepEqual(packed.files.map((f) => f.path).sort(),
    ["LICENSE", "README.md", "package.json", "snippet.html", "tailor-qa.js", "tailor-qa.wasm", "tailor.d.ts", "tailor.js", "tailor.mjs", "tailor.wasm"]);
});
