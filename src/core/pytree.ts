/**
 * @file Pytrees: nested plain objects and arrays whose leaves are tensors, numbers and float typed
 * arrays (which become tensors). Anything else
 * (strings, booleans, null, undefined, functions, class instances) is static: it is kept in the
 * tree definition, carried through unchanged, and gets `null` as its gradient.
 */
import { Tensor } from "./tensor.js";
import { TransformError } from "./errors.js";
import { coreOps } from "./primitive.js";

export type Leaf = Tensor | number;

export type TreeDef =
  | { kind: "leaf"; num: boolean }
  | { kind: "array"; children: TreeDef[] }
  | { kind: "object"; keys: string[]; children: TreeDef[] }
  | { kind: "static"; value: unknown };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Traced 0-d values that stand for a JS number the user passed (jit stages a number argument as a
 * tracer; grad of a number argument gives such a value). An enclosing jit returns them as numbers,
 * so "number in, number out" holds with and without jit.
 */
const numberLike = new WeakSet<Tensor>();

/** Whether a leaf is, or stands for, a JS number. */
export function isNumberLeaf(l: unknown): boolean {
  return typeof l === "number" || (l instanceof Tensor && numberLike.has(l));
}

/** Mark a 0-d traced value as standing for a JS number. */
export function markNumber<T extends Tensor>(t: T): T {
  if (t.ndim === 0) numberLike.add(t);
  return t;
}

/** A result in the place of a number leaf: a JS number when concrete, else a marked traced value. */
export function numberResult(t: Tensor): Tensor | number {
  if (t.isConcrete()) return t.size === 1 ? t.item() : t;
  return markNumber(t);
}

/** The deepest nesting of arrays and objects a structure may have (deeper, or a cycle, is an error). */
export const MAX_TREE_DEPTH = 1000;

export function flatten(tree: unknown): [Leaf[], TreeDef] {
  const leaves: Leaf[] = [];
  const open = new Set<object>(); // the arrays and objects on the current path: a repeat is a cycle
  const rec = (t: unknown): TreeDef => {
    if (Array.isArray(t) || isPlainObject(t)) {
      if (open.has(t) || open.size >= MAX_TREE_DEPTH) {
        throw new TransformError(
          open.has(t)
            ? "a structure passed to or returned from a transformed function contains itself (a cycle); pass the parts that hold tensors instead"
            : `a structure passed to or returned from a transformed function is nested more than ${MAX_TREE_DEPTH} levels deep`,
        );
      }
      open.add(t);
      try {
        return container(t);
      } finally {
        open.delete(t);
      }
    }
    return leaf(t);
  };
  const container = (t: unknown[] | Record<string, unknown>): TreeDef => {
    if (Array.isArray(t)) return { kind: "array", children: t.map(rec) };
    const keys = Object.keys(t);
    return { kind: "object", keys, children: keys.map((k) => rec(t[k])) };
  };
  const leaf = (t: unknown): TreeDef => {
    if (t instanceof Tensor) {
      leaves.push(t);
      return { kind: "leaf", num: numberLike.has(t) };
    }
    if (typeof t === "number") {
      leaves.push(t);
      return { kind: "leaf", num: true };
    }
    if (t instanceof Float64Array || t instanceof Float32Array) {
      // A float typed array is a vector leaf (else it would silently get no gradient).
      leaves.push(coreOps.fromTypedArray(t));
      return { kind: "leaf", num: false };
    }
    return { kind: "static", value: t };
  };
  const def = rec(tree);
  return [leaves, def];
}

export function unflatten<T = unknown>(def: TreeDef, leaves: readonly unknown[]): T {
  let i = 0;
  const rec = (d: TreeDef): unknown => {
    switch (d.kind) {
      case "leaf":
        return leaves[i++];
      case "array":
        return d.children.map(rec);
      case "object": {
        const o: Record<string, unknown> = {};
        // defineProperty, not assignment: a key "__proto__" (JSON.parse makes such keys) must
        // stay an own key instead of replacing the prototype.
        d.keys.forEach((k, j) => {
          const v = rec(d.children[j]);
          if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
          else o[k] = v;
        });
        return o;
      }
      case "static":
        return d.value;
    }
  };
  const res = rec(def);
  if (i !== leaves.length) throw new TransformError(`unflatten: ${leaves.length} leaves given for a tree with ${i}`);
  return res as T;
}

/**
 * A non-differentiable part that holds tensors where a derivative is asked for (a Map, a class
 * instance): its tensors would silently get no derivative, so say what to pass instead.
 */
export function checkNoHiddenTensors(op: string, def: TreeDef): void {
  const rec = (d: TreeDef, path: string): void => {
    if (d.kind === "array") d.children.forEach((c, i) => rec(c, `${path}[${i}]`));
    else if (d.kind === "object") d.children.forEach((c, i) => rec(c, `${path}.${d.keys[i]}`));
    else if (d.kind === "static" && d.value !== null && typeof d.value === "object") {
      const v = d.value as object;
      let values: unknown[] = [];
      try {
        values = v instanceof Map ? [...v.values()] : v instanceof Set ? [...v] : Object.values(v);
      } catch {
        return;
      }
      if (values.some((x) => x instanceof Tensor)) {
        throw new TransformError(
          `${op}: ${path} is ${v instanceof Map ? "a Map" : v instanceof Set ? "a Set" : `an instance of ${v.constructor?.name ?? "a class"}`} holding tensors; ` +
            `wengert differentiates tensors, numbers and plain objects and arrays of them, so those tensors would get no derivative. ` +
            `Pass a plain object (e.g. Object.fromEntries(map), or { ...instance }) instead`,
        );
      }
    }
  };
  rec(def, "arguments");
}

/** Like unflatten, but static parts become `null` (the gradient of a non-differentiable part). */
export function unflattenGrad<T = unknown>(def: TreeDef, leaves: readonly unknown[]): T {
  const strip = (d: TreeDef): TreeDef =>
    d.kind === "static" ? { kind: "static", value: null }
    : d.kind === "array" ? { kind: "array", children: d.children.map(strip) }
    : d.kind === "object" ? { ...d, children: d.children.map(strip) }
    : d;
  return unflatten<T>(strip(def), leaves);
}

/** Describe the first difference between two tree structures, or null if they match. */
export function treeMismatch(a: TreeDef, b: TreeDef, path = "root"): string | null {
  if (a.kind === "leaf" && b.kind === "leaf") return null;
  if (a.kind !== b.kind) return `at ${path}: ${describeDef(a)} vs ${describeDef(b)}`;
  if (a.kind === "array" && b.kind === "array") {
    if (a.children.length !== b.children.length) return `at ${path}: array of length ${a.children.length} vs ${b.children.length}`;
    for (let i = 0; i < a.children.length; i++) {
      const m = treeMismatch(a.children[i], b.children[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (a.kind === "object" && b.kind === "object") {
    if (a.keys.join("\0") !== b.keys.join("\0")) return `at ${path}: keys {${a.keys.join(", ")}} vs {${b.keys.join(", ")}}`;
    for (let i = 0; i < a.keys.length; i++) {
      const m = treeMismatch(a.children[i], b.children[i], `${path}.${a.keys[i]}`);
      if (m) return m;
    }
    return null;
  }
  return null;
}

function describeDef(d: TreeDef): string {
  switch (d.kind) {
    case "leaf": return d.num ? "a number" : "a tensor";
    case "array": return `an array of length ${d.children.length}`;
    case "object": return `an object {${d.keys.join(", ")}}`;
    case "static": return `a non-differentiable ${d.value === null ? "null" : typeof d.value}`;
  }
}
