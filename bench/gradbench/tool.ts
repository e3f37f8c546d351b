/**
 * wengert as a GradBench tool: reads one JSON message per line on stdin and answers each with one
 * line on stdout (protocol in ../shared/gradbench.md). Logs go to stderr only.
 *
 *   npm run -s gradbench-tool
 */
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { COMPILING, MODULES } from "./evals.js";
import { blockUntilReady } from "wengert";

function evaluate(module: string, fn: string, input: any) {
  const m = Object.hasOwn(MODULES, module) ? MODULES[module] : undefined;
  const f = m && typeof fn === "string" && Object.hasOwn(m, fn) ? m[fn] : undefined;
  if (!f) return { success: false, error: `wengert: no function ${JSON.stringify(fn)} in module ${JSON.stringify(module)}` };
  // converting the JSON input (into tensors, for most modules) is reported apart, as `prepare`
  const p0 = process.hrtime.bigint();
  const prepared = f.prepare(input);
  const prepareNs = Number(process.hrtime.bigint() - p0);
  const minRuns = input?.min_runs ?? input?.runs ?? 1, minSeconds = input?.min_seconds ?? 0;
  if (!(Number.isInteger(minRuns) && minRuns >= 1) || !(typeof minSeconds === "number" && minSeconds >= 0 && Number.isFinite(minSeconds))) {
    return { success: false, error: `min_runs must be a positive integer and min_seconds a non-negative number; got ${JSON.stringify(minRuns)} and ${JSON.stringify(minSeconds)}` };
  }
  // One run first, reported apart: `compile` where it compiles (jit) for this input's shapes,
  // `warmup` where nothing is compiled (the source-transformed modules are transformed when loaded).
  const c0 = process.hrtime.bigint();
  let result: unknown = blockUntilReady(f.run(prepared));
  const first = COMPILING.has(module) ? "compile" : "warmup";
  const timings: { name: string; nanoseconds: number }[] = [
    { name: "prepare", nanoseconds: prepareNs },
    { name: first, nanoseconds: Number(process.hrtime.bigint() - c0) },
  ];
  let total = 0n;
  let runs = 0;
  while (runs < minRuns || Number(total) / 1e9 < minSeconds) {
    runs++;
    const t0 = process.hrtime.bigint();
    result = blockUntilReady(f.run(prepared)); // pending values are computed inside the timing
    const dt = process.hrtime.bigint() - t0;
    total += dt;
    timings.push({ name: "evaluate", nanoseconds: Number(dt) });
  }
  return { success: true, output: f.output(result), timings };
}

/**
 * One response per message, always: a message that is not a JSON object, or lacks a kind, gets
 * `success: false` with the reason (and its id when it has one), so an eval never waits forever.
 */
export function handle(msg: any): object {
  if (msg === null || typeof msg !== "object" || Array.isArray(msg)) {
    return { id: null, success: false, error: `a message must be a JSON object with "id" and "kind"; got ${msg === null ? "null" : Array.isArray(msg) ? "an array" : typeof msg}` };
  }
  const id = typeof msg.id === "number" || typeof msg.id === "string" ? msg.id : null;
  if (typeof msg.kind !== "string") return { id, success: false, error: `the message has no "kind"` };
  switch (msg.kind) {
    case "start":
      return { id, tool: "wengert" };
    case "define": {
      const module = String(msg.module);
      if (Object.hasOwn(MODULES, module)) return { id, success: true };
      return { id, success: false, error: `unknown module ${JSON.stringify(module.slice(0, 40))}` };
    }
    case "evaluate":
      try {
        if (!Object.hasOwn(MODULES, String(msg.module))) throw new Error(`unknown module ${JSON.stringify(String(msg.module).slice(0, 40))}`);
        return { id, ...evaluate(msg.module, msg.function, msg.input) };
      } catch (e) {
        return { id, success: false, error: e instanceof Error ? e.message : String(e) };
      }
    default:
      return { id };
  }
}

/** The reply to one line of input (null for a blank line). */
export function reply(line: string): string | null {
  if (line.trim() === "") return null;
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    return JSON.stringify({ id: null, success: false, error: `the message is not JSON (${e instanceof Error ? e.message.slice(0, 100) : "parse error"})` });
  }
  return JSON.stringify(handle(msg));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on("line", (line) => {
    const r = reply(line);
    if (r !== null) process.stdout.write(r + "\n");
  });
}
