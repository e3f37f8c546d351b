/**
 * @file User-defined derivative rules (JAX's custom_jvp / custom_vjp) for functions of tensors
 * returning a tensor or an array of tensors.
 */
import { Tensor } from "../core/tensor.js";
import { type CustomRule, bindCustom, bind } from "../core/trace.js";
import { TransformError, fmtShape } from "../core/errors.js";
import { shapeEq } from "../core/shape.js";
import { zerosLike } from "../ops/shape-ops.js";
import { customVjpP } from "../ops/custom.js";
import { type TensorLike, asTensor } from "./convert.js";
import { checkFunction } from "../core/user-fn.js";

type Out = Tensor | Tensor[];
const toList = (o: Out, name: string): Tensor[] => {
  const list = Array.isArray(o) ? o : [o];
  for (const t of list) if (!(t instanceof Tensor)) throw new TransformError(`${name}: must return a tensor or an array of tensors`);
  return list;
};

function checkLike(name: string, what: string, got: Tensor[], like: Tensor[]): void {
  if (got.length !== like.length) throw new TransformError(`${name}: ${what} has ${got.length} entries, expected ${like.length}`);
  got.forEach((g, i) => {
    if (g !== null && !shapeEq(g.shape, like[i].shape)) throw new TransformError(`${name}: ${what}[${i}] has shape ${fmtShape(g.shape)}, expected ${fmtShape(like[i].shape)}`);
  });
}

/** A function with a custom forward rule, dispatched through bindCustom; returns a tensor or an array like f. */
function customFunction(name: string, f: (...xs: Tensor[]) => Out, jvp: (primals: Tensor[], tangents: (Tensor | null)[]) => { outs: Out; touts: Tensor[] }) {
  let multi = false;
  const rule: CustomRule = {
    name,
    call: (xs) => {
      const o = f(...xs);
      multi = Array.isArray(o);
      return toList(o, name);
    },
    jvp(primals, tangents) {
      const { outs, touts } = jvp(primals, tangents);
      multi = Array.isArray(outs);
      return { outs: toList(outs, name), touts };
    },
  };
  return (...args: TensorLike[]): Out => {
    const outs = bindCustom(rule, args.map((a) => asTensor(a, name)));
    return multi ? outs : outs[0];
  };
}

/**
 * f with a user-supplied forward rule: `rule(primals, tangents)` returns [out, tangentOut], linear
 * in the tangents. Reverse mode is derived from it by transposition, as for built-in primitives.
 * @example const safeLog = customJvp((x) => log(x), ([x], [dx]) => [log(x), div(dx, x)])
 */
export function customJvp(f: (...xs: Tensor[]) => Out, rule: (primals: Tensor[], tangents: Tensor[]) => [Out, Out], name = f.name || "customJvp") {
  checkFunction("customJvp", f);
  checkFunction("customJvp (its rule)", rule);
  return customFunction(name, f, (primals, tangents) => {
    const [o, t] = rule(primals, tangents.map((t, i) => t ?? zerosLike(primals[i])));
    const touts = toList(t, name);
    checkLike(name, "the rule's tangent output", touts, toList(o, name));
    return { outs: o, touts };
  });
}

/**
 * f with a user-supplied reverse rule: `fwd(...xs)` returns [out, residuals] and
 * `bwd(residuals, outCotangent)` returns one cotangent per input (null for none).
 * @example customVjp(f, (x) => [f(x), x], (x, ct) => [mul(ct, 2)])
 */
export function customVjp<R>(
  f: (...xs: Tensor[]) => Out,
  fwd: (...xs: Tensor[]) => [Out, R],
  bwd: (residuals: R, ct: Out) => (Tensor | null)[],
  name = f.name || "customVjp",
) {
  checkFunction("customVjp", f);
  checkFunction("customVjp (its fwd)", fwd);
  checkFunction("customVjp (its bwd)", bwd);
  return customFunction(name, f, (primals, tangents) => {
    const [o, res] = fwd(...primals);
    const outs = toList(o, name);
    const live = tangents.flatMap((t, i) => (t === null ? [] : [i]));
    const backward = (cts: Tensor[]) => {
      const full = cts.map((c, i) => c ?? zerosLike(outs[i]));
      const inCts = bwd(res, Array.isArray(o) ? full : full[0]);
      if (!Array.isArray(inCts) || inCts.length !== primals.length) {
        throw new TransformError(`${name}: bwd must return an array with one cotangent per input (${primals.length}); got ${Array.isArray(inCts) ? inCts.length : typeof inCts}`);
      }
      inCts.forEach((c, i) => {
        if (c !== null && !shapeEq(c.shape, primals[i].shape)) throw new TransformError(`${name}: bwd's cotangent ${i} has shape ${fmtShape(c.shape)}, expected ${fmtShape(primals[i].shape)}`);
      });
      return live.map((i) => inCts[i]);
    };
    const outAvals = outs.map((t) => ({ shape: t.shape, dtype: t.dtype }));
    return { outs: o, touts: bind(customVjpP, live.map((i) => tangents[i]!), { name, outAvals, backward }) };
  });
}
