/**
 * jit benchmarks, every ratio measured side by side in one run (interleaved medians):
 *   1. extended Rosenbrock, n = 1e5, float64: jit(valueAndGrad(f)) ÷ a plain JS loop computing f
 *   2. a 10-op elementwise chain over 1e6 float64 elements: jit ÷ a hand-written single loop
 *   3. grad of a 784-256-10 MLP loss (batch 128, float32): jit(grad) vs TensorFlow.js `cpu`, GFLOP/s
 *   4. checkpointing: the bytes reverse mode retains, measured, and what recomputing costs
 *   5. a logistic regression's value and gradient (10⁴ examples, 100 features, float64): jit ÷ a
 *      hand-written one-pass loop (jit runs it as a row pass: Xᵀ(σ(Xw) − y) in one pass over X)
 * Compile time is reported separately; the second call of a signature never recompiles.
 *
 *   npm run bench:jit          (writes bench/RESULTS-jit.md)
 */
import { writeFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import * as w from "./lib.js";
import { jit, valueAndGrad, grad, tensor, rng, checkpoint, residualBytes, scan, type Tensor } from "./lib.js";

/** Uniform values in [lo, hi) from a seeded generator. */
function randomTensor(shape: number[], lo: number, hi: number, seed: number, dtype: "float64" | "float32" = "float64"): Tensor {
  const next = rng(seed);
  const data = Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * next());
  return tensor(data, { dtype }).reshape(shape);
}
import { timeAll, timeRounds, medianRatio, median, opaque } from "./timing.js";

const lines: string[] = [];
const out = (s = "") => {
  console.log(s);
  lines.push(s);
};
const ms = (s: number) => `${(s * 1e3).toFixed(3)} ms`;
const medians = (s: Record<string, number[]>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, median(v)]));

out(`# jit benchmarks (Node ${process.version}, TensorFlow.js ${tf.version.tfjs})`);
out("");
out("Interleaved medians; a ratio is the median over rounds of the two times measured side by side in that round. Compile time is separate from run time.");
out("");

// ---- 1. Rosenbrock ---------------------------------------------------------------------------
{
  const n = 1e5;
  const rosen = (x: Tensor) => {
    const a = x.slice([1, null]), b = x.slice([0, -1]);
    return w.sum(w.square(a.sub(w.square(b))).mul(100).add(w.square(w.sub(1, b))));
  };
  const plain = (x: Float64Array) => {
    let s = 0;
    const m = x.length - 1;
    for (let i = 0; i < m; i++) {
      const xi = x[i], t = x[i + 1] - xi * xi, u = 1 - xi;
      s += 100 * t * t + u * u;
    }
    return s;
  };
  // what a person (or Tapenade) would write for value and gradient
  const handVG = (x: Float64Array): [number, Float64Array] => {
    const g = new Float64Array(x.length);
    let s = 0;
    const m = x.length - 1;
    for (let i = 0; i < m; i++) {
      const xi = x[i], t = x[i + 1] - xi * xi, u = 1 - xi;
      s += 100 * t * t + u * u;
      g[i] += -400 * t * xi - 2 * u;
      g[i + 1] += 200 * t;
    }
    return [s, g];
  };
  const x = randomTensor([n], -1, 1, 1);
  const xd = x.concrete().data as Float64Array;
  const vg = jit(valueAndGrad(rosen));
  const f = jit(rosen);
  const compileMs = vg.lower(x).compileMs;
  vg(x);
  // eager mode allocates ~50 arrays per call; its garbage collections would land in the other
  // candidates' rounds, so it is timed in a group of its own (with the plain loop again as the yardstick)
  // every candidate reads its input through opaque(): no loop is specialised to one constant array
  const X = opaque(x), XD = opaque(xd);
  const s = timeRounds({ plain: () => plain(XD()), handVG: () => handVG(XD()), jitF: () => f(X()), jitVG: () => vg(X()) }, 31, 40);
  const se = timeRounds({ plain: () => plain(XD()), eagerVG: () => valueAndGrad(rosen)(X()) }, 11, 60);
  const t = medians(s), te = medians(se);
  const r = (k: string) => medianRatio(s, k, "plain");
  const [v] = vg(x);
  if (Math.abs(v.item() - plain(xd)) > 1e-9 * Math.abs(plain(xd))) throw new Error("Rosenbrock: jit value differs from the plain loop");
  out("## Extended Rosenbrock, n = 1e5, float64");
  out("");
  out("Every candidate reads its input through a variable V8 cannot treat as a constant, as a function taking its array as an argument does (a timed closure over a const array gets the array's length and address folded into the inlined loop and its bounds checks dropped).");
  out("");
  out("| | time | ÷ plain loop (f only) |");
  out("|---|---:|---:|");
  out(`| plain JS loop, f only | ${ms(t.plain)} | 1.00 |`);
  out(`| hand-written value-and-gradient loop | ${ms(t.handVG)} | ${r("handVG").toFixed(2)} |`);
  out(`| jit(f) | ${ms(t.jitF)} | ${r("jitF").toFixed(2)} |`);
  out(`| **jit(valueAndGrad(f))** | ${ms(t.jitVG)} | **${r("jitVG").toFixed(2)}** (target ≤ 3) |`);
  out(`| eager valueAndGrad(f) (timed in its own group) | ${ms(te.eagerVG)} | ${medianRatio(se, "eagerVG", "plain").toFixed(1)} |`);
  out("");
  out(`compile: ${compileMs.toFixed(1)} ms (once); recompilations after the first call: ${vg.compiles - 1}`);
  out("");
}

