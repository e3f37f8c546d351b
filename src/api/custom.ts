/**
 * @file User-defined derivative rules (JAX's custom_jvp / custom_vjp) for functions of structures
 * of tensors (arrays, plain objects) returning such structures.
 */
import { Tensor } from "../core/tensor.js";
import { type CustomRule, bindCustom, bind } from "../core/trace.js";
import { TransformError, fmtShape, fmtValue } from "../core/errors.js";
import { shapeEq } from "../core/shape.js";
import { type TreeDef, flatten, unflatten, treeMismatch } from "../core/pytree.js";
import { zerosLike } from "../ops/shape-ops.js";
import { customVjpP } from "../ops/custom.js";
import { type TensorLike, asTensor } from "./convert.js";
import { checkFunction } from "../core/user-fn.js";

/**
 * Leaves of a structure as tensors (numbers become 0-d tensors), and the structure. Functions with
 * custom rules take and return any structure of tensors (arrays, plain objects), as JAX's pytrees.
 */
function leavesOf(name: string, what: string, tree: unknown): [Tensor[], TreeDef] {
  const [leaves, def] = flatten(tree);
  return [leaves.map((l) => (l instanceof Tensor ? l : typeof l === "number" ? asTensor(l, name) : bad(name, what))), def];
}
const bad = (name: string, what: string): never => {
  throw new TransformError(`${name}: ${what} must be a tensor or a structure (array, plain object) of tensors`);
};

function checkLike(name: string, what: string, got: Tensor[], like: Tensor[]): void {
  if (got.length !== like.length) throw new TransformError(`${name}: ${what} has ${got.length} tensors, expected ${like.length}`);
  got.forEach((g, i) => {
    if (g !== null && !shapeEq(g.shape, like[i].shape)) throw new TransformError(`${name}: ${what}'s tensor ${i} has shape ${fmtShape(g.shape)}, expected ${fmtShape(like[i].shape)}`);
  });
}
function sameStructure(name: string, what: string, got: TreeDef, want: TreeDef): void {
  const m = treeMismatch(want, got);
  if (m) throw new TransformError(`${name}: ${what} must have the structure of the output (${m})`);
}

/**
 * A function with a custom forward rule, dispatched through bindCustom. Arguments and results are
 * structures; the primitive sees their leaves. `jvp` gets the primal and tangent arguments as the
 * caller's structures and returns the output and tangent structures.
 */
function customFunction(name: string, f: (...xs: any[]) => unknown, jvp: (primals: unknown[], tangents: unknown[], leaves: Tensor[], live: boolean[]) => { outs: unknown; touts: Tensor[] | ((outLeaves: Tensor[]) => Tensor[]) }) {
  return (...args: unknown[]): any => {
    const [leaves, inDef] = leavesOf(name, "each argument", args);
    let outDef: TreeDef | null = null; // the result's structure, seen when f or the rule runs
    const rule: CustomRule = {
      name,
      call: (xs) => {
        const [outs, def] = leavesOf(name, "f's result", f(...unflatten<unknown[]>(inDef, xs)));
        outDef = def;
        return outs;
      },
      jvp(primals, tangents) {
        const ts = tangents.map((t, i) => t ?? zerosLike(primals[i]));
        const r = jvp(unflatten<unknown[]>(inDef, primals), unflatten<unknown[]>(inDef, ts), primals, tangents.map((t) => t !== null));
        const [outs, def] = leavesOf(name, "the rule's output", r.outs);
        outDef = def;
        return { outs, touts: typeof r.touts === "function" ? r.touts(outs) : r.touts };
      },
    };
    const outs = bindCustom(rule, leaves);
    return unflatten(outDef!, outs);
  };
}

/** An optional name for messages: a string, or undefined. */
function checkName(op: string, name: unknown): string | undefined {
  if (name !== undefined && typeof name !== "string") throw new TransformError(`${op}: the name must be a string; got ${fmtValue(name)}`);
  return name;
}

/** f's type, also callable with numbers and nested arrays where it takes tensors. */
export type Custom<F extends (...xs: any[]) => any> = ((...args: TensorLike[]) => ReturnType<F>) & F;

/**
 * f with a user-supplied forward rule: `rule(primals, tangents)` returns [out, tangentOut], linear
 * in the tangents. Arguments and results may be structures of tensors: `primals` is the argument
 * list, `tangents` the same structure, `tangentOut` the structure of `out`. Reverse mode is
 * derived from it by transposition, as for built-in primitives.
 * @example
 * const safeLog = customJvp((x: Tensor) => log(x), ([x], [dx]) => [log(x), div(dx, x)]);
 * grad(safeLog)(2) // → 0.5
 */
