/** @file The GradBench tool, driven over the real protocol in a child process, answers checked independently. */
import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Send messages, collect one response line per message. */
function talk(messages: object[]): Promise<any[]> {
  return talkRaw(messages.map((m) => JSON.stringify(m)));
}

/** Send raw lines (hostile ones too), collect one response line per non-blank line. */
function talkRaw(lines: string[]): Promise<any[]> {
  const messages = lines.filter((l) => l.trim() !== "");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/gradbench/tool.ts"], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", () => {
      const lines = out.trim().split("\n").filter(Boolean);
      if (lines.length !== messages.length) reject(new Error(`expected ${messages.length} lines, got ${lines.length}: ${out}\n${err}`));
      else resolve(lines.map((l) => JSON.parse(l)));
    });
    child.stdin.end(lines.join("\n") + "\n");
  });
}

const ok = (x: number, y: number) => Math.abs(x - y) / Math.max(1, Math.abs(x) + Math.abs(y)) <= 1e-10;
const timed = { min_runs: 2, min_seconds: 0 };

describe("GradBench tool (protocol over stdin/stdout)", () => {
  it("answers every line, hostile ones with success: false and the reason", async () => {
    const lines = ["{bad", "null", "[]", "42", '"x"', '{"id":1}', '{"id":2,"kind":"define","module":"constructor"}', '{"id":3,"kind":"evaluate","module":"lse","function":"__proto__","input":{}}',
      '{"id":4,"kind":"evaluate","module":"lse","function":"primal","input":{"x":[1,2],"min_runs":-1}}', "", '{"id":5,"kind":"start"}'];
    const r = await talkRaw(lines);
    expect(r.length).toBe(10);
    for (const m of r.slice(0, 9)) expect(m.success).toBe(false);
    expect(r.slice(0, 5).map((m) => m.id)).toEqual([null, null, null, null, null]);
    expect(r[0].error).toMatch(/not JSON/);
    expect(r.slice(5, 9).map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(r[9]).toEqual({ id: 5, tool: "wengert" });
  });

  it("answers every message with one line, with timings per run, and validates against independent checks", async () => {
    const x = [0.3, -1.2, 2.5, 0.1];
    const msgs = [
      { id: 0, kind: "start", eval: "lse" },
      { id: 1, kind: "define", module: "lse" },
      { id: 2, kind: "evaluate", module: "lse", function: "primal", input: { x, ...timed } },
      { id: 3, kind: "evaluate", module: "lse", function: "gradient", input: { x, ...timed } },
      { id: 4, kind: "evaluate", module: "hello", function: "double", input: 3 },
      { id: 5, kind: "evaluate", module: "llsq", function: "gradient", input: { x: [0.1, 0.2, 0.3], n: 5, ...timed } },
      { id: 6, kind: "evaluate", module: "ode", function: "gradient", input: { x: [1, 2, 3, 4], s: 10, ...timed } },
      { id: 7, kind: "evaluate", module: "kmeans", function: "dir", input: { points: [[0, 0], [1, 1], [3, 3]], centroids: [[0.5, 0.6], [2, 2]], ...timed } },
      { id: 8, kind: "define", module: "nonexistent" },
      { id: 9, kind: "analysis", of: 3, valid: true },
      { id: 10, kind: "evaluate", module: "lse", function: "nope", input: { x, ...timed } },
    ];
    const r = await talk(msgs);
    expect(r.map((m) => m.id)).toEqual(msgs.map((m) => m.id));
    expect(r[0]).toEqual({ id: 0, tool: "wengert" });
    expect(r[1]).toEqual({ id: 1, success: true });
    const m = Math.max(...x), lse = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
    expect(ok(r[2].output, lse)).toBe(true);
    expect(r[2].timings.filter((t: any) => t.name === "evaluate").length).toBeGreaterThanOrEqual(2);
    // the input's conversion and the first (compiling) run are reported apart from the timed runs
    expect(r[2].timings.slice(0, 2).map((t: any) => t.name)).toEqual(["prepare", "compile"]);
    expect(r[4].timings.slice(0, 2).map((t: any) => t.name)).toEqual(["prepare", "warmup"]);
    r[3].output.forEach((g: number, i: number) => expect(ok(g, Math.exp(x[i] - lse))).toBe(true));
    expect(r[4].output).toBe(6);
    // llsq gradient: −Σ_i r_i t_i^j with r_i = s_i − Σ_j x_j t_i^j
    const t = [0, 1, 2, 3, 4].map((i) => -1 + (2 * i) / 4);
    const res = t.map((ti) => Math.sign(ti) - [0.1, 0.2, 0.3].reduce((s, xj, j) => s + xj * ti ** j, 0));
    [0, 1, 2].forEach((j) => expect(ok(r[5].output[j], -res.reduce((s, ri, i) => s + ri * t[i] ** j, 0))).toBe(true));
    // ode: y₃(2) = x₀x₁x₂x₃·2⁴/4! (RK4 is exact for this polynomial), so ∂/∂xᵢ = y₃/xᵢ
    [16, 8, 16 / 3, 4].forEach((g, i) => expect(ok(r[6].output[i], g)).toBe(true));
    // kmeans: centroid 0 owns (0,0),(1,1): ∇ = 2Σ(C−P) = (0, 0.4), diag(H) = 4; centroid 1 owns (3,3): (−2,−2)/2
    expect(r[7].output[0][0]).toBeCloseTo(0, 12);
    expect(r[7].output[0][1]).toBeCloseTo(0.1, 12);
    expect(r[7].output[1]).toEqual([-1, -1]);
    expect(r[8].success).toBe(false);
    expect(r[8].error).toMatch(/unknown module "nonexistent"/);
    expect(r[9]).toEqual({ id: 9 });
    expect(r[10].success).toBe(false);
  }, 30000);
});

describe("GradBench driver at small sizes (every implemented eval, checked independently)", async () => {
  const { runDriver, EVALS, TOLERANCE } = await import("../bench/gradbench/driver.js");
  it.each(EVALS.map((e) => e.name))("%s: every workload valid", async (name) => {
    const rows = await runDriver({ small: true, evals: [name] });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.failures).toEqual([]);
      for (const e of Object.values(r.errors)) expect(e).toBeLessThanOrEqual(TOLERANCE);
      expect(Object.keys(r.errors).length).toBeGreaterThanOrEqual(2);
    }
  }, 240_000);
});
