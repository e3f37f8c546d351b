/**
 * The library's conformance table run in a browser (site/dist/selftest.html; under /csp/ the same
 * page with a strict Content-Security-Policy, where jit, eager fusion and the wasm matmul must fall
 * back to interpretation and still give the same numbers). Every row: value against its
 * independent reference, derivatives of order 1 and 2 in forward and reverse mode against finite
 * differences (checkGrads), jit and vmap against eager. Then the paths that differ in browsers:
 * generated code, the WebAssembly SIMD matmul, eager fusion. Results go to window.selftest.
 */
import * as w from "../../src/index.js";
import { type Tensor, checkGrads, jit, vmap } from "../../src/index.js";
import { rows, inputsFor, reference } from "../../tests/conformance-rows.js";
import { randomTensor, toNums } from "../../tests/data.js";
import { codegenAvailable } from "../../src/core/codegen.js";
import { wasmMatmulAvailable } from "../../src/wasm/matmul.js";

interface Result {
  rows: number;
  checks: number;
  failures: string[];
  codegen: boolean;
  wasm: boolean;
  csp: boolean;
  seconds: number;
}

function close(a: unknown, b: unknown, rtol: number, atol: number): string | null {
  const x = toNums(a), y = toNums(b);
  if (x.length !== y.length) return `length ${x.length} vs ${y.length}`;
  for (let i = 0; i < x.length; i++) {
    if (!(Object.is(x[i], y[i]) || Math.abs(x[i] - y[i]) <= atol + rtol * Math.abs(y[i]))) return `element ${i}: ${x[i]} vs ${y[i]}`;
  }
  return null;
}

function runAll(): Result {
  const t0 = performance.now();
  const failures: string[] = [];
  let checks = 0;
  const check = (name: string, f: () => string | null | void) => {
    checks++;
    try {
      const r = f();
      if (r) failures.push(`${name}: ${r}`);
    } catch (e) {
      failures.push(`${name}: threw ${(e as Error).message.split("\n")[0]}`);
    }
  };
  rows.forEach((row, k) => {
    const xs = inputsFor(row, k);
    const id = `${row.prim} #${k}`;
    check(`${id} value`, () => close(row.f(...xs), reference(row, xs), row.rtol ?? 1e-13, 1e-14));
    if (row.deriv === undefined || row.deriv === "smooth") check(`${id} derivatives`, () => void checkGrads(row.f, xs, { order: 2, modes: row.modes ?? ["fwd", "rev"], rtol: row.rtol ?? 1e-5, h: row.h, dotRtol: row.dotRtol }));
    check(`${id} jit`, () => close(jit(row.f)(...xs), row.f(...xs), 1e-14, 1e-15));
    check(`${id} vmap`, () => {
      const batches = [0, 1, 2].map((b) => inputsFor(row, k + 100 * (b + 1)));
      const stacked = xs.map((_, i) => w.stack(batches.map((bt) => bt[i])));
      return close(vmap(row.f)(...stacked), w.stack(batches.map((bt) => row.f(...bt))), 1e-13, 1e-14);
    });
  });
  // the browser-specific paths
  check("matmul 96×80·80×72 float32 and float64 (the wasm SIMD kernel where available) vs a plain loop", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const a = randomTensor([96, 80], -1, 1, 1, dtype), b = randomTensor([80, 72], -1, 1, 2, dtype);
      const av = toNums(a), bv = toNums(b), ref: number[] = [];
      for (let i = 0; i < 96; i++) for (let j = 0; j < 72; j++) { let s = 0; for (let p = 0; p < 80; p++) s += av[i * 80 + p] * bv[p * 72 + j]; ref.push(s); }
      const r = close(w.matmul(a, b), ref, dtype === "float32" ? 1e-4 : 1e-12, 1e-5);
      if (r) return `${dtype}: ${r}`;
    }
    return null;
  });
  check("eager fusion: a chain of elementwise ops on 4096 elements equals the scalar formula", () => {
    const x = randomTensor([4096], -2, 2, 3);
    const y = w.sub(w.mul(w.exp(w.sin(x)), 2), w.tanh(w.mul(x, x)));
    return close(y, toNums(x).map((v) => Math.exp(Math.sin(v)) * 2 - Math.tanh(v * v)), 1e-15, 1e-15);
  });
  check("jit of a gradient with a fused loop (Rosenbrock, n = 1000) equals eager", () => {
    const rosen = (v: Tensor) => w.sum(w.add(w.mul(100, w.square(w.sub(w.slice(v, [1, null]), w.square(w.slice(v, [0, -1]))))), w.square(w.sub(1, w.slice(v, [0, -1])))));
    const v = randomTensor([1000], -1, 1, 4);
    return close(jit(w.grad(rosen))(v), w.grad(rosen)(v), 1e-13, 1e-13);
  });
  check("source transformation in the browser: sourceGrad of a loop", () => {
    const g = w.sourceGrad("function f(x) { let s = 0; for (let i = 0; i < x.length; i++) s += Math.sin(x[i]) * x[i]; return s; }", { name: "f" });
    const x = [0.5, 1, 1.5];
    return close(g(x), x.map((v) => Math.cos(v) * v + Math.sin(v)), 1e-14, 1e-15);
  });
  return { rows: rows.length, checks, failures, codegen: codegenAvailable(), wasm: wasmMatmulAvailable(), csp: location.pathname.startsWith("/csp/"), seconds: (performance.now() - t0) / 1000 };
}

const out = document.getElementById("out")!;
setTimeout(() => {
  const r = runAll();
  (window as unknown as { selftest: Result }).selftest = r;
  out.textContent = `${r.failures.length === 0 ? "PASS" : "FAIL"}: ${r.checks - r.failures.length}/${r.checks} checks over ${r.rows} conformance rows in ${r.seconds.toFixed(1)} s; generated code ${r.codegen ? "on" : "off (interpreted)"}, wasm matmul ${r.wasm ? "on" : "off"}${r.csp ? ", strict CSP" : ""}\n${r.failures.join("\n")}`;
}, 0);
