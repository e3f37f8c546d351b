/** @file Concrete tensors: contiguous row-major typed-array storage, creation from JS data, printing. */
import { Tensor } from "../core/tensor.js";
import { type DType, type TypedArray, allocate, allocateToOverwrite, checkDType, promote, isFloat } from "../core/dtype.js";
import { type Shape, sizeOf, stridesOf, shapeEq, MAX_ELEMENTS } from "../core/shape.js";
import { InputError, ShapeError, fmtShape, fmtValue } from "../core/errors.js";
import { coreOps } from "../core/primitive.js";

export type Nested = number | boolean | Nested[];

/**
 * A computation that will produce a tensor's elements when they are first read (eager fusion of
 * elementwise ops, tensor/fuse.ts). It is asked once; the tensor then keeps the elements.
 */
export interface Pending {
  materialize(t: ArrayTensor): TypedArray;
}

/** A pending tensor seen through another shape (a reshape): the same elements, computed once. */
export class Alias implements Pending {
  constructor(readonly source: ArrayTensor) {}
  materialize(): TypedArray {
    return this.source.data;
  }
}

export class ArrayTensor extends Tensor {
  private _data: TypedArray | null;
  /** Set while the elements are not computed yet (see Pending); null once they are. */
  pending: Pending | null;
  /**
   * Set when every element has this value and the storage may not exist yet: broadcasts of
   * scalars and `full` stay lazy, so e.g. the ones that seed a gradient cost nothing until read.
   */
  readonly uniform: number | undefined;

  constructor(data: TypedArray | null, readonly shape: Shape, readonly dtype: DType, uniform?: number, pending?: Pending) {
    super();
    this._data = data;
    this.uniform = uniform;
    this.pending = pending ?? null;
  }

  /** A tensor of `shape` whose elements all equal `value`, without storage until it is read. */
  static filled(value: number, shape: Shape, dtype: DType): ArrayTensor {
    const v = allocate(dtype, 1);
    v[0] = dtype === "bool" ? (value ? 1 : 0) : value; // stored and read back: rounds like the storage
    return new ArrayTensor(null, shape, dtype, v[0]);
  }

  /** The elements, contiguous row-major (materialised on first access for lazy uniform tensors). */
  get data(): TypedArray {
    if (this._data === null) {
      const p = this.pending;
      if (p !== null) {
        this.pending = null;
        this._data = p.materialize(this);
      } else {
        this._data = allocate(this.dtype, sizeOf(this.shape));
        this._data.fill(this.uniform!);
      }
    }
    return this._data;
  }

  /** Same elements, another shape of the same size (shares storage). */
  withShape(shape: Shape): ArrayTensor {
    if (this._data === null) {
      if (this.pending === null) return new ArrayTensor(null, shape, this.dtype, this.uniform);
      return new ArrayTensor(null, shape, this.dtype, undefined, new Alias(this.source()));
    }
    return new ArrayTensor(this._data, shape, this.dtype);
  }

  concrete(): ArrayTensor {
    return this;
  }

  override isConcrete(): boolean {
    return true;
  }

  override formatValues(edge?: number, limit?: number): string {
    const count = (v: unknown) => (typeof v === "number" && v >= 0 ? v : undefined); // anything else: the defaults
    return formatData(this, count(edge), count(limit));
  }

  /** The tensor that holds (or will hold) these elements: itself, unless a pending reshape of another. */
  source(): ArrayTensor {
    const p = this.pending;
    return p instanceof Alias && this._data === null ? p.source.source() : this;
  }

  override item(): number {
    if (this.size !== 1) {
      throw new ShapeError(`item: needs a tensor with exactly one element; got shape ${fmtShape(this.shape)}`);
    }
    return this.data[0];
  }

  override toArray(): Nested {
    const { data, shape, dtype } = this;
    const conv = dtype === "bool" ? (v: number) => v !== 0 : (v: number) => v;
    if (shape.length === 0) return conv(data[0]);
    const strides = stridesOf(shape);
    const build = (axis: number, off: number): Nested[] => {
      const out: Nested[] = new Array(shape[axis]);
      for (let i = 0; i < shape[axis]; i++) {
        const o = off + i * strides[axis];
        out[i] = axis === shape.length - 1 ? conv(data[o]) : build(axis + 1, o);
      }
      return out;
    };
    return build(0, 0);
  }

  override toString(): string {
    return `Tensor(${this.dtype}${fmtShape(this.shape)}) ${formatData(this)}`;
  }
}

function formatNumber(v: number, dtype: DType): string {
  if (dtype === "bool") return v ? "true" : "false";
  if (dtype === "int32" || Number.isInteger(v)) return String(v);
  const s = v.toPrecision(7);
  return String(Number(s));
}

