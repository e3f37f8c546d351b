/**
 * @file From an optimized Program to one JavaScript function. Two steps:
 *
 * 1. `plan` groups equations into steps. Elementwise equations of the same size go into one *loop*
 *    (fusion): values used only inside the loop stay local `const`s and never become arrays. Views
 *    that are plain index arithmetic on an array (reshape, broadcast of a scalar, contiguous slice
 *    and pad) are fused as loads, and a full sum becomes an accumulator in its producer's loop.
 *    Everything else is an *op* step that calls the primitive's `impl` (matmul, gathers, …).
 * 2. `emit` writes the source: one `for` loop per loop step, one `impl` call per op step.
 *
 * Arrays produced by a loop and read only by later loops are allocated once per compiled function
 * and reused across calls; arrays returned to the caller are fresh on every call.
 */
import { type Atom, type Eqn, Lit, Program, Var } from "../core/ir.js";
import type { Primitive } from "../core/primitive.js";
import { type DType, allocate } from "../core/dtype.js";
import { shapeEq, sizeOf, stridesOf } from "../core/shape.js";
import { jsNumber } from "../core/codegen.js";
import { ArrayTensor } from "../tensor/array.js";
import type { Tensor } from "../core/tensor.js";

type Loop = { kind: "loop"; size: number; eqns: Eqn[] };
type Op = { kind: "op"; eqn: Eqn };
type Step = Loop | Op;

const sizeOfAtom = (a: Atom) => sizeOf(a.aval.shape);

/** For a view that reads a contiguous block of its input: the block's offset in the input. */
function contiguousSliceOffset(inShape: readonly number[], p: { starts: number[]; limits: number[]; steps: number[] }): number | null {
  if (p.steps.some((s) => s !== 1)) return null;
  // contiguous iff every axis after the first partially-taken one is taken whole, and the axes
  // before it have extent 1 in the output
  let partial = -1;
  for (let i = 0; i < inShape.length; i++) {
    const full = p.starts[i] === 0 && p.limits[i] === inShape[i];
    if (partial >= 0 && !full) return null;
    if (!full && partial < 0) partial = i;
  }
  if (partial > 0 && p.starts.slice(0, partial).some((s, i) => p.limits[i] - s !== 1)) return null;
  const st = stridesOf(inShape);
  return p.starts.reduce((acc, s, i) => acc + s * st[i], 0);
}

/** For zero padding that places the input as one contiguous block of the output: the block's offset. */
function contiguousPadOffset(inShape: readonly number[], outShape: readonly number[], p: { lo: number[]; hi: number[]; interior: number[] }): number | null {
  if (p.interior.some((v) => v !== 0)) return null;
  let padded = -1;
  for (let i = 0; i < inShape.length; i++) {
    const none = p.lo[i] === 0 && p.hi[i] === 0;
    if (padded >= 0 && !none) return null;
    if (!none && padded < 0) padded = i;
  }
  if (padded > 0 && inShape.slice(0, padded).some((d) => d !== 1)) return null;
  const st = stridesOf(outShape);
  return p.lo.reduce((acc, l, i) => acc + l * st[i], 0);
}

/**
 * Σₖ pad(uₖ) with contiguous pads, as one equation: in the loop that computes the uₖ it becomes
 * `out[i + offₖ] += uₖ` (the reverse of slicing, e.g. the gradient of x[1:] and x[:-1] terms), so
 * neither the uₖ nor the padded arrays are ever materialized. Exists only inside codegen.
 */
export const scatterSumP: Primitive<{ offsets: number[]; shape: number[] }> = {
  name: "scatterSum",
  impl(args, { offsets, shape }) {
    const out = allocate(args[0].dtype, sizeOf(shape));
    args.forEach((a, k) => {
      const d = a.data, off = offsets[k];
      for (let i = 0; i < d.length; i++) out[i + off] += d[i];
    });
    return [new ArrayTensor(out, shape, args[0].dtype)];
  },
  shape: (avals, { shape }) => [{ shape, dtype: avals[0].dtype }],
  jvp: () => {
    throw new Error("scatterSum exists only in generated code");
  },
  transpose: null,
  showParams: (p) => `offsets=[${p.offsets}]`,
};

