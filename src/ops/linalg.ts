/**
 * @file Matrix product. A primitive rather than broadcast-multiply-sum, which would materialise an
 * M×K×N array; its adjoints are matrix products again (X̄ = Z̄ Wᵀ, W̄ = Xᵀ Z̄ for Z = X W).
 */
import { defineOp, bind1 } from "./define.js";
import type { Tensor } from "../core/tensor.js";
import { LinearIn } from "../core/primitive.js";
import { ShapeError, DTypeError, fmtShape } from "../core/errors.js";
import { matmulArray } from "../tensor/kernels.js";
import { broadcastTo, reshape, transpose } from "./shape-ops.js";

export const matmulP = defineOp({
  name: "matmul",
  impl: ([a, b]) => matmulArray(a, b, [...a.shape.slice(0, -1), b.shape[b.shape.length - 1]], a.dtype),
  shape([a, b]) {
    const n = a.shape.length;
    const ok = n >= 2 && b.shape.length === n && a.shape[n - 1] === b.shape[n - 2] && a.shape.slice(0, n - 2).every((d, i) => d === b.shape[i]);
    if (!ok) {
      throw new ShapeError(
        `matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not match: the last axis of the first (${a.shape[n - 1]}) ` +
          `must equal the second-to-last axis of the second (${b.shape[b.shape.length - 2]})`,
      );
    }
    if (a.dtype !== b.dtype) throw new DTypeError(`matmul: dtypes ${a.dtype} and ${b.dtype} differ; cast one`);
    return { shape: [...a.shape.slice(0, -1), b.shape[n - 1]], dtype: a.dtype };
  },
  // d(XW) = dX·W + X·dW
  jvp: ([x, w]) => [(dx) => matmul(dx, w), (dw) => matmul(x, dw)],
  transpose: (ct, [x, w]) => [
    x instanceof LinearIn ? matmul(ct, mT(w as Tensor)) : null, // X̄ = Z̄ Wᵀ
    w instanceof LinearIn ? matmul(mT(x as Tensor), ct) : null, // W̄ = Xᵀ Z̄
  ],
  batch: ([a, b], [ba, bb]) => {
    if (ba && bb) return matmul(a, b); // the batch axis is one more leading axis
    const n = ba ? a.shape.length - 1 : a.shape.length;
    if (n === 2 && ba) {
      // [B, m, k] @ [k, p]: one product with the batch folded into the rows
      const [bs, m, k] = a.shape;
      return reshape(matmul(reshape(a, [bs * m, k]), b), [bs, m, b.shape[1]]);
    }
    if (n === 2 && bb) {
      // [m, k] @ [B, k, p]: the batch folded into the columns, [k, B·p]
      const [bs, k, p] = b.shape;
      const cols = reshape(transpose(b, [1, 0, 2]), [k, bs * p]);
      return transpose(reshape(matmul(a, cols), [a.shape[0], bs, p]), [1, 0, 2]);
    }
    const [x, y] = ba ? [a, broadcastTo(reshape(b, [1, ...b.shape]), [a.shape[0], ...b.shape])] : [broadcastTo(reshape(a, [1, ...a.shape]), [b.shape[0], ...a.shape]), b];
    return matmul(x, y);
  },
});

/** Swap the last two axes. */
export function mT(x: Tensor): Tensor {
  const n = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[n - 2] = n - 1;
  perm[n - 1] = n - 2;
  return transpose(x, perm);
}

export const matmul = (a: Tensor, b: Tensor): Tensor => bind1(matmulP, [a, b], {});
