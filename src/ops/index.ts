/**
 * @file The catalogue: every primitive, by name, collected from the op modules' exports named
 * `<name>P` (so a primitive is listed by defining it; tests/conformance.test.ts then requires a
 * row for it). `PrimitiveName` is derived from the same exports.
 */
import type { Primitive } from "../core/primitive.js";
import * as E from "./elementwise.js";
import * as R from "./reduce.js";
import * as S from "./shape-ops.js";
import * as L from "./linalg.js";
import * as U from "./custom.js";
import * as C from "./control.js";
import * as Q from "./random.js";
import * as V from "./conv.js";

/** The primitives among a module's exports, keyed by their name (`negP` → `neg`). */
type PrimsOf<M> = { [K in keyof M as K extends `${infer N}P` ? (M[K] extends Primitive<any> ? N : never) : never]: M[K] };

function collect<M extends object>(...modules: M[]): Record<string, Primitive> {
  const out: Record<string, Primitive> = {};
  for (const m of modules) {
    for (const [k, v] of Object.entries(m)) {
      if (!k.endsWith("P") || typeof v !== "object" || v === null || !("impl" in v)) continue;
      const prim = v as Primitive;
      if (prim.name !== k.slice(0, -1)) throw new Error(`wengert internal: export ${k} holds the primitive "${prim.name}"; name it ${prim.name}P`);
      out[prim.name] = prim;
    }
  }
  return out;
}

export const catalogue = collect<object>(E, R, S, L, U, C, Q, V) as PrimsOf<typeof E> & PrimsOf<typeof R> & PrimsOf<typeof S> & PrimsOf<typeof L> & PrimsOf<typeof U> & PrimsOf<typeof C> & PrimsOf<typeof Q> & PrimsOf<typeof V>;

export type PrimitiveName = keyof typeof catalogue;
