/**
 * The computational graph as SVG, laid out by dagre (inputs at the bottom, the output at the top).
 * Each node shows its name, operation and value; depending on the sweep and the step, its tangent
 * (forward) or adjoint (reverse) too, and in the reverse sweep each edge carries its partial
 * adjoint v̄ⱼ·∂vⱼ/∂vᵢ, with a node's adjoint written as the sum over its outgoing edges.
 */
import { Graph, layout } from "@dagrejs/dagre";
import { type Analysis, fmt } from "./model.js";
import { el } from "./svg.js";


export type Sweep = "forward" | "reverse";

/**
 * Draw the graph. `step` counts nodes revealed in the sweep: forward mode fills tangents in the
 * evaluation order, reverse mode fills adjoints from the output back.
 */
export function drawGraph(a: Analysis, sweep: Sweep, step: number): SVGSVGElement {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: "BT", nodesep: 28, ranksep: 56, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const W = 132, H = 64;
  for (const n of a.nodes) g.setNode(n.id, { width: W, height: H });
  a.edges.forEach((e, i) => g.setEdge(e.from, e.to, { width: 70, height: 16, labelpos: "c" }, `e${i}`));
  layout(g);
  const { width = 400, height = 300 } = g.graph();
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "graph", role: "img", "aria-label": "computational graph" }) as SVGSVGElement;
  svg.append(markers());
  const order = a.nodes.map((n) => n.id);
  const shownForward = new Set(order.slice(0, sweep === "forward" ? step : 0));
  const shownReverse = new Set(sweep === "reverse" ? order.slice(order.length - step) : []);
  // edges first, under the nodes
  a.edges.forEach((e, i) => {
    const pts: { x: number; y: number }[] = g.edge(e.from, e.to, `e${i}`).points ?? [];
    const d = pts.map((p, k) => `${k ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
    const active = sweep === "reverse" ? shownReverse.has(e.to) : shownForward.has(e.to);
    svg.append(el("path", { d, class: `edge${active ? " active" : ""}`, "marker-end": "url(#arrow)" }));
    const mid = pts[Math.floor(pts.length / 2)];
    if (mid && active) {
      const to = a.nodes.find((n) => n.id === e.to)!;
      // forward: the tangent flowing along the edge, ∂vⱼ/∂vᵢ·v̇ᵢ; reverse: the partial adjoint v̄ⱼ·∂vⱼ/∂vᵢ
      const from = a.nodes.find((n) => n.id === e.from)!;
      const text = sweep === "reverse" ? `${fmt(to.adjoint * e.partial)}` : `${fmt(e.partial * from.tangent)}`;
      svg.append(el("text", { x: mid.x, y: mid.y - 4, class: "edge-label", "text-anchor": "middle" }, text));
    }
  });
  for (const n of a.nodes) {
    const { x, y } = g.node(n.id);
    const grp = el("g", { class: `node${n.input ? " input" : ""}${shownForward.has(n.id) || shownReverse.has(n.id) ? " lit" : ""}`, transform: `translate(${x - W / 2},${y - H / 2})`, "data-id": n.id });
    grp.append(el("rect", { width: W, height: H, rx: 8 }));
    grp.append(el("text", { x: W / 2, y: 16, "text-anchor": "middle", class: "node-name" }, `${n.id}: ${n.label}`));
    grp.append(el("text", { x: W / 2, y: 34, "text-anchor": "middle", class: "node-value" }, `= ${fmt(n.value)}`));
    if (shownForward.has(n.id)) grp.append(el("text", { x: W / 2, y: 52, "text-anchor": "middle", class: "node-tangent" }, `v̇ = ${fmt(n.tangent)}`));
    if (shownReverse.has(n.id)) grp.append(el("text", { x: W / 2, y: 52, "text-anchor": "middle", class: "node-adjoint" }, `v̄ = ${fmt(n.adjoint)}`));
    svg.append(grp);
  }
  return svg;
}

function markers(): SVGElement {
  const defs = el("defs", {});
  const m = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  m.append(el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }));
  defs.append(m);
  return defs;
}

/**
 * How a node's adjoint comes together in the reverse sweep: the sum over its outgoing edges of
 * v̄ⱼ·∂vⱼ/∂vᵢ (several terms where the node feeds several operations — the paths summed).
 */
export function adjointSum(a: Analysis, id: string): string {
  const out = a.edges.filter((e) => e.from === id);
  if (out.length === 0) return "1 (the output's seed)";
  const terms = out.map((e) => {
    const to = a.nodes.find((n) => n.id === e.to)!;
    return `v̄${sub(e.to)}·∂${e.to}/∂${id} = ${fmt(to.adjoint)}·${fmt(e.partial)}`;
  });
  return terms.length > 1 ? `${terms.join("  +  ")}` : terms[0];
}
const sub = (id: string) => id.replace(/^v/, "");
