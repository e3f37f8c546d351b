/**
 * wengert side by side with the JavaScript libraries a user would otherwise pick, in one run:
 * TensorFlow.js (`cpu` and `wasm` backends), jax-js (`wasm`) and mathjs (symbolic). Every candidate
 * is checked against a closed form or an independent computation before it is timed; candidates
 * are timed interleaved (medians after warm-up), so ratios compare like with like.
 *
 *   npm run bench            (writes bench/RESULTS.md)
 */
import { writeFileSync, readFileSync } from "node:fs";
import * as math from "mathjs";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import * as w from "./lib.js";
import { tensor, jit, grad, valueAndGrad, hessian, type Tensor } from "./lib.js";
import { timeAll, opaque } from "./timing.js";
import { relErr } from "./stats.js";
import { wengertLogistic, mathjsLogistic, mathjsSize } from "./swell.js";

// jax-js on Node 20: its dtype table mentions Float16Array, which Node 20 lacks; float16 is never used here.
(globalThis as any).Float16Array ??= class Float16Array {
  constructor() {
    throw new Error("Float16Array is not available in this Node version");
  }
};
const jax: any = await import("@jax-js/jax");
await jax.init("wasm");
jax.defaultDevice("wasm");
const np = jax.numpy;
await tf.setBackend("wasm");
await tf.setBackend("cpu");

const version = (pkg: string) => JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), "utf8")).version;
const VERSIONS = { wengert: version("../"), "@tensorflow/tfjs": tf.version.tfjs, "@tensorflow/tfjs-backend-wasm": version("@tensorflow/tfjs-backend-wasm"), "@jax-js/jax": version("@jax-js/jax"), mathjs: math.version };

/** TF.js switches backends synchronously once both are initialized (above). */
function tfOn(name: "cpu" | "wasm") {
  if (tf.getBackend() !== name) void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`TF.js backend ${name} did not activate`);
}
/** Runs f on a TF.js backend, reads every output back (so the work is done) and frees everything. */
function tfRun(backend: "cpu" | "wasm", f: () => tf.Tensor | tf.Tensor[]): ArrayLike<number>[] {
  tfOn(backend);
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  const vals = list.map((t) => t.dataSync());
  tf.dispose(list);
  return vals;
}
/** Runs f with jax-js, reads every output back and disposes it (jax-js's ownership rules). */
function jaxRun(f: () => any): ArrayLike<number>[] {
  const outs = f();
  const list: any[] = Array.isArray(outs) ? outs.flat(2) : [outs];
  return list.map((a) => a.dataSync() as ArrayLike<number>);
}
/** Every number in a result (tensors, typed arrays, nested arrays and objects), in order; untimed. */
const flatW = (x: unknown): number[] =>
  x instanceof w.Tensor ? Array.from(x.concrete().data) : ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : Array.isArray(x) ? x.flatMap(flatW) : x && typeof x === "object" ? Object.values(x).flatMap(flatW) : [x as number];

/** Largest GradBench element error between two lists of numbers (a NaN anywhere counts as wrong). */
function maxErr(a: number[], b: number[]): number {
  if (a.length !== b.length) return Infinity;
  const m = a.reduce((acc, x, i) => Math.max(acc, relErr(x, b[i])), 0);
  return Number.isNaN(m) ? Infinity : m;
}

interface Candidate {
  name: string;
  dtype: string;
  /** One evaluation, timed: returns the results as the library gives them (materialized). */
  run: () => unknown;
  /** The results' numbers in the reference's order, for the check (untimed; default: all numbers in order). */
  read?: (r: any) => number[];
  /** Skip timing (e.g. a peer that cannot do the workload): the reason goes in the table. */
  unsupported?: string;
}
const lines: string[] = [];
const out = (s = "") => {
  console.log(s);
  lines.push(s);
};
const fmtRatio = (r: number) => (r < 0.01 || r >= 1000 ? r.toExponential(1) : r.toFixed(2));
const fmt = (s: number) => (s < 1e-3 ? `${(s * 1e6).toFixed(1)} µs` : `${(s * 1e3).toFixed(2)} ms`);

/**
 * Checks each candidate against the reference, times the ones that pass, prints one table.
 * `tolerance` is per dtype: float32 peers are held to float32 accuracy.
 */
