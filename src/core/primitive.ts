/**
 * @file What a primitive is: one object holding all its rules. Transformations only ever call these
 * rules on the primitive they are handed; they never import the catalogue.
 */
import type { Aval, Tensor } from "./tensor.js";
import type { Affine, Shape } from "./shape.js";
import type { ArrayTensor } from "../tensor/array.js";
import type { TypedArray } from "./dtype.js";
import type { Piece, PrintContext } from "./print.js";

/** Marks an input of a linear equation that carries the linear variable, during transposition. */
export class LinearIn {
  constructor(readonly aval: Aval) {}
}

/** An operand as rewrites see it: its aval, and its value when it is a constant with all elements equal. */
export interface Operand {
  aval: Aval;
  constant?: number;
}

export type Tangent = Tensor | null; // null = a symbolic zero
export type Cotangent = Tensor | null;

export interface Primitive<P = any> {
  readonly name: string;
  /**
   * Evaluate on concrete arrays. Inputs have passed `shape`. `into` (ops whose entry says
   * `writesInto` only): per output, storage of its size and dtype that shares no memory with the
   * inputs, which the implementation writes that output into (jit offers kept or caller storage).
   */
  impl(args: ArrayTensor[], params: P, into?: (TypedArray | undefined)[]): ArrayTensor[];
  /** Abstract evaluation: output avals from input avals; the one place shapes are checked. */
  shape(avals: Aval[], params: P): Aval[];
  /**
   * Forward rule, written with primitives: output tangents from primals, input tangents (null =
   * zero; at least one is non-null) and the already computed outputs. Must be linear in tangents.
   */
  jvp(primals: Tensor[], tangents: Tangent[], outs: Tensor[], params: P): Tangent[];
  /**
   * Optional: a forward rule that computes the outputs itself, for primitives whose derivative
   * computes them anyway (scan's primal scan also stacks what its tangent scan reads). When
   * present, forward mode calls it instead of binding the primitive and then `jvp`, so the
   * primal is not run twice.
   */
  jvpWithOuts?(primals: Tensor[], tangents: Tangent[], params: P): { outs: Tensor[]; touts: Tangent[] };
  /**
   * For primitives that are linear in some inputs: cotangents of the LinearIn inputs from output
   * cotangents (null elsewhere). `null` for primitives that never appear in a linear program.
   */
  transpose: ((cts: Cotangent[], args: (Tensor | LinearIn)[], params: P) => Cotangent[]) | null;
  /**
   * Elementwise primitives only: a JS expression computing one output element from input elements
   * `args` (identifiers or numeric literals), using only operators and `Math`. jit fuses these into
   * loops; symbolic expressions compile through them. The same function as `impl`, as source.
   */
  code?(args: string[], params: P): string;
  /**
   * Batching rule (vmap), written with primitives: the op applied to every element of a batch,
   * where `batched[i]` says args[i] carries an extra leading batch axis and the others are shared.
   * Returns outputs that all carry the batch axis first, or null for a case it does not handle.
   * Without a rule (or on null) vmap runs the op once per batch element and stacks the results.
   */
  batch?(args: Tensor[], batched: boolean[], params: P): Tensor[] | null;
  /** Renders params for the IR printer. */
  showParams?(params: P): string;
  /**
   * Exact identities (x·1 = x, x + 0 = x, a reshape to the same shape…): the index of the operand
   * the result equals bit for bit, or null. Used by symbolic construction and jit's simplifier; the
   * caller checks that operand has the output's aval.
   */
  identity?(args: Operand[], params: P): number | null;
  /** How a scalar expression of this op prints, infix or LaTeX (core/print.ts); default `name(args)`. */
  print?(args: Piece[], params: P, c: PrintContext): Piece;
  /**
   * View ops: how a fused loop over the output reads element i from the input (from the inputs, for
   * concat: `blocks`) (jit/codegen.ts), or null where it cannot (a strided gather that is not one run, say).
   */
  load?(inShapes: Shape[], outShape: Shape, params: P): LoadIndex | null;
  /** Reductions: whether a fused loop can accumulate this equation (a sum of the whole input into one value). */
  accumulates?(input: Aval, outShape: Shape, params: P): boolean;
  /**
   * Reductions over trailing axes: how a fused loop over the input reduces each row (its last axes,
   * `length` elements, in order) into one output element, as the op's own kernel does — or null.
   */
  reducesRows?(input: Aval, params: P): { op: "sum" | "max" | "argmax"; length: number } | null;
  /**
   * Sums over leading axes: a fused loop over the input adds element i into output element
   * i mod `length` (the kept trailing axes), in the order the op's own kernel does — or null.
   */
  sumsColumns?(input: Aval, params: P): { length: number } | null;
  /** Ops that place their input into zeros (pad): where input element i lands, off + i·stride; sums of such placements fuse into one scatter loop. */
  place?(inShape: Shape, outShape: Shape, params: P): Affine | null;
  /**
   * The implementation always returns newly allocated storage, never a view of an input or a
   * constant (matmul), for every output (true) or for the outputs marked (scan: its stacked ys,
   * not its carries): jit may recycle such storage once dead.
   */
  freshOutput?: boolean | ((params: P) => boolean[]);
  /** The implementation writes each output into the storage `impl` is offered for it (see impl). */
  writesInto?: boolean;
  /** The output equals input 0 as a value and only derivatives differ (stopGradient): jit, which runs after differentiation, drops it. */
  valueIdentity?: boolean;
  /** The output is larger than its input for free (a broadcast): jit does not fold it into a constant, which would be large. */
  expands?: boolean;
}

