/**
 * @file Counter-based random numbers, as JAX makes them: a key is two 32-bit words (stored as an
 * int32 tensor [..., 2] holding the bits), and every draw hashes counters 0, 1, 2, … with the
 * key through Threefry-2x32 (20 rounds; Salmon et al. 2011, "Parallel random numbers: as easy as
 * 1, 2, 3"). Nothing is stateful, so the same key gives the same numbers on every run and platform,
 * under jit and vmap. The counter layout and the bit-to-float conversions follow JAX's current
 * ("partitionable") threefry scheme, so keys, splits, fold-ins, raw bits, uniform floats, randint
 * and permutation match JAX's values for the same seed (float64 draws: JAX with x64 enabled).
 *
 * Two primitives: `threefry` (a key's draw of some kind and shape) and `foldIn` (a key and an
 * integer to a new key). Leading key axes give one draw per key (that is also their batching rule).
 * Neither has a derivative: keys are integers and the draws do not depend on any float input.
 */
import { defineOp, bind1 } from "./define.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { type Primitive, coreOps } from "../core/primitive.js";
import { ShapeError, InputError, fmtShape } from "../core/errors.js";
import { type DType, allocate } from "../core/dtype.js";
import { sizeOf } from "../core/shape.js";
import { ArrayTensor } from "../tensor/array.js";

const KS_PARITY = 0x1bd11bda;
const ROT = [13, 15, 26, 6, 17, 29, 16, 24];

/**
 * Threefry-2x32 with 20 rounds: the key (k0, k1) and the counter (x0, x1), all unsigned 32-bit
 * integers, to two unsigned 32-bit words, written to out[at] and out[at + 1] (as uint32 values).
 */
export function threefry2x32(k0: number, k1: number, x0: number, x1: number, out: Uint32Array, at: number): void {
  k0 >>>= 0;
  k1 >>>= 0;
  const k2 = (k0 ^ k1 ^ KS_PARITY) >>> 0;
  const ks = [k0, k1, k2];
  let a = (x0 + k0) >>> 0, b = (x1 + k1) >>> 0;
  for (let g = 0; g < 5; g++) {
    const r = (g & 1) * 4;
    for (let j = 0; j < 4; j++) {
      a = (a + b) >>> 0;
      const d = ROT[r + j];
      b = ((b << d) | (b >>> (32 - d))) >>> 0;
      b = (a ^ b) >>> 0;
    }
    a = (a + ks[(g + 1) % 3]) >>> 0;
    b = (b + ks[(g + 2) % 3] + g + 1) >>> 0;
  }
  out[at] = a;
  out[at + 1] = b;
}

export type DrawKind =
  | { kind: "keys" } // new keys [..., 2] (split)
  | { kind: "bits" } // uint32 values, as float64 (exact)
  | { kind: "uniform"; dtype: "float32" | "float64" } // [0, 1)
  | { kind: "randint"; minval: number; maxval: number } // int32 in [minval, maxval)
  | { kind: "permutation" }; // a permutation of 0 … n−1 (shape [n])

export type DrawParams = { shape: number[] } & DrawKind;

const TWO32 = 4294967296;
const words = new Uint32Array(2);

/** The draw's two words for counters 0 … n−1 (JAX's iota_2x32: the high word is i / 2³², the low word i mod 2³²). */
function hashCounts(k0: number, k1: number, n: number): [Uint32Array, Uint32Array] {
  const b1 = new Uint32Array(n), b2 = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    threefry2x32(k0, k1, Math.floor(i / TWO32), i % TWO32, words, 0);
    b1[i] = words[0];
    b2[i] = words[1];
  }
  return [b1, b2];
}

/** 32 random bits per counter: the two words xor-ed (JAX's random_bits, width 32). */
function bits32(k0: number, k1: number, n: number): Uint32Array {
  const [b1, b2] = hashCounts(k0, k1, n);
  for (let i = 0; i < n; i++) b1[i] ^= b2[i];
  return b1;
}

/** split(key, 2): [k0', k1'] of key j are the two words for counter j. */
function split2(k0: number, k1: number): [[number, number], [number, number]] {
  const [b1, b2] = hashCounts(k0, k1, 2);
  return [
    [b1[0], b2[0]],
    [b1[1], b2[1]],
  ];
}