// ---- 2. elementwise chain --------------------------------------------------------------------
{
  const n = 1e6;
  const chain = (x: Tensor, y: Tensor) => w.tanh(w.exp(w.sin(x).mul(y).add(1).mul(0.5)).sub(x).div(y.square().add(1)).add(0.25).neg());
  const hand = (x: Float64Array, y: Float64Array) => {
    const o = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const a = x[i], b = y[i];
      o[i] = Math.tanh(-((Math.exp((Math.sin(a) * b + 1) * 0.5) - a) / (b * b + 1) + 0.25));
    }
    return o;
  };
  const x = randomTensor([n], -1, 1, 2), y = randomTensor([n], -1, 1, 3);
  const xd = x.concrete().data as Float64Array, yd = y.concrete().data as Float64Array;
  const f = jit(chain);
  const low = f.lower(x, y);
  const ops = low.traced.eqns.length;
  f(x, y);
  const X = opaque(x), Y = opaque(y), XD = opaque(xd), YD = opaque(yd);
  const s = timeRounds({ hand: () => hand(XD(), YD()), jit: () => f(X(), Y()), eager: () => chain(X(), Y()) }, 15, 60);
  const t = medians(s);
  const got = f(x, y).concrete().data, want = hand(xd, yd);
  for (let i = 0; i < n; i += 9973) if (Math.abs(got[i] - want[i]) > 1e-14) throw new Error("chain: jit differs from the hand-written loop");
  out(`## Elementwise chain of ${ops} ops over 1e6 float64 elements`);
  out("");
  out("| | time | ÷ hand-written loop |");
  out("|---|---:|---:|");
  out(`| hand-written single loop | ${ms(t.hand)} | 1.00 |`);
  out(`| **jit** | ${ms(t.jit)} | **${medianRatio(s, "jit", "hand").toFixed(2)}** (target ≤ 1.5) |`);
  out(`| eager | ${ms(t.eager)} | ${medianRatio(s, "eager", "hand").toFixed(2)} |`);
  out("");
  out(`compile: ${low.compileMs.toFixed(1)} ms; loops in the generated code: ${(low.source!.match(/for \(let i/g) ?? []).length}`);
  out("");
}

