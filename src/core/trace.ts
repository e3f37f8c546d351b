/**
 * @file The interpreter stack (Autodidax's design). Every operation goes through `bind`, which finds
 * the highest-level transformation among its arguments and lets that trace interpret it. Levels
 * keep nested transformations apart, so there is no perturbation confusion.
 */
import { Tensor, type Aval } from "./tensor.js";
import type { Primitive } from "./primitive.js";
import { TracerError } from "./errors.js";
import type { ArrayTensor } from "../tensor/array.js";

export class MainTrace {
  active = true;
  constructor(
    readonly level: number,
    readonly makeTrace: (main: MainTrace) => Trace,
    readonly globalData: unknown,
    readonly kind: string,
  ) {}
}

export abstract class Trace {
  constructor(readonly main: MainTrace) {}
  /** Wrap a value from outside any transformation (a concrete array). */
  abstract pure(x: Tensor): Tracer;
  /** Wrap a tracer of a lower-level transformation. */
  lift(x: Tensor): Tracer {
    return this.pure(x);
  }
  abstract processPrimitive(prim: Primitive, tracers: Tracer[], params: unknown): Tensor[];
  /** A function with a user-defined derivative rule; traces other than forward mode just run it. */
  processCustom(rule: CustomRule, tracers: Tracer[]): Tensor[] {
    return rule.call(tracers);
  }
}

/** A function with its own forward rule (customJvp, customVjp), on flat tensor inputs and outputs. */
export interface CustomRule {
  readonly name: string;
  call(xs: Tensor[]): Tensor[];
  /** Outputs and their tangents; tangents may be null (zero) but not all of them. */
  jvp(primals: Tensor[], tangents: (Tensor | null)[]): { outs: Tensor[]; touts: (Tensor | null)[] };
}

/** Dispatch a custom-rule call to the highest transformation among its inputs. */
export function bindCustom(rule: CustomRule, args: Tensor[]): Tensor[] {
  let top: Trace | null = null;
  for (const a of args) {
    if (a instanceof Tracer) {
      checkActive(a, rule.name);
      if (top === null || a.trace.main.level > top.main.level) top = a.trace;
    }
  }
  if (top === null) return rule.call(args);
  const trace = top;
  return trace.processCustom(rule, args.map((a) => fullRaise(trace, a))).map(fullLower);
}

export abstract class Tracer extends Tensor {
  abstract readonly trace: Trace;
  get aval(): Aval {
    return this;
  }
  /** A value of a lower level equal to this one, if this tracer adds nothing (e.g. a zero tangent). */
  lower(): Tensor {
    return this;
  }
}

const stack: MainTrace[] = [];

/** Run `fn` with a new transformation level pushed; the level is popped even if `fn` throws. */
export function withMain<T>(kind: string, makeTrace: (main: MainTrace) => Trace, globalData: unknown, fn: (main: MainTrace) => T): T {
  const main = new MainTrace(stack.length + 1, makeTrace, globalData, kind);
  stack.push(main);
  try {
    return fn(main);
  } finally {
    main.active = false;
    stack.pop();
  }
}

/**
 * Current nesting depth (0 outside any transformation). Used by tests to check state survives errors.
 * @example
 * traceDepth() // → 0
 * grad((x: Tensor) => mul(x, traceDepth() > 0 ? 1 : 0))(1) // → 1
 */
export function traceDepth(): number {
  return stack.length;
}

export function traceOf(main: MainTrace): Trace {
  return main.makeTrace(main);
}

function checkActive(t: Tracer, prim: string): void {
  if (!t.trace.main.active) {
    throw new TracerError(
      `${prim}: a tracer from a finished ${t.trace.main.kind} transformation was used (shape [${t.shape.join(", ")}]). ` +
        `A value computed inside a transformed function escaped it (stored in an outer variable or closure); ` +
        `return it from the function instead`,
    );
  }
}

/** Apply a primitive: params are checked against the primitive's own params type. */
export function bind<P>(prim: Primitive<P>, args: Tensor[], params: P): Tensor[] {
  let top: Trace | null = null;
  for (const a of args) {
    if (a instanceof Tracer) {
      checkActive(a, prim.name);
      if (top === null || a.trace.main.level > top.main.level) top = a.trace;
    }
  }
  if (top === null) {
    // Evaluation: every argument is concrete.
    prim.shape(args, params);
    return prim.impl(args as ArrayTensor[], params);
  }
  const trace = top;
  const tracers = args.map((a) => fullRaise(trace, a));
  return trace.processPrimitive(prim, tracers, params).map(fullLower);
}

export function bind1<P>(prim: Primitive<P>, args: Tensor[], params: P): Tensor {
  return bind(prim, args, params)[0];
}

export function fullRaise(trace: Trace, x: Tensor): Tracer {
  if (!(x instanceof Tracer)) return trace.pure(x);
  const level = trace.main.level, xl = x.trace.main.level;
  if (x.trace.main === trace.main) return x;
  if (xl < level) return trace.lift(x);
  throw new TracerError(`a tracer of level ${xl} (${x.trace.main.kind}) met a transformation of lower level ${level} (${trace.main.kind}); this is a tracer that escaped its transformation`);
}

export function fullLower(x: Tensor): Tensor {
  return x instanceof Tracer ? x.lower() : x;
}
