/** @file The check behind `// → value` in doc-comment examples (scripts/doc-examples.mjs). */
import { Tensor } from "../src/index.js";

const plain = (x: unknown): unknown => (x instanceof Tensor ? x.toArray() : Array.isArray(x) ? x.map(plain) : x !== null && typeof x === "object" ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)])) : x);

function same(a: unknown, b: unknown, rtol: number): boolean {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b) || Math.abs(a - b) <= rtol * Math.abs(b) + (rtol >= 1e-6 ? 1e-9 : 1e-15);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i], rtol));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && kb.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], rtol));
  }
  return Object.is(a, b);
}

/** Throws unless `got` (tensors as nested arrays) equals `want`, numbers to `rtol`. */
export function __check(got: unknown, want: unknown, rtol: number, where: string): void {
  const g = plain(got), w = plain(want);
  if (!same(g, w, rtol)) throw new Error(`${where}: the example gives ${JSON.stringify(g)}, the doc says ${JSON.stringify(w)}`);
}
