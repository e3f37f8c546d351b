/** Writes special-function values and derivatives, tails included, for the SciPy comparison (special.py). */
import * as w from "../../src/index.ts";
import { writeFileSync } from "node:fs";
const OUT = process.env.OUT ?? "/tmp/wengert-differential";
const xs = [-30, -10, -6, -5, -3.5, -2, -1, -0.5, -1e-3, -1e-10, 0, 1e-300, 1e-10, 1e-3, 0.1, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 10, 26, 27, 30];
const ps = [-0.999999999, -0.99, -0.9, -0.5, -1e-8, 0, 1e-12, 0.1, 0.5, 0.8, 0.95, 0.99, 0.999, 0.9999999, 1 - 1e-15];
const o: any = { xs, ps };
for (const f of ["erf", "erfc", "gelu", "sigmoid", "softplus", "log1p", "expm1", "tanh", "asinh", "atanh", "cbrt"]) o[f] = (w as any)[f](w.tensor(f === "atanh" ? ps : xs)).toArray();
o.erfinv = w.erfinv(w.tensor(ps)).toArray();
o.derf = w.vmap(w.grad(w.erf))(w.tensor(xs)).toArray();
o.derfinv = w.vmap(w.grad(w.erfinv))(w.tensor(ps)).toArray();
writeFileSync(`${OUT}/special.json`, JSON.stringify(o, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)));