function workload(title: string, what: string, reference: number[], cands: Candidate[], opts: { rounds?: number; batchMs?: number; baseline?: { name: string; run: () => unknown }; ours?: string } = {}) {
  out(`## ${title}`, );
  out("");
  out(what);
  out("");
  const tol = (dtype: string) => (dtype === "float32" ? 1e-3 : 1e-6);
  const rows = cands.map((c) => {
    if (c.unsupported) return { c, err: NaN, ok: false, note: c.unsupported };
    try {
      const err = maxErr((c.read ?? flatW)(c.run()), reference);
      return { c, err, ok: err <= tol(c.dtype), note: err <= tol(c.dtype) ? "" : `WRONG: error ${err.toExponential(2)} > ${tol(c.dtype)}` };
    } catch (e) {
      return { c, err: NaN, ok: false, note: `fails: ${(e as Error).message.split("\n")[0].slice(0, 120)}` };
    }
  });
  const timed: Record<string, () => unknown> = {};
  if (opts.baseline) timed[opts.baseline.name] = opts.baseline.run;
  for (const r of rows) if (r.ok) timed[r.c.name] = r.c.run;
  const t = timeAll(timed, opts.rounds ?? 11, opts.batchMs ?? 60);
  const ours = opts.ours ? t[opts.ours] : Math.min(...rows.filter((r) => r.ok && r.c.name.startsWith("wengert")).map((r) => t[r.c.name]));
  out(`| library | dtype | time | wengert ÷ this | max error | note |`);
  out(`|---|---|---:|---:|---:|---|`);
  if (opts.baseline) out(`| ${opts.baseline.name} | float64 | ${fmt(t[opts.baseline.name])} | ${fmtRatio(ours / t[opts.baseline.name])} | | reference point |`);
  for (const r of rows) {
    const time = r.ok ? fmt(t[r.c.name]) : "—";
    const ratio = r.ok ? fmtRatio(ours / t[r.c.name]) : "—";
    out(`| ${r.c.name.startsWith("wengert") ? `**${r.c.name}**` : r.c.name} | ${r.c.dtype} | ${time} | ${ratio} | ${Number.isNaN(r.err) ? "—" : r.err.toExponential(1)} | ${r.note} |`);
  }
  out("");
  return t;
}

out(`# wengert and the JavaScript peers, side by side`);
out("");
out(`Node ${process.version}; ${Object.entries(VERSIONS).map(([k, v]) => `${k} ${v}`).join(", ")}.`);
out("Each candidate is checked against the reference before timing (float64 within 1e-6, float32 within 1e-3,");
out("GradBench's element error); times are medians of interleaved rounds after warm-up, so ratios come from one run.");
out("\"wengert ÷ this\" uses wengert's fastest variant: below 1 means wengert is faster. TF.js has no float64.");
out("");

// ---- 1. the seeds' worked example ------------------------------------------------------------------
{
  const [a, b] = [2, 5];
  const ref = [Math.log(a) + a * b - Math.sin(b), 1 / a + b, a - Math.cos(b)];
  const f = (x1: Tensor, x2: Tensor) => w.log(x1).add(x1.mul(x2)).sub(w.sin(x2));
  const vg = valueAndGrad(f, { argnums: [0, 1] });
  // symbolic: derive once, compile once, then evaluate (as mathjs below)
  const symE = w.parse("ln(x1) + x1*x2 - sin(x2)");
  const symG = w.compile([symE, ...w.gradient(symE, ["x1", "x2"])], ["x1", "x2"]);
  const sym = math.parse("log(x1) + x1 * x2 - sin(x2)");
  const d1 = math.derivative(sym, "x1").compile(), d2 = math.derivative(sym, "x2").compile(), f0 = sym.compile();
  const jf = (x1: any, x2: any) => np.log(x1.ref).add(x1.mul(x2.ref)).sub(np.sin(x2));
  const jvg = jax.valueAndGrad(jf, { argnums: [0, 1] });
  const tfvg = (backend: "cpu" | "wasm") => () =>
    tfRun(backend, () => {
      const { value, grads } = tf.valueAndGrads((x1: tf.Tensor, x2: tf.Tensor) => tf.sub(tf.add(tf.log(x1), tf.mul(x1, x2)), tf.sin(x2)))([tf.scalar(a), tf.scalar(b)]);
      return [value, ...grads];
    });
  workload("Seed example: value and gradient of ln(x₁) + x₁x₂ − sin(x₂) at (2, 5)", "Correctness of every peer on the seeds' worked example (closed form: 5.5, 2 − cos 5). Ratios use wengert's valueAndGrad (AD on every call); the compiled symbolic gradient is the counterpart of mathjs's compiled derivative.", ref, [
    { name: "wengert valueAndGrad", dtype: "float64", run: () => vg(tensor(a), tensor(b)) },
    { name: "wengert symbolic gradient, compiled", dtype: "float64", run: () => symG(a, b) },
    { name: "TF.js cpu", dtype: "float32", run: tfvg("cpu") },
    { name: "TF.js wasm", dtype: "float32", run: tfvg("wasm") },
    { name: "jax-js", dtype: "float64", run: () => jaxRun(() => jvg(np.array(a, { dtype: np.float64 }), np.array(b, { dtype: np.float64 }))) },
    { name: "mathjs derivative", dtype: "float64", run: () => [f0.evaluate({ x1: a, x2: b }), d1.evaluate({ x1: a, x2: b }), d2.evaluate({ x1: a, x2: b })] },
  ], { rounds: 5, batchMs: 20, ours: "wengert valueAndGrad" });

  // higher derivatives: d²/dx² and d⁴/dx⁴ of x·eˣ at x = 1 are 3e and 5e
  const x0 = 1;
  const refH = [3 * Math.E, 5 * Math.E];
  const g = (x: Tensor) => x.mul(w.exp(x));
  const tfH = (backend: "cpu" | "wasm") => () =>
    tfRun(backend, () => {
      const h = (x: tf.Tensor) => tf.mul(x, tf.exp(x));
      const d = (fn: (x: tf.Tensor) => tf.Tensor) => tf.grad(fn) as (x: tf.Tensor) => tf.Tensor;
      return [d(d(h))(tf.scalar(x0)), d(d(d(d(h))))(tf.scalar(x0))];
    });
  const jh = (x: any) => x.ref.mul(np.exp(x));
  workload("Higher derivatives: (x·eˣ)'' and (x·eˣ)'''' at x = 1", "Closed forms 3e and 5e; nested grad in each library.", refH, [
    { name: "wengert grad∘grad", dtype: "float64", run: () => [grad(grad(g))(tensor(x0)).item(), grad(grad(grad(grad(g))))(tensor(x0)).item()] },
    { name: "TF.js cpu", dtype: "float32", run: tfH("cpu") },
    { name: "TF.js wasm", dtype: "float32", run: tfH("wasm") },
    { name: "jax-js", dtype: "float64", run: () => jaxRun(() => [jax.grad(jax.grad(jh))(np.array(x0, { dtype: np.float64 })), jax.grad(jax.grad(jax.grad(jax.grad(jh))))(np.array(x0, { dtype: np.float64 }))]) },
    { name: "mathjs derivative", dtype: "float64", run: () => { const e = math.parse("x * exp(x)"); const d2 = math.derivative(math.derivative(e, "x"), "x"); return [d2.evaluate({ x: x0 }), math.derivative(math.derivative(d2, "x"), "x").evaluate({ x: x0 })]; } },
  ], { rounds: 5, batchMs: 20 });
}

