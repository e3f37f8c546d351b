/**
 * The explorer page: type a function, see its evaluation trace as a graph, step through the
 * forward and reverse sweeps, read the derivative as a program and as a formula, and look at the
 * plots of finite differences, expression swell and checkpointing. Everything is computed in the
 * browser by wengert.
 */
import katex from "katex";
import { sourceGrad, type Tensor } from "../../src/index.js";
import { type Analysis, analyse, fmt, jacobianSweeps } from "./model.js";
import { type Sweep, adjointSum, drawGraph } from "./graph.js";
import { checkpointData, finiteDifferenceData, linePlot, swellData } from "./plots.js";

interface Example {
  name: string;
  text: string;
  point: string;
  note: string;
}
const EXAMPLES: Example[] = [
  { name: "The worked example (seeds 001, 004)", text: "ln(x1) + x1*x2 - sin(x2)", point: "x1 = 2, x2 = 5", note: "∂f/∂x1 = 1/x1 + x2 = 5.5, ∂f/∂x2 = x1 − cos x2 ≈ 1.716338" },
  { name: "exp(x) + x²", text: "exp(x) + x^2", point: "x = 1", note: "f′(x) = eˣ + 2x" },
  { name: "sin(x² + 1)", text: "sin(x^2 + 1)", point: "x = 0.5", note: "the chain rule: f′(x) = cos(x² + 1)·2x" },
  { name: "Logistic regression loss (seed 002)", text: "ln(1 + exp(-(w*x + b)))", point: "w = 0.5, b = -0.3, x = 2", note: "the loss of one example with label 1: ∂/∂w = −x·σ(−(wx + b))" },
  { name: "The logistic map, three steps", text: "4*(4*(4*x*(1-x))*(1-4*x*(1-x)))*(1-4*(4*x*(1-x))*(1-4*x*(1-x)))", point: "x = 0.3", note: "xₖ₊₁ = 4xₖ(1 − xₖ): shared subexpressions, see the swell plot below" },
  { name: "Rosenbrock", text: "(1 - x)^2 + 100*(y - x^2)^2", point: "x = -1.2, y = 1", note: "the banana valley; its minimum is at (1, 1)" },
];
const JS_EXAMPLE = `function f(x1, x2) {
  let s = Math.log(x1) + x1 * x2;
  for (let i = 0; i < 3; i++) s = s - Math.sin(x2) / 3;
  return s;
}`;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let current: Analysis | null = null;
let sweep: Sweep = "forward";
let step = 0;

function parsePoint(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(/[,;\n]/)) {
    if (!part.trim()) continue;
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v)) throw new Error(`the point "${part.trim()}" should look like x1 = 2 (a name, =, a number)`);
    out[m[1]] = v;
  }
  return out;
}

function showError(e: unknown): void {
  const box = $("error");
  box.textContent = e instanceof Error ? `${e.name === "ParseError" ? "" : `${e.name}: `}${e.message}` : String(e);
  box.hidden = false;
}
function clearError(): void {
  $("error").hidden = true;
}

function run(): void {
  clearError();
  const mode = ($("mode") as HTMLSelectElement).value;
  try {
    if (mode === "js") return runJs();
    const point = parsePoint(($("point") as HTMLInputElement).value);
    current = analyse(($("expr") as HTMLInputElement).value, point, parseSeed());
    step = 0;
    renderAll();
  } catch (e) {
    showError(e);
  }
}

function parseSeed(): Record<string, number> | undefined {
  const text = ($("seed") as HTMLInputElement).value.trim();
  return text ? parsePoint(text) : undefined;
}

function runJs(): void {
  const source = ($("jsfn") as HTMLTextAreaElement).value;
  const point = parsePoint(($("point") as HTMLInputElement).value);
  const head = /function\s+([A-Za-z_$][A-Za-z0-9_$]*)\s*\(([^)]*)\)/.exec(source);
  if (!head) throw new Error("write one function declaration: function f(x1, x2) { … }");
  const g = sourceGrad(source, { name: head[1] });
  const names = head[2].split(",").map((s) => s.trim()).filter(Boolean);
  const args = names.map((n) => {
    if (!(n in point)) throw new Error(`no value for ${n}: give one in the point field`);
    return point[n];
  });
  const grads = g(...args) as number[] | number;
  $("js-result").textContent = `∇f at (${args.join(", ")}) = (${(Array.isArray(grads) ? grads : [grads]).map((v) => fmt(Number(v))).join(", ")})`;
  $("js-source").textContent = g.source;
}

