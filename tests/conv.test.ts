/**
 * Convolutions and pooling against direct loops written from the definition, their derivatives
 * (finite differences at orders 1 and 2, forward and reverse), jit, vmap, layouts and bad input.
 */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import { checkGrads, type Tensor } from "../src/index.js";
import { randomTensor, expectClose, toNums } from "./helpers.js";

interface Conv2dCase {
  x: number[]; // [N, C, H, W]
  k: number[]; // [O, C/G, KH, KW]
  strides?: [number, number];
  pad?: [[number, number], [number, number]];
  rhsDil?: [number, number];
  lhsDil?: [number, number];
  groups?: number;
}

/** out[n, o, i, j] = Σ_{c in o's group, a, b} x̃[n, c, i·s + a·d − lo] · k[o, c', a, b], x̃ the input stretched by lhsDil (zeros between) and zero outside. */
function refConv2d(xs: number[], xv: number[], ks: number[], kv: number[], c: Conv2dCase): { shape: number[]; data: number[] } {
  const [N, C, H, W] = xs, [O, I, KH, KW] = ks;
  const [sh, sw] = c.strides ?? [1, 1], [[plh, phh], [plw, phw]] = c.pad ?? [[0, 0], [0, 0]];
  const [dh, dw] = c.rhsDil ?? [1, 1], [lh, lw] = c.lhsDil ?? [1, 1], G = c.groups ?? 1;
  const Hs = (H - 1) * lh + 1, Ws = (W - 1) * lw + 1;
  const OH = Math.floor((Hs + plh + phh - ((KH - 1) * dh + 1)) / sh) + 1, OW = Math.floor((Ws + plw + phw - ((KW - 1) * dw + 1)) / sw) + 1;
  const at = (n: number, ch: number, i: number, j: number) => {
    if (i < 0 || j < 0 || i >= Hs || j >= Ws || i % lh || j % lw) return 0;
    return xv[((n * C + ch) * H + i / lh) * W + j / lw];
  };
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let s = 0;
          const g = Math.floor(o / (O / G));
          for (let ci = 0; ci < I; ci++) for (let a = 0; a < KH; a++) for (let b = 0; b < KW; b++) s += at(n, g * I + ci, i * sh + a * dh - plh, j * sw + b * dw - plw) * kv[((o * I + ci) * KH + a) * KW + b];
          out.push(s);
        }
  return { shape: [N, O, OH, OW], data: out };
}

const cases: [string, number[], number[], Conv2dCase][] = [
  ["plain 3×3", [2, 3, 6, 5], [4, 3, 3, 3], { x: [], k: [] }],
  ["strides and padding", [2, 2, 7, 6], [3, 2, 3, 2], { x: [], k: [], strides: [2, 3], pad: [[1, 2], [0, 1]] }],
  ["kernel dilation", [1, 2, 8, 8], [2, 2, 3, 3], { x: [], k: [], rhsDil: [2, 3] }],
  ["input dilation (transposed conv)", [1, 2, 4, 3], [2, 2, 3, 3], { x: [], k: [], lhsDil: [2, 2], pad: [[2, 2], [2, 2]] }],
  ["groups (2) and depthwise (4)", [2, 4, 5, 5], [4, 2, 3, 3], { x: [], k: [], groups: 2 }],
  ["depthwise", [1, 4, 5, 5], [4, 1, 2, 2], { x: [], k: [], groups: 4 }],
];

