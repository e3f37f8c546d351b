/**
 * Starts the GradBench tool (tool.ts) with the runtime settings it is measured with; both
 * `npm run gradbench-tool` and our driver start it this way.
 *
 * - `--single-threaded-gc`: on a 2-core machine, V8's parallel young-generation collections made
 *   loops that allocate a little per iteration several times slower (ba5's Jacobian 500 → 70 ms).
 * - glibc's malloc keeps freed blocks up to 32 MB for reuse instead of unmapping them
 *   (`GLIBC_TUNABLES`; other C libraries ignore it): a result array the size of the input, fresh
 *   on every run, was otherwise mapped in page by page on first touch, every run (lse's gradient
 *   at n = 20000: 0.77 ms against 0.39). GradBench's C++ tools reuse their output object instead.
 * - glibc's malloc asks for transparent huge pages on its memory (`glibc.malloc.hugetlb=1`; this
 *   machine's kernel gives them on request only): touching 320 MB of fresh memory took ~1.3 s in
 *   4 KB pages and ~40 ms in 2 MB pages here, which ode's largest gradient (320 MB of stacked
 *   residuals) pays when they do not fit the spare pool.
 */
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

export const TOOL_NODE_FLAGS = ["--single-threaded-gc"];
export const TOOL_ENV = { GLIBC_TUNABLES: "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824" };
const root = fileURLToPath(new URL("../..", import.meta.url));

/** The tool as a child process with those settings (stdio as given). */
export function startTool(stdio) {
  return spawn(process.execPath, [...TOOL_NODE_FLAGS, "--import", "tsx", "bench/gradbench/tool.ts"], { cwd: root, stdio, env: { ...process.env, ...TOOL_ENV } });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const child = startTool("inherit");
  child.on("exit", (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
}
