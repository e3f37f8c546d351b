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

// 4×2 came out best in a one-off comparison with 2×4, 3×4, 4×3, 5×2, 6×2 (x86-64 has 16 vector registers)
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

/**
 * packA(src, dst, m, k, rs, cs): element (i, p) of A, at src + i·rs + p·cs (byte strides), goes to
 * panel ⌊i/R⌋ at position p·R + i mod R. Rows past m (the last panel's padding) are left as they
 * are: the caller zeroes them. Requires m, k ≥ 1.
 */
function packA(elt: 4 | 8, R: number): FunctionBuilder {
  const I = ValType.i32;
  const f = new FunctionBuilder([I, I, I, I, I, I]);
  const [src, dst, m, k, rs, cs] = [0, 1, 2, 3, 4, 5];
  const srow = f.local(I), prow = f.local(I), pstart = f.local(I), r = f.local(I), s = f.local(I), d = f.local(I), p = f.local(I);
  f.get(src).set(srow).get(dst).tee(prow).set(pstart).i32Const(0).set(r);
  f.loop(() => {
    f.get(srow).set(s).get(prow).set(d).get(k).set(p);
    f.loop(() => {
      f.get(d).get(s);
      if (elt === 4) f.f32Load().f32Store();
      else f.f64Load().f64Store();
      f.get(s).get(cs).i32Add().set(s);
      f.get(d).i32Const(R * elt).i32Add().set(d);
      f.get(p).i32Const(1).i32Sub().tee(p).brIf(0);
    });
    f.get(srow).get(rs).i32Add().set(srow);
    // the next row: one slot along in this panel, or the start of the next panel
    f.get(r).i32Const(1).i32Add().tee(r).i32Const(R).i32Ne();
    f.ifElse(
      () => f.get(prow).i32Const(elt).i32Add().set(prow),
      () => f.i32Const(0).set(r).get(pstart).get(k).i32Const(R * elt).i32Mul().i32Add().tee(pstart).set(prow),
    );
    f.get(m).i32Const(1).i32Sub().tee(m).brIf(0);
  });
  return f;
}

/**
 * packB(src, dst, k, n, rs, cs): element (p, j) of B, at src + p·rs + j·cs (byte strides), goes to
 * panel ⌊j/W⌋ at position p·W + j mod W. Columns past n are skipped (the caller zeroes the last
 * panel). Requires k, n ≥ 1.
 */
function packB(elt: 4 | 8, W: number): FunctionBuilder {
  const I = ValType.i32;
  const f = new FunctionBuilder([I, I, I, I, I, I]);
  const [src, dst, k, n, rs, cs] = [0, 1, 2, 3, 4, 5];
  const scol = f.local(I), srow = f.local(I), s = f.local(I), d = f.local(I), w = f.local(I), c = f.local(I), p = f.local(I);
  f.get(src).set(scol).get(dst).set(d);
  f.loop(() => {
    // w = min(W, columns left)
    f.get(n).i32Const(W).get(n).i32Const(W).i32LtS().select().set(w);
    f.get(scol).set(srow).get(k).set(p);
    f.loop(() => {
      f.get(srow).set(s).get(w).set(c);
      f.loop(() => {
        f.get(d).get(s);
        if (elt === 4) f.f32Load().f32Store();
        else f.f64Load().f64Store();
        f.get(s).get(cs).i32Add().set(s);
        f.get(d).i32Const(elt).i32Add().set(d);
        f.get(c).i32Const(1).i32Sub().tee(c).brIf(0);
      });
      f.get(d).i32Const(W).get(w).i32Sub().i32Const(elt).i32Mul().i32Add().set(d);
      f.get(srow).get(rs).i32Add().set(srow);
      f.get(p).i32Const(1).i32Sub().tee(p).brIf(0);
    });
    f.get(scol).get(cs).i32Const(W).i32Mul().i32Add().set(scol);
    f.get(n).i32Const(W).i32Sub().tee(n).i32Const(0).i32GtS().brIf(0);
  });
  return f;
}

type Fn = (...args: number[]) => void;
interface Kernels {
  mm: Fn;
  packA: Fn;
  packB: Fn;
}
interface Instance {
  memory: Memory;
  float32: Kernels;
  float64: Kernels;
}

let instance: Instance | null | undefined;

