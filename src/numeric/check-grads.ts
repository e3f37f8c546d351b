/**
 * @file Gradient checking shipped for users (seed 001, HIPS/autograd): compare AD with finite
 * differences along random directions (dᵀ∇f ≈ (f(x+εd) − f(x−εd)) / 2ε), and reverse with forward
 * mode by the dot-product test ⟨u, J v⟩ = ⟨Jᵀu, v⟩; at higher order, recursively on the derivative.
 */
import { Tensor } from "../core/tensor.js";
import { flatten, unflatten, type Leaf } from "../core/pytree.js";
import { InputError, WengertError, checkOptions, fmtValue } from "../core/errors.js";
import { checkFunction } from "../core/user-fn.js";
import { isFloat } from "../core/dtype.js";
import { ArrayTensor } from "../tensor/array.js";
import { jvp, vjp } from "../api/autodiff.js";
import { numericalJvp, type FiniteDiffOptions } from "./finite-diff.js";

export class GradCheckError extends WengertError {}

/** The highest order checkGrads checks (each order doubles the number of checks). */
export const MAX_CHECK_ORDER = 6;

export type CheckMode = "fwd" | "rev";
export interface CheckOptions extends FiniteDiffOptions {
  /** Highest derivative order to check (default 2). */
  order?: number;
  modes?: CheckMode[];
  rtol?: number;
  atol?: number;
  seed?: number;
  /** Tolerance of the dot-product test (default 1e-10, or 1e-5 when float32 is involved). */
  dotRtol?: number;
}

/**
 * A small seeded generator (mulberry32) for reproducible random directions.
 * @example
 * const r = rng(1);
 * r() === rng(1)() // → true
 */
export function rng(seed: number): () => number {
  if (typeof seed !== "number") throw new InputError(`rng: the seed must be a number; got ${fmtValue(seed)}`);
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-300), v = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A random pytree shaped like `tree` (floats only; other leaves kept). */
function randomLike(tree: unknown, next: () => number): unknown {
  const [leaves, def] = flatten(tree);
  return unflatten(def, leaves.map((l) => randomLeaf(l, next)));
}
function randomLeaf(l: Leaf, next: () => number): Leaf {
  if (typeof l === "number") return gaussian(next);
  if (!isFloat(l.dtype)) return l;
  const d = new Float64Array(l.size).map(() => gaussian(next));
  return new ArrayTensor(d, l.shape, "float64").cast(l.dtype);
}

function hasFloat32(tree: unknown): boolean {
  return flatten(tree)[0].some((l) => typeof l !== "number" && l.dtype === "float32");
}

/**
 * Σ over leaves of Σ a·b (float leaves only), as a number.
 * @example
 * vdot([tensor([1, 2]), 3], [tensor([3, 4]), 2]) // → 17
 */
export function vdot(a: unknown, b: unknown): number {
  const [la] = flatten(a), [lb] = flatten(b);
  let s = 0;
  la.forEach((x, i) => {
    const y = lb[i];
    if (y === undefined || y === null) return;
    const xa = typeof x === "number" ? [x] : isFloat(x.dtype) ? x.concrete().data : null;
    const ya = typeof y === "number" ? [y] : y instanceof Tensor && isFloat(y.dtype) ? y.concrete().data : null;
    if (!xa || !ya) return;
    for (let j = 0; j < xa.length; j++) s += xa[j] * ya[j];
  });
  return s;
}

function close(what: string, got: number, want: number, rtol: number, atol: number, order: number): void {
  const err = Math.abs(got - want);
  if (!(err <= atol + rtol * Math.abs(want))) {
    throw new GradCheckError(`checkGrads (order ${order}): ${what}: AD gives ${got}, reference ${want} (abs error ${err.toExponential(2)}, rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * Check f's derivatives at `args` (an array of f's arguments) up to `order`, in forward and reverse
 * mode; throws GradCheckError naming the failed check.
 * @example checkGrads((x: Tensor) => sum(sin(x)), [tensor([0.5, 1])], { order: 2 }) // passes: no error
 */
export function checkGrads(f: (...args: any[]) => unknown, args: unknown[], options?: CheckOptions): void {
  checkFunction("checkGrads", f);
  const opts = checkOptions("checkGrads", options, ["order", "modes", "rtol", "atol", "seed", "dotRtol", "method", "h"]);
  if (!Array.isArray(args)) throw new InputError(`checkGrads: args must be an array of f's arguments; got ${fmtValue(args)}`);
  const order = opts.order ?? 2;
  // every order checks the derivative of the previous one in each mode: 2^order checks
  if (typeof order !== "number" || !Number.isInteger(order) || order < 1 || order > MAX_CHECK_ORDER) {
    throw new InputError(`checkGrads: order must be an integer from 1 to ${MAX_CHECK_ORDER} (each order doubles the checks); got ${fmtValue(order)}`);
  }
  const modes = opts.modes ?? ["fwd", "rev"];
  if (!Array.isArray(modes) || modes.length === 0 || !modes.every((m) => m === "fwd" || m === "rev")) {
    throw new InputError(`checkGrads: modes must be a non-empty array of "fwd" and "rev"; got ${fmtValue(modes)}`);
  }
  for (const [k, v] of [["rtol", opts.rtol], ["atol", opts.atol], ["dotRtol", opts.dotRtol], ["h", opts.h]] as const) {
    if (v !== undefined && !(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new InputError(`checkGrads: ${k} must be a non-negative finite number; got ${fmtValue(v)}`);
  }
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-6;
  const next = rng(opts.seed ?? 0);
  const check = (g: (...a: any[]) => unknown, k: number): void => {
    const v = randomLike(args, next) as unknown[];
    const fwd = modes.includes("fwd");
    const [out, jv] = fwd ? jvp(g, args, v) : [g(...args), null];
    const u = randomLike(out, next);
    const numeric = numericalJvp(g, args, v, { method: opts.method, h: opts.h });
    // Finite-difference tolerances: FD is only accurate to ~1e-8 relative.
    const scale = Math.sqrt(Math.max(1e-300, vdot(numeric, numeric)));
    if (modes.includes("fwd")) close("forward mode ⟨u, J v⟩ vs finite differences", vdot(u, jv), vdot(u, numeric), rtol, atol * Math.max(1, scale), k);
    if (modes.includes("rev")) {
      const [, back] = vjp(g, ...args);
      const ju = back(u);
      close("reverse mode ⟨Jᵀu, v⟩ vs finite differences", vdot(ju, v), vdot(u, numeric), rtol, atol * Math.max(1, scale), k);
      // Both sides are exact up to rounding: float64 rounding unless float32 appears.
      const tol = opts.dotRtol ?? (hasFloat32(args) || hasFloat32(out) ? 1e-5 : 1e-10);
      if (modes.includes("fwd")) close("dot-product test ⟨u, J v⟩ = ⟨Jᵀu, v⟩", vdot(ju, v), vdot(u, jv), tol, 1e-12 * Math.max(1, scale), k);
    }
    if (k < order) {
      // Recurse on the derivative: x ↦ J(x) v (forward) and x ↦ J(x)ᵀ u (reverse).
      if (modes.includes("fwd")) check((...a: unknown[]) => jvp(g, a, v)[1], k + 1);
      if (modes.includes("rev")) check((...a: unknown[]) => vjp(g, ...a)[1](u), k + 1);
    }
  };
  check(f, 1);
}