// ---- 2. extended Rosenbrock ----------------------------------------------------------------------
{
  const n = 1e4;
  const xd = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i));
  const loop = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < x.length; i += 2) {
      const t = x[i + 1] - x[i] * x[i], u = 1 - x[i];
      s += 100 * t * t + u * u;
    }
    return s;
  };
  const ref = [loop(xd)];
  for (let i = 0; i < n; i += 2) {
    const t = xd[i + 1] - xd[i] * xd[i], u = 1 - xd[i];
    ref.push(-400 * t * xd[i] - 2 * u, 200 * t);
  }
  const rosen = (x: Tensor) => {
    const p = x.reshape([n / 2, 2]);
    const odd = p.slice(null, 0), even = p.slice(null, 1);
    return w.sum(w.square(even.sub(w.square(odd))).mul(100).add(w.square(w.sub(1, odd))));
  };
  const x = tensor(xd);
  const vgE = valueAndGrad(rosen), vgJ = jit(valueAndGrad(rosen));
  const tfRosen = (x: tf.Tensor) => {
    const p = tf.reshape(x, [n / 2, 2]);
    const odd = tf.slice(p, [0, 0], [n / 2, 1]), even = tf.slice(p, [0, 1], [n / 2, 1]);
    return tf.sum(tf.add(tf.mul(100, tf.square(tf.sub(even, tf.square(odd)))), tf.square(tf.sub(1, odd))));
  };
  const tfx: Record<string, tf.Tensor> = {};
  for (const b of ["cpu", "wasm"] as const) (tfOn(b), (tfx[b] = tf.tensor(Float32Array.from(xd))));
  const tfvg = (b: "cpu" | "wasm") => () => tfRun(b, () => { const r = tf.valueAndGrad(tfRosen)(tfx[b]); return [r.value, r.grad]; });
  const jRosen = (x: any) => {
    const p = np.reshape(x, [n / 2, 2]);
    const odd = p.ref.slice([], 0), even = p.slice([], 1);
    return np.sum(np.square(even.sub(np.square(odd.ref))).mul(100).add(np.square(np.subtract(1, odd))));
  };
  const jx = np.array(xd, { dtype: np.float64 });
  const jvgE = jax.valueAndGrad(jRosen), jvgJ = jax.jit(jax.valueAndGrad(jRosen));
  // the plain loop and wengert read their inputs through opaque(): no loop is specialised to one constant array
  const X = opaque(x), XD = opaque(xd);
  const t = workload(`Extended Rosenbrock, n = ${n}: value and gradient`, "f(x) = Σᵢ 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)², vectorized; the reference is a hand-written gradient loop.", ref, [
    { name: "wengert eager valueAndGrad", dtype: "float64", run: () => vgE(X()) },
    { name: "wengert jit(valueAndGrad)", dtype: "float64", run: () => vgJ(X()) },
    { name: "TF.js cpu", dtype: "float32", run: tfvg("cpu") },
    { name: "TF.js wasm", dtype: "float32", run: tfvg("wasm") },
    { name: "jax-js eager", dtype: "float64", run: () => jaxRun(() => jvgE(jx.ref)) },
    { name: "jax-js jit", dtype: "float64", run: () => jaxRun(() => jvgJ(jx.ref)) },
  ], { baseline: { name: "plain JS loop (f only)", run: () => loop(XD()) } });
  out(`Multiples of the plain loop computing f: wengert eager ${(t["wengert eager valueAndGrad"] / t["plain JS loop (f only)"]).toFixed(1)}×, jit ${(t["wengert jit(valueAndGrad)"] / t["plain JS loop (f only)"]).toFixed(1)}×.`);
  out("");
}

