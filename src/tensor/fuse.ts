/**
 * @file Eager fusion of elementwise ops (tinygrad's laziness, limited to what is always safe).
 * An elementwise op on large float arrays does not run at once: it returns a tensor whose elements
 * are pending, remembering the op and its inputs. When the elements are first read (by a
 * non-elementwise kernel, `item`, `toArray`, …), the whole pending expression is computed in one
 * generated loop: one pass over memory and one output array instead of one per op. Chains such as
 * a reverse pass's `ct · 2x − …` cost one kernel instead of five.
 *
 * The generated loop computes every node exactly as the op's own kernel would (the same scalar
 * expression, `Math.fround` after each float32 op), so results are bit-identical to running the
 * ops one by one. Bounds keep it cheap and safe: arrays below FUSE_MIN elements run at once (the
 * bookkeeping would cost more than the pass), an expression larger than MAX_COST ops is cut by
 * computing its inputs, and a pending value used by a second consumer is computed once and shared
 * unless it is tiny (then recomputing it inline is cheaper than an extra array). Without run-time
 * code generation (strict CSP) nothing is deferred.
 */
import type { DType, TypedArray } from "../core/dtype.js";
import { allocate, isFloat } from "../core/dtype.js";
import { type Shape, sizeOf } from "../core/shape.js";
import { LoopWriter, compileJS, codegenAvailable } from "../core/codegen.js";
import { ArrayTensor, type Pending } from "./array.js";
import { stridedCopy } from "./kernels.js";

/** Smallest output size that is deferred. */
export const FUSE_MIN = 256;
/** Largest number of ops (counted along every path) in one pending expression. */
const MAX_COST = 24;
/** A pending value with at most this many ops may be recomputed inline by each of its consumers. */
const SHARE_MAX = 3;

/** An elementwise op as fusion sees it: its scalar source (Primitive.code) and its one-by-one kernel. */
export interface FusableOp {
  readonly name: string;
  code(args: string[]): string;
  eager(xs: ArrayTensor[]): ArrayTensor;
}

class Node implements Pending {
  uses = 0;
  constructor(
    readonly op: FusableOp,
    public inputs: ArrayTensor[] | null,
    readonly cost: number,
  ) {}

  materialize(t: ArrayTensor): TypedArray {
    const inputs = this.inputs!;
    this.inputs = null; // let the inputs be collected
    const out = allocate(t.dtype, t.size);
    if (codegenAvailable() && run(t.dtype, this, inputs, null, "store", out, out.length, 0, 1) !== null) return out;
    return this.op.eager(inputs).data;
  }
}

/** A strided window of another tensor (a slice), read in place by fused loops: base[offset + i·stride]. */
class View implements Pending {
  constructor(
    public base: ArrayTensor | null,
    readonly offset: number,
    readonly stride: number,
  ) {}
  materialize(t: ArrayTensor): TypedArray {
    const base = this.base!;
    this.base = null;
    return stridedCopy(base.data, this.offset, [this.stride], [t.size], t.dtype);
  }
}

/** Zeros with `src` placed at out[offset + i·stride] (a pad: the reverse of a slice), written on demand. */
class Placed implements Pending {
  constructor(
    public src: ArrayTensor | null,
    readonly offset: number,
    readonly stride: number,
  ) {}
  materialize(t: ArrayTensor): TypedArray {
    const out = allocate(t.dtype, t.size);
    writeInto(this.src!, out, this.offset, this.stride, false);
    this.src = null;
    return out;
  }
}

/**
 * The op's result, pending, when it can be fused: float dtype, at least FUSE_MIN elements, and
 * every input either the output's size or a single element. Returns null to run the op at once.
 */
