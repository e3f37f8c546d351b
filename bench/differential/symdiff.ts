/** Random expressions (a fixed seed) and their symbolic derivatives at three points, for the SymPy comparison (sym.py). */
import * as w from "../../src/index.ts";
import { writeFileSync } from "node:fs";
const OUT = process.env.OUT ?? "/tmp/wengert-differential";
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const un = ["sin", "cos", "tan", "exp", "log", "sqrt", "atan", "sinh", "cosh", "tanh", "asinh", "erf", "log1p", "expm1", "abs", "cbrt", "log2", "log10", "exp2", "sigmoid"];
const bin = ["+", "-", "*", "/", "^"];
function gen(d: number): string {
  if (d === 0 || rnd() < 0.25) return rnd() < 0.6 ? (rnd() < 0.5 ? "x" : "y") : String(Math.round(rnd() * 30) / 10 + 0.5);
  if (rnd() < 0.45) { const f = un[Math.floor(rnd() * un.length)]; const a = gen(d - 1); return ["log", "sqrt", "log1p", "log2", "log10"].includes(f) ? `${f}(1 + (${a})^2)` : `${f}(${a})`; }
  const o = bin[Math.floor(rnd() * bin.length)];
  if (o === "^") return `(${gen(d - 1)})^2`;
  if (o === "/") return `(${gen(d - 1)}) / (2 + (${gen(d - 1)})^2)`;
  return `(${gen(d - 1)}) ${o} (${gen(d - 1)})`;
}
const out: any[] = [];
for (let k = 0; k < 300; k++) {
  const src = gen(4);
  const e = w.parse(src);
  const pts = [[0.3, -0.7], [1.1, 0.4], [-0.9, 1.6]];
  const dx = w.compile(w.diff(e, "x"), ["x", "y"]), dxy = w.compile(w.diff(w.diff(e, "x"), "y"), ["x", "y"]), dxx = w.compile(w.diff(e, "x", 2), ["x", "y"]);
  out.push({ src: src.replace(/sigmoid\(/g, "SIG("), pts, dx: pts.map(([a, b]) => dx(a, b)), dxy: pts.map(([a, b]) => dxy(a, b)), dxx: pts.map(([a, b]) => dxx(a, b)) });
}
writeFileSync(`${OUT}/sym.json`, JSON.stringify(out, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)));
