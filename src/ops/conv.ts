/**
 * @file Windows of an image as a tensor (im2col), the one primitive convolutions and pooling are
 * built on, and its transpose (col2im). `patches` takes x [N, C, ...spatial] to
 * [N, C, ...window, ...out]: element (k, o) of a window is the input at o·stride + k·dilation − lo
 * in the padded (and, with lhsDilation, stretched) input, or `fill` outside it. A convolution is
 * then one matrix product of the patches with the kernel (the wasm SIMD matmul), max pooling a max
 * over the window axes, average pooling a mean.
 *
 * `patches` is linear in x when fill = 0 (affine otherwise: its tangent is the fill-0 patches of
 * the tangent), so its derivatives are `patches` itself forward and `patchesT` (scatter-add of
 * each window element back to its source) in reverse; `patchesT` is linear too, with `patches` as
 * its transpose. Both batch by folding the batch axis into N. Their kernels read one table of
 * source offsets per call, shared by every (n, c).
 */
import { defineOp, bind1 } from "./define.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { LinearIn, type Primitive } from "../core/primitive.js";
import { reshape, transpose } from "./shape-ops.js";
import { ShapeError, fmtShape } from "../core/errors.js";
import { allocate, isFloat } from "../core/dtype.js";
import { sizeOf } from "../core/shape.js";
import { ArrayTensor } from "../tensor/array.js";

export interface WindowParams {
  /** The window's extent per spatial axis. */
  window: number[];
  strides: number[];
  /** Gaps between window elements (rhs dilation, "atrous"). */
  dilation: number[];
  /** Gaps between input elements (lhs dilation: transposed convolutions). */
  lhsDilation: number[];
  lo: number[];
  hi: number[];
  /** The value outside the input (0 for convolutions, −∞ for max pooling). */
  fill: number;
  /**
   * The output's axis order: "window-first" [N, C, ...window, ...out] (the default), "window-last"
   * [N, C, ...out, ...window] (pooling reduces trailing axes), or "channels-major"
   * [C, ...window, N, ...out] (a convolution: one matrix product of the kernel [O, C·window] with
   * the patches seen as [C·window, N·out], no copies).
   */
  layout?: "window-first" | "window-last" | "channels-major";
}
export type PatchesTParams = WindowParams & { inShape: number[] };

/** The output extent of each spatial axis. */
export function windowOut(spatial: readonly number[], p: Omit<WindowParams, "fill">): number[] {
  return spatial.map((d, i) => {
    const padded = p.lo[i] + p.hi[i] + (d - 1) * p.lhsDilation[i] + 1;
    const span = (p.window[i] - 1) * p.dilation[i] + 1;
    return padded < span ? 0 : Math.floor((padded - span) / p.strides[i]) + 1;
  });
}

/** The patches' shape for an input [N, C, ...spatial], in the layout asked for. */
function patchesShape(N: number, C: number, spatial: readonly number[], p: Omit<WindowParams, "fill">): number[] {
  const out = windowOut(spatial, p);
  if (p.layout === "window-last") return [N, C, ...out, ...p.window];
  if (p.layout === "channels-major") return [C, ...p.window, N, ...out];
  return [N, C, ...p.window, ...out];
}

/** For every (window element, output position) of the spatial block, the source offset in one (n, c) image, or −1 (padding). */
function sourceTable(spatial: readonly number[], p: Omit<WindowParams, "fill">): Int32Array {
  const out = windowOut(spatial, p), S = spatial.length;
  // per axis: src[k·out + o] = the input index or −1
  const axes = spatial.map((d, i) => {
    const t = new Int32Array(p.window[i] * out[i]);
    for (let k = 0; k < p.window[i]; k++) {
      for (let o = 0; o < out[i]; o++) {
        const q = o * p.strides[i] + k * p.dilation[i] - p.lo[i];
        const ok = q >= 0 && q % p.lhsDilation[i] === 0 && q / p.lhsDilation[i] < d;
        t[k * out[i] + o] = ok ? q / p.lhsDilation[i] : -1;
      }
    }
    return t;
  });
  const inStride = new Array<number>(S);
  for (let i = S - 1, s = 1; i >= 0; i--) (inStride[i] = s), (s *= spatial[i]);
  // the table's order is [k₀ … k_{S−1}, o₀ … o_{S−1}], or [o…, k…] for "window-last"
  const last = p.layout === "window-last";
  const dims = last ? [...out, ...p.window] : [...p.window, ...out];
  const kAt = (i: number) => (last ? S + i : i), oAt = (i: number) => (last ? i : S + i);
  const total = sizeOf(dims);
  const table = new Int32Array(total);
  const idx = new Array<number>(2 * S).fill(0);
  for (let j = 0; j < total; j++) {
    let off = 0;
    for (let i = 0; i < S; i++) {
      const s = axes[i][idx[kAt(i)] * out[i] + idx[oAt(i)]];
      if (s < 0) {
        off = -1;
        break;
      }
      off += s * inStride[i];
    }
    table[j] = off;
    for (let a = 2 * S - 1; a >= 0; a--) {
      if (++idx[a] < dims[a]) break;
      idx[a] = 0;
    }
  }
  return table;
}

