/**
 * @file The public `Tensor` type: the common base of concrete arrays and of tracers.
 * Op methods (`x.mul(y).sin()`) are attached in `api/methods.ts`.
 */
import type { DType } from "./dtype.js";
import type { Shape } from "./shape.js";
import { sizeOf } from "./shape.js";
import { InputError, ConcretizationError } from "./errors.js";
import type { ArrayTensor, Nested } from "../tensor/array.js";

/** Abstract value: what a transformation knows about a tensor without its data. */
export interface Aval {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Same shape and dtype. */
export function avalEq(a: Aval, b: Aval): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

export abstract class Tensor implements Aval {
  abstract readonly shape: Shape;
  abstract readonly dtype: DType;

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }

  /** The concrete array behind this value (a tracer asks its primal; staged tracers throw). */
  abstract concrete(): ArrayTensor;

  /** Whether this value is itself a concrete array (not a tracer or a symbolic expression). */
  isConcrete(): boolean {
    return false;
  }

  /** The elements in nested brackets (long axes summarised), for concrete arrays; null otherwise. */
  formatValues(_edge?: number, _limit?: number): string | null {
    return null;
  }

  /**
   * Compute the deferred (fused) work behind this value now, if any; values without a concrete
   * array (staged, symbolic) have none. See `blockUntilReady` for whole pytrees.
   */
  blockUntilReady(): this {
    try {
      void this.concrete().data;
    } catch (e) {
      if (!(e instanceof ConcretizationError)) throw e;
    }
    return this;
  }

  /** The single element of a size-1 tensor, as a JS number (booleans as 0/1). */
  item(): number {
    return this.concrete().item();
  }

  /** Nested JS arrays (a number for rank 0; booleans for bool tensors). */
  toArray(): Nested {
    return this.concrete().toArray();
  }

  toString(): string {
    return this.concrete().toString();
  }

  /** Node's console.log shows the values, not the fields. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    try {
      return this.toString();
    } catch {
      return `Tensor(${this.dtype}[${this.shape.join(", ")}], traced)`;
    }
  }

  /**
   * JS arithmetic and comparison operators cannot be traced, and a silently dropped derivative is a
   * wrong number; so `x * y`, `x > 0` throw with a pointer to the op methods and to `.item()`.
   */
  [Symbol.toPrimitive](hint: string): string | number {
    if (hint === "string") return this.toString();
    throw new InputError(
      `JS operators (+, *, <, …) do not work on tensors (shape [${this.shape.join(", ")}]): ` +
        `use the op functions or methods (x.mul(y), x.gt(0)), or x.item() to read a number for control flow`,
    );
  }
}