/** Replace sums of contiguous pads (each used once) by scatterSum equations. */
export function fuseScatters(program: Program): Program {
  const uses = new Map<Var, number>();
  const count = (a: Atom | null) => a instanceof Var && uses.set(a, (uses.get(a) ?? 0) + 1);
  program.eqns.forEach((e) => e.inputs.forEach(count));
  program.outputs.forEach(count);
  const def = new Map<Var, Eqn>();
  program.eqns.forEach((e) => e.outs.forEach((v) => def.set(v, e)));
  const absorbed = new Set<Eqn>();
  const replaced = new Map<Eqn, Eqn>();
  for (let k = program.eqns.length - 1; k >= 0; k--) {
    const e = program.eqns[k];
    if (e.prim.name !== "add" || absorbed.has(e)) continue;
    const out = e.outs[0].aval;
    const terms: [Atom, number][] = [];
    const inner: Eqn[] = [];
    const collect = (a: Atom): boolean => {
      const d = a instanceof Var && uses.get(a) === 1 ? def.get(a) : undefined;
      if (!d || !shapeEq(d.outs[0].aval.shape, out.shape) || d.outs[0].aval.dtype !== out.dtype) return false;
      if (d.prim.name === "add") {
        inner.push(d);
        return d.inputs.every(collect);
      }
      if (d.prim.name !== "pad") return false;
      const off = contiguousPadOffset(d.inputs[0].aval.shape, out.shape, d.params as never);
      if (off === null) return false;
      inner.push(d);
      terms.push([d.inputs[0], off]);
      return true;
    };
    if (!e.inputs.every(collect) || terms.length < 1) continue;
    const m = sizeOfAtom(terms[0][0]);
    if (terms.some(([u]) => sizeOfAtom(u) !== m || u.aval.dtype !== out.dtype)) continue;
    inner.forEach((d) => absorbed.add(d));
    replaced.set(e, { prim: scatterSumP, inputs: terms.map(([u]) => u), params: { offsets: terms.map(([, o]) => o), shape: [...out.shape] }, outs: e.outs });
  }
  if (replaced.size === 0) return program;
  const eqns = program.eqns.filter((e) => !absorbed.has(e)).map((e) => replaced.get(e) ?? e);
  return new Program(program.inputs, eqns, program.outputs);
}

type Kind = "elementwise" | "load" | "sum" | "scatter" | null;

/** How an equation can take part in a fused loop (null: it cannot). */
function fusionKind(e: Eqn): Kind {
  if (e.outs.length !== 1) return null;
  const out = e.outs[0].aval;
  const n = sizeOf(out.shape);
  const name = e.prim.name;
  if (e.prim.code !== undefined) {
    // operands must be the output's shape or a single element (general broadcasting is an op step)
    return e.inputs.every((a) => sizeOfAtom(a) === 1 || shapeEq(a.aval.shape, out.shape)) ? "elementwise" : null;
  }
  const x = e.inputs[0];
  switch (name) {
    case "reshape":
      return "load";
    case "broadcastTo":
      return sizeOfAtom(x) === 1 || sizeOfAtom(x) === n ? "load" : null;
    case "slice":
      return contiguousSliceOffset(x.aval.shape, e.params as never) === null ? null : "load";
    case "pad":
      return contiguousPadOffset(x.aval.shape, out.shape, e.params as never) === null ? null : "load";
    case "reduceSum":
      return n === 1 && x.aval.dtype !== "bool" ? "sum" : null;
    case "scatterSum":
      return "scatter";
    default:
      return null;
  }
}

/** The loop size an equation runs over. */
const loopSize = (e: Eqn, kind: Kind) => (kind === "sum" || kind === "scatter" ? sizeOfAtom(e.inputs[0]) : sizeOf(e.outs[0].aval.shape));

