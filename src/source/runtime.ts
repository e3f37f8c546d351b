/**
 * @file What derivative source code calls at run time: the tape (a growable Float64Array stack for
 * overwritten values, branch decisions and loop trip counts) and `zerosOf` (an adjoint shaped like
 * an argument). Generated code receives both as parameters; standalone, import them from wengert.
 */
import { InputError, fmtValue } from "../core/errors.js";

/** A stack of numbers in one typed array that doubles when full: no object per entry. */
export class Tape {
  private buf = new Float64Array(256);
  private n = 0;
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
  private grow(): void {
    const bigger = new Float64Array(this.buf.length * 2);
    bigger.set(this.buf);
    this.buf = bigger;
  }
}

/**
 * Zeros with the structure of `x`: 0 for a number, the same kind of array, an object with the same keys.
 * @example
 * zerosOf({ w: [1, 2], b: 3 }) // → { w: [0, 0], b: 0 }
 */
export function zerosOf(x: unknown, depth = 0): unknown {
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
