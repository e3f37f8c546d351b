/** @file Typed errors. Every message names the operation, the shapes/dtypes involved and what to do instead. */

/** Base class of every error wengert throws on purpose. */
export class WengertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the operation (broadcasting, matmul, reshape, axes…). */
export class ShapeError extends WengertError {}

/** A dtype the operation cannot take (e.g. differentiating an int32 tensor, where() on a float mask). */
export class DTypeError extends WengertError {}

/** Data that is not numeric where numbers are needed (strings, ragged nested arrays, NaN shapes…). */
export class InputError extends WengertError {}

/** Misuse of a transformation: non-scalar output to grad, mismatched tangent structure, bad argnums. */
export class TransformError extends WengertError {}

/** A tracer used outside the transformation that created it, or mixed across transformations wrongly. */
export class TracerError extends WengertError {}

/** The concrete value of a staged (abstract) tensor was requested, e.g. `.item()` inside makeProgram. */
export class ConcretizationError extends WengertError {}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