describe("convGeneralDilated against the definition", () => {
  cases.forEach(([name, xs, ks, c], t) => {
    it(name, () => {
      const x = randomTensor(xs, -1, 1, 100 + t), k = randomTensor(ks, -1, 1, 200 + t);
      const y = w.convGeneralDilated(x, k, { strides: c.strides, padding: c.pad, rhsDilation: c.rhsDil, lhsDilation: c.lhsDil, featureGroupCount: c.groups });
      const ref = refConv2d(xs, toNums(x), ks, toNums(k), c);
      expect(y.shape).toEqual(ref.shape);
      expectClose(y, ref.data, 1e-12, 1e-13);
    });
  });

  it("SAME padding gives ⌈in / stride⌉ outputs with the extra pad at the end (SAME_LOWER: at the start)", () => {
    const x = randomTensor([1, 1, 7, 7], -1, 1, 5), k = randomTensor([1, 1, 4, 4], -1, 1, 6);
    const same = w.conv(x, k, 2, "SAME");
    expect(same.shape).toEqual([1, 1, 4, 4]);
    // total padding (4 − 1)·2 + 4 − 7 = 3: SAME puts 1 before and 2 after
    expectClose(same, refConv2d([1, 1, 7, 7], toNums(x), [1, 1, 4, 4], toNums(k), { x: [], k: [], strides: [2, 2], pad: [[1, 2], [1, 2]] }).data, 1e-12);
    expectClose(w.conv(x, k, 2, "SAME_LOWER"), refConv2d([1, 1, 7, 7], toNums(x), [1, 1, 4, 4], toNums(k), { x: [], k: [], strides: [2, 2], pad: [[2, 1], [2, 1]] }).data, 1e-12);
  });

  it("1-D and 3-D convolutions; channels-last layouts give the transposed results", () => {
    const x1 = randomTensor([2, 3, 9], -1, 1, 7), k1 = randomTensor([2, 3, 4], -1, 1, 8);
    const y1 = w.conv1d(x1, k1, { strides: 2 });
    // a 1-D convolution is a 2-D one over a height-1 image
    expectClose(y1, w.reshape(w.conv2d(w.reshape(x1, [2, 3, 1, 9]), w.reshape(k1, [2, 3, 1, 4]), { strides: [1, 2] }), [2, 2, 3]), 1e-13);
    const x3 = randomTensor([1, 2, 3, 4, 4], -1, 1, 9), k3 = randomTensor([2, 2, 2, 2, 2], -1, 1, 10);
    const y3 = w.conv3d(x3, k3);
    expect(y3.shape).toEqual([1, 2, 2, 3, 3]);
    // one output element by hand
    const xv = toNums(x3), kv = toNums(k3);
    let s = 0;
    for (let c = 0; c < 2; c++) for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let d = 0; d < 2; d++) s += xv[(((0 * 2 + c) * 3 + 1 + a) * 4 + 2 + b) * 4 + 0 + d] * kv[(((1 * 2 + c) * 2 + a) * 2 + b) * 2 + d];
    expect(toNums(y3)[((0 * 2 + 1) * 2 + 1) * 9 + 2 * 3 + 0]).toBeCloseTo(s, 12);
    const x = randomTensor([2, 5, 6, 3], -1, 1, 11), k = randomTensor([3, 2, 3, 4], -1, 1, 12); // NHWC, HWIO
    const nhwc = w.conv2d(x, k, { channels: "last", padding: "SAME" });
    const nchw = w.conv2d(w.transpose(x, [0, 3, 1, 2]), w.transpose(k, [3, 2, 0, 1]), { padding: "SAME" });
    expectClose(nhwc, w.transpose(nchw, [0, 2, 3, 1]), 1e-13);
    expectClose(w.convGeneralDilated(x, k, { padding: "SAME", dimensionNumbers: ["NHWC", "HWIO", "NHWC"] }), nhwc, 0);
  });
});

describe("pooling against the definition", () => {
  it("maxPool and avgPool: windows, strides, SAME padding (−∞ for max, zeros counted for mean), channels last", () => {
    const x = randomTensor([2, 3, 5, 6], -1, 1, 13), xv = toNums(x);
    const ref = (win: number, s: number, [[lo, hi], [loW, hiW]]: number[][], f: (v: number[]) => number) => {
      const out: number[] = [];
      const OH = Math.floor((5 + lo + hi - win) / s) + 1, OW = Math.floor((6 + loW + hiW - win) / s) + 1;
      for (let nc = 0; nc < 6; nc++)
        for (let i = 0; i < OH; i++)
          for (let j = 0; j < OW; j++) {
            const v: number[] = [];
            for (let a = 0; a < win; a++)
              for (let b = 0; b < win; b++) {
                const r = i * s + a - lo, q = j * s + b - loW;
                v.push(r < 0 || q < 0 || r >= 5 || q >= 6 ? NaN : xv[nc * 30 + r * 6 + q]);
              }
            out.push(f(v));
          }
      return out;
    };
    const max = (v: number[]) => Math.max(...v.filter((t) => !Number.isNaN(t)));
    const avg = (v: number[]) => v.reduce((s, t) => s + (Number.isNaN(t) ? 0 : t), 0) / v.length;
    const none = [[0, 0], [0, 0]];
    expectClose(w.maxPool(x, 2), ref(2, 2, none, max), 0);
    expect(w.maxPool(x, 2).shape).toEqual([2, 3, 2, 3]);
    expectClose(w.avgPool(x, 3, { strides: 1 }), ref(3, 1, none, avg), 1e-14);
    // SAME, window 3, stride 2: rows 5 → 3 outputs, padding 2 = 1 + 1; columns 6 → 3 outputs, padding 1 = 0 + 1
    expectClose(w.maxPool(x, 3, { strides: 2, padding: "SAME" }), ref(3, 2, [[1, 1], [0, 1]], max), 0);
    expectClose(w.avgPool(x, 2, { padding: [[1, 1], [1, 0]], strides: 2 }), ref(2, 2, [[1, 1], [1, 0]], avg), 1e-14);
    const xl = w.transpose(x, [0, 2, 3, 1]);
    expectClose(w.maxPool(xl, 2, { channels: "last" }), w.transpose(w.maxPool(x, 2), [0, 2, 3, 1]), 0);
  });

  it("maxPool's derivative goes to each window's maximum, split equally between ties", () => {
    const x = w.tensor([[[[1, 3, 2, 2], [0, 1, 2, 2]]]]); // [1, 1, 2, 4]: windows 2×2 → max 3 (once) and 2 (four ties)
    expect(toNums(w.grad((t: Tensor) => w.sum(w.maxPool(t, 2)))(x))).toEqual([0, 1, 0.25, 0.25, 0, 0, 0.25, 0.25]);
  });
});