/**
 * The table as runs: [j, source, length] triples where table[j + q] = source + q (a contiguous
 * stretch of one input row) or is −1 throughout (padding, source −1). Runs never cross a multiple
 * of `split` (a channels-major row of output positions), so each lands contiguously in the patches.
 * Copying a run is a plain loop without a lookup or a branch per element.
 */
function runsOf(table: Int32Array, split: number): Int32Array {
  const out: number[] = [];
  for (let j = 0; j < table.length; ) {
    const s = table[j];
    let len = 1;
    while (j + len < table.length && (j + len) % split !== 0 && (s < 0 ? table[j + len] < 0 : table[j + len] === s + len)) len++;
    out.push(j, s < 0 ? -1 : s, len);
    j += len;
  }
  return Int32Array.from(out);
}

interface Walk {
  table: Int32Array;
  runs: Int32Array;
}
const tables = new Map<string, Walk>();
function tableFor(spatial: readonly number[], p: Omit<WindowParams, "fill">): Walk {
  const key = JSON.stringify([spatial, p.window, p.strides, p.dilation, p.lhsDilation, p.lo, p.hi, p.layout ?? "window-first"]);
  let t = tables.get(key);
  if (!t) {
    if (tables.size > 256) tables.clear();
    const table = sourceTable(spatial, p);
    const split = p.layout === "channels-major" ? table.length / sizeOf(p.window) : table.length;
    tables.set(key, (t = { table, runs: runsOf(table, split) }));
  }
  return t;
}