// ---- 3. MLP step ------------------------------------------------------------------------------------
{
  const [B, D, H, C] = [128, 784, 256, 10];
  const next = w.rng(12345), rnd = () => next() * 2 - 1;
  const arr = (len: number, scale: number) => Float32Array.from({ length: len }, () => rnd() * scale);
  const W1 = arr(D * H, 1 / Math.sqrt(D)), b1 = arr(H, 0.1), W2 = arr(H * C, 1 / Math.sqrt(H)), b2 = arr(C, 0.1), Xd = arr(B * D, 1);
  const Yd = new Float32Array(B * C);
  for (let i = 0; i < B; i++) Yd[i * C + ((i * 7) % C)] = 1;
  const f32 = { dtype: "float32" as const };
  const mk = (d: Float32Array, shape: number[], dtype: "float32" | "float64") => tensor(Float64Array.from(d), { dtype }).reshape(shape);
  const loss = (p: { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor }, x: Tensor, y: Tensor) => {
    const h = w.relu(w.matmul(x, p.w1).add(p.b1));
    return w.mean(w.sum(w.mul(y, w.logSoftmax(w.matmul(h, p.w2).add(p.b2), -1)), -1)).neg();
  };
  const params = (dt: "float32" | "float64") => ({ w1: mk(W1, [D, H], dt), b1: mk(b1, [H], dt), w2: mk(W2, [H, C], dt), b2: mk(b2, [C], dt) });
  const p32 = params("float32"), X = mk(Xd, [B, D], "float32"), Y = mk(Yd, [B, C], "float32");
  const p64 = params("float64");
  const [v64, g64] = valueAndGrad(loss)(p64, mk(Xd, [B, D], "float64"), mk(Yd, [B, C], "float64"));
  const ref = [v64.item(), ...flatW([g64.w1, g64.b1, g64.w2, g64.b2])];
  const vgE = valueAndGrad(loss), vgJ = jit(valueAndGrad(loss));
  const order = (r: [Tensor, any]) => flatW([r[0], r[1].w1, r[1].b1, r[1].w2, r[1].b2]);
  const tfIn: Record<string, tf.Tensor[]> = {};
  for (const b of ["cpu", "wasm"] as const) (tfOn(b), (tfIn[b] = [tf.tensor(W1, [D, H]), tf.tensor(b1), tf.tensor(W2, [H, C]), tf.tensor(b2), tf.tensor(Xd, [B, D]), tf.tensor(Yd, [B, C])]));
  const tfvg = (b: "cpu" | "wasm") => () =>
    tfRun(b, () => {
      const [w1, bb1, w2, bb2, tX, tY] = tfIn[b];
      const r = tf.valueAndGrads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) => {
        const h = tf.relu(tf.add(tf.matMul(tX, a), c));
        return tf.neg(tf.mean(tf.sum(tf.mul(tY, tf.logSoftmax(tf.add(tf.matMul(h, d), e))), -1)));
      })([w1, bb1, w2, bb2]);
      return [r.value, ...r.grads];
    });
  const jLoss = (p: any, x: any, y: any) => {
    const h = jax.nn.relu(np.matmul(x, p.w1).add(p.b1));
    return np.mean(np.sum(y.mul(jax.nn.logSoftmax(np.matmul(h, p.w2).add(p.b2), -1)), -1)).mul(-1);
  };
  const jp = { w1: np.array(W1).reshape([D, H]), b1: np.array(b1), w2: np.array(W2).reshape([H, C]), b2: np.array(b2) };
  const jX = np.array(Xd).reshape([B, D]), jY = np.array(Yd).reshape([B, C]);
  const jvgJ = jax.jit(jax.valueAndGrad(jLoss));
  const jref = (p: any) => ({ w1: p.w1.ref, b1: p.b1.ref, w2: p.w2.ref, b2: p.b2.ref });
  const jaxStep = () => jaxRun(() => { const [v, g] = jvgJ(jref(jp), jX.ref, jY.ref); return [v, g.w1, g.b1, g.w2, g.b2]; });
  const t = workload(`MLP step: value and gradient of a ${D}-${H}-${C} MLP loss, batch ${B}`, "ReLU hidden layer, softmax cross-entropy; the reference is wengert in float64.", ref, [
    { name: "wengert eager", dtype: "float32", run: () => vgE(p32, X, Y), read: order },
    { name: "wengert jit", dtype: "float32", run: () => vgJ(p32, X, Y), read: order },
    { name: "TF.js cpu", dtype: "float32", run: tfvg("cpu") },
    { name: "TF.js wasm", dtype: "float32", run: tfvg("wasm") },
    { name: "jax-js jit", dtype: "float32", run: jaxStep },
  ], { rounds: 7, batchMs: 150 });
  const flops = 3 * (2 * B * D * H + 2 * B * H * C);
  out(`GFLOP/s (3 matmul-equivalents per layer): ${Object.entries(t).map(([k, v]) => `${k} ${(flops / v / 1e9).toFixed(2)}`).join(", ")}.`);
  out("");
}

