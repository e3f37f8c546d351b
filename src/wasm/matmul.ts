/**
 * @file Matrix product on WebAssembly SIMD. The classic blocked scheme (as in BLIS/GotoBLAS):
 *   - A is packed into panels of R rows, stored column by column (R consecutive values per p);
 *   - B is packed into panels of W = V·lanes columns, stored row by row (W consecutive values per p);
 *   - a microkernel keeps an R×W block of C in R·V vector registers and, for each p, loads V
 *     vectors of B, broadcasts R values of A and does R·V multiply-adds;
 *   - panels are zero-padded to whole blocks, so the kernel has no edge cases; the padded C is
 *     copied out.
 * float32 uses f32x4 lanes and accumulates in float32 (as BLAS does); float64 uses f64x2.
 * Everything runs in one module instance whose memory grows to the largest product seen.
 */
import { FunctionBuilder, ModuleBuilder, ValType } from "./encoder.js";

export interface Blocking {
  /** rows of A per panel (broadcast values per step) */
  rows: number;
  /** vectors of B per panel (16 bytes each) */
  vecs: number;
}

// 4×2 measured best among 2×4, 3×4, 4×2, 4×3, 5×2, 6×2 (x86-64 has 16 vector registers)
const BLOCKING: Record<"float32" | "float64", Blocking> = {
  float32: { rows: 4, vecs: 2 },
  float64: { rows: 4, vecs: 2 },
};

/**
 * kernel(ap, bp, cp, mb, k, nb, ldc): C[mb·R × nb·W] = packedA × packedB, all addresses in bytes,
 * `ldc` the byte stride of C's rows. Requires mb, nb, k ≥ 1.
 */
function kernel(elt: 4 | 8, { rows: R, vecs: V }: Blocking): FunctionBuilder {
  const I = ValType.i32;
  const f = new FunctionBuilder([I, I, I, I, I, I, I]);
  const [ap, bp, cp, mb, k, nb, ldc] = [0, 1, 2, 3, 4, 5, 6];
  const jb = f.local(I), ib = f.local(I), pa = f.local(I), pb = f.local(I), end = f.local(I);
  const apanel = f.local(I), bpanel = f.local(I), cj = f.local(I), ccur = f.local(I), crow = f.local(I);
  const acc: number[][] = [];
  for (let r = 0; r < R; r++) acc.push(Array.from({ length: V }, () => f.local(ValType.v128)));
  const bv = Array.from({ length: V }, () => f.local(ValType.v128));
  const a = f.local(ValType.v128);
  const splat = () => (elt === 4 ? f.v128Load32Splat.bind(f) : f.v128Load64Splat.bind(f));
  const mulAdd = () => (elt === 4 ? (f.f32x4Mul(), f.f32x4Add()) : (f.f64x2Mul(), f.f64x2Add()));

  f.get(bp).set(bpanel).get(cp).set(cj).get(nb).set(jb);
  f.loop(() => {
    f.get(ap).set(apanel).get(cj).set(ccur).get(mb).set(ib);
    f.loop(() => {
      for (const row of acc) for (const x of row) f.v128Zero().set(x);
      f.get(apanel).tee(pa).get(k).i32Const(R * elt).i32Mul().i32Add().set(end);
      f.get(bpanel).set(pb);
      f.loop(() => {
        bv.forEach((x, v) => f.get(pb).v128Load(16 * v).set(x));
        for (let r = 0; r < R; r++) {
          f.get(pa);
          splat()(r * elt);
          f.set(a);
          for (let v = 0; v < V; v++) {
            f.get(acc[r][v]).get(a).get(bv[v]);
            mulAdd();
            f.set(acc[r][v]);
          }
        }
        f.get(pb).i32Const(16 * V).i32Add().set(pb);
        f.get(pa).i32Const(R * elt).i32Add().tee(pa).get(end).i32LtU().brIf(0);
      });
      f.get(ccur).set(crow);
      for (let r = 0; r < R; r++) {
        if (r > 0) f.get(crow).get(ldc).i32Add().set(crow);
        for (let v = 0; v < V; v++) f.get(crow).get(acc[r][v]).v128Store(16 * v);
      }
      f.get(crow).get(ldc).i32Add().set(ccur);
      f.get(end).set(apanel);
      f.get(ib).i32Const(1).i32Sub().tee(ib).brIf(0);
    });
    f.get(pb).set(bpanel);
    f.get(cj).i32Const(16 * V).i32Add().set(cj);
    f.get(jb).i32Const(1).i32Sub().tee(jb).brIf(0);
  });
  return f;
}