function renderAll(): void {
  const a = current!;
  $("value").textContent = `f(${a.point.map(fmt).join(", ")}) = ${fmt(a.value)}   ∇f = (${a.gradient.map(fmt).join(", ")})`;
  renderSweep();
  $("trace").textContent = a.trace;
  $("gradprog").textContent = a.gradProgram;
  $("rev-source").textContent = a.reverseSource;
  $("fwd-source").textContent = a.forwardSource;
  const sym = $("symbolic");
  sym.replaceChildren();
  const f = document.createElement("div");
  f.className = "formula";
  f.innerHTML = katex.renderToString(`f = ${a.exprLatex}`, { throwOnError: false, displayMode: true });
  sym.append(f);
  for (const s of a.symbolic) {
    const d = document.createElement("div");
    d.className = "formula";
    d.innerHTML = katex.renderToString(`\\frac{\\partial f}{\\partial ${s.wrt.replace(/(\d+)$/, "_{$1}")}} = ${s.latex}`, { throwOnError: false, displayMode: true });
    const sizes = document.createElement("p");
    sizes.className = "sizes";
    sizes.textContent = `DAG size ${s.dag} (shared nodes counted once) · tree size ${s.tree} (written out)`;
    sym.append(d, sizes);
  }
  renderPlots(a);
}