// ---- 4. Hessian ---------------------------------------------------------------------------------------
{
  const n = 200;
  const xd = Float64Array.from({ length: n }, (_, i) => 0.3 * Math.cos(1.7 * i));
  const f = (x: Tensor) => {
    const next = w.concat([x.slice([1, null]), x.slice([0, 1])]);
    return w.sum(w.exp(w.sin(x).mul(next))).add(w.square(w.sum(x)).div(n));
  };
  // closed form: with aᵢ = sin xᵢ, bᵢ = xᵢ₊₁, eᵢ = exp(aᵢbᵢ)
  const H = Array.from({ length: n }, () => new Float64Array(n).fill(2 / n));
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n, a = Math.sin(xd[i]), b = xd[j], e = Math.exp(a * b), da = Math.cos(xd[i]);
    H[i][i] += e * (da * b) ** 2 - e * a * b; // ∂²/∂xᵢ² of exp(sin xᵢ · b)
    H[j][j] += e * a * a;
    const c = e * (da + da * a * b);
    H[i][j] += c, (H[j][i] += c);
  }
  const ref = H.flatMap((r) => Array.from(r));
  const x = tensor(xd);
  const hE = hessian(f), hJ = jit(hessian(f));
  const tfF = (x: tf.Tensor) => tf.add(tf.sum(tf.exp(tf.mul(tf.sin(x), tf.concat([tf.slice(x, [1], [n - 1]), tf.slice(x, [0], [1])])))), tf.div(tf.square(tf.sum(x)), n));
  // TF.js has no Hessian or forward mode: one reverse-over-reverse product per row
  const tfHess = (b: "cpu" | "wasm") => () =>
    tfRun(b, () => {
      const xt = tf.tensor(Float32Array.from(xd));
      const g = tf.grad(tfF);
      const rows: tf.Tensor[] = [];
      for (let i = 0; i < n; i++) rows.push(tf.grad((y: tf.Tensor) => tf.sum(tf.mul(g(y), tf.oneHot(tf.tensor1d([i], "int32"), n).reshape([n]))))(xt));
      return rows;
    });
  const jF = (x: any) => {
    const next = np.concatenate([x.ref.slice([1, n]), x.ref.slice([0, 1])]);
    return np.sum(np.exp(np.sin(x.ref).mul(next))).add(np.square(np.sum(x)).div(n));
  };
  const jx = np.array(xd, { dtype: np.float64 });
  const jH = jax.jit(jax.hessian(jF));
  workload(`Hessian of Σ exp(sin(xᵢ)·xᵢ₊₁ mod n) + (Σx)²/n, n = ${n}`, "Full dense Hessian (200×200); the reference is the closed form.", ref, [
    { name: "wengert hessian (eager)", dtype: "float64", run: () => hE(x) },
    { name: "wengert jit(hessian)", dtype: "float64", run: () => hJ(x) },
    { name: "TF.js cpu (200 grad-of-grad rows)", dtype: "float32", run: tfHess("cpu") },
    { name: "TF.js wasm (200 grad-of-grad rows)", dtype: "float32", run: tfHess("wasm") },
    { name: "jax-js jit(hessian)", dtype: "float64", run: () => jaxRun(() => jH(jx.ref)) },
  ], { rounds: 5, batchMs: 200 });
}

