/** @file `npm start`: a short tour of wengert on the seeds' worked example. */
import { sourceGrad } from "../source/index.js";
import { SOURCE_EXAMPLES } from "../source/examples.js";
import {
  type Tensor, tensor, grad, valueAndGrad, jacfwd, jacrev, hessian, makeProgram,
  log, mul, sin, sub, add, square, sum, stack, exp, derivative,
} from "../index.js";
import { traceTable, formatTraceTable } from "../api/trace-table.js";

const f = (x1: Tensor, x2: Tensor) => sub(add(log(x1), mul(x1, x2)), sin(x2));
/** A section title; bold (an ANSI escape) only when `color` is set, i.e. on a terminal that wants it. */
let title = (s: string) => `\n${s}\n${"═".repeat(s.length)}`;

export function tour(out: (s: string) => void = console.log, color = false): void {
  title = (s: string) => `\n${color ? `\x1b[1m${s}\x1b[0m` : s}\n${"═".repeat(s.length)}`;
  out(title("wengert — automatic differentiation for TypeScript"));
  out("The seeds' worked example: f(x1, x2) = ln(x1) + x1·x2 − sin(x2) at (x1, x2) = (2, 5).");

  out(title("1. The evaluation trace (Wengert list), forward tangents (ẋ = (1, 0)) and reverse adjoints (v̄5 = 1)"));
  out(formatTraceTable(traceTable(f, [2, 5], [1, 0])));
  const [value, g] = valueAndGrad(f, { argnums: [0, 1] })(2, 5);
  out(`\nf(2, 5) = ${value.item()}`);
  out(`∇f = (∂f/∂x1, ∂f/∂x2) = (${g[0]}, ${g[1]})   [exact: (5.5, 2 − cos 5 = ${2 - Math.cos(5)})]`);

  out(title("2. The gradient is itself a program of primitives (reverse AD by extending the graph)"));
  out(String(makeProgram(grad(f, { argnums: [0, 1] }))(2, 5)));

  out(title("3. A Jacobian (R³ → R², forward and reverse mode) and a Hessian"));
  const h = (x: Tensor) => stack([mul(x.slice(0), x.slice(1)), add(sin(x.slice(2)), x.slice(0))]);
  const x = tensor([0.5, -1.2, 2.0]);
  out(`h(x) = [x0·x1, sin(x2) + x0] at x = ${JSON.stringify(x.toArray())}`);
  out(`jacfwd(h)(x) =\n${jacfwd(h)(x)}`);
  out(`jacrev(h)(x) =\n${jacrev(h)(x)}`);
  const rosen = (x: Tensor) => {
    const a = x.slice([0, -1]), b = x.slice([1]);
    return sum(add(mul(100, square(sub(b, square(a)))), square(sub(1, a))));
  };
  out(`\nRosenbrock r(x) = Σ 100(x[i+1] − x[i]²)² + (1 − x[i])² at x = [1, 2, 3]:`);
  out(`∇r = ${grad(rosen)(tensor([1, 2, 3]))}`);
  out(`hessian(r) =\n${hessian(rosen)(tensor([1, 2, 3]))}`);

  out(title("4. Numerical differentiation: the step size trade-off (seed 000)"));
  out("∂f/∂x1 at (2, 5) = 5.5 exactly. Error of finite differences as the step h shrinks:");
  const g1 = (t: number) => Math.log(t) + t * 5 - Math.sin(5);
  out(`${"h".padStart(8)}  ${"forward error".padStart(14)}  ${"central error".padStart(14)}`);
  for (let k = 1; k <= 15; k += 1) {
    const step = 10 ** -k;
    const fe = Math.abs(derivative(g1, 2, { method: "forward", h: step }) - 5.5);
    const ce = Math.abs(derivative(g1, 2, { method: "central", h: step }) - 5.5);
    out(`${("1e-" + k).padStart(8)}  ${fe.toExponential(2).padStart(14)}  ${ce.toExponential(2).padStart(14)}`);
  }
  out("Truncation error shrinks with h (as h for forward, h² for central); round-off grows as ε/h.");
  out("The best steps are near √ε ≈ 1e-8 (forward) and ∛ε ≈ 1e-5 (central); AD has neither error.");

  out(title("5. Higher order: d⁴/dx⁴ (x·eˣ) = (x + 4)·eˣ"));
  const xe = (t: Tensor) => mul(t, exp(t));
  out(`grad(grad(grad(grad(x·eˣ))))(1) = ${grad(grad(grad(grad(xe))))(1)}   [exact: ${5 * Math.E}]`);

  out(title("6. Source transformation: the derivative as a program you can read (seed 004)"));
  const seed = SOURCE_EXAMPLES.find((e) => e.name === "seed")!;
  const loop = SOURCE_EXAMPLES.find((e) => e.name === "sum-of-squares")!;
  out(seed.source);
  const dSeed = sourceGrad(seed.source, { name: seed.fn, argnums: seed.argnums });
  out(`\nsourceGrad reads it and prints (∇f(2, 5) = ${JSON.stringify(dSeed(2, 5))}):\n`);
  out(dSeed.source);
  out(`\nA loop: the reverse sweep runs it backwards.\n\n${loop.source}\n`);
  out(sourceGrad(loop.source, { name: loop.fn }).source);
}