/** Nested-bracket rendering; long axes are summarised with "…". */
export function formatData(t: ArrayTensor, edge = 3, limit = 200): string {
  const { data, shape, dtype } = t;
  if (shape.length === 0) return formatNumber(data[0], dtype);
  const strides = stridesOf(shape);
  const summarise = data.length > limit;
  const rec = (axis: number, off: number): string => {
    const n = shape[axis];
    const idx: (number | null)[] = [];
    if (summarise && n > 2 * edge) {
      for (let i = 0; i < edge; i++) idx.push(i);
      idx.push(null);
      for (let i = n - edge; i < n; i++) idx.push(i);
    } else for (let i = 0; i < n; i++) idx.push(i);
    const parts = idx.map((i) =>
      i === null ? "…" : axis === shape.length - 1 ? formatNumber(data[off + i * strides[axis]], dtype) : rec(axis + 1, off + i * strides[axis]),
    );
    const sep = axis === shape.length - 1 ? ", " : ",\n" + " ".repeat(axis + 1);
    return `[${parts.join(sep)}]`;
  };
  return rec(0, 0);
}

coreOps.fromTypedArray = (a) => arrayFrom(a);

/** A pytree leaf as a tensor: a JS number becomes a float64 scalar. */
export function leafTensor(l: Tensor | number): Tensor {
  return typeof l === "number" ? scalarTensor(l) : l;
}

/** Concrete zeros with the shape and dtype of `x` (instantiates a symbolic zero tangent). */
export function zerosLike(x: { shape: Shape; dtype: DType }): ArrayTensor {
  return new ArrayTensor(allocate(x.dtype, sizeOf(x.shape)), x.shape, x.dtype);
}

export function scalarTensor(value: number, dtype: DType = "float64"): ArrayTensor {
  const data = allocate(dtype, 1);
  data[0] = value;
  return new ArrayTensor(data, [], dtype);
}

function typedArrayDType(a: ArrayBufferView): DType | null {
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Int32Array || a instanceof Int16Array || a instanceof Int8Array || a instanceof Uint16Array || a instanceof Uint8Array || a instanceof Uint8ClampedArray) return "int32";
  return null;
}

/** The deepest nesting a data array may have (the most axes a tensor may have). */
export const MAX_RANK = 64;

/**
 * The structure of nested JS data: the outer shape (the arrays), the leaves in row-major order
 * (numbers, booleans or tensors) and, when the leaves are tensors, their common shape (NumPy's
 * `array([t1, t2])` stacks them). Bounded: nesting deeper than MAX_RANK (a self-referential array,
 * say) and more than MAX_ELEMENTS elements are refused before anything is walked.
 */
export interface NestedData {
  shape: number[];
  leaves: unknown[];
  leafShape: Shape | null;
  /** When every innermost row is a typed array of one kind: its dtype (rows of Int32Array give int32). */
  rowDType?: DType | null;
}

/** A typed array standing where a nested array would (a row of numbers); not a DataView. */
const isRow = (v: unknown): v is ArrayLike<number> & ArrayBufferView => ArrayBuffer.isView(v) && !(v instanceof DataView);

export function nestedData(data: unknown, op: string): NestedData {
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe) || (shape.length > 0 && isRow(probe))) {
    if (shape.length >= MAX_RANK) {
      throw new InputError(`${op}: nested arrays deeper than ${MAX_RANK} levels (the most axes a tensor may have); is the array self-referential?`);
    }
    const row = isRow(probe);
    shape.push((probe as ArrayLike<unknown>).length);
    probe = (probe as ArrayLike<unknown>)[0];
    if (row) break; // a typed array's elements are numbers
  }
  const rowTypes = new Set<DType | "plain" | "other">(); // the kind of each innermost row
  let leafShape: Shape | null = probe instanceof Tensor ? probe.shape : null;
  checkTotal(leafShape ? [...shape, ...leafShape] : shape, op);
  const leaves: unknown[] = [];
  const walk = (v: unknown, axis: number, path: string): void => {
    if (axis === shape.length) {
      if (v instanceof Tensor && leafShape === null && v.ndim === 0) leafShape = []; // numbers and 0-d tensors mix
      const ok = v instanceof Tensor ? leafShape !== null && shapeEq(v.shape, leafShape)
        : (typeof v === "number" || typeof v === "boolean") && (leafShape === null || leafShape.length === 0);
      if (!ok) {
        throw new InputError(
          `${op}: expected ${leafShape === null ? "a number" : `a tensor of shape ${fmtShape(leafShape)}`} at ${path || "the top level"}; got ${describe(v)}. ` +
            `Data must be numbers, booleans, (nested) arrays of them, typed arrays, or arrays of tensors of one shape`,
        );
      }
      leaves.push(v);
      return;
    }
    // rows of numbers may be typed arrays (NumPy's array([a, b]) of arrays); not the top level, which arrayFrom takes whole
    const row = axis > 0 && axis === shape.length - 1 && isRow(v);
    if (!(Array.isArray(v) || row) || (v as ArrayLike<unknown>).length !== shape[axis]) {
      throw new InputError(
        `${op}: ragged nested array: ${path || "the top level"} has ${Array.isArray(v) || isRow(v) ? `length ${(v as ArrayLike<unknown>).length}` : describe(v)}, ` +
          `expected an array of length ${shape[axis]} (inferred shape ${fmtShape(shape)})`,
      );
    }
    if (axis === shape.length - 1) rowTypes.add(row ? typedArrayDType(v as ArrayBufferView) ?? "other" : "plain");
    const items = v as ArrayLike<unknown>;
    for (let i = 0; i < items.length; i++) walk(items[i], axis + 1, `${path}[${i}]`);
  };
  walk(data, 0, "");
  const [only] = rowTypes;
  return { shape, leaves, leafShape, rowDType: rowTypes.size === 1 && only !== "plain" && only !== "other" ? only : null };
}