/** One key's draw into out[at …]. */
function drawOne(k0: number, k1: number, p: DrawParams, out: ArrayTensor["data"], at: number): void {
  const n = sizeOf(p.shape);
  switch (p.kind) {
    case "keys": {
      const [b1, b2] = hashCounts(k0, k1, n);
      for (let i = 0; i < n; i++) (out[at + 2 * i] = b1[i] | 0), (out[at + 2 * i + 1] = b2[i] | 0);
      return;
    }
    case "bits": {
      const b = bits32(k0, k1, n);
      for (let i = 0; i < n; i++) out[at + i] = b[i];
      return;
    }
    case "uniform": {
      const [b1, b2] = hashCounts(k0, k1, n);
      if (p.dtype === "float32") {
        // 23 mantissa bits under the exponent of 1.0, minus 1: m·2⁻²³, exact in float32
        for (let i = 0; i < n; i++) out[at + i] = ((b1[i] ^ b2[i]) >>> 9) * 2 ** -23;
      } else {
        // 64 bits (high word b1, low word b2); the top 52 become the mantissa: m·2⁻⁵², exact
        for (let i = 0; i < n; i++) out[at + i] = (b1[i] * 1048576 + (b2[i] >>> 12)) * 2 ** -52;
      }
      return;
    }
    case "randint": {
      // JAX's randint for int32: 64 random bits per value from two split keys, reduced modulo the span with uint32 arithmetic
      const [ka, kb] = split2(k0, k1);
      const hi = bits32(ka[0], ka[1], n), lo = bits32(kb[0], kb[1], n);
      const { minval, maxval } = p;
      const span = maxval <= minval ? 1 : (maxval - minval) >>> 0;
      let mult = 65536 % span;
      mult = (Math.imul(mult, mult) >>> 0) % span;
      for (let i = 0; i < n; i++) {
        const off = (((Math.imul(hi[i] % span, mult) >>> 0) + (lo[i] % span)) >>> 0) % span;
        out[at + i] = (minval + off) | 0;
      }
      return;
    }
    case "permutation": {
      // JAX's shuffle: sort 0 … n−1 by fresh 32-bit keys, ⌈3·ln n / ln(2³² − 1)⌉ times (stable sort)
      const rounds = Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(TWO32 - 1));
      let x = Array.from({ length: n }, (_, i) => i);
      let key: [number, number] = [k0, k1];
      for (let r = 0; r < rounds; r++) {
        const [next, sub] = split2(key[0], key[1]);
        key = next;
        const sortKeys = bits32(sub[0], sub[1], n);
        const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => sortKeys[a] - sortKeys[b] || a - b);
        x = order.map((i) => x[i]);
      }
      for (let i = 0; i < n; i++) out[at + i] = x[i];
      return;
    }
  }
}

const drawDtype = (p: DrawParams): DType => (p.kind === "keys" || p.kind === "randint" || p.kind === "permutation" ? "int32" : p.kind === "uniform" ? p.dtype : "float64");
const drawShape = (p: DrawParams): number[] => (p.kind === "keys" ? [...p.shape, 2] : [...p.shape]);

function checkKey(op: string, key: Aval): void {
  if (key.dtype !== "int32" || key.shape.length < 1 || key.shape[key.shape.length - 1] !== 2) {
    throw new ShapeError(`${op}: a key is an int32 tensor of shape [2] (from random.key(seed) or random.split); got ${key.dtype} ${fmtShape(key.shape)}`);
  }
}

export const threefryP: Primitive<DrawParams> = defineOp<DrawParams>({
  name: "threefry",
  impl([key], p) {
    const lead = key.shape.slice(0, -1), nk = sizeOf(lead);
    const each = sizeOf(drawShape(p));
    const out = allocate(drawDtype(p), nk * each);
    const kd = key.data;
    for (let k = 0; k < nk; k++) drawOne(kd[2 * k] >>> 0, kd[2 * k + 1] >>> 0, p, out, k * each);
    return new ArrayTensor(out, [...lead, ...drawShape(p)], drawDtype(p));
  },
  shape([key], p) {
    checkKey(`random (${p.kind})`, key);
    return { shape: [...key.shape.slice(0, -1), ...drawShape(p)], dtype: drawDtype(p) };
  },
  jvp: null,
  transpose: null,
  batch: ([key], _, p): Tensor => bind1(threefryP, [key], p), // the batch axis is one more leading key axis
  showParams: (p) => `${p.kind}${p.kind === "uniform" ? ` ${p.dtype}` : p.kind === "randint" ? ` [${p.minval}, ${p.maxval})` : ""} shape=${fmtShape(p.shape)}`,
});

/** fold_in: the key for `data` (an int32 per key): Threefry of the counter (0, data). */
export const foldInP: Primitive<{}> = defineOp<{}>({
  name: "foldIn",
  impl([key, data]) {
    const nk = data.size, out = allocate("int32", 2 * nk), kd = key.data, dd = data.data;
    for (let k = 0; k < nk; k++) {
      threefry2x32(kd[2 * k], kd[2 * k + 1], 0, dd[k] >>> 0, words, 0);
      out[2 * k] = words[0] | 0;
      out[2 * k + 1] = words[1] | 0;
    }
    return new ArrayTensor(out, [...key.shape], "int32");
  },
  shape([key, data]) {
    checkKey("random.foldIn", key);
    if (data.dtype !== "int32") throw new InputError(`random.foldIn: the data must be int32; got ${data.dtype}`);
    const lead = key.shape.slice(0, -1);
    if (lead.length !== data.shape.length || lead.some((d, i) => d !== data.shape[i])) throw new ShapeError(`random.foldIn: one int per key: keys ${fmtShape(key.shape)} and data ${fmtShape(data.shape)}`);
    return { shape: [...key.shape], dtype: "int32" };
  },
  jvp: null,
  transpose: null,
  batch([key, data], [kb, db]): Tensor {
    // line both up as [B, …]: the unbatched one is broadcast over the batch
    const B = kb ? key.shape[0] : data.shape[0];
    const k = kb ? key : coreOps.broadcastTo(key, [B, ...key.shape]);
    const d = db ? data : coreOps.broadcastTo(data, [B, ...data.shape]);
    return bind1(foldInP, [k, d], {});
  },
});

export const draw = (key: Tensor, p: DrawParams): Tensor => bind1(threefryP, [key], p);
export const foldIn = (key: Tensor, data: Tensor): Tensor => bind1(foldInP, [key, data], {});
