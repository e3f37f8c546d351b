/**
 * @file Calling the user's functions from a transformation: checked when the transformation is
 * made (a function, and not an async one) and when it is called (a Promise result is refused; a
 * method called on a plain array gets a pointer to `tensor(…)`).
 */
import { Tensor } from "./tensor.js";
import { InputError, TransformError, fmtValue } from "./errors.js";

type Fn = (...args: any[]) => any;

/** Check, when a transformation is made, that it was given a synchronous function. */
export function checkFunction(op: string, f: unknown): asserts f is Fn {
  if (typeof f !== "function") throw new TransformError(`${op}: needs a function to transform; got ${fmtValue(f)}`);
  const kind = (f as Fn).constructor?.name;
  if (kind === "AsyncFunction" || kind === "AsyncGeneratorFunction") {
    throw new TransformError(`${op}: ${(f as Fn).name || "f"} is an async function; transformed functions must be synchronous (tracing runs f once, and a Promise carries no derivative): await the inputs first, then transform a synchronous function of them`);
  }
}

/** Refuse a Promise (or any thenable) returned by f, silencing its rejection (it would fail later, unseen). */
export function checkSyncResult(op: string, out: unknown): void {
  if (out !== null && (typeof out === "object" || typeof out === "function") && typeof (out as { then?: unknown }).then === "function") {
    try {
      (out as Promise<unknown>).then(undefined, () => undefined);
    } catch {
      /* a thenable whose then throws: nothing to silence */
    }
    throw new TransformError(`${op}: f returned a Promise; transformed functions must be synchronous (an async function's awaited part would run after the transformation ended)`);
  }
}

/**
 * Call f for a transformation: a Promise result is refused, and the TypeError of a tensor method
 * called on a plain JS array or number (`w.mul is not a function`) becomes an InputError saying
 * what to do.
 */
export function callUser(op: string, f: Fn, args: unknown[]): unknown {
  let out: unknown;
  try {
    out = f(...args);
  } catch (e) {
    throw withHint(e);
  }
  checkSyncResult(op, out);
  return out;
}

function withHint(e: unknown): unknown {
  if (!(e instanceof TypeError)) return e;
  const m = /\.([A-Za-z_$][\w$]*) is not a function/.exec(e.message);
  if (!m || !(m[1] in Tensor.prototype) || m[1] === "constructor") return e;
  const err = new InputError(
    `${e.message}: .${m[1]}() is a method of tensors, and a plain JS array or number has none. ` +
      `Wrap the value with tensor(…), or call the function form (${m[1]}(x, …)), which accepts arrays and numbers`,
  );
  (err as { cause?: unknown }).cause = e;
  return err;
}