// ---- 5. matmul gradient ---------------------------------------------------------------------------------
{
  const n = 512;
  const next = w.rng(777), rnd = () => next() * 2 - 1;
  const Ad = Float32Array.from({ length: n * n }, rnd), Bd = Float32Array.from({ length: n * n }, rnd);
  const f = (A: Tensor, B: Tensor) => w.sum(w.square(w.matmul(A, B)));
  const A64 = tensor(Float64Array.from(Ad)).reshape([n, n]), B64 = tensor(Float64Array.from(Bd)).reshape([n, n]);
  const [v, [gA, gB]] = valueAndGrad(f, { argnums: [0, 1] })(A64, B64);
  const ref = [v.item(), ...flatW([gA, gB])];
  const A = A64.cast("float32"), B = B64.cast("float32");
  const vgE = valueAndGrad(f, { argnums: [0, 1] }), vgJ = jit(valueAndGrad(f, { argnums: [0, 1] }));
  const tfIn: Record<string, tf.Tensor[]> = {};
  for (const b of ["cpu", "wasm"] as const) (tfOn(b), (tfIn[b] = [tf.tensor(Ad, [n, n]), tf.tensor(Bd, [n, n])]));
  const tfvg = (b: "cpu" | "wasm") => () => tfRun(b, () => { const r = tf.valueAndGrads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, c))))(tfIn[b]); return [r.value, ...r.grads]; });
  const jA = np.array(Ad).reshape([n, n]), jB = np.array(Bd).reshape([n, n]);
  const jvg = jax.jit(jax.valueAndGrad((a: any, b: any) => np.sum(np.square(np.matmul(a, b))), { argnums: [0, 1] }));
  // sum((AB)²) ~ 1e7 in magnitude: float32 answers are compared relative to that scale
  const scale = (xs: number[]) => xs.map((u, i) => (i === 0 ? u / ref[0] : u / 1e4));
  const refS = scale(ref);
  workload(`matmul gradient: value and gradient of sum((A@B)²), ${n}×${n}`, "Gradients w.r.t. both A and B (2 Z̄ Bᵀ-style products); the reference is wengert in float64. Values are compared after scaling by the result's magnitude.", refS, [
    { name: "wengert eager", dtype: "float32", run: () => vgE(A, B), read: (r) => scale(flatW(r)) },
    { name: "wengert jit", dtype: "float32", run: () => vgJ(A, B), read: (r) => scale(flatW(r)) },
    { name: "TF.js cpu", dtype: "float32", run: tfvg("cpu"), read: (r) => scale(flatW(r)) },
    { name: "TF.js wasm", dtype: "float32", run: tfvg("wasm"), read: (r) => scale(flatW(r)) },
    { name: "jax-js jit", dtype: "float32", run: () => jaxRun(() => { const [val, [ga, gb]] = jvg(jA.ref, jB.ref); return [val, ga, gb]; }), read: (r) => scale(flatW(r)) },
  ], { rounds: 5, batchMs: 300 });
}

// ---- 6. symbolic swell ------------------------------------------------------------------------------------
{
  out("## Symbolic swell: d/dx of the k-th logistic-map iterate, wengert vs mathjs");
  out("");
  out("Both build the iterate and differentiate it (mathjs without simplification). Times are warm medians; once a mathjs call takes over 20 ms it is timed once.");
  out("");
  out("| k | wengert DAG nodes | wengert time | mathjs nodes | mathjs time | wengert ÷ mathjs | values agree |");
  out("|---:|---:|---:|---:|---:|---:|---|");
  let mathjsOn = true;
  for (const k of [1, 5, 10, 15, 20, 25, 30]) {
    const wengert = () => w.diff(wengertLogistic(k), "x");
    const mathjs = () => math.derivative(mathjsLogistic(k), "x", { simplify: false });
    const dw = wengert();
    const x0 = 0.3;
    let row = `| ${k} | ${w.dagSize(dw)} |`;
    if (mathjsOn) {
      // one call first; while a call is quick, both are timed warm and interleaved (one timeAll)
      const t0 = performance.now();
      const dm = mathjs();
      const cold = (performance.now() - t0) / 1000;
      const t = cold < 0.02 ? timeAll({ wengert, mathjs }, 9, 20) : { wengert: timeAll({ wengert }, 5, 20).wengert, mathjs: cold };
      const a = dw.evaluate({ x: x0 }), b = dm.evaluate({ x: x0 }) as number;
      row += ` ${fmt(t.wengert)} | ${mathjsSize(dm)} | ${fmt(t.mathjs)} | ${(t.wengert / t.mathjs).toExponential(1)} | ${Math.abs(a - b) <= 1e-9 * Math.abs(a) ? "yes" : `NO (${a} vs ${b})`} |`;
      if (cold > 0.05 || mathjsSize(dm) > 1e6) mathjsOn = false;
    } else row += ` ${fmt(timeAll({ wengert }, 5, 20).wengert)} | — | — | — | mathjs stopped: its tree grows ~3× per step (the next size would not fit in memory) |`;
    out(row);
  }
  out("");
}

