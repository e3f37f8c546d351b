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

/**
 * @example
 * fmtShape([2, 3]) // → "[2, 3]"
 */
export function fmtShape(shape: readonly number[]): string {
  if (!Array.isArray(shape)) return fmtValue(shape);
  return `[${shape.join(", ")}]`;
}

/**
 * A short, safe rendering of any user value for an error message: never throws (BigInt, symbols,
 * cycles, getters), never echoes more than `max` characters, and escapes control characters.
 * @example
 * fmtValue("a\nb") // → "\"a\\nb\""
 */
export function fmtValue(v: unknown, max = 60): string {
  if (typeof max !== "number" || !(max >= 1)) max = 60;
  let s: string;
  try {
    if (typeof v === "string") s = JSON.stringify(v.length > max ? v.slice(0, max) + "…" : v);
    else if (typeof v === "bigint") s = `${v}n`;
    else if (typeof v === "symbol") s = v.toString();
    else if (typeof v === "function") s = `a function`;
    else if (Array.isArray(v)) s = v.length > 8 ? `an array of length ${v.length}` : `[${v.map((x) => fmtValue(x, 12)).join(", ")}]`;
    else if (v !== null && typeof v === "object") s = `an object (${(v as object).constructor?.name ?? "null prototype"})`;
    else s = String(v);
  } catch {
    s = `a ${typeof v}`;
  }
  s = s.replace(/[\u0000-\u001f\u2028\u2029\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return s.length > max + 2 ? s.slice(0, max) + "…" : s;
}

/**
 * An options object checked as Python checks keyword arguments: undefined is {}, anything but a
 * plain object is an InputError, and so is an unknown key (a typo such as `argnum` for `argnums`
 * would otherwise be ignored, and the default used silently), with the nearest known name.
 * (Internal: not exported from the package.)
 */
export function checkOptions<T extends object>(op: string, opts: T | undefined, allowed: readonly string[]): T {
  if (opts === undefined) return {} as T;
  const proto = opts === null || typeof opts !== "object" ? undefined : Object.getPrototypeOf(opts);
  if (proto !== Object.prototype && proto !== null) {
    throw new InputError(`${op}: options must be a plain object${allowed.length ? ` ({ ${allowed.join(", ")} })` : ""}; got ${fmtValue(opts)}`);
  }
  for (const k of Object.keys(opts)) {
    if (allowed.includes(k)) continue;
    const near = nearest(k, allowed);
    throw new InputError(`${op}: unknown option ${fmtValue(k)}${near ? ` (did you mean ${near}?)` : ""}; the options are ${allowed.length ? allowed.join(", ") : "none"}`);
  }
  return opts;
}

/** The allowed name closest to a mistyped one (ignoring case and underscores: a prefix of it, or within two edits), if any. */
function nearest(k: string, allowed: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/_/g, "");
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0];
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const t = d[j];
        d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = t;
      }
    }
    return d[b.length];
  };
  let best: string | undefined, bestD = 3;
  for (const a of allowed) {
    const [nk, na] = [norm(k), norm(a)];
    const dd = nk === na ? 0 : k.length > 40 ? 99 : nk.length >= 3 && (na.startsWith(nk) || nk.startsWith(na)) ? 1 : dist(nk, na);
    if (dd < bestD) (best = a), (bestD = dd);
  }
  return best;
}

/** Characters of the offending line shown on each side of the caret in a located error. */
const WINDOW = 60;

/**
 * Where `offset` is in `source`, for a located error message: its 1-based line and column, and two
 * lines to print — a window of the offending line (a 1e6-character line is not repeated whole, and
 * control and line-separator characters are shown as "·" so the caret lines up) and the caret.
 * @example
 * locate("ab\ncd", 4).line // → 2
 */
export function locate(source: string, offset: number): { line: number; column: number; excerpt: string } {
  if (typeof source !== "string") source = String(fmtValue(source));
  if (typeof offset !== "number" || Number.isNaN(offset)) offset = 0;
  offset = Math.max(0, Math.min(Math.trunc(offset), source.length));
  const before = source.slice(0, offset);
  const line = before.split("\n").length;
  const lineStart = before.lastIndexOf("\n") + 1;
  const column = offset - lineStart + 1;
  const lineEnd = source.indexOf("\n", offset);
  const full = source.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  const from = Math.max(0, column - 1 - WINDOW), to = Math.min(full.length, column - 1 + WINDOW);
  const text = (from > 0 ? "…" : "") + full.slice(from, to).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "·") + (to < full.length ? "…" : "");
  const caretAt = column - 1 - from + (from > 0 ? 1 : 0);
  return { line, column, excerpt: `  ${text}\n  ${" ".repeat(caretAt)}^` };
}