// ---- 3. MLP ----------------------------------------------------------------------------------
{
  const [B, D, H, C] = [128, 784, 256, 10];
  const f32 = { dtype: "float32" as const };
  const rand = (shape: number[], scale: number, seed: number) => w.mul(randomTensor(shape, -1, 1, seed, "float32"), tensor(scale, f32));
  const params = { w1: rand([D, H], 1 / Math.sqrt(D), 4), b1: w.zeros([H], f32), w2: rand([H, C], 1 / Math.sqrt(H), 5), b2: w.zeros([C], f32) };
  const X = rand([B, D], 1, 6);
  const labels = Array.from({ length: B }, (_, i) => (i * 7) % C);
  const Y = tensor(labels.map((l) => Array.from({ length: C }, (_, j) => (j === l ? 1 : 0))), f32);
  const loss = (p: typeof params, x: Tensor, y: Tensor) => {
    const h = w.relu(w.matmul(x, p.w1).add(p.b1));
    const logits = w.matmul(h, p.w2).add(p.b2);
    return w.mean(w.sum(w.mul(y, w.logSoftmax(logits, -1)), -1)).neg();
  };
  const g = jit(grad(loss));
  const compileMs = g.lower(params, X, Y).compileMs;
  g(params, X, Y);

  await tf.setBackend("cpu");
  const tp = { w1: tf.tensor(params.w1.concrete().data as Float32Array, [D, H]), b1: tf.zeros([H]), w2: tf.tensor(params.w2.concrete().data as Float32Array, [H, C]), b2: tf.zeros([C]) };
  const tX = tf.tensor(X.concrete().data as Float32Array, [B, D]), tY = tf.tensor(Y.concrete().data as Float32Array, [B, C]);
  const tfGrad = tf.grads((w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
    const h = tf.relu(tf.add(tf.matMul(tX, w1), b1));
    const logits = tf.add(tf.matMul(h, w2), b2);
    return tf.neg(tf.mean(tf.sum(tf.mul(tY, tf.logSoftmax(logits)), -1)));
  });
  const tfStep = () => {
    const gs = tfGrad([tp.w1, tp.b1, tp.w2, tp.b2]);
    gs.forEach((t) => t.dataSync());
    tf.dispose(gs);
  };
  // correctness first
  const ours = g(params, X, Y);
  const theirs = tfGrad([tp.w1, tp.b1, tp.w2, tp.b2]);
  const err = Math.max(...(["w1", "b1", "w2", "b2"] as const).map((k, i) => {
    const a = ours[k].concrete().data, b = theirs[i].dataSync();
    let m = 0;
    for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j] - b[j]));
    return m;
  }));
  tf.dispose(theirs);
  const t = timeAll({ wengert: () => g(params, X, Y), tfjs: tfStep }, 9, 200);
  const flops = 3 * (2 * B * D * H + 2 * B * H * C); // forward matmuls and the two backward ones each
  out("## Gradient of a 784-256-10 MLP loss, batch 128, float32");
  out("");
  out("| | time | GFLOP/s | ÷ TF.js cpu |");
  out("|---|---:|---:|---:|");
  out(`| **wengert jit(grad)** | ${ms(t.wengert)} | ${(flops / t.wengert / 1e9).toFixed(2)} | **${(t.wengert / t.tfjs).toFixed(2)}** (target < 1) |`);
  out(`| TF.js \`cpu\` tf.grads | ${ms(t.tfjs)} | ${(flops / t.tfjs / 1e9).toFixed(2)} | 1.00 |`);
  out("");
  out(`max |wengert − TF.js| over all gradient entries: ${err.toExponential(2)}; compile: ${compileMs.toFixed(1)} ms; recompilations: ${g.compiles - 1}`);
  out("");
}

// ---- 4. checkpointing --------------------------------------------------------------------------
{
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  // a deep elementwise chain: reverse mode keeps every layer's intermediates unless checkpointed
  const deep = (x: Tensor) => {
    let y = x;
    for (let i = 0; i < 40; i++) y = w.tanh(y.mul(1.3)).add(y.mul(0.1));
    return w.sum(y);
  };
  const x = randomTensor([10000], -1, 1, 7);
  const ck = checkpoint(deep);
  // a recurrence over T steps: eager reverse mode keeps every step's intermediates unless √T-checkpointed
  const T = 400;
  const rnn = (mode: "none" | "sqrt") => (xs: Tensor) =>
    w.sum(scan((c: Tensor, xi: Tensor): [Tensor, Tensor] => [w.tanh(c.mul(xi).add(c.mul(0.5))), w.sum(c)], w.linspace(-1, 1, 2000), xs, { checkpoint: mode })[1]);
  const xs = randomTensor([T], 0.5, 1, 8);
  const [plainRnn, sqrtRnn] = [rnn("none"), rnn("sqrt")];
  const rows: [string, number, number][] = [
    ["40-layer elementwise chain, 1e4 elements", residualBytes(deep, x), residualBytes(ck, x)],
    [`scan over ${T} steps, carry of 2000 elements (√T: ${Math.ceil(Math.sqrt(T))} segments)`, residualBytes(plainRnn, xs), residualBytes(sqrtRnn, xs)],
  ];
  const gd = grad(deep)(x).concrete().data, gc = grad(ck)(x).concrete().data;
  const gr = grad(plainRnn)(xs).concrete().data, gs = grad(sqrtRnn)(xs).concrete().data;
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]) / Math.max(1, Math.abs(v))));
  const s1 = timeRounds({ plain: () => grad(deep)(x), checkpointed: () => grad(ck)(x) }, 9, 100);
  const s2 = timeRounds({ plain: () => grad(plainRnn)(xs), checkpointed: () => grad(sqrtRnn)(xs) }, 5, 200);
  out("## Checkpointing: bytes kept for the backward pass, and the price of recomputing");
  out("");
  out("Retained bytes are measured (`residualBytes`: the constants of the linearized program plus checkpoints' inputs, not counting f's own inputs, which the caller holds anyway); gradients are eager.");
  out("");
  out("| | kept without | kept with checkpointing | grad time ÷ without |");
  out("|---|---:|---:|---:|");
  out(`| ${rows[0][0]}, \`checkpoint(f)\` | ${kb(rows[0][1])} | ${kb(rows[0][2])} | ${medianRatio(s1, "checkpointed", "plain").toFixed(2)} |`);
  out(`| ${rows[1][0]}, \`{ checkpoint: "sqrt" }\` | ${kb(rows[1][1])} | ${kb(rows[1][2])} | ${medianRatio(s2, "checkpointed", "plain").toFixed(2)} |`);
  out("");
  out(`largest relative difference between the gradients with and without: ${Math.max(diff(gd, gc), diff(gr, gs)).toExponential(1)}`);
  out("");
}

