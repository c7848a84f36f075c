// `tailor build` of a rule file into a throwaway directory, for the
// benchmarks and tests that need a site built from rules of their own.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Builds `rules` (TOML) with the CLI as `make site` builds it
 * (target/debug/tailor), with `flags` added (`["--evaluate"]`), and returns
 * `use(site, said)`: `site` is the built directory
 * (`site/browser/tailor.wasm`, `site/worker/…`), `said` what the CLI
 * printed. The directory is removed afterwards, so `use` reads what it
 * needs before it returns.
 */
export function withBuiltSite(rules, use, flags = []) {
  const dir = mkdtempSync(path.join(tmpdir(), "tailor-site-"));
  try {
    writeFileSync(path.join(dir, "tailor.toml"), rules);
    const site = path.join(dir, "site");
    const said = execFileSync(path.join(root, "target/debug/tailor"), ["build", path.join(dir, "tailor.toml"), "--out", site, ...flags], { cwd: root, encoding: "utf8" });
    return use(site, said);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
