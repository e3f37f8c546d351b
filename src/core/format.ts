/**
 * @file One printer for programs of the IR, in several styles: "ir" (the Wengert list, core/ir.ts),
 * "infix" and "latex" (each equation inlined into its users; every primitive prints itself through
 * its entry's `print` rule), "let" (infix, with every value used twice bound once as `tN = …`, so
 * text grows like the program, not like the expanded tree) and "js" (the body of a JavaScript
 * function from the entries' code templates). Symbolic expressions print through it (as programs:
 * symbolic/program.ts), and derivative programs of any origin can.
 */
import { type Atom, Lit, Program, Var, printProgram } from "./ir.js";
import { type Piece, type PrintContext, atom, call, formatNumber, latexName } from "./print.js";
import { LoopWriter, jsNumber } from "./codegen.js";
import { TransformError } from "./errors.js";

export type FormatStyle = "ir" | "infix" | "let" | "latex" | "js";

/**
 * Print a program's outputs. `inputNames` names its inputs (as variables; in "js" they must be
 * identifiers the caller generated). Returns the bindings (the "let" style's `tN = …` lines, or
 * the "js" style's statements) and one text per output.
 */
export function formatProgram(program: Program, style: FormatStyle, inputNames: readonly string[]): { bindings: string[]; results: string[] } {
  if (style === "ir") return { bindings: [], results: [printProgram(program, [...inputNames])] };
  if (style === "js") return formatJS(program, inputNames);
  const latex = style === "latex";
  const uses = new Map<Var, number>();
  if (style === "let") for (const e of program.eqns) for (const a of e.inputs) if (a instanceof Var) uses.set(a, (uses.get(a) ?? 0) + 1);
  const pieces = new Map<Var, Piece>();
  program.inputs.forEach((v, i) => pieces.set(v, atom(latex ? latexName(inputNames[i]) : inputNames[i])));
  const piece = (a: Atom): Piece => {
    if (a instanceof Var) return pieces.get(a)!;
    if (a.value.size !== 1) return atom(constantText(a, latex));
    const v = a.value.item();
    return { text: formatNumber(v, latex), prec: v < 0 ? 3 : 5 };
  };
  const bindings: string[] = [];
  for (const e of program.eqns) {
    if (e.outs.length !== 1) throw new TransformError(`format: ${e.prim.name} has ${e.outs.length} outputs; only single-output equations print as expressions (use the "ir" style)`);
    const args = e.inputs.map(piece);
    const c: PrintContext = { latex, argDtypes: e.inputs.map((a) => a.aval.dtype) };
    const p = e.prim.print?.(args, e.params, c) ?? call(e.prim.name, args, c);
    const out = e.outs[0];
    if ((uses.get(out) ?? 0) >= 2) {
      const name = `t${bindings.length + 1}`;
      bindings.push(`${name} = ${p.text}`);
      pieces.set(out, atom(name));
    } else pieces.set(out, p);
  }
  return { bindings, results: program.outputs.map((o) => (o === null ? formatNumber(0, latex) : piece(o).text)) };
}

/** Most elements of a tensor constant written out in a formula; larger ones need the "ir" style. */
const MAX_PRINTED = 16;

/** A tensor constant of a formula as a nested array ([[1, 0], [0, 1]]; a LaTeX matrix in "latex"). */
function constantText(a: Lit, latex: boolean): string {
  const t = a.value;
  if (t.size > MAX_PRINTED) throw new TransformError(`format: a constant of shape [${t.shape.join(", ")}] is too large to write into a formula; print the program in the "ir" style, which lists constants`);
  const nested = (x: unknown): string => (Array.isArray(x) ? `[${x.map(nested).join(", ")}]` : formatNumber(Number(x), false));
  if (!latex) return nested(t.toArray());
  if (t.ndim === 2) return `\\begin{bmatrix}${(t.toArray() as unknown[][]).map((r) => r.map((v) => formatNumber(Number(v), true)).join(" & ")).join(" \\\\ ")}\\end{bmatrix}`;
  return `\\left${nested(t.toArray()).replace(/^\[/, "[").replace(/\]$/, "\\right]")}`;
}

/** The statements of a JS function body computing the outputs from variables named `inputNames`. */
function formatJS(program: Program, inputNames: readonly string[]): { bindings: string[]; results: string[] } {
  for (const n of inputNames) if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(n)) throw new TransformError(`format: "js" needs generated identifiers as input names`);
  const names = new Map<Var, string>();
  program.inputs.forEach((v, i) => names.set(v, inputNames[i]));
  const name = (a: Atom) => {
    if (!(a instanceof Lit)) return names.get(a)!;
    if (a.value.size !== 1) throw new TransformError(`format: "js" writes scalar code, and this program has a constant of shape [${a.value.shape.join(", ")}]; use the "ir" style`);
    return jsNumber(a.value.item());
  };
  const w = new LoopWriter(); // straight-line code, written as jit and eager fusion write loop bodies
  for (const e of program.eqns) {
    if (e.prim.code === undefined || e.outs.length !== 1) throw new TransformError(`format: ${e.prim.name} is not elementwise and has no JavaScript template`);
    names.set(e.outs[0], w.apply(e.prim.code.bind(e.prim), e.inputs.map(name), e.params, e.outs[0].aval.dtype));
  }
  return { bindings: w.straight(), results: program.outputs.map((o) => (o === null ? "0" : name(o))) };
}