function checkTotal(shape: Shape, op: string): void {
  if (shape.includes(0)) return;
  if (sizeOf(shape) > MAX_ELEMENTS) throw new InputError(`${op}: data of shape ${fmtShape(shape)} has more than ${MAX_ELEMENTS} elements`);
}

/** Build a concrete tensor from a number, boolean, nested array, typed array or concrete tensor. */
export function arrayFrom(data: unknown, dtype?: DType, op = "tensor"): ArrayTensor {
  if (dtype !== undefined) checkDType(dtype, op);
  if (data instanceof Tensor) {
    const c = data.concrete();
    return dtype === undefined || dtype === c.dtype ? c : castArray(c, dtype);
  }
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const inferred = typedArrayDType(data);
    if (inferred === null) throw new InputError(`${op}: unsupported typed array ${data.constructor.name}; use Float64Array, Float32Array or Int32Array`);
    const src = data as unknown as ArrayLike<number>;
    return fillFrom(src, [src.length], dtype ?? inferred, op);
  }
  return arrayFromNested(nestedData(data, op), dtype, op);
}

/**
 * A concrete tensor from walked nested data. Tensor leaves must be concrete here (arrays of traced
 * values are stacked with ops instead: api/convert.ts); they are promoted like op operands, with
 * JS numbers weak.
 */
export function arrayFromNested({ shape, leaves, leafShape, rowDType }: NestedData, dtype: DType | undefined, op: string): ArrayTensor {
  if (leafShape === null) {
    // bool only when every element is a boolean ([true, 2] is [1, 2], as NumPy's); rows of one typed array kind keep its dtype
    const inferred: DType = rowDType ?? (leaves.length > 0 && leaves.every((v) => typeof v === "boolean") ? "bool" : "float64");
    const flat = leaves.map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : (v as number)));
    return fillFrom(flat, shape, dtype ?? inferred, op);
  }
  let strong: DType | null = null, weakFloat = false;
  for (const l of leaves) {
    if (l instanceof Tensor) {
      if (!(l instanceof ArrayTensor)) {
        throw new InputError(`${op}: the data holds traced values (shape ${fmtShape(l.shape)}); build the tensor with stack() or an op, which trace them`);
      }
      strong = strong === null ? l.dtype : promote(strong, l.dtype);
    } else if (typeof l === "number" && !Number.isInteger(l)) weakFloat = true;
  }
  let target: DType = dtype ?? strong!;
  if (dtype === undefined && weakFloat && !isFloat(target)) target = "float64";
  const flat: number[] = [];
  for (const l of leaves) {
    if (l instanceof ArrayTensor) {
      const d = castArray(l, target).data;
      for (let i = 0; i < d.length; i++) flat.push(d[i]);
    } else flat.push(typeof l === "boolean" ? (l ? 1 : 0) : (l as number));
  }
  return fillFrom(flat, [...shape, ...leafShape], target, op);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v instanceof Tensor) return `a tensor of shape ${fmtShape(v.shape)}`;
  if (typeof v === "string") return `the string ${fmtValue(v, 20)}`;
  return typeof v === "object" ? `an object (${(v as object).constructor?.name ?? "Object"})` : fmtValue(v);
}

function fillFrom(src: ArrayLike<number>, shape: number[], dtype: DType, op: string): ArrayTensor {
  const n = sizeOf(shape);
  if (ArrayBuffer.isView(src) && (dtype === "float64" || dtype === "float32" || (dtype === "int32" && src instanceof Int32Array))) {
    // a typed array whose every value the dtype takes as it is (float32 rounds, as an element store
    // does): one block copy, 4-5× faster than this loop's checked element stores
    const out = allocateToOverwrite(dtype, n);
    out.set(src as unknown as TypedArray);
    return new ArrayTensor(out, shape, dtype);
  }
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (dtype === "int32" && !(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647)) {
      throw new InputError(`${op}: ${v} at flat index ${i} is not a 32-bit integer; int32 tensors need integers (round first, or use float64)`);
    }
    out[i] = dtype === "bool" ? (v ? 1 : 0) : v;
  }
  return new ArrayTensor(out, shape, dtype);
}

export function castArray(x: ArrayTensor, dtype: DType): ArrayTensor {
  if (x.uniform !== undefined) return ArrayTensor.filled(castScalar(x.uniform, dtype), x.shape, dtype);
  const out = allocate(dtype, x.data.length);
  const src = x.data;
  if (dtype === "bool") for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
  else if (dtype === "int32") for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]);
  else out.set(src);
  return new ArrayTensor(out, x.shape, dtype);
}

function castScalar(v: number, dtype: DType): number {
  return dtype === "bool" ? (v !== 0 ? 1 : 0) : dtype === "int32" ? Math.trunc(v) : v;
}
