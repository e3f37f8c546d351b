/**
 * @file The one IR: a program is a list of equations over variables (the Wengert list of the seeds).
 * Staging (makeProgram, linearize) builds it; evaluation, transposition and printing read it.
 */
import type { Aval, Tensor } from "./tensor.js";
import type { Primitive } from "./primitive.js";
import { SHORT } from "./dtype.js";
import { bind } from "./trace.js";
import { InputError, fmtValue } from "./errors.js";

function checkProgram(op: string, p: unknown): void {
  if (!(p instanceof Program)) throw new InputError(`${op}: needs a Program (makeProgram(f)(...args).program); got ${fmtValue(p)}`);
}

export class Var {
  constructor(
    readonly id: number,
    readonly aval: Aval,
  ) {}
}

/** A value known when the program was built: a concrete array, or a tracer of an enclosing transformation. */
export class Lit {
  constructor(readonly value: Tensor) {}
  get aval(): Aval {
    return this.value;
  }
}

export type Atom = Var | Lit;

export interface Eqn {
  readonly prim: Primitive;
  readonly inputs: Atom[];
  readonly params: unknown;
  readonly outs: Var[];
}

export class Program {
  constructor(
    readonly inputs: Var[],
    readonly eqns: Eqn[],
    /** null: the output is identically zero (a linear program's output that depends on no input). */
    readonly outputs: (Atom | null)[],
  ) {}

  toString(): string {
    return printProgram(this);
  }
}

/** How many times each variable is read (by equations and as an output). */
export function useCounts(p: Program): Map<Var, number> {
  const uses = new Map<Var, number>();
  const use = (a: Atom | null) => {
    if (a instanceof Var) uses.set(a, (uses.get(a) ?? 0) + 1);
  };
  for (const e of p.eqns) e.inputs.forEach(use);
  p.outputs.forEach(use);
  return uses;
}

/** The programs an equation holds in its params (scan bodies, branches, checkpoints), arrays of them included. */
export function subprograms(e: Eqn): Program[] {
  const out: Program[] = [];
  const visit = (v: unknown): void => {
    if (v instanceof Program) out.push(v);
    else if (Array.isArray(v)) v.forEach(visit);
  };
  Object.values(e.params ?? {}).forEach(visit);
  return out;
}

/** An id no variable of the program uses yet (for passes that add inputs). */
export function freshVarId(p: Program): number {
  let m = -1; // a loop, not Math.max(...ids): programs of 1e5 equations would overflow the stack
  for (const v of p.inputs) if (v.id > m) m = v.id;
  for (const e of p.eqns) for (const v of e.outs) if (v.id > m) m = v.id;
  return 1 + m;
}

/** Collects equations while a staging trace runs. */
export class ProgramBuilder {
  private nextId = 0;
  readonly inputs: Var[] = [];
  readonly eqns: Eqn[] = [];

  newVar(aval: Aval): Var {
    return new Var(this.nextId++, { shape: aval.shape, dtype: aval.dtype });
  }
  addInput(aval: Aval): Var {
    const v = this.newVar(aval);
    this.inputs.push(v);
    return v;
  }
  build(outputs: (Atom | null)[]): Program {
    return new Program(this.inputs, this.eqns, outputs);
  }
}

/**
 * Drop equations whose outputs are never used (e.g. the primal part of a gradient program).
 * @example
 * const { program } = makeProgram((x: Tensor) => { sin(x); return mul(x, 2); })(1);
 * deadCodeElimination(program).eqns.length // → 1
 */
export function deadCodeElimination(program: Program): Program {
  checkProgram("deadCodeElimination", program);
  const live = new Set<Var>();
  for (const a of program.outputs) if (a instanceof Var) live.add(a);
  const kept: Eqn[] = [];
  for (let k = program.eqns.length - 1; k >= 0; k--) {
    const e = program.eqns[k];
    if (!e.outs.some((v) => live.has(v))) continue;
    kept.push(e);
    for (const a of e.inputs) if (a instanceof Var) live.add(a);
  }
  return new Program(program.inputs, kept.reverse(), program.outputs);
}

/**
 * Run a program on values (of any level: concrete arrays or tracers, so evaluation can be traced).
 * @example
 * const { program } = makeProgram((x: Tensor) => mul(x, 2))(1);
 * evalProgram(program, [tensor(5)]) // → [10]
 */
export function evalProgram(program: Program, args: Tensor[]): (Tensor | null)[] {
  checkProgram("evalProgram", program);
  if (!Array.isArray(args) || args.length !== program.inputs.length) throw new InputError(`evalProgram: needs an array of ${program.inputs.length} input${program.inputs.length === 1 ? "" : "s"}; got ${fmtValue(args)}`);
  const env = new Map<Var, Tensor>();
  program.inputs.forEach((v, i) => env.set(v, args[i]));
  const read = (a: Atom): Tensor => (a instanceof Lit ? a.value : env.get(a)!);
  for (const eqn of program.eqns) {
    const outs = bind(eqn.prim, eqn.inputs.map(read), eqn.params);
    eqn.outs.forEach((v, i) => env.set(v, outs[i]));
  }
  return program.outputs.map((a) => (a === null ? null : read(a)));
}

const typeOf = (a: Aval) => `${SHORT[a.dtype]}[${a.shape.join(",")}]`;

/**
 * Print as a Wengert list:
 *   in  x1:f64[], x2:f64[]
 *   v1:f64[] = log x1
 *   out v5
 * @example
 * printProgram(makeProgram((x: Tensor) => sin(x))(1).program).includes("sin") // → true
 */
export function printProgram(program: Program, inputNames?: string[]): string {
  checkProgram("printProgram", program);
  const names = new Map<Var, string>();
  program.inputs.forEach((v, i) => names.set(v, inputNames?.[i] ?? `x${i + 1}`));
  let k = 0;
  for (const e of program.eqns) for (const v of e.outs) names.set(v, `v${++k}`);
  const consts: string[] = [];
  const constNames = new Map<Tensor, string>();
  const show = (a: Atom | null): string => {
    if (a === null) return "0";
    if (a instanceof Var) return names.get(a) ?? `?${a.id}`;
    const v = a.value;
    if (v.isConcrete() && v.size === 1 && v.shape.length === 0) return v.formatValues()!;
    let name = constNames.get(v);
    if (!name) {
      name = `c${constNames.size + 1}`;
      constNames.set(v, name);
      consts.push(`  ${name}:${typeOf(v)} = ${v.isConcrete() ? v.formatValues(2, 8)!.replace(/\n\s*/g, " ") : "(value of an enclosing transformation)"}`);
    }
    return name;
  };
  const body = program.eqns.map((e) => {
    const lhs = e.outs.map((v) => `${names.get(v)}:${typeOf(v.aval)}`).join(", ");
    const params = e.prim.showParams ? ` {${e.prim.showParams(e.params as never)}}` : "";
    return `  ${lhs} = ${e.prim.name}${params} ${e.inputs.map(show).join(" ")}`;
  });
  const outs = program.outputs.map(show).join(", ");
  const head = `in  ${program.inputs.map((v) => `${names.get(v)}:${typeOf(v.aval)}`).join(", ")}`;
  return [head, ...(consts.length ? ["consts", ...consts] : []), ...body, `out ${outs}`].join("\n");
}
