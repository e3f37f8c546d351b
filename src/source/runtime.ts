/**
 * @file What derivative source code calls at run time: the tape (a growable Float64Array stack for
 * overwritten values, branch decisions and loop trip counts) and `zerosOf` (an adjoint shaped like
 * an argument). Generated code receives both as parameters; standalone, import them from wengert.
 */
import { InputError, fmtValue } from "../core/errors.js";

/**
 * A stack of numbers in one typed array that doubles when full: no object per entry. Generated
 * derivative code calls `release()` when its reverse sweep is done, which hands the array to the
 * next tape: fresh memory is mapped in page by page on first touch, and a tape of megabytes filled
 * once per call paid that every call (GradBench's lstm: the taped gradient took longer than the
 * checkpointed one, which runs the forward sweep twice).
 */
export class Tape {
  private buf: Float64Array;
  private n = 0;
  constructor() {
    this.buf = spare.pop() ?? new Float64Array(256);
  }
  push(v: number): void {
    if (this.n === this.buf.length) this.grow();
    this.buf[this.n++] = v;
  }
  pop(): number {
    return this.buf[--this.n];
  }
  /** Entries held now. */
  get length(): number {
    return this.n;
  }
  /** Done with this tape: its array goes to the next one made (it is left empty and still usable). */
  release(): void {
    if (spare.length < SPARE_TAPES && this.buf.length <= SPARE_MAX_LENGTH) spare.push(this.buf);
    this.buf = new Float64Array(256);
    this.n = 0;
  }
  private grow(): void {
    const bigger = new Float64Array(this.buf.length * 2);
    bigger.set(this.buf);
    this.buf = bigger;
  }
}
/** Arrays of released tapes, kept for the next (at most this many, of at most 2²⁴ numbers: 128 MB). */
const spare: Float64Array[] = [];
const SPARE_TAPES = 4, SPARE_MAX_LENGTH = 2 ** 24;

/**
 * Zeros with the structure of `x`: 0 for a number, the same kind of array, an object with the same keys.
 * @example
 * zerosOf({ w: [1, 2], b: 3 }) // → { w: [0, 0], b: 0 }
 */
export function zerosOf(x: unknown, depth = 0): unknown {
  if (typeof depth !== "number") depth = 0;
  if (depth > 64) throw new InputError(`zerosOf: the argument nests more than 64 deep`);
  if (typeof x === "number") return 0;
  if (x instanceof Float64Array) return new Float64Array(x.length);
  if (x instanceof Float32Array) return new Float32Array(x.length);
  if (Array.isArray(x)) return x.map((v) => zerosOf(v, depth + 1));
  if (x !== null && typeof x === "object" && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x)) Object.defineProperty(out, k, { value: zerosOf((x as Record<string, unknown>)[k], depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  throw new InputError(`zerosOf: arguments are numbers, arrays, Float64Array/Float32Array and plain objects of these; got ${fmtValue(x)}`);
}