export function fuseElementwise(op: FusableOp, xs: ArrayTensor[], shape: Shape, dtype: DType): ArrayTensor | null {
  if (!isFloat(dtype) || !codegenAvailable()) return null;
  const n = sizeOf(shape);
  if (n < FUSE_MIN) return null;
  let cost = 1, big = false;
  for (const t of xs) {
    if (t.dtype !== dtype) return null;
    if (t.uniform !== undefined) continue;
    const size = t.size;
    if (size === 1) continue;
    if (size !== n) return null;
    big = true;
    const x = t.source(), p = x.pending;
    if (p instanceof Node) {
      if (++p.uses > 1 && p.cost > SHARE_MAX) void x.data; // shared: compute it once
      else cost += p.cost;
    }
  }
  if (!big) return null;
  if (cost > MAX_COST) {
    for (const x of xs) if (x.source().pending instanceof Node) void x.data;
    cost = 1;
  }
  return new ArrayTensor(null, shape, dtype, undefined, new Node(op, xs, cost));
}

/** A slice of `base` that is one strided run (see flatStride), pending: fused loops read it in place. */
export function viewOf(of: ArrayTensor, offset: number, stride: number, shape: Shape): ArrayTensor | null {
  if (!isFloat(of.dtype) || !codegenAvailable() || sizeOf(shape) < FUSE_MIN) return null;
  const base = of.source(), p = base.pending;
  if (p instanceof View) return new ArrayTensor(null, shape, base.dtype, undefined, new View(p.base, p.offset + offset * p.stride, stride * p.stride));
  return new ArrayTensor(null, shape, base.dtype, undefined, new View(base, offset, stride));
}

/** Zeros of `shape` with `src` placed at [offset + i·stride], pending (written when read or summed with another). */
export function placedOf(src: ArrayTensor, offset: number, stride: number, shape: Shape): ArrayTensor | null {
  if (!isFloat(src.dtype) || !codegenAvailable() || src.size < FUSE_MIN) return null;
  return new ArrayTensor(null, shape, src.dtype, undefined, new Placed(src, offset, stride));
}

/**
 * x + y when both are pending placements on disjoint positions (the reverse passes of x[::2] and
 * x[1::2], of x[1:] and x[:-1] …): one array, each source written once. Bit-identical to the
 * elementwise sum (every element is a + 0 or 0 + b). Null otherwise.
 */
export function addPlaced(x: ArrayTensor, y: ArrayTensor): ArrayTensor | null {
  const px = x.source().pending, py = y.source().pending;
  if (!(px instanceof Placed) || !(py instanceof Placed) || x.dtype !== y.dtype || x.size !== y.size) return null;
  const ax = px.src!, ay = py.src!;
  if (!disjoint(px.offset, px.stride, ax.size, py.offset, py.stride, ay.size)) return null;
  const out = allocate(x.dtype, x.size);
  writeInto(ax, out, px.offset, px.stride, true);
  writeInto(ay, out, py.offset, py.stride, true);
  return new ArrayTensor(out, x.shape, x.dtype);
}

function disjoint(o1: number, s1: number, n1: number, o2: number, s2: number, n2: number): boolean {
  const e1 = o1 + (n1 - 1) * s1, e2 = o2 + (n2 - 1) * s2;
  if (e1 < o2 || e2 < o1) return true; // ranges apart
  return s1 === s2 && (o1 - o2) % s1 !== 0; // same stride, shifted off the grid
}

/** Write every element of x (any kind: pending or stored) to dst[offset + i·stride]; plusZero: as v + 0. */
function writeInto(t: ArrayTensor, dst: TypedArray, offset: number, stride: number, plusZero: boolean): void {
  const x = t.source(), p = x.pending;
  const sink = plusZero ? "store0" : "store";
  if (codegenAvailable() && x.dtype === dtypeOf(dst)) {
    if (p instanceof Node) {
      if (run(x.dtype, p, p.inputs!, null, sink, dst, x.size, offset, stride) !== null) {
        p.uses++;
        return;
      }
    } else if (run(x.dtype, null, null, x, sink, dst, x.size, offset, stride) !== null) return;
  }
  const src = x.data;
  for (let i = 0, k = offset; i < src.length; i++, k += stride) dst[k] = plusZero ? src[i] + 0 : src[i];
}

/** One generated loop: stores element i at o[off + i·st], or (sum) returns the sum of the elements. */
type FusedLoop = (o: TypedArray | null, n: number, arrays: TypedArray[], scalars: number[], ints: number[], off: number, st: number) => number;
const loops = new Map<string, FusedLoop>();
const LOOP_CACHE_MAX = 4096;