// ---- 5. logistic regression -----------------------------------------------------------------------
{
  const [n, d] = [10000, 100];
  const X = randomTensor([n, d], -1, 1, 9), wt = randomTensor([d], -0.1, 0.1, 10);
  const y = w.greater(randomTensor([n], -1, 1, 11), 0).cast("float64");
  // mean over examples of log(1 + e^z) − y·z, z = X·w: the negative log-likelihood
  const nll = (wt: Tensor, X: Tensor, y: Tensor) => {
    const z = w.matmul(X, wt);
    return w.mean(w.softplus(z).sub(y.mul(z)));
  };
  // what a person would write: one pass over the rows, each row's dot product, then its row scaled into the gradient
  const hand = (Xd: Float64Array, wd: Float64Array, yd: Float64Array): [number, Float64Array] => {
    const g = new Float64Array(d);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const o = i * d;
      let z = 0;
      for (let j = 0; j < d; j++) z += Xd[o + j] * wd[j];
      s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - yd[i] * z;
      const r = (1 / (1 + Math.exp(-z)) - yd[i]) / n;
      for (let j = 0; j < d; j++) g[j] += r * Xd[o + j];
    }
    return [s / n, g];
  };
  const vg = jit(valueAndGrad(nll));
  const low = vg.lower(wt, X, y);
  vg(wt, X, y);
  const [xd, wd, yd] = [X, wt, y].map((t) => t.concrete().data as Float64Array);
  const [hv, hg] = hand(xd, wd, yd), [v, g] = vg(wt, X, y);
  const gd = g.concrete().data;
  const err = Math.max(Math.abs(v.item() - hv), ...Array.from(hg, (u, j) => Math.abs(u - gd[j])));
  if (err > 1e-12) throw new Error(`logistic regression: jit differs from the hand-written loop by ${err}`);
  const XO = opaque(X), WO = opaque(wt), YO = opaque(y), XD = opaque(xd), WD = opaque(wd), YD = opaque(yd);
  const s = timeRounds({ hand: () => hand(XD(), WD(), YD()), jit: () => vg(WO(), XO(), YO()), eager: () => valueAndGrad(nll)(WO(), XO(), YO()) }, 15, 60);
  const t = medians(s);
  out(`## Logistic regression: value and gradient, ${n} examples × ${d} features, float64`);
  out("");
  out("| | time | ÷ hand-written one-pass loop |");
  out("|---|---:|---:|");
  out(`| hand-written loop (one pass over X) | ${ms(t.hand)} | 1.00 |`);
  out(`| **jit(valueAndGrad(f))** | ${ms(t.jit)} | **${medianRatio(s, "jit", "hand").toFixed(2)}** |`);
  out(`| eager valueAndGrad(f) | ${ms(t.eager)} | ${medianRatio(s, "eager", "hand").toFixed(2)} |`);
  out("");
  out(`jit runs it as a row pass (X·w, the loss and σ(z) − y, and Xᵀ(σ(z) − y) in one pass over X's rows): ${/one pass over the rows/.test(low.source!) ? "yes" : "no"}; max |jit − hand| ${err.toExponential(1)}; compile: ${low.compileMs.toFixed(1)} ms`);
  out("");
}

writeFileSync(new URL("./RESULTS-jit.md", import.meta.url), lines.join("\n") + "\n");