export function plan(program: Program): Step[] {
  const steps: Step[] = [];
  const open = new Map<number, Loop>();
  const definedIn = new Map<Var, Loop>();
  const sums = new Set<Var>();
  const close = (loop: Loop) => {
    if (open.get(loop.size) !== loop) return;
    open.delete(loop.size);
    steps.push(loop);
  };
  for (const e of program.eqns) {
    const kind = fusionKind(e);
    if (kind === null) {
      for (const a of e.inputs) if (a instanceof Var && definedIn.has(a)) close(definedIn.get(a)!);
      steps.push({ kind: "op", eqn: e });
      continue;
    }
    const n = loopSize(e, kind);
    const shifted = kind === "load" && (e.prim.name === "slice" || e.prim.name === "pad" || (e.prim.name === "broadcastTo" && sizeOfAtom(e.inputs[0]) === 1 && n > 1));
    for (const a of e.inputs) {
      const from = a instanceof Var ? definedIn.get(a) : undefined;
      if (!from) continue;
      // a value from another loop, a finished sum, or a shifted read needs that loop to have run
      if (from.size !== n || sums.has(a as Var) || shifted) close(from);
    }
    let loop = open.get(n);
    if (!loop) open.set(n, (loop = { kind: "loop", size: n, eqns: [] }));
    loop.eqns.push(e);
    definedIn.set(e.outs[0], loop);
    if (kind === "sum" || kind === "scatter") sums.add(e.outs[0]); // complete only after the loop
  }
  for (const loop of [...open.values()]) close(loop);
  return steps;
}

const wrapFor = (dtype: DType, expr: string) => (dtype === "float32" ? `Math.fround(${expr})` : dtype === "int32" ? `(${expr}) | 0` : expr);

function single(value: number, shape: number[], dtype: DType): ArrayTensor {
  const d = allocate(dtype, 1);
  d[0] = value;
  return new ArrayTensor(d, shape, dtype);
}

