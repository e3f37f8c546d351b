/** The same random expressions as JavaScript functions through sourceGrad, reverse and forward mode, against the symbolic derivatives symdiff.ts wrote. */
import * as w from "../../src/index.ts";
import { readFileSync, writeFileSync } from "node:fs";
const OUT = process.env.OUT ?? "/tmp/wengert-differential";
const cases = JSON.parse(readFileSync(`${OUT}/sym.json`, "utf8"));
const toJs = (s: string) => s.replace(/\(([^()]*(?:\([^()]*\))*[^()]*)\)\^2/g, "(($1) ** 2)").replace(/\^/g, "**")
  .replace(/\b(sin|cos|tan|exp|log|sqrt|atan|sinh|cosh|tanh|asinh|log1p|expm1|abs|cbrt|log2|log10)\(/g, "Math.$1(")
  .replace(/\bexp2\(/g, "2 ** (").replace(/\bSIG\(/g, "sig(").replace(/\berf\(/g, "ERF(");
const out: any[] = [];
let skipped = 0;
for (const c of cases) {
  if (/ERF|erf\(/.test(c.src)) { skipped++; continue; }
  const body = toJs(c.src);
  const src = `function sig(a) { return 1 / (1 + Math.exp(-a)); }\nfunction f(x, y) { return ${body}; }`;
  try {
    const gr = w.sourceGrad(src, { name: "f", argnums: [0, 1] }), gf = w.sourceGrad(src, { name: "f", argnums: [0, 1], mode: "forward" });
    out.push({ src: c.src, pts: c.pts, rev: c.pts.map(([a, b]: number[]) => (gr(a, b) as number[])[0]), fwd: c.pts.map(([a, b]: number[]) => (gf(a, b) as number[])[0]), dx: c.dx });
  } catch (e: any) { out.push({ src: c.src, err: e.message.split("\n")[0].slice(0, 100) }); }
}
writeFileSync(`${OUT}/src.json`, JSON.stringify(out, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)));
console.log(out.length, "cases,", out.filter((o) => o.err).length, "errors,", skipped, "skipped (erf)");
for (const o of out.filter((o) => o.err).slice(0, 5)) console.log(o.err, "|", o.src.slice(0, 80));
let bad = 0;
for (const o of out) if (!o.err) o.pts.forEach((_: any, i: number) => { const ref = Number(o.dx[i]); for (const got of [Number(o.rev[i]), Number(o.fwd[i])]) if (!(Math.abs(got - ref) <= 1e-9 * Math.max(1, Math.abs(ref))) && !(Number.isNaN(got) && Number.isNaN(ref))) { bad++; if (bad < 6) console.log("MISMATCH", o.src.slice(0, 100), o.pts[i], got, ref); } });
console.log("source transformation: mismatches vs symbolic diff", bad);
if (bad > 0 || out.some((o) => o.err)) process.exit(1);
