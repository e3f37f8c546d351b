/**
 * The conformance suite: one row per primitive (at least), on its valid input domain. Each row is
 * checked for value (against Math.* or a direct loop), shape and dtype (float64 and float32), and
 * derivatives at order 1 and 2 in forward, reverse and mixed modes against finite differences
 * (checkGrads: FD along random directions plus the dot-product test). Finally: every primitive in
 * the catalogue has a row.
 */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import { Tensor, catalogue, checkGrads, grad, jvp, jit, makeProgram, vmap } from "../src/index.js";
import { linearizeFlat } from "../src/transforms/linearize.js";
import { expectClose, toNums } from "./helpers.js";
import { rows, inputsFor, reference } from "./conformance-rows.js";

describe("conformance: every primitive, value and derivatives", () => {
  rows.forEach((row, k) => {
    describe(`${row.prim} #${k}`, () => {
      const xs = inputsFor(row, k);
      it("value and shape (float64)", () => {
        const y = row.f(...xs);
        const want = reference(row, xs);
        if (row.shape) expect(y.shape).toEqual(row.shape);
        expectClose(y, want, row.rtol ?? 1e-13, 1e-14);
        if (row.deriv !== "none") expect(y.dtype).toBe("float64");
      });
      if (row.f32) {
        it("dtype and value in float32", () => {
          const xs32 = inputsFor(row, k, "float32");
          const y = row.f(...xs32);
          expect(y.dtype).toBe("float32");
          expectClose(y, reference(row, xs32), 1e-6, 1e-6);
        });
      }
      it("jit gives what eager evaluation gives" + (row.f32 ? " (float64 and float32)" : ""), () => {
        expectClose(jit(row.f)(...xs), row.f(...xs), 1e-14, 1e-15);
        if (row.f32) {
          const xs32 = inputsFor(row, k, "float32");
          const y = jit(row.f)(...xs32);
          expect(y.dtype).toBe("float32");
          expectClose(y, row.f(...xs32), 1e-7, 1e-7);
        }
      });
      if (row.deriv !== "none" && row.modes?.includes("rev") === false) {
        it("jit(jvp) gives what jvp gives (a forward-only primitive)", () => {
          expectClose(jit((...a: Tensor[]) => jvp(row.f, a, a)[1])(...xs), jvp(row.f, xs, xs)[1], 1e-12, 1e-13);
          expectClose(jvp(jit(row.f), xs, xs)[1], jvp(row.f, xs, xs)[1], 1e-12, 1e-13);
        });
      }
      if (row.deriv !== "none" && row.modes?.includes("rev") !== false) {
        it("jit(grad) gives what grad gives; grad(jit) and jvp(jit) too", () => {
          const argnums = xs.map((_, i) => i);
          const loss = (...a: Tensor[]) => w.sum(w.mul(row.f(...a), row.f(...a)));
          const want = grad(loss, { argnums })(...xs);
          expectClose(jit(grad(loss, { argnums }))(...xs), want, 1e-12, 1e-13);
          expectClose(grad((...a: Tensor[]) => w.sum(w.mul(jit(row.f)(...a), jit(row.f)(...a))), { argnums })(...xs), want, 1e-12, 1e-13);
          if (!row.modes || row.modes.includes("fwd")) expectClose(jvp(jit(row.f), xs, xs)[1], jvp(row.f, xs, xs)[1], 1e-12, 1e-13);
        });
      }
      it("vmap gives what a loop over the batch gives (every input mapped, and each one alone)", () => {
        const batches = [1, 2, 3].map((b) => inputsFor(row, k + 100 * b));
        const stacked = row.inputs.map((_, i) => w.stack(batches.map((b) => b[i])));
        expectClose(vmap(row.f)(...stacked), w.stack(batches.map((b) => row.f(...b))), 1e-13, 1e-14);
        if (row.inputs.length > 1) {
          row.inputs.forEach((_, i) => {
            const args = xs.map((x, j) => (j === i ? stacked[i] : x));
            const want = w.stack(batches.map((b) => row.f(...xs.map((x, j) => (j === i ? b[i] : x)))));
            expectClose(vmap(row.f, { inAxes: xs.map((_, j) => (j === i ? 0 : null)) })(...args), want, 1e-13, 1e-14);
          });
        }
      });
      if (row.deriv !== "none" && row.modes?.includes("rev") !== false) {
        it("vmap(grad) gives per-example gradients; grad(vmap) the gradient of the batch sum", () => {
          const argnums = xs.map((_, i) => i);
          const loss = (...a: Tensor[]) => w.sum(w.mul(row.f(...a), row.f(...a)));
          const batches = [1, 2, 3].map((b) => inputsFor(row, k + 100 * b));
          const stacked = row.inputs.map((_, i) => w.stack(batches.map((b) => b[i])));
          const per = batches.map((b) => grad(loss, { argnums })(...b) as Tensor[]);
          const got = vmap(grad(loss, { argnums }))(...stacked) as Tensor[];
          got.forEach((g, i) => expectClose(g, w.stack(per.map((p) => p[i])), 1e-12, 1e-13));
          const total = grad((...a: Tensor[]) => w.sum(vmap(loss)(...a)), { argnums })(...stacked) as Tensor[];
          total.forEach((g, i) => expectClose(g, w.stack(per.map((p) => p[i])), 1e-12, 1e-13));
        });
      }
      if (row.deriv === undefined || row.deriv === "smooth") {
        it("derivatives of order 1 and 2, forward, reverse and mixed, vs finite differences", () => {
          checkGrads(row.f, xs, { order: 2, modes: row.modes ?? ["fwd", "rev"], rtol: row.rtol ?? 1e-5, h: row.h, dotRtol: row.dotRtol });
        });
      } else if (row.deriv === "zero") {
        it("derivative is zero", () => {
          const g = grad((...a: Tensor[]) => w.sum(row.f(...a)))(...xs);
          if (row.prim === "stopGradient") expectClose(g, xs[0]); // d/dx x·stop(x) = stop(x)
          else expectClose(g, toNums(xs[0]).map(() => 0));
          const [, t] = jvp(row.f, xs, xs);
          if (row.prim !== "stopGradient") expectClose(t, toNums(row.f(...xs)).map(() => 0));
        });
      }
    });
  });

  it("every primitive in the catalogue has a row that exercises it", () => {
    rows.forEach((row, k) => {
      const xs = inputsFor(row, k);
      const { program } = makeProgram(row.f)(...xs);
      const lin = row.deriv === "none" ? null : linearizeFlat((a) => [row.f(...a)], xs).program;
      const prims = [...program.eqns, ...(lin?.eqns ?? [])].map((e) => e.prim.name);
      expect(prims, `row ${k} claims ${row.prim}`).toContain(catalogue[row.prim].name);
    });
    const missing = Object.values(catalogue).map((p) => p.name).filter((n) => !rows.some((r) => catalogue[r.prim].name === n));
    expect(missing).toEqual([]);
  });

  it("every primitive the op modules define is in the catalogue (a deleted row is caught)", async () => {
    const modules = await Promise.all(["elementwise", "reduce", "shape-ops", "linalg", "custom", "control", "random", "conv"].map((m) => import(`../src/ops/${m}.ts`)));
    const defined = modules.flatMap((m) => Object.values(m)).filter((v): v is { name: string; impl: unknown; shape: unknown } => typeof v === "object" && v !== null && "impl" in v && "shape" in v && "name" in v);
    expect(defined.length).toBeGreaterThan(30);
    const listed = new Set<unknown>(Object.values(catalogue));
    expect(defined.filter((p) => !listed.has(p)).map((p) => p.name)).toEqual([]);
  });
});