/** Compile the kernels once; null where WebAssembly (or its SIMD) is unavailable. */
function load(): Instance | null {
  if (instance !== undefined) return instance;
  try {
    const m = new ModuleBuilder(1);
    for (const [dt, elt] of [["float32", 4], ["float64", 8]] as const) {
      const b = BLOCKING[dt];
      m.addFunction(`mm_${dt}`, kernel(elt, b));
      m.addFunction(`packA_${dt}`, packA(elt, b.rows));
      m.addFunction(`packB_${dt}`, packB(elt, (b.vecs * 16) / elt));
    }
    const inst = new WebAssembly.Instance(new WebAssembly.Module(m.encode()), {});
    const e = inst.exports as Record<string, Fn> & { memory: Memory };
    const kernels = (dt: string) => ({ mm: e[`mm_${dt}`], packA: e[`packA_${dt}`], packB: e[`packB_${dt}`] });
    instance = { memory: e.memory, float32: kernels("float32"), float64: kernels("float64") };
  } catch (e) {
    instance = null;
    // Said once: a strict Content-Security-Policy (or an engine without 128-bit SIMD) makes every
    // large product take the JS loop, about 3× slower, and the user should know why.
    const reason = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).replace(/\s+/g, " ").trim().slice(0, 300);
    if (typeof WebAssembly !== "undefined") console.warn(`wengert: the WebAssembly SIMD matrix product is unavailable here, so matrix products use the JS loop, which is slower. The engine said: ${reason}`);
  }
  return instance;
}

/** Whether the SIMD matmul is usable here (WebAssembly with 128-bit SIMD). */
export function wasmMatmulAvailable(): boolean {
  return load() !== null;
}

/** Forget the module so the next product builds it again (tests simulate a refusing engine). */
export function reloadWasmMatmul(): void {
  instance = undefined;
}

let disabled = false;
/** Force the plain-JS matmul (tests compare the two). */
export function setWasmMatmul(on: boolean): void {
  disabled = !on;
}

const round = (x: number, b: number) => Math.ceil(x / b) * b;

/**
 * The module's memory grows to the largest product seen and is kept (growing is not free); products
 * whose operands, packed copies and result exceed this use the JS loop instead.
 */
let maxBytes = 2 ** 30;
/** Change that limit (tests use a small one to exercise the fallback). */
export function setWasmMatmulLimit(bytes: number): void {
  maxBytes = bytes;
}

/**
 * C = op(A)·op(B) for row-major A (m×k at offset ao, or k×m when `ta`: used transposed) and B (k×n
 * at offset bo, or n×k when `tb`), written into `out` at `oo`.
 * Returns false when the SIMD kernel is unavailable (the caller then uses its JS loop).
 * The operands are copied into the module's memory (a memcpy), packed there, multiplied, and the
 * product copied out.
 */
export function wasmMatmul(
  dtype: "float32" | "float64",
  A: Float32Array | Float64Array, ao: number, ta: boolean,
  B: Float32Array | Float64Array, bo: number, tb: boolean,
  out: Float32Array | Float64Array, oo: number,
  m: number, k: number, n: number,
): boolean {
  const inst = disabled ? null : load();
  if (!inst) return false;
  const elt = dtype === "float32" ? 4 : 8;
  const { rows: R, vecs: V } = BLOCKING[dtype];
  const W = (V * 16) / elt, align = 16 / elt;
  const mp = round(m, R), np = round(n, W);
  // regions, in elements, each 16-byte aligned: raw A, raw B, packed A, packed B, C
  const rawA = 0, rawB = round(m * k, align), pA = rawB + round(k * n, align), pB = pA + mp * k, C = pB + k * np;
  const bytes = (C + mp * np) * elt;
  if (bytes > maxBytes) return false;
  const have = inst.memory.buffer.byteLength;
  if (bytes > have) {
    try {
      inst.memory.grow(Math.ceil((bytes - have) / 65536));
    } catch {
      return false; // the engine refused the memory: the JS loop needs none
    }
  }
  const mem = elt === 4 ? new Float32Array(inst.memory.buffer) : new Float64Array(inst.memory.buffer);
  mem.set(A.subarray(ao, ao + m * k), rawA);
  mem.set(B.subarray(bo, bo + k * n), rawB);
  if (mp > m) mem.fill(0, pA + (mp - R) * k, pB);
  if (np > n) mem.fill(0, pB + (np - W) * k, C);
  const kern = inst[dtype];
  // byte strides of (row, column) of op(A) and op(B) in the stored layouts
  kern.packA(rawA * elt, pA * elt, m, k, (ta ? 1 : k) * elt, (ta ? m : 1) * elt);
  kern.packB(rawB * elt, pB * elt, k, n, (tb ? 1 : n) * elt, (tb ? k : 1) * elt);
  kern.mm(pA * elt, pB * elt, C * elt, mp / R, k, np / W, np * elt);
  if (np === n) out.set(mem.subarray(C, C + m * n), oo);
  else for (let i = 0; i < m; i++) out.set(mem.subarray(C + i * np, C + i * np + n), oo + i * n);
  return true;
}