/** The part of the WebAssembly JS API used here (the ES lib typings do not include it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};
interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface Instance {
  memory: Memory;
  mm32: (...args: number[]) => void;
  mm64: (...args: number[]) => void;
}

let instance: Instance | null | undefined;

/** Compile the kernels once; null where WebAssembly (or its SIMD) is unavailable. */
function load(): Instance | null {
  if (instance !== undefined) return instance;
  try {
    const m = new ModuleBuilder(1);
    m.addFunction("mm32", kernel(4, BLOCKING.float32));
    m.addFunction("mm64", kernel(8, BLOCKING.float64));
    const bytes = m.encode();
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const e = inst.exports as unknown as Instance;
    instance = { memory: e.memory, mm32: e.mm32, mm64: e.mm64 };
  } catch {
    instance = null;
  }
  return instance;
}

/** Whether the SIMD matmul is usable here (WebAssembly with 128-bit SIMD). */
export function wasmMatmulAvailable(): boolean {
  return load() !== null;
}

let disabled = false;
/** Force the plain-JS matmul (tests compare the two). */
export function setWasmMatmul(on: boolean): void {
  disabled = !on;
}

const round = (x: number, b: number) => Math.ceil(x / b) * b;

/**
 * C = A·B for row-major A (m×k at offset ao) and B (k×n at offset bo), written into `out` at `oo`.
 * Returns false when the SIMD kernel is unavailable (the caller then uses its JS loop).
 */
export function wasmMatmul(
  dtype: "float32" | "float64",
  A: Float32Array | Float64Array, ao: number,
  B: Float32Array | Float64Array, bo: number,
  out: Float32Array | Float64Array, oo: number,
  m: number, k: number, n: number,
): boolean {
  const inst = disabled ? null : load();
  if (!inst) return false;
  const elt = dtype === "float32" ? 4 : 8;
  const { rows: R, vecs: V } = BLOCKING[dtype];
  const W = (V * 16) / elt;
  const mp = round(m, R), np = round(n, W);
  const aLen = mp * k, bLen = k * np, cLen = mp * np;
  const bytes = (aLen + bLen + cLen) * elt;
  const have = inst.memory.buffer.byteLength;
  if (bytes > have) inst.memory.grow(Math.ceil((bytes - have) / 65536));
  const mem = elt === 4 ? new Float32Array(inst.memory.buffer) : new Float64Array(inst.memory.buffer);
  // pack A: panel ib holds rows ib·R … ib·R+R−1, column-major within the panel
  for (let ib = 0; ib < mp; ib += R) {
    const base = ib * k;
    for (let r = 0; r < R; r++) {
      const i = ib + r;
      if (i < m) for (let p = 0, s = ao + i * k, d = base + r; p < k; p++, s++, d += R) mem[d] = A[s];
      else for (let p = 0, d = base + r; p < k; p++, d += R) mem[d] = 0;
    }
  }
  // pack B: panel jb holds columns jb·W … jb·W+W−1, row-major within the panel
  for (let jb = 0; jb < np; jb += W) {
    const base = aLen + jb * k;
    const w = Math.min(W, n - jb);
    for (let p = 0, d = base; p < k; p++) {
      const s = bo + p * n + jb;
      let c = 0;
      for (; c < w; c++) mem[d++] = B[s + c];
      for (; c < W; c++) mem[d++] = 0;
    }
  }
  const cOff = aLen + bLen;
  (elt === 4 ? inst.mm32 : inst.mm64)(0, aLen * elt, cOff * elt, mp / R, k, np / W, np * elt);
  if (np === n) out.set(mem.subarray(cOff, cOff + m * n), oo);
  else for (let i = 0; i < m; i++) out.set(mem.subarray(cOff + i * np, cOff + i * np + n), oo + i * n);
  return true;
}
