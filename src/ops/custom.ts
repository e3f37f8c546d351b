/**
 * @file The one primitive behind customVjp: a linear map whose transpose is the user's backward
 * function. It only exists inside linear programs (reverse mode).
 */
import type { Primitive } from "../core/primitive.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { TransformError } from "../core/errors.js";

export interface CustomVjpParams {
  name: string;
  outAvals: Aval[];
  /** Cotangents of all outputs (zeros instantiated) → cotangents of the tangent inputs. */
  backward(cts: Tensor[]): (Tensor | null)[];
}

export const customVjpP: Primitive<CustomVjpParams> = {
  name: "customVjp",
  impl(_args, p) {
    throw new TransformError(
      `${p.name}: a customVjp function has no forward-mode rule (jvp, jacfwd, linearize's pushforward); ` +
        `use reverse mode (grad, vjp, jacrev), or define it with customJvp`,
    );
  },
  shape: (_avals, p) => p.outAvals,
  jvp(_p, _t, _o, p) {
    throw new TransformError(`${p.name}: forward mode over the backward pass of a customVjp function is not supported; use customJvp`);
  },
  transpose: (cts, _args, p) => p.backward(cts as Tensor[]),
  showParams: (p) => p.name,
};