function checkWindow(op: string, x: Aval, p: Omit<WindowParams, "fill">): void {
  const S = x.shape.length - 2;
  if (S < 1) throw new ShapeError(`${op}: needs an input of shape [N, C, ...spatial] with at least one spatial axis; got ${fmtShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new ShapeError(`${op}: needs a float input; got ${x.dtype}`);
  for (const [name, v] of Object.entries({ window: p.window, strides: p.strides, dilation: p.dilation, lhsDilation: p.lhsDilation, lo: p.lo, hi: p.hi })) {
    if (v.length !== S) throw new ShapeError(`${op}: ${name} needs one entry per spatial axis (${S}); got [${v.join(", ")}]`);
  }
}

/**
 * Copy between an image batch [N, C, ...spatial] and its patches (see patchesShape) through the
 * source table: `gather` fills the patches (with `fill` outside the input), otherwise the patches
 * are added back into the image (col2im).
 */
function walk(gather: boolean, img: ArrayTensor["data"], pat: ArrayTensor["data"], N: number, C: number, inSize: number, w: Walk, p: WindowParams | PatchesTParams): void {
  const { runs } = w, L = w.table.length, fill = p.fill, R = runs.length;
  const major = p.layout === "channels-major";
  const Kn = sizeOf(p.window), P = L / Kn;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * inSize;
      for (let r = 0; r < R; r += 3) {
        const j = runs[r], src = runs[r + 1], len = runs[r + 2];
        // where patch element j of image (n, c) is stored
        let d: number;
        if (major) {
          const k = (j / P) | 0;
          d = (c * Kn + k) * N * P + n * P + (j - k * P);
        } else d = (n * C + c) * L + j;
        if (src < 0) {
          if (gather) for (let q = 0; q < len; q++) pat[d + q] = fill;
        } else if (gather) {
          const s0 = base + src;
          for (let q = 0; q < len; q++) pat[d + q] = img[s0 + q];
        } else {
          const s0 = base + src;
          for (let q = 0; q < len; q++) img[s0 + q] += pat[d + q];
        }
      }
    }
  }
}

/** Where the batch axis N sits in the patches. */
const batchAxisOf = (p: Omit<WindowParams, "fill">) => (p.layout === "channels-major" ? 1 + p.window.length : 0);

export const patchesP: Primitive<WindowParams> = defineOp<WindowParams>({
  name: "patches",
  impl([x], p) {
    const [N, C, ...spatial] = x.shape;
    const w = tableFor(spatial, p);
    const out = allocate(x.dtype, N * C * w.table.length);
    walk(true, x.data, out, N, C, sizeOf(spatial), w, p);
    return new ArrayTensor(out, patchesShape(N, C, spatial, p), x.dtype);
  },
  shape([x], p) {
    checkWindow("patches", x, p);
    const [N, C, ...spatial] = x.shape;
    return { shape: patchesShape(N, C, spatial, p), dtype: x.dtype };
  },
  jvp: ([x], _out, p) => [(dx) => bind1(patchesP, [dx], { ...p, fill: 0 })],
  transpose: (ct, [x], p) => [bind1(patchesTP, [ct], { ...p, fill: 0, inShape: [...(x instanceof LinearIn ? x.aval : x).shape] })],
  batch: ([x], _b, p): Tensor => {
    // fold the batch axis into N, then move it back out in front
    const [B, N, ...rest] = x.shape;
    const y = bind1(patchesP, [reshape(x, [B * N, ...rest])], p);
    const at = batchAxisOf(p);
    const split = reshape(y, [...y.shape.slice(0, at), B, N, ...y.shape.slice(at + 1)]);
    return at === 0 ? split : transpose(split, [at, ...split.shape.map((_, i) => i).filter((i) => i !== at)]);
  },
  showParams: (p) => `window=${fmtShape(p.window)} strides=${fmtShape(p.strides)}${p.dilation.some((d) => d !== 1) ? ` dilation=${fmtShape(p.dilation)}` : ""}${p.lhsDilation.some((d) => d !== 1) ? ` lhsDilation=${fmtShape(p.lhsDilation)}` : ""} pad=${fmtShape(p.lo)}/${fmtShape(p.hi)}${p.fill !== 0 ? ` fill=${p.fill}` : ""}${p.layout ? ` ${p.layout}` : ""}`,
});

/** col2im: the transpose of `patches` — every window element added back to the input position it came from. */
export const patchesTP: Primitive<PatchesTParams> = defineOp<PatchesTParams>({
  name: "patchesT",
  impl([ct], p) {
    const [N, C, ...spatial] = p.inShape;
    const w = tableFor(spatial, p), inSize = sizeOf(spatial);
    const out = allocate(ct.dtype, N * C * inSize);
    walk(false, out, ct.data, N, C, inSize, w, p);
    return new ArrayTensor(out, [...p.inShape], ct.dtype);
  },
  shape([ct], p) {
    const [N, C, ...spatial] = p.inShape;
    const want = patchesShape(N, C, spatial, p);
    if (ct.shape.length !== want.length || ct.shape.some((d, i) => d !== want[i])) throw new ShapeError(`patchesT: expects windows of shape ${fmtShape(want)}; got ${fmtShape(ct.shape)}`);
    return { shape: [...p.inShape], dtype: ct.dtype };
  },
  jvp: "linear",
  transpose: (ct, _args, p) => [bind1(patchesP, [ct], { window: p.window, strides: p.strides, dilation: p.dilation, lhsDilation: p.lhsDilation, lo: p.lo, hi: p.hi, fill: 0, layout: p.layout })],
  batch: ([ct], _b, p): Tensor => {
    // move the batch axis next to N and fold it in
    const at = batchAxisOf(p), B = ct.shape[0];
    const moved = at === 0 ? ct : transpose(ct, [...ct.shape.map((_, i) => i).slice(1, at + 1), 0, ...ct.shape.map((_, i) => i).slice(at + 1)]);
    const N = p.inShape[0];
    const folded = reshape(moved, [...moved.shape.slice(0, at), B * N, ...moved.shape.slice(at + 2)]);
    const y = bind1(patchesTP, [folded], { ...p, inShape: [B * N, ...p.inShape.slice(1)] });
    return reshape(y, [B, N, ...p.inShape.slice(1)]);
  },
  showParams: (p) => `window=${fmtShape(p.window)} strides=${fmtShape(p.strides)} in=${fmtShape(p.inShape)}${p.layout ? ` ${p.layout}` : ""}`,
});

export const patches = (x: Tensor, p: WindowParams): Tensor => bind1(patchesP, [x], p);