/** How a fused loop reads output element i of a view from its input. */
export type LoadIndex =
  /** element i (`view`: a free reshape, fused only to pass on a value computed in the same loop) */
  | { kind: "same"; view?: boolean }
  /** the input's one element (a broadcast of a single value) */
  | { kind: "scalar" }
  /** input element off + i·stride (x[1:], x[::2], a column) */
  | { kind: "affine"; off: number; stride: number }
  /** input element i − off inside [off, off + len), else 0 (a contiguous pad) */
  | { kind: "window"; off: number; len: number }
  /** the input broadcast to the output's shape (NumPy's rules: the element at i's index with broadcast axes at 0) */
  | { kind: "broadcast" }
  /** the inputs end to end (a concat along its first long axis): input k's element i − (sizes before k) */
  | { kind: "blocks"; sizes: number[] };

/**
 * The two ops the machinery itself needs: adding tangents/cotangents that meet (several forward
 * terms, several reverse paths) and restoring a broadcast shape. The catalogue registers them when
 * it loads, so core, transforms and the rule helpers import no op (and module loading has no cycle).
 */
const notLoaded = (): never => {
  throw new Error("wengert: the op catalogue is not loaded (import from the package entry point)");
};
export const coreOps: {
  add: (x: Tensor, y: Tensor) => Tensor;
  broadcastTo: (x: Tensor, shape: readonly number[]) => Tensor;
  reshape: (x: Tensor, shape: readonly number[]) => Tensor;
  /** x[b] along axis 0 (vmap's per-element fallback). */
  index0: (x: Tensor, b: number) => Tensor;
  /** Stack equal-shaped tensors along a new axis 0. */
  stack0: (xs: Tensor[]) => Tensor;
  /** Sum over axes (the transpose of broadcasting, `unbroadcast`). */
  reduceSum: (x: Tensor, axes: number[]) => Tensor;
  /** A float typed array as a vector tensor (pytrees take them as leaves). */
  fromTypedArray: (a: Float64Array | Float32Array) => Tensor;
} = { add: notLoaded, broadcastTo: notLoaded, reshape: notLoaded, index0: notLoaded, stack0: notLoaded, reduceSum: notLoaded, fromTypedArray: notLoaded };