// ---- 7. linear algebra ----------------------------------------------------------------------------------
{
  out("## Linear algebra: solve, cholesky, eigh");
  out("");
  out("Float64 matrices; references from plain loops written here (Gaussian elimination, Cholesky–Banachiewicz, cyclic Jacobi eigenvalues). TF.js has none of the three. eigh is compared on the eigenvalues (eigenvectors are unique up to sign).");
  out("");
  const rand = (n: number, seed: number) => { let s = seed; return Float64Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1); };
  const refSolve = (a: Float64Array, b: Float64Array, n: number, k: number) => {
    const m = Float64Array.from(a), x = Float64Array.from(b);
    for (let c = 0; c < n; c++) {
      let p = c;
      for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
      for (let j = 0; j < n; j++) [m[c * n + j], m[p * n + j]] = [m[p * n + j], m[c * n + j]];
      for (let j = 0; j < k; j++) [x[c * k + j], x[p * k + j]] = [x[p * k + j], x[c * k + j]];
      for (let r = c + 1; r < n; r++) {
        const f = m[r * n + c] / m[c * n + c];
        for (let j = c; j < n; j++) m[r * n + j] -= f * m[c * n + j];
        for (let j = 0; j < k; j++) x[r * k + j] -= f * x[c * k + j];
      }
    }
    for (let c = n - 1; c >= 0; c--) for (let j = 0; j < k; j++) {
      let t = x[c * k + j];
      for (let q = c + 1; q < n; q++) t -= m[c * n + q] * x[q * k + j];
      x[c * k + j] = t / m[c * n + c];
    }
    return [...x];
  };
  const refCholesky = (a: Float64Array, n: number) => {
    const l = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
      let t = a[i * n + j];
      for (let q = 0; q < j; q++) t -= l[i * n + q] * l[j * n + q];
      l[i * n + j] = i === j ? Math.sqrt(t) : t / l[j * n + j];
    }
    return [...l];
  };
  const refEigvals = (a0: Float64Array, n: number) => {
    const a = Float64Array.from(a0);
    for (let sweep = 0; sweep < 50; sweep++) {
      let off = 0;
      for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
      if (off < 1e-26) break;
      for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1)), c = 1 / Math.sqrt(t * t + 1), sn = t * c;
        for (let k = 0; k < n; k++) { const akp = a[k * n + p], akq = a[k * n + q]; a[k * n + p] = c * akp - sn * akq; a[k * n + q] = sn * akp + c * akq; }
        for (let k = 0; k < n; k++) { const apk = a[p * n + k], aqk = a[q * n + k]; a[p * n + k] = c * apk - sn * aqk; a[q * n + k] = sn * apk + c * aqk; }
      }
    }
    return Array.from({ length: n }, (_, i) => a[i * n + i]).sort((x, y) => x - y);
  };
  for (const n of [100, 300]) {
    const g = rand(n * n, 7 + n), bv = rand(n * 4, 11 + n);
    // a well-conditioned general matrix, and a symmetric positive-definite one (GᵀG/n + I)
    const A = Float64Array.from(g, (v, i) => v + (i % (n + 1) === 0 ? 4 : 0));
    const spd = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let t = 0; for (let q = 0; q < n; q++) t += g[q * n + i] * g[q * n + j]; spd[i * n + j] = t / n + (i === j ? 1 : 0); }
    const wA = opaque(w.reshape(w.tensor(A), [n, n])), wB = opaque(w.reshape(w.tensor(bv), [n, 4])), wS = opaque(w.reshape(w.tensor(spd), [n, n]));
    const jA = np.array(Array.from({ length: n }, (_, i) => Array.from(A.subarray(i * n, (i + 1) * n))), { dtype: np.float64 });
    const jB = np.array(Array.from({ length: n }, (_, i) => Array.from(bv.subarray(i * 4, (i + 1) * 4))), { dtype: np.float64 });
    const jS = np.array(Array.from({ length: n }, (_, i) => Array.from(spd.subarray(i * n, (i + 1) * n))), { dtype: np.float64 });
    workload(`solve, n = ${n} (4 right-hand sides)`, "x with A·x = B (LU with partial pivoting).", refSolve(A, bv, n, 4), [
      { name: "wengert linalg.solve", dtype: "float64", run: () => w.linalg.solve(wA(), wB()) },
      { name: "jax-js numpy.linalg.solve", dtype: "float64", run: () => jaxRun(() => np.linalg.solve(jA.ref, jB.ref)) },
    ], { rounds: 7, batchMs: 40 });
    workload(`cholesky, n = ${n}`, "L with L·Lᵀ = S, S symmetric positive definite.", refCholesky(spd, n), [
      { name: "wengert linalg.cholesky", dtype: "float64", run: () => w.linalg.cholesky(wS()) },
      { name: "jax-js numpy.linalg.cholesky", dtype: "float64", run: () => jaxRun(() => np.linalg.cholesky(jS.ref)) },
    ], { rounds: 7, batchMs: 40 });
    workload(`eigh, n = ${n}`, "Eigenvalues and eigenvectors of S (checked on the eigenvalues).", refEigvals(spd, n), [
      { name: "wengert linalg.eigh", dtype: "float64", run: () => w.linalg.eigh(wS(), { symmetrizeInput: false }), read: (r: w.Tensor[]) => flatW(r[0]) },
      { name: "jax-js numpy.linalg.eigh", dtype: "float64", run: () => jaxRun(() => np.linalg.eigh(jS.ref)), read: (r: ArrayLike<number>[]) => Array.from(r[0]) },
    ], { rounds: 5, batchMs: 40 });
  }
}