function renderSweep(): void {
  const a = current!;
  const n = a.nodes.length;
  step = Math.max(0, Math.min(step, n));
  $("graph").replaceChildren(drawGraph(a, sweep, step));
  $("sweep-state").textContent = `${sweep === "forward" ? "Forward" : "Reverse"} sweep: step ${step} of ${n}`;
  $("fwd-btn").setAttribute("aria-pressed", String(sweep === "forward"));
  $("rev-btn").setAttribute("aria-pressed", String(sweep === "reverse"));
  // the table beside the graph: v̇ (forward) or v̄ (reverse), filled as far as the step
  const body = $("sweep-table").querySelector("tbody")!;
  body.replaceChildren();
  const shown = sweep === "forward" ? new Set(a.nodes.slice(0, step).map((x) => x.id)) : new Set(a.nodes.slice(n - step).map((x) => x.id));
  ($("sweep-table").querySelector("th.last") as HTMLElement).textContent = sweep === "forward" ? "tangent v̇" : "adjoint v̄";
  for (const node of a.nodes) {
    const tr = document.createElement("tr");
    if (shown.has(node.id)) tr.className = "lit";
    for (const text of [node.id, node.label, fmt(node.value), shown.has(node.id) ? fmt(sweep === "forward" ? node.tangent : node.adjoint) : ""]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  const note = $("sweep-note");
  if (sweep === "reverse" && step > 0) {
    const id = a.nodes[n - step].id;
    note.textContent = `v̄${id.slice(1)} = ${adjointSum(a, id)}${a.edges.filter((e) => e.from === id).length > 1 ? "   (several paths: their contributions add up)" : ""}`;
  } else if (sweep === "forward" && step > 0) {
    const node = a.nodes[step - 1];
    const ins = a.edges.filter((e) => e.to === node.id);
    note.textContent = node.input ? `v̇ of the input ${node.label} is the seed: ${fmt(node.tangent)}` : `v̇${node.id.slice(1)} = ${ins.map((e) => `∂${node.id}/∂${e.from}·v̇${e.from.slice(1)}`).join(" + ")} = ${fmt(node.tangent)}`;
  } else note.textContent = "Press Next (or →) to step through the sweep.";
}

function renderJacobian(): void {
  try {
    const texts: [string, string] = [($("jac1") as HTMLInputElement).value, ($("jac2") as HTMLInputElement).value];
    const p = parsePoint(($("jacpoint") as HTMLInputElement).value);
    const names = Object.keys(p).sort();
    const j = jacobianSweeps(texts, [p[names[0]], p[names[1]]]);
    const cells = (filled: (i: number, k: number) => boolean, value: (i: number, k: number) => number) =>
      [0, 1].map((i) => `<tr>${[0, 1].map((k) => `<td class="${filled(i, k) ? "lit" : ""}">${filled(i, k) ? fmt(value(i, k)) : "?"}</td>`).join("")}</tr>`).join("");
    const jstep = Number($("jac-step").dataset.step ?? 0);
    $("jac-fwd").innerHTML = `<caption>forward mode: column ${Math.min(jstep, 2)} of 2</caption>${cells((_, k) => k < jstep, (i, k) => j.forward[k][i])}`;
    $("jac-rev").innerHTML = `<caption>reverse mode: row ${Math.min(jstep, 2)} of 2</caption>${cells((i) => i < jstep, (i, k) => j.reverse[i][k])}`;
  } catch (e) {
    showError(e);
  }
}

function renderPlots(a: Analysis): void {
  const fd = finiteDifferenceData(a.expr, a.vars, a.point);
  const hs = fd.forward.map(([h]) => h);
  const eps = 2.2e-16, fx = Math.max(Math.abs(a.value), 1e-3);
  $("plot-fd").replaceChildren(
    linePlot({
      title: `Error of ∂f/∂${a.vars[0]} by finite differences`,
      xLabel: "step h",
      yLabel: "|error|",
      logX: true,
      logY: true,
      series: [
        { name: "forward (f(x+h) − f(x))/h", points: fd.forward, color: "#c33" },
        { name: "central (f(x+h) − f(x−h))/2h", points: fd.central, color: "#36c" },
        { name: "slope 1 (truncation, forward)", points: hs.filter((h) => h > 1e-8).map((h) => [h, h]), color: "#c33", dashed: true },
        { name: "slope 2 (truncation, central)", points: hs.filter((h) => h > 1e-6).map((h) => [h, h * h]), color: "#36c", dashed: true },
        { name: "slope −1 (round-off ε·|f|/h)", points: hs.filter((h) => h < 1e-4).map((h) => [h, (eps * fx) / h]), color: "#999", dashed: true },
      ],
      marks: [
        { x: fd.bestForward[0], y: fd.bestForward[1], label: `best h ≈ ${fd.bestForward[0].toExponential(0)}` },
        { x: fd.bestCentral[0], y: fd.bestCentral[1], label: `best h ≈ ${fd.bestCentral[0].toExponential(0)}` },
      ],
    }),
  );
}

function renderStaticPlots(): void {
  const s = swellData(30);
  $("plot-swell").replaceChildren(
    linePlot({
      title: "d/dx of the logistic map after k steps",
      xLabel: "k",
      yLabel: "nodes",
      logY: true,
      series: [
        { name: "derivative written out (tree)", points: s.tree, color: "#c33" },
        { name: "derivative as a DAG (wengert)", points: s.dag, color: "#36c" },
        { name: "the function itself, written out", points: s.fTree, color: "#999", dashed: true },
      ],
    }),
  );
  const rows = checkpointData();
  const table = $("ckpt-table");
  table.innerHTML = `<thead><tr><th>strategy</th><th>bytes kept for the reverse pass</th><th>gradient time</th></tr></thead><tbody>${rows
    .map((r) => `<tr><td>${r.name}</td><td>${(r.bytes / 1024).toFixed(1)} KiB</td><td>${r.ms.toFixed(2)} ms</td></tr>`)
    .join("")}</tbody>`;
  $("plot-ckpt").replaceChildren(
    linePlot({
      title: "Checkpointing a 64-step scan: memory against time",
      xLabel: "bytes kept (KiB)",
      yLabel: "gradient time (ms)",
      series: [{ name: "three strategies, most memory to least", points: rows.map((r) => [r.bytes / 1024, r.ms]), color: "#393" }],
      marks: rows.map((r) => ({ x: r.bytes / 1024, y: r.ms, label: r.name })),
    }),
  );
}

function loadExample(i: number): void {
  const ex = EXAMPLES[i];
  ($("expr") as HTMLInputElement).value = ex.text;
  ($("point") as HTMLInputElement).value = ex.point;
  ($("seed") as HTMLInputElement).value = "";
  $("example-note").textContent = ex.note;
  run();
}

function setMode(mode: string): void {
  $("expr-row").hidden = mode !== "expr";
  $("js-row").hidden = mode !== "js";
  $("expr-views").hidden = mode !== "expr";
  $("js-views").hidden = mode !== "js";
}

function init(): void {
  const sel = $("examples") as HTMLSelectElement;
  EXAMPLES.forEach((ex, i) => sel.append(new Option(ex.name, String(i))));
  sel.addEventListener("change", () => loadExample(Number(sel.value)));
  ($("jsfn") as HTMLTextAreaElement).value = JS_EXAMPLE;
  $("mode").addEventListener("change", () => {
    setMode(($("mode") as HTMLSelectElement).value);
    run();
  });
  $("run").addEventListener("click", run);
  for (const id of ["expr", "point", "seed"]) $(id).addEventListener("keydown", (e) => (e as KeyboardEvent).key === "Enter" && run());
  $("fwd-btn").addEventListener("click", () => ((sweep = "forward"), (step = 0), renderSweep()));
  $("rev-btn").addEventListener("click", () => ((sweep = "reverse"), (step = 0), renderSweep()));
  $("next").addEventListener("click", () => current && (step++, renderSweep()));
  $("prev").addEventListener("click", () => current && (step--, renderSweep()));
  $("all").addEventListener("click", () => current && ((step = current.nodes.length), renderSweep()));
  $("reset").addEventListener("click", () => current && ((step = 0), renderSweep()));
  document.addEventListener("keydown", (e) => {
    const t = e.target as HTMLElement;
    if (!current || t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") return;
    if (e.key === "ArrowRight") step++, renderSweep();
    else if (e.key === "ArrowLeft") step--, renderSweep();
  });
  const jacStep = $("jac-step");
  jacStep.dataset.step = "0";
  jacStep.addEventListener("click", () => {
    jacStep.dataset.step = String((Number(jacStep.dataset.step) + 1) % 3);
    renderJacobian();
  });
  for (const id of ["jac1", "jac2", "jacpoint"]) $(id).addEventListener("change", renderJacobian);
  setMode("expr");
  loadExample(0);
  renderJacobian();
  renderStaticPlots();
  document.body.dataset.ready = "true";
}

// a typed handle for tests and the curious: the library itself, on the page
(window as unknown as { wengertReady: boolean; tensorOf?: (x: Tensor) => unknown }).wengertReady = false;
try {
  init();
  (window as unknown as { wengertReady: boolean }).wengertReady = true;
} catch (e) {
  showError(e);
  throw e;
}