describe("derivatives, jit and vmap", () => {
  const x = randomTensor([2, 2, 5, 4], -1, 1, 20), k = randomTensor([4, 1, 2, 3], -1, 1, 21);
  const f = (a: Tensor, b: Tensor) => w.tanh(w.convGeneralDilated(a, b, { strides: [2, 1], padding: [[1, 0], [1, 1]], rhsDilation: [1, 2], featureGroupCount: 2 }));
  it("first and second order, forward and reverse, in both arguments (finite differences and the dot-product test)", () => {
    checkGrads(f, [x, k], { order: 2, modes: ["fwd", "rev"] });
  });
  it("through pooling and a transposed convolution", () => {
    const g = (a: Tensor) => w.sum(w.mul(w.avgPool(w.sin(a), 2, { strides: 1 }), w.maxPool(w.cos(a), [2, 2], { strides: 1 })));
    checkGrads(g, [x], { order: 2, modes: ["fwd", "rev"] });
    const t = (a: Tensor, b: Tensor) => w.convGeneralDilated(a, w.reshape(w.slice(b, [0, 2]), [1, 2, 2, 3]), { lhsDilation: 2, padding: [[1, 1], [2, 2]] });
    checkGrads(t, [x, k], { order: 1, modes: ["fwd", "rev"] });
  });
  it("jit gives the eager values and gradients", () => {
    expectClose(w.jit(f)(x, k), f(x, k), 1e-14, 1e-15);
    const loss = (a: Tensor, b: Tensor) => w.sum(w.square(f(a, b)));
    const g = w.grad(loss, { argnums: [0, 1] })(x, k) as Tensor[];
    const gj = w.jit(w.grad(loss, { argnums: [0, 1] }))(x, k) as Tensor[];
    g.forEach((gi, i) => expectClose(gj[i], gi, 1e-12, 1e-14));
  });
  it("vmap over images (and over kernels) gives the loop's results", () => {
    const xs = randomTensor([3, 2, 2, 5, 4], -1, 1, 22), ks = randomTensor([3, 4, 1, 2, 3], -1, 1, 23);
    const want = w.stack([0, 1, 2].map((i) => f(w.take(xs, w.tensor(i, { dtype: "int32" }), 0), w.take(ks, w.tensor(i, { dtype: "int32" }), 0))));
    expectClose(w.vmap(f)(xs, ks), want, 1e-13);
    const perExample = w.vmap(w.grad((a: Tensor, b: Tensor) => w.sum(f(a, b)), { argnums: 1 }), { inAxes: [0, null] })(xs, k);
    expect(perExample.shape).toEqual([3, 4, 1, 2, 3]);
    expectClose(w.sum(perExample, 0), w.grad((a: Tensor, b: Tensor) => w.sum(w.vmap((ai: Tensor) => f(ai, b))(a)), { argnums: 1 })(xs, k), 1e-12);
  });
  it("float32 stays float32", () => {
    const y = w.conv2d(w.cast(x, "float32"), w.cast(w.reshape(w.slice(k, [0, 2]), [1, 2, 2, 3]), "float32"));
    expect(y.dtype).toBe("float32");
  });
});

describe("bad input", () => {
  const x = w.zeros([1, 2, 4, 4]), k = w.zeros([3, 2, 2, 2]);
  it("names the function and what to do", () => {
    expect(() => w.conv2d(w.zeros([2, 4, 4]), k)).toThrow(/conv2d|convGeneralDilated.*rank/);
    expect(() => w.convGeneralDilated(x, w.zeros([3, 3, 2, 2]))).toThrow(/channels must equal/);
    expect(() => w.convGeneralDilated(x, k, { strides: 0 })).toThrow(/strides must be a positive integer/);
    expect(() => w.convGeneralDilated(x, k, { padding: "FULL" as "SAME" })).toThrow(/padding must be/);
    expect(() => w.convGeneralDilated(x, k, { dimensionNumbers: ["NCHW", "OIHW", "NHCX"] })).toThrow(/layout|spatial letters/);
    expect(() => w.maxPool(w.zeros([4, 4]), 2)).toThrow(/maxPool: needs an input/);
    expect(() => w.convGeneralDilated(x, k, { featureGroupCount: 3 })).toThrow(/feature group/);
  });
  it("a window larger than the input gives an empty result, not garbage", () => {
    expect(w.conv2d(x, w.zeros([1, 2, 5, 5])).shape).toEqual([1, 1, 0, 0]);
  });
});