export function customJvp<F extends (...xs: any[]) => any>(f: F, rule: (primals: Parameters<F>, tangents: Parameters<F>) => [ReturnType<F>, ReturnType<F>], name?: string): Custom<F> {
  checkFunction("customJvp", f);
  checkFunction("customJvp (its rule)", rule);
  name = checkName("customJvp", name) ?? (f.name || "customJvp");
  return customFunction(name, f, (primals, tangents) => {
    const r: unknown = rule(primals as Parameters<F>, tangents as Parameters<F>);
    if (!Array.isArray(r) || r.length !== 2) throw new TransformError(`${name}: the rule must return [out, tangentOut]; got ${fmtValue(r)}`);
    const [o, t] = r as [ReturnType<F>, ReturnType<F>];
    const [ol, od] = leavesOf(name, "the rule's output", o);
    const [tl, td] = leavesOf(name, "the rule's tangent output", t);
    sameStructure(name, "the rule's tangent output", td, od);
    checkLike(name, "the rule's tangent output", tl, ol);
    return { outs: o, touts: tl };
  }) as Custom<F>;
}

/**
 * f with a user-supplied reverse rule: `fwd(...xs)` returns [out, residuals] and
 * `bwd(residuals, outCotangent)` returns one cotangent per argument (each with the argument's
 * structure, or null for none). Arguments, results and cotangents may be structures of tensors.
 * @example
 * // the identity, with its gradient clipped to [−1, 1] on the way back
 * const clipGrad = customVjp((x: Tensor) => x, (x: Tensor) => [x, null], (_: null, ct: Tensor) => [clip(ct, -1, 1)]);
 * grad((x: Tensor) => mul(clipGrad(x), 5))(2) // → 1
 */
export function customVjp<F extends (...xs: any[]) => any, R>(f: F, fwd: (...xs: Parameters<F>) => [ReturnType<F>, R], bwd: (residuals: R, ct: ReturnType<F>) => unknown[], name?: string): Custom<F> {
  checkFunction("customVjp", f);
  checkFunction("customVjp (its fwd)", fwd);
  checkFunction("customVjp (its bwd)", bwd);
  name = checkName("customVjp", name) ?? (f.name || "customVjp");
  return customFunction(name, f, (primals, _tangents, inLeaves, live) => {
    const r: unknown = fwd(...(primals as Parameters<F>));
    if (!Array.isArray(r) || r.length !== 2) throw new TransformError(`${name}: fwd must return [out, residuals]; got ${fmtValue(r)}`);
    const [o, res] = r as [ReturnType<F>, R];
    const [outs, outDef] = leavesOf(name, "fwd's output", o);
    const backward = (cts: (Tensor | null)[]) => {
      const full = cts.map((c, i) => c ?? zerosLike(outs[i]));
      const inCts = bwd(res, unflatten(outDef, full) as ReturnType<F>);
      if (!Array.isArray(inCts) || inCts.length !== primals.length) {
        throw new TransformError(`${name}: bwd must return an array with one cotangent per argument (${primals.length}); got ${Array.isArray(inCts) ? inCts.length : typeof inCts}`);
      }
      // each argument's cotangent: null, or the argument's structure
      const flat: (Tensor | null)[] = [];
      inCts.forEach((c, i) => {
        const [argLeaves, argDef] = flatten(primals[i]);
        if (c === null || c === undefined) {
          argLeaves.forEach(() => flat.push(null));
          return;
        }
        const [cl, cd] = flatten(c);
        const m = treeMismatch(argDef, cd);
        if (m) throw new TransformError(`${name}: bwd's cotangent ${i} must have the structure of argument ${i} (${m})`);
        cl.forEach((t, k) => {
          const want = inLeaves[flat.length];
          const ct = t instanceof Tensor ? t : asTensor(t as number, name);
          if (!shapeEq(ct.shape, want.shape)) throw new TransformError(`${name}: bwd's cotangent ${i} has a tensor of shape ${fmtShape(ct.shape)} where argument ${i} has ${fmtShape(want.shape)}${argLeaves.length > 1 ? ` (leaf ${k})` : ""}`);
          flat.push(ct);
        });
      });
      return flat.filter((_, j) => live[j]);
    };
    const outAvals = outs.map((t) => ({ shape: t.shape, dtype: t.dtype }));
    const liveTangents = _tangents.length ? flattenTangents(_tangents, live) : [];
    return { outs: o, touts: bind(customVjpP, liveTangents, { name, outAvals, backward }) };
  }) as Custom<F>;
}

/** The tangents of the live (differentiated) leaves, in leaf order. */
function flattenTangents(tangents: unknown[], live: boolean[]): Tensor[] {
  const [leaves] = flatten(tangents);
  return (leaves as Tensor[]).filter((_, i) => live[i]);
}
