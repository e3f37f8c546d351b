/**
 * wengert as a GradBench tool: reads one JSON message per line on stdin and answers each with one
 * line on stdout (protocol in ../shared/gradbench.md). Logs go to stderr only.
 *
 *   npm run -s gradbench-tool
 */
import { createInterface } from "node:readline";
import { MODULES } from "./evals.js";
import { blockUntilReady } from "wengert";

const NOT_YET = new Set(["lstm", "ba", "ht"]);

function evaluate(module: string, fn: string, input: any) {
  const m = MODULES[module];
  const f = m?.[fn];
  if (!f) return { success: false, error: `wengert: no function ${JSON.stringify(fn)} in module ${JSON.stringify(module)}` };
  const prepared = f.prepare(input);
  const minRuns = input?.min_runs ?? input?.runs ?? 1, minSeconds = input?.min_seconds ?? 0;
  // One untimed-as-evaluate run first: it compiles (jit) for this input's shapes, reported apart.
  const c0 = process.hrtime.bigint();
  let result: unknown = blockUntilReady(f.run(prepared));
  const timings: { name: string; nanoseconds: number }[] = [{ name: "compile", nanoseconds: Number(process.hrtime.bigint() - c0) }];
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

function handle(msg: any): object {
  const id = msg.id;
  switch (msg.kind) {
    case "start":
      return { id, tool: "wengert" };
    case "define":
      if (MODULES[msg.module]) return { id, success: true };
      return { id, success: false, error: NOT_YET.has(msg.module) ? `wengert does not implement ${msg.module} yet` : `unknown module ${msg.module}` };
    case "evaluate":
      try {
        return { id, ...evaluate(msg.module, msg.function, msg.input) };
      } catch (e) {
        return { id, success: false, error: e instanceof Error ? e.message : String(e) };
      }
    default:
      return { id };
  }
}

const rl = createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  if (line.trim() === "") return;
  let msg: any;
  try {
    msg = JSON.parse(line);
  } catch {
    process.stderr.write(`wengert gradbench tool: not JSON: ${line.slice(0, 80)}\n`);
    return;
  }
  process.stdout.write(JSON.stringify(handle(msg)) + "\n");
});