/** Write the JS source of a program. */
export function emit(program: Program, steps: Step[]): { source: string; names: string[]; values: unknown[] } {
  const names: string[] = ["AT", "allocate", "single"];
  const values: unknown[] = [ArrayTensor, allocate, single];
  const bind = (prefix: string, v: unknown): string => {
    const name = `${prefix}${names.length}`;
    names.push(name);
    values.push(v);
    return name;
  };
  const litNames = new Map<Tensor, string>();
  const lit = (l: Lit): string => {
    let name = litNames.get(l.value);
    if (!name) litNames.set(l.value, (name = bind("L", l.value)));
    return name;
  };
  const arr = (a: Atom): string => (a instanceof Lit ? lit(a) : `v${a.id}`);

  // Which step defines each var, and which values leave their loop.
  const stepOf = new Map<Var, Step>();
  for (const s of steps) for (const e of s.kind === "loop" ? s.eqns : [s.eqn]) for (const v of e.outs) stepOf.set(v, s);
  const usedOutside = new Set<Var>();
  const usedByOp = new Set<Var>();
  for (const s of steps) {
    for (const e of s.kind === "loop" ? s.eqns : [s.eqn]) {
      for (const a of e.inputs) {
        if (a instanceof Var && stepOf.get(a) !== s && stepOf.has(a)) {
          usedOutside.add(a);
          if (s.kind === "op") usedByOp.add(a);
        }
      }
    }
  }
  const outputs = new Set(program.outputs.filter((a): a is Var => a instanceof Var));

  const lines: string[] = [];
  const pre: string[] = []; // allocated once per compiled function
  lines.push(`return function compiled(inputs) {`);
  program.inputs.forEach((v, i) => lines.push(`  const v${v.id} = inputs[${i}];`));
  for (const s of steps) {
    if (s.kind === "op") {
      const e = s.eqn;
      const p = bind("P", e.prim as Primitive), q = bind("Q", e.params);
      lines.push(`  const [${e.outs.map((v) => `v${v.id}`).join(", ")}] = ${p}.impl([${e.inputs.map(arr).join(", ")}], ${q}); // ${e.prim.name}`);
      continue;
    }
    // ---- a fused loop ----
    const n = s.size;
    const head: string[] = [], body: string[] = [];
    const results: [string, string][] = []; // values the loop hands on, assigned after it
    const inLoop = new Set<Var>(s.eqns.flatMap((e) => e.outs));
    const hoisted = new Map<string, string>();
    const hoist = (key: string, code: string): string => {
      let name = hoisted.get(key);
      if (!name) {
        name = `h${hoisted.size}_${lines.length}`;
        hoisted.set(key, name);
        head.push(`    const ${name} = ${code};`);
      }
      return name;
    };
    /** A scalar operand: an in-loop value, a literal number, or one element hoisted out of the loop. */
    const read = (a: Atom): string => {
      if (a instanceof Var && inLoop.has(a)) return `e${a.id}`;
      if (a instanceof Lit && a.value instanceof ArrayTensor && (a.value.uniform !== undefined || sizeOfAtom(a) === 1)) {
        return jsNumber(a.value.uniform ?? a.value.data[0]); // a constant with all elements equal is a number
      }
      if (sizeOfAtom(a) === 1) return hoist(`s:${arr(a)}`, `${arr(a)}.data[0]`);
      return `${hoist(`d:${arr(a)}`, `${arr(a)}.data`)}[i]`;
    };
    const data = (a: Atom) => hoist(`d:${arr(a)}`, `${arr(a)}.data`);
    for (const e of s.eqns) {
      const out = e.outs[0];
      const x = e.inputs[0];
      const name = e.prim.name;
      if (e.prim.code !== undefined) {
        const args = e.inputs.map(read);
        body.push(`      const e${out.id} = ${wrapFor(out.aval.dtype, e.prim.code(args, e.params))};`);
      } else if (name === "reduceSum") {
        const acc = `a${out.id}`;
        head.push(`    let ${acc} = 0;`);
        body.push(`      ${acc} += ${read(x)};`);
        // (a helper, not an inline store: a keyed store after a hot loop made V8 deoptimize the loop)
        results.push([`v${out.id}`, `single(${acc}, ${JSON.stringify(out.aval.shape)}, ${JSON.stringify(out.aval.dtype)})`]);
      } else if (name === "reshape" || name === "broadcastTo") {
        body.push(`      const e${out.id} = ${read(x)};`); // same element order, or one element read once
      } else if (name === "slice") {
        const off = contiguousSliceOffset(x.aval.shape, e.params as never)!;
        body.push(`      const e${out.id} = ${data(x)}[${off ? `i + ${off}` : "i"}];`);
      } else if (name === "pad") {
        const off = contiguousPadOffset(x.aval.shape, out.aval.shape, e.params as never)!;
        const m = sizeOfAtom(x);
        body.push(`      const e${out.id} = ${off ? `i >= ${off} && ` : ""}i < ${off + m} ? ${data(x)}[${off ? `i - ${off}` : "i"}] : 0;`);
      } else if (name === "scatterSum") {
        const { offsets } = e.params as { offsets: number[] };
        const dtype = JSON.stringify(out.aval.dtype), size = sizeOf(out.aval.shape);
        let buf: string;
        if (!outputs.has(out) && !usedByOp.has(out)) {
          buf = `B${out.id}`;
          pre.push(`const ${buf} = allocate(${dtype}, ${size});`);
          head.push(`    ${buf}.fill(0);`);
        } else {
          buf = `o${out.id}`;
          head.push(`    const ${buf} = allocate(${dtype}, ${size});`);
        }
        e.inputs.forEach((u, k) => body.push(`      ${buf}[${offsets[k] ? `i + ${offsets[k]}` : "i"}] += ${read(u)};`));
        results.push([`v${out.id}`, `new AT(${buf}, ${JSON.stringify(out.aval.shape)}, ${dtype})`]);
      }
      if (name !== "reduceSum" && name !== "scatterSum" && (usedOutside.has(out) || outputs.has(out))) {
        const reuse = !outputs.has(out) && !usedByOp.has(out);
        const dtype = JSON.stringify(out.aval.dtype);
        let buf: string;
        if (reuse) {
          buf = `B${out.id}`;
          pre.push(`const ${buf} = allocate(${dtype}, ${n});`);
        } else {
          buf = `o${out.id}`;
          head.push(`    const ${buf} = allocate(${dtype}, ${n});`);
        }
        body.push(`      ${buf}[i] = e${out.id};`);
        results.push([`v${out.id}`, `new AT(${buf}, ${JSON.stringify(out.aval.shape)}, ${dtype})`]);
      }
    }
    lines.push(`  // fused loop over ${n} element${n === 1 ? "" : "s"}: ${s.eqns.map((e) => e.prim.name).join(", ")}`);
    if (results.length) lines.push(`  let ${results.map(([v]) => v).join(", ")};`);
    lines.push(`  {`, ...head, `    for (let i = 0; i < ${n}; i++) {`, ...body, `    }`, ...results.map(([v, e]) => `    ${v} = ${e};`), `  }`);
  }
  const outs = program.outputs.map((a) => (a === null ? "null" : arr(a)));
  lines.push(`  return [${outs.join(", ")}];`, `};`);
  return { source: [...pre, ...lines].join("\n"), names, values };
}