/**
 * The loop body for an expression: rooted at pending `root` (whose tensor is being computed), or
 * at tensor `leaf`. Returns the per-element source and the arrays and numbers it reads. Inner
 * pending nodes stay pending: their own tensors may be read later (then computed on their own).
 */
function expression(dtype: DType, root: Node | null, rootInputs: ArrayTensor[] | null, leaf: ArrayTensor | null) {
  // View offsets and strides go in their own array of small integers: mixed in with the float
  // scalars they would be doubles, and every index computation would convert.
  const arrays: TypedArray[] = [], scalars: number[] = [], ints: number[] = [];
  const leafNames = new Map<ArrayTensor, string>(), nodeNames = new Map<Node, string>();
  const w = new LoopWriter();
  const visit = (t: ArrayTensor): string => {
    const x = t.source(), p = x.pending;
    if (p instanceof Node) {
      let name = nodeNames.get(p);
      if (name === undefined) {
        name = apply(p, p.inputs!);
        nodeNames.set(p, name);
      }
      return name;
    }
    let name = leafNames.get(x);
    if (name === undefined) {
      if (x.uniform !== undefined || x.size === 1) {
        name = w.hoist(`S${scalars.length}`, `S[${scalars.length}]`);
        scalars.push(x.uniform ?? x.data[0]);
      } else if (p instanceof View) {
        const a = w.hoist(`A${arrays.length}`, `A[${arrays.length}]`);
        const off = w.hoist(`G${ints.length}`, `G[${ints.length}]`), st = w.hoist(`G${ints.length + 1}`, `G[${ints.length + 1}]`);
        name = w.let(`${a}[${off} + i * ${st}]`);
        arrays.push(p.base!.data);
        ints.push(p.offset, p.stride);
      } else {
        name = w.let(`${w.hoist(`A${arrays.length}`, `A[${arrays.length}]`)}[i]`);
        arrays.push(x.data);
      }
      leafNames.set(x, name);
    }
    return name;
  };
  const apply = (node: Node, inputs: ArrayTensor[]): string => w.apply(node.op.code, inputs.map(visit), undefined, dtype);
  const result = root !== null ? apply(root, rootInputs!) : visit(leaf!);
  return { w, result, arrays, scalars, ints };
}

const SINKS = { store: (r: string) => `o[k] = ${r};`, store0: (r: string) => `o[k] = ${r} + 0;`, sum: (r: string) => `acc += ${r};` };

/** Run an expression (see `expression`) into a sink; null if code cannot be generated here. */
function run(dtype: DType, root: Node | null, rootInputs: ArrayTensor[] | null, leaf: ArrayTensor | null, sink: keyof typeof SINKS, o: TypedArray | null, n: number, off: number, st: number): number | null {
  const { w, result, arrays, scalars, ints } = expression(dtype, root, rootInputs, leaf);
  w.statement(SINKS[sink](result));
  const src = w.loop("n", { init: "k = off", step: "k += st" }).join("\n");
  let loop = loops.get(src);
  if (loop === undefined) {
    const made = compileJS<FusedLoop>([], `return function fused(o, n, A, S, G, off, st) {\nlet acc = 0;\n${src}\nreturn acc; };`, [], "fused");
    if (made === null) return null;
    loop = made;
    if (loops.size >= LOOP_CACHE_MAX) loops.clear();
    loops.set(src, loop);
  }
  return loop(o, n, arrays, scalars, ints, off, st);
}

/**
 * If `x` is pending: the sum of all its elements, computed in the fused loop without storing them
 * (same order and rounding as reducing the stored array); else null. `x` stays pending.
 */
export function sumPending(t: ArrayTensor): number | null {
  const x = t.source(), p = x.pending;
  if (!(p instanceof Node)) return null;
  const s = run(x.dtype, p, p.inputs!, null, "sum", null, x.size, 0, 1);
  if (s !== null) p.uses++;
  return s;
}

const dtypeOf = (a: TypedArray): DType | null => (a instanceof Float64Array ? "float64" : a instanceof Float32Array ? "float32" : null);
