/**
 * @file Matrix product. A primitive rather than broadcast-multiply-sum, which would materialise an
 * M×K×N array; its adjoints are matrix products again (X̄ = Z̄ Wᵀ, W̄ = Xᵀ Z̄ for Z = X W).
 */
import { defineOp, bind1 } from "./define.js";
import type { Tensor } from "../core/tensor.js";
import { LinearIn } from "../core/primitive.js";
import { ShapeError, DTypeError, fmtShape } from "../core/errors.js";
import type { Shape } from "../core/shape.js";
import { matmulArray } from "../tensor/kernels.js";
import { broadcastTo, reshape, transpose } from "./shape-ops.js";

/** Operands used transposed (their last two axes swapped), as in BLAS: the adjoints need no transpose copies. */
export interface MatmulParams {
  ta?: boolean;
  tb?: boolean;
}

/** [m, k, n] of op(a)·op(b) from the stored shapes. */
function dims(a: Shape, b: Shape, { ta, tb }: MatmulParams): [number, number, number, number] {
  const r = a.length;
  return [ta ? a[r - 1] : a[r - 2], ta ? a[r - 2] : a[r - 1], tb ? b[r - 1] : b[r - 2], tb ? b[r - 2] : b[r - 1]];
}

export const matmulP = defineOp<MatmulParams>({
  name: "matmul",
  impl: ([a, b], p) => {
    const [m, , , n] = dims(a.shape, b.shape, p);
    return matmulArray(a, b, [...a.shape.slice(0, -2), m, n], a.dtype, !!p.ta, !!p.tb);
  },
  shape([a, b], p) {
    const r = a.shape.length;
    const [m, ka, kb, n] = dims(a.shape, b.shape, p);
    const ok = r >= 2 && b.shape.length === r && ka === kb && a.shape.slice(0, r - 2).every((d, i) => d === b.shape[i]);
    if (!ok) {
      const t = (x: boolean | undefined) => (x ? " (transposed)" : "");
      throw new ShapeError(
        `matmul: shapes ${fmtShape(a.shape)}${t(p.ta)} and ${fmtShape(b.shape)}${t(p.tb)} do not match: the contracted size of the first (${ka}) ` +
          `must equal that of the second (${kb}), and batch axes must agree`,
      );
    }
    if (a.dtype !== b.dtype) throw new DTypeError(`matmul: dtypes ${a.dtype} and ${b.dtype} differ; cast one`);
    return { shape: [...a.shape.slice(0, -2), m, n], dtype: a.dtype };
  },
  // d(op(X) op(W)) = op(dX) op(W) + op(X) op(dW)
  jvp: ([x, w], _out, p) => [(dx) => matmul(dx, w, p), (dw) => matmul(x, dw, p)],
  // For Z = XW: X̄ = Z̄ Wᵀ, W̄ = Xᵀ Z̄; with stored transposes the same products, read the other way.
  transpose: (ct, [x, w], { ta = false, tb = false }) => [
    x instanceof LinearIn ? (ta ? matmul(w as Tensor, ct, { ta: tb, tb: true }) : matmul(ct, w as Tensor, { tb: !tb })) : null,
    w instanceof LinearIn ? (tb ? matmul(ct, x as Tensor, { ta: true, tb: ta }) : matmul(x as Tensor, ct, { ta: !ta })) : null,
  ],
  showParams: ({ ta, tb }) => [ta ? "ta" : "", tb ? "tb" : ""].filter(Boolean).join(" "),
  batch: ([a, b], [ba, bb], p) => {
    if (ba && bb) return matmul(a, b, p); // the batch axis is one more leading axis
    const n = ba ? a.shape.length - 1 : a.shape.length;
    if (n === 2 && ba && !p.ta) {
      // [B, m, k] @ op(b): one product with the batch folded into the rows
      const [bs, m, k] = a.shape;
      const z = matmul(reshape(a, [bs * m, k]), b, p);
      return reshape(z, [bs, m, z.shape[1]]);
    }
    if (n === 2 && bb && !p.tb) {
      // op(a) @ [B, k, p]: the batch folded into the columns, [k, B·p]
      const [bs, k, q] = b.shape;
      const cols = reshape(transpose(b, [1, 0, 2]), [k, bs * q]);
      const z = matmul(a, cols, p);
      return transpose(reshape(z, [z.shape[0], bs, q]), [1, 0, 2]);
    }
    const [x, y] = ba ? [a, broadcastTo(reshape(b, [1, ...b.shape]), [a.shape[0], ...b.shape])] : [broadcastTo(reshape(a, [1, ...a.shape]), [b.shape[0], ...a.shape]), b];
    return matmul(x, y, p);
  },
});

/** Only flags that are set are stored, so equal products have equal params (CSE, printing). */
export const matmul = (a: Tensor, b: Tensor, p: MatmulParams = {}): Tensor => bind1(matmulP, [a, b], { ...(p.ta && { ta: true }), ...(p.tb && { tb: true }) });
