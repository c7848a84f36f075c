// The native engine's report for a shared context (tests/vectors/contexts.json):
// `tailor explain --format json` with the flags that describe the request.
// Used by the edge and the browser equivalence tests, so all three platforms
// are compared against the very same native decision.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function explainNative(ctx) {
  const args = ["explain", "www/tailor.toml", "--url", `https://shop.example${ctx.path}`, "--format", "json",
    "--ua", ctx.user_agent, "--time", ctx.time, "--tz", ctx.timezone ?? "UTC"];
  if (ctx.country) args.push("--country", ctx.country, "--city", ctx.city);
  if (ctx.cookie) args.push("--header", `cookie:${ctx.cookie}`);
  for (const c of (ctx.cookie ?? "").split("; ").filter(Boolean)) args.push("--cookie", c);
  return JSON.parse(execFileSync(path.join(root, "target/debug/tailor"), args, { cwd: root, encoding: "utf8" }));
}
