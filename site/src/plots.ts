/**
 * The three plots: finite-difference error against the step h, expression swell of the logistic
 * map, and checkpointing's memory/recompute trade-off. Data from wengert; drawn as SVG by
 * `linePlot` (log or linear axes, several series, marked points, a legend).
 */
import { type Tensor, compile, diff, symbol, dagSize, treeSize, grad, scan, checkpoint, residualBytes, add, mul, sin, sum, tensor, type Expr } from "../../src/index.js";
import { el } from "./svg.js";

export interface Series {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
}
export interface PlotSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  series: Series[];
  marks?: { x: number; y: number; label: string }[];
}


/** An SVG line plot; ticks at powers of ten on log axes. */
export function linePlot(spec: PlotSpec): SVGSVGElement {
  const W = 560, H = 340, L = 64, R = 16, T = 36, B = 48;
  const tx = (v: number) => (spec.logX ? Math.log10(v) : v), ty = (v: number) => (spec.logY ? Math.log10(v) : v);
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(tx(x)) && Number.isFinite(ty(y)));
  const xs = pts.map(([x]) => tx(x)), ys = pts.map(([, y]) => ty(y));
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (spec.logY) (y0 = Math.floor(y0)), (y1 = Math.ceil(y1));
  if (spec.logX) (x0 = Math.floor(x0)), (x1 = Math.ceil(x1));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const px = (v: number) => L + ((tx(v) - x0) / (x1 - x0)) * (W - L - R);
  const py = (v: number) => H - B - ((ty(v) - y0) / (y1 - y0)) * (H - T - B);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": spec.title, class: "plot" }) as SVGSVGElement;
  svg.append(el("text", { x: W / 2, y: 20, "text-anchor": "middle", class: "plot-title" }, spec.title));
  svg.append(el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "plot-frame" }));
  const ticks = (lo: number, hi: number, log: boolean) => {
    const out: number[] = [];
    if (log) {
      const step = Math.max(1, Math.ceil((hi - lo) / 8));
      for (let e = Math.ceil(lo); e <= hi; e += step) out.push(10 ** e);
    } else {
      const step = niceStep((hi - lo) / 6);
      for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
    }
    return out;
  };
  const label = (v: number, log: boolean) => (log ? `1e${Math.round(Math.log10(v))}` : String(Number(v.toPrecision(3))));
  for (const v of ticks(x0, x1, !!spec.logX)) {
    svg.append(el("line", { x1: px(v), x2: px(v), y1: H - B, y2: H - B + 4, class: "plot-tick" }));
    svg.append(el("text", { x: px(v), y: H - B + 16, "text-anchor": "middle", class: "plot-label" }, label(v, !!spec.logX)));
  }
  for (const v of ticks(y0, y1, !!spec.logY)) {
    svg.append(el("line", { x1: L - 4, x2: L, y1: py(v), y2: py(v), class: "plot-tick" }));
    svg.append(el("text", { x: L - 6, y: py(v) + 4, "text-anchor": "end", class: "plot-label" }, label(v, !!spec.logY)));
  }
  svg.append(el("text", { x: (L + W - R) / 2, y: H - 10, "text-anchor": "middle", class: "plot-label" }, spec.xLabel));
  svg.append(el("text", { x: 14, y: (T + H - B) / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${(T + H - B) / 2})`, class: "plot-label" }, spec.yLabel));
  spec.series.forEach((s, k) => {
    const good = s.points.filter(([x, y]) => Number.isFinite(tx(x)) && Number.isFinite(ty(y)));
    svg.append(el("polyline", { points: good.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" "), fill: "none", stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dashed ? "5 4" : "none", class: "plot-series" }));
    svg.append(el("rect", { x: L + 10, y: T + 8 + 16 * k, width: 14, height: 3, fill: s.color }));
    svg.append(el("text", { x: L + 30, y: T + 13 + 16 * k, class: "plot-legend" }, s.name));
  });
  for (const m of spec.marks ?? []) {
    svg.append(el("circle", { cx: px(m.x), cy: py(m.y), r: 5, class: "plot-mark" }));
    svg.append(el("text", { x: px(m.x) + 8, y: py(m.y) - 8, class: "plot-legend" }, m.label));
  }
  return svg;
}
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw)), f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/**
 * Finite-difference error of ∂f/∂vars[0] at the point against the exact derivative (from AD), for
 * h = 10⁰ … 10⁻¹⁶: forward differences (truncation ∝ h, round-off ∝ ε/h) and central ones
 * (truncation ∝ h²). Returns the series and each method's best h.
 */
export function finiteDifferenceData(expr: Expr, vars: string[], point: number[]) {
  const f = compile(expr, vars) as (...v: number[]) => number;
  const exact = compile(diff(expr, vars[0]), vars) as (...v: number[]) => number;
  const d = exact(...point);
  const at = (dx: number) => f(...point.map((p, i) => (i === 0 ? p + dx : p)));
  const hs = Array.from({ length: 65 }, (_, k) => 10 ** (-k / 4));
  const err = (g: (h: number) => number) => hs.map((h): [number, number] => [h, Math.max(Math.abs(g(h) - d), 1e-18)]);
  const fwd = err((h) => (at(h) - at(0)) / h), cen = err((h) => (at(h) - at(-h)) / (2 * h));
  const best = (s: [number, number][]) => s.reduce((a, b) => (b[1] < a[1] ? b : a));
  return { forward: fwd, central: cen, bestForward: best(fwd), bestCentral: best(cen), exact: d };
}

/** The logistic map x ← 4x(1 − x), k times, differentiated symbolically: the derivative's tree size (written out) against its DAG size (shared). */
export function swellData(kmax = 30) {
  let x: Expr = symbol("x");
  const tree: [number, number][] = [], dag: [number, number][] = [], fTree: [number, number][] = [];
  for (let k = 1; k <= kmax; k++) {
    x = x.mul(4).mul(x.neg().add(1)) as Expr;
    const d = diff(x, "x");
    tree.push([k, treeSize(d)]);
    dag.push([k, dagSize(d)]);
    fTree.push([k, treeSize(x)]);
  }
  return { tree, dag, fTree };
}

/**
 * Checkpointing over a scan of T steps (each step sin(Wx)-like on a carry of n numbers): bytes kept
 * for the reverse pass and gradient time, keeping everything, only each step's input, or √T carries.
 */
export function checkpointData(T = 64, n = 200) {
  const w = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  const step = (c: Tensor): [Tensor, null] => [sin(add(mul(c, 0.9), w)), null];
  // keep every step's intermediates; keep only each step's input carry (checkpoint(step): every step recomputed once); keep √T carries (segments recomputed)
  const run = (opt: "none" | "step" | "sqrt") => (x0: Tensor) => sum(scan(opt === "step" ? checkpoint(step) : step, x0, null, { length: T, ...(opt === "sqrt" ? { checkpoint: "sqrt" } : {}) })[0]);
  const x0 = tensor(w.map((v) => v * 0.1));
  const rows: { name: string; bytes: number; ms: number }[] = [];
  for (const opt of ["none", "step", "sqrt"] as const) {
    const f = run(opt);
    const bytes = residualBytes(f, x0);
    const g = grad(f);
    g(x0);
    const t0 = performance.now();
    let reps = 0;
    while (performance.now() - t0 < 150 || reps < 3) g(x0), reps++;
    rows.push({ name: opt === "none" ? "keep every step's values" : opt === "step" ? "keep each step's input" : `keep √T carries (${Math.ceil(Math.sqrt(T))} segments)`, bytes, ms: (performance.now() - t0) / reps });
  }
  return rows;
}