// ---- 8. conv2d forward and backward ------------------------------------------------------------------------
{
  const [N, C, H, W, O] = [32, 8, 28, 28, 16];
  const rand = (n: number, seed: number) => { let s = seed; return Float32Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1); };
  const xd = rand(N * C * H * W, 3), kd = rand(O * C * 9, 5);
  const x64 = w.reshape(w.tensor(Float64Array.from(xd)), [N, C, H, W]), k64 = w.reshape(w.tensor(Float64Array.from(kd)), [O, C, 3, 3]);
  const x32 = w.cast(x64, "float32"), k32 = w.cast(k64, "float32");
  const conv = (x: Tensor, k: Tensor) => w.conv2d(x, k, { padding: "SAME" });
  const loss = (x: Tensor, k: Tensor) => w.sum(w.square(conv(x, k)));
  const refF = flatW(conv(x64, k64));
  const refG = flatW(grad(loss, { argnums: [0, 1] })(x64, k64));
  const wx32 = opaque(x32), wk32 = opaque(k32), wx64 = opaque(x64), wk64 = opaque(k64);
  const convJ = jit(conv), gradJ = jit(grad(loss, { argnums: [0, 1] }));
  const g32 = grad(loss, { argnums: [0, 1] });
  // TF.js: NHWC and HWIO
  const tx = tf.tensor4d(Array.from(xd), [N, C, H, W]).transpose([0, 2, 3, 1]), tk = tf.tensor4d(Array.from(kd), [O, C, 3, 3]).transpose([2, 3, 1, 0]);
  const tfConv = (x: tf.Tensor4D, k: tf.Tensor4D) => tf.conv2d(x, k, 1, "same");
  const tfGrad = tf.grads((x: tf.Tensor, k: tf.Tensor) => tf.sum(tf.square(tfConv(x as tf.Tensor4D, k as tf.Tensor4D))));
  const toNCHW = (t: ArrayLike<number>, n: number, h: number, ww: number, c: number) => { const o: number[] = new Array(n * c * h * ww); for (let a = 0; a < n; a++) for (let i = 0; i < h; i++) for (let j = 0; j < ww; j++) for (let q = 0; q < c; q++) o[((a * c + q) * h + i) * ww + j] = t[((a * h + i) * ww + j) * c + q]; return o; };
  const kernelOIHW = (t: ArrayLike<number>) => { const o: number[] = new Array(O * C * 9); for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let c = 0; c < C; c++) for (let q = 0; q < O; q++) o[((q * C + c) * 3 + i) * 3 + j] = t[((i * 3 + j) * C + c) * O + q]; return o; };
  const jx = np.array(Array.from(xd)).reshape([N, C, H, W]), jk = np.array(Array.from(kd)).reshape([O, C, 3, 3]);
  const jConv = (x: any, k: any) => jax.lax.conv(x, k, [1, 1], "SAME");
  const jGrad = jax.jit(jax.grad((x: any, k: any) => np.sum(np.square(jConv(x, k))), { argnums: [0, 1] }));
  const jConvJ = jax.jit(jConv);
  workload(`conv2d forward: ${N} images ${C}×${H}×${W}, ${O} kernels 3×3, SAME`, "One convolution layer of a small CNN (NCHW).", refF, [
    { name: "wengert jit", dtype: "float32", run: () => convJ(wx32(), wk32()) },
    { name: "wengert eager", dtype: "float32", run: () => conv(wx32(), wk32()) },
    { name: "wengert eager f64", dtype: "float64", run: () => conv(wx64(), wk64()) },
    { name: "TF.js cpu", dtype: "float32", run: () => tfRun("cpu", () => tfConv(tx as tf.Tensor4D, tk as tf.Tensor4D)), read: (r: ArrayLike<number>[]) => toNCHW(r[0], N, H, W, O) },
    { name: "TF.js wasm", dtype: "float32", run: () => tfRun("wasm", () => tfConv(tx as tf.Tensor4D, tk as tf.Tensor4D)), read: (r: ArrayLike<number>[]) => toNCHW(r[0], N, H, W, O) },
    { name: "jax-js jit", dtype: "float32", run: () => jaxRun(() => jConvJ(jx.ref, jk.ref)) },
  ], { rounds: 7, batchMs: 60 });
  workload(`conv2d backward: gradient of Σ conv² in the images and the kernels`, "Both gradients of the layer above (what a training step needs).", refG, [
    { name: "wengert jit", dtype: "float32", run: () => gradJ(wx32(), wk32()) },
    { name: "wengert eager", dtype: "float32", run: () => g32(wx32(), wk32()) },
    { name: "TF.js cpu", dtype: "float32", run: () => tfRun("cpu", () => tfGrad([tx, tk])), read: (r: ArrayLike<number>[]) => [...toNCHW(r[0], N, H, W, C), ...kernelOIHW(r[1])] },
    { name: "TF.js wasm", dtype: "float32", run: () => tfRun("wasm", () => tfGrad([tx, tk])), read: (r: ArrayLike<number>[]) => [...toNCHW(r[0], N, H, W, C), ...kernelOIHW(r[1])] },
    { name: "jax-js jit", dtype: "float32", run: () => jaxRun(() => jGrad(jx.ref, jk.ref)) },
  ], { rounds: 7, batchMs: 60 });
}

writeFileSync(new URL("./RESULTS.md", import.meta.url), lines.join("\n"));
