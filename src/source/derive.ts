/**
 * @file Source transformation, second half: from a normalised function (source/normalize.ts) to
 * the derivative's syntax tree. Forward mode puts a tangent statement before each active
 * assignment. Reverse mode emits a forward sweep (the original statements, pushing overwritten
 * values, branch decisions and loop trip counts on a typed-array tape) and then a reverse sweep
 * (the statements backwards: restore the overwritten value, then add the partial derivatives times
 * the adjoint into the operands' adjoints). Counted `for` loops run backwards without a tape.
 *
 * The partial derivatives are not written here: each statement's right-hand side is replayed on
 * symbolic values (wengert ops on `Expr`s), differentiated by the catalogue's rules
 * (symbolic/calculus.ts), simplified, and turned back into a tree through the primitives' code
 * templates (source/ast.ts). There is no second derivative table.
 */
import * as ops from "../api/ops.js";
import type { Tensor } from "../core/tensor.js";
import { Expr, constant, symbol } from "../symbolic/expr.js";
import { gradient } from "../symbolic/calculus.js";
import { simplifyAll } from "../symbolic/simplify.js";
import { TransformError } from "../core/errors.js";
import { type Node, assign, bin, block, call, clone, declare, exprsToAst, exprStmt, id, ifStmt, keyOf, member, method, num, unary, update, withComment } from "./ast.js";
import { type Fn, type Stmt, type Target, SourceError, eachStmt, eliminateJumps, ownExpressions, rootOf, targetNode, walk, walkStmts } from "./normalize.js";

// ---- which values carry derivatives ---------------------------------------------------------

const PIECEWISE_CONSTANT = new Set(["floor", "ceil", "round", "trunc", "sign"]);
const BOOLEAN_OPS = new Set(["<", "<=", ">", ">=", "==", "===", "!=", "!==", "&&", "||", "!"]);
const INTEGER_OPS = new Set(["|", "&", "^", "<<", ">>", ">>>", "~"]);

/** The variables whose values an expression's value depends on differentiably (indices, lengths, conditions excluded). */
export function diffReads(n: Node, out = new Set<string>()): Set<string> {
  switch (n.type) {
    case "Identifier":
      out.add(n.name);
      break;
    case "MemberExpression": {
      if (!n.computed && n.property.name === "length") break;
      if (n.object.type === "Identifier" && n.object.name === "Math") break;
      const r = rootOf(n);
      if (r) out.add(r.name);
      break;
    }
    case "BinaryExpression":
    case "LogicalExpression":
      if (BOOLEAN_OPS.has(n.operator) || INTEGER_OPS.has(n.operator)) break;
      diffReads(n.left, out);
      diffReads(n.right, out);
      break;
    case "UnaryExpression":
      if (n.operator === "-" || n.operator === "+") diffReads(n.argument, out);
      break;
    case "ConditionalExpression":
      diffReads(n.consequent, out);
      diffReads(n.alternate, out);
      break;
    case "CallExpression":
      if (PIECEWISE_CONSTANT.has(n.callee.property.name)) break;
      for (const a of n.arguments) diffReads(a, out);
      break;
    case "ArrayExpression":
      for (const e of n.elements) diffReads(e, out);
      break;
    case "ObjectExpression":
      for (const p of n.properties) diffReads(p.value, out);
      break;
  }
  return out;
}

const targetBase = (t: Target): string => (t.kind === "var" ? t.name : t.base);

interface Analysis {
  active: Set<string>;
  /** Variables assigned more than once, or inside a loop: their old values go on the tape. */
  overwritten: Set<string>;
  canonical: Map<Stmt, { v: string; start: Node; up: boolean }>;
  /** Per loop, the body's assignments recomputed at the start of each reverse iteration instead of taped. */
  recompute: Map<Stmt, (Stmt & { k: "assign" })[]>;
  recomputed: Set<Stmt>;
}

function analyze(fn: Fn, body: Stmt[], wrt: Set<string>, outputs: Node[]): Analysis {
  // assignments as (target, reads) pairs
  const edges: [string, Set<string>][] = [];
  const canonical = new Map<Stmt, { v: string; start: Node; up: boolean }>();
  eachStmt(body, (s) => {
    if (s.k === "assign") edges.push([targetBase(s.target), diffReads(s.expr)]);
    else if (s.k === "push") edges.push([s.tape, diffReads(s.expr)]);
    else if (s.k === "pop") edges.push([targetBase(s.target), new Set([s.tape])]);
    else if (s.k === "alloc" && s.elems) edges.push([s.name, diffReads({ type: "ArrayExpression", elements: s.elems })]);
    else if (s.k === "loop") {
      const c = canonicalLoop(s);
      if (c) canonical.set(s, c);
    }
  });
  // how often a variable may be assigned on one run (a parameter's binding counts; loops count as many)
  const MANY = 2;
  const counts = (ss: Stmt[]): Map<string, number> => {
    const m = new Map<string, number>();
    const add = (k: string, c: number) => m.set(k, Math.min(MANY, (m.get(k) ?? 0) + c));
    for (const s of ss) {
      if ((s.k === "assign" || s.k === "pop") && s.target.kind === "var") add(s.target.name, 1);
      else if (s.k === "if") {
        const a = counts(s.then), b = counts(s.else);
        for (const k of new Set([...a.keys(), ...b.keys()])) add(k, Math.max(a.get(k) ?? 0, b.get(k) ?? 0));
      } else if (s.k === "loop") {
        for (const [k, c] of counts(s.init)) add(k, c);
        const c = canonical.get(s);
        for (const k of counts([...(c ? [] : s.update), ...s.body]).keys()) add(k, MANY);
      }
    }
    return m;
  };
  const count = counts(body);
  for (const p of fn.params) count.set(p.name, Math.min(MANY, (count.get(p.name) ?? 0) + 1));
  const varied = new Set(wrt);
  const useful = new Set<string>();
  for (const o of outputs) diffReads(o, useful);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [t, reads] of edges) {
      if (!varied.has(t) && [...reads].some((r) => varied.has(r))) varied.add(t), (changed = true);
      if (useful.has(t)) for (const r of reads) if (!useful.has(r)) useful.add(r), (changed = true);
    }
  }
  const active = new Set([...varied].filter((v) => useful.has(v)));
  const overwritten = new Set([...count].filter(([, c]) => c > 1).map(([v]) => v));
  const { recompute, recomputed } = recomputable(body, canonical);
  return { active, overwritten, canonical, recompute, recomputed };
}

/** Every identifier an expression or statement list reads or writes. */
function namesIn(x: Stmt[] | Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: Node) => void (n.type === "Identifier" && out.add(n.name));
  if (Array.isArray(x)) walkStmts(x, visit);
  else walk(x, visit);
  return out;
}

/**
 * Assignments a loop's reverse sweep can recompute instead of keeping on the tape: `v = e` at the
 * top level of the body, v assigned nowhere else and not read before it in the iteration (nor by
 * the loop's condition or update), and e reading only values that stay fixed during the loop
 * (parameters, the counter, variables and arrays the loop does not write) or such variables
 * computed earlier in the same iteration. Re-running them at the start of each reverse iteration
 * gives the values that iteration saw: what Tapenade calls recomputation instead of storage.
 */
function recomputable(body: Stmt[], canonical: Map<Stmt, { v: string }>): { recompute: Map<Stmt, (Stmt & { k: "assign" })[]>; recomputed: Set<Stmt> } {
  const recompute = new Map<Stmt, (Stmt & { k: "assign" })[]>();
  const recomputed = new Set<Stmt>();
  const assignsIn = new Map<string, number>();
  walkAssigns(body, (t) => void (t.kind === "var" && assignsIn.set(t.name, (assignsIn.get(t.name) ?? 0) + 1)));
  const visit = (ss: Stmt[]) => {
    for (const s of ss) {
      if (s.k === "if") visit(s.then), visit(s.else);
      if (s.k !== "loop") continue;
      visit(s.body);
      // what the loop writes (its counter is fixed within one reverse iteration)
      const written = new Set<string>();
      walkAssigns([...s.body, ...s.update], (t) => void written.add(t.kind === "var" ? t.name : t.base));
      const counter = canonical.get(s)?.v;
      if (counter === undefined && s.update.length > 0) continue; // a generic loop's update is undone after the recomputation would run
      const loopReads = new Set([...(s.test ? namesIn(s.test) : []), ...namesIn(s.update)]);
      const fixed = new Set<string>();
      const list: (Stmt & { k: "assign" })[] = [];
      s.body.forEach((b, k) => {
        if (b.k !== "assign" || b.target.kind !== "var") return;
        const v = b.target.name;
        if (assignsIn.get(v) !== 1 || loopReads.has(v) || namesIn(s.body.slice(0, k)).has(v)) return;
        const ok = [...namesIn(b.expr)].every((n) => n === counter || fixed.has(n) || !written.has(n));
        if (!ok) return;
        fixed.add(v);
        list.push(b);
        recomputed.add(b);
      });
      if (list.length > 0) recompute.set(s, list);
    }
  };
  visit(body);
  return { recompute, recomputed };
}

/**
 * A counted loop: `for (let i = A; <any condition>; i++)` (or i--), with i and A's variables not
 * assigned in the body and no break or return. Its reverse runs i from its final value back to A,
 * so it needs no tape: the counter's value at exit says how many steps ran.
 */
function canonicalLoop(s: Stmt & { k: "loop" }): { v: string; start: Node; up: boolean } | null {
  if (s.doWhile || s.init.length !== 1 || s.update.length !== 1 || !s.test) return null;
  const init = s.init[0], upd = s.update[0];
  if (init.k !== "assign" || init.target.kind !== "var" || upd.k !== "assign" || upd.target.kind !== "var") return null;
  const v = init.target.name;
  if (upd.target.name !== v) return null;
  const e = upd.expr;
  if (e.type !== "BinaryExpression" || e.left.type !== "Identifier" || e.left.name !== v || e.right.type !== "Literal" || e.right.value !== 1 || (e.operator !== "+" && e.operator !== "-")) return null;
  const up = e.operator === "+";
  const startVars = new Set<string>();
  walk(init.expr, (n) => void (n.type === "Identifier" && startVars.add(n.name)));
  if (startVars.has(v)) return null; // the start is evaluated again at the end: it may not read the counter
  let ok = true;
  const check = (ss: Stmt[]) => {
    for (const b of ss) {
      if (b.k === "assign" && b.target.kind === "var" && (b.target.name === v || startVars.has(b.target.name))) ok = false;
      if (b.k === "break" || b.k === "return") ok = false;
      if (b.k === "if") check(b.then), check(b.else);
      if (b.k === "loop") check(b.init), check(b.update), check(b.body);
    }
  };
  check(s.body);
  return ok ? { v, start: init.expr, up } : null;
}

// ---- statements' partial derivatives --------------------------------------------------------

interface Slot {
  key: string;
  /** The operand as read (a variable, an array element). */
  node: Node;
  sym: Expr;
}

type Ops = Record<string, (...a: Tensor[]) => Tensor>;
const O = ops as unknown as Ops;

/** Math functions as wengert ops (compositions for those without a primitive). */
function mathOp(name: string, a: Tensor[]): Tensor {
  const [x, y] = a;
  switch (name) {
    case "max":
      return a.reduce((p, q) => ops.maximum(p, q));
    case "min":
      return a.reduce((p, q) => ops.minimum(p, q));
    case "hypot":
      return ops.sqrt(a.map((t) => ops.square(t)).reduce((p, q) => ops.add(p, q)));
    case "cbrt":
      return ops.mul(ops.sign(x), ops.pow(ops.abs(x), 1 / 3));
    case "log10":
      return ops.div(ops.log(x), Math.LN10);
    case "log2":
      return ops.div(ops.log(x), Math.LN2);
    case "asinh":
      return ops.mul(ops.sign(x), ops.log(ops.add(ops.abs(x), ops.sqrt(ops.add(ops.square(x), 1)))));
    case "acosh":
      return ops.log(ops.add(x, ops.sqrt(ops.mul(ops.sub(x, 1), ops.add(x, 1)))));
    case "atanh":
      return ops.mul(ops.sub(ops.log1p(x), ops.log1p(ops.neg(x))), 0.5);
    case "fround":
      return x;
    case "atan2":
    case "pow":
      return O[name](x, y);
    default:
      return O[name](x);
  }
}

class Partials {
  readonly slots: Slot[] = [];
  private readonly bySlot = new Map<string, Slot>();
  /** Trees for the opaque leaves (inactive subexpressions, kept as written). */
  readonly leaves = new Map<string, Node>();
  private opaque = 0;

  constructor(
    private readonly active: Set<string>,
    private readonly fail: (n: Node, reason: string) => never,
    /** Declares a temporary for a large shared subexpression and returns its name (absent: write everything inline). */
    private readonly bind?: (tree: Node) => Node,
  ) {}

  private isActive(n: Node): boolean {
    for (const r of diffReads(n)) if (this.active.has(r)) return true;
    return false;
  }

  private leaf(n: Node): Expr {
    const name = `$o${this.opaque++}`;
    this.leaves.set(name, n);
    return symbol(name);
  }

  private slot(n: Node): Expr {
    const key = keyOf(n);
    let s = this.bySlot.get(key);
    if (!s) {
      const name = `$s${this.slots.length}`;
      s = { key, node: n, sym: symbol(name) };
      this.slots.push(s);
      this.bySlot.set(key, s);
      this.leaves.set(name, n);
    }
    return s.sym;
  }

  /** The expression as a symbolic value: active operands are slots, inactive subtrees opaque leaves. */
  interpret(n: Node): Tensor {
    if (!this.isActive(n)) return n.type === "Literal" && typeof n.value === "number" ? constant(n.value) : this.leaf(n);
    switch (n.type) {
      case "Identifier":
      case "MemberExpression":
        return this.slot(n);
      case "BinaryExpression": {
        const a = this.interpret(n.left), b = this.interpret(n.right);
        const map: Record<string, (x: Tensor, y: Tensor) => Tensor> = { "+": ops.add, "-": ops.sub, "*": ops.mul, "/": ops.div, "**": ops.pow };
        const f = map[n.operator];
        if (!f) this.fail(n, `the operator ${n.operator} is not differentiable; it is supported only on values that do not depend on the inputs`);
        return f(a, b);
      }
      case "UnaryExpression":
        return n.operator === "-" ? ops.neg(this.interpret(n.argument)) : this.interpret(n.argument);
      case "ConditionalExpression": {
        const test = this.condition(n.test);
        return ops.where(test, this.interpret(n.consequent), this.interpret(n.alternate));
      }
      case "CallExpression":
        return mathOp(n.callee.property.name, n.arguments.map((a: Node) => this.interpret(a)));
      default:
        return this.fail(n, `this expression cannot be differentiated`);
    }
  }

  /** A condition (never differentiated): kept as written, as a boolean. */
  private condition(n: Node): Tensor {
    const leaf = this.leaf(isBooleanNode(n) ? n : unary("!", unary("!", n)));
    return ops.ne(leaf, 0);
  }

  /** ∂(expr)/∂(slot) for every slot, simplified, as trees (large shared parts go to `bind`). */
  partials(root: Tensor): (Node | null)[] {
    if (this.slots.length === 0) return [];
    const gs = simplifyAll(gradient(root, this.slots.map((s) => s.sym)));
    const nonzero = gs.filter((g) => !(g.node.kind === "const" && g.node.value === 0));
    const trees = exprsToAst(nonzero, this.leaves, this.bind).map(tidy);
    return gs.map((g) => (nonzero.includes(g) ? trees[nonzero.indexOf(g)] : null));
  }

  /** The tangent Σ ∂expr/∂slotₖ · tₖ, simplified, as a tree (`tangents` gives each slot's tangent tree, or null for zero). */
  tangent(root: Tensor, tangents: (Node | null)[]): Node | null {
    const gs = this.slots.length === 0 ? [] : gradient(root, this.slots.map((s) => s.sym));
    let sum: Tensor = constant(0);
    this.slots.forEach((s, k) => {
      const t = tangents[k];
      if (t === null) return;
      const name = `$t${k}`;
      this.leaves.set(name, t);
      sum = ops.add(sum, ops.mul(gs[k], symbol(name)));
    });
    const [e] = simplifyAll([sum as Expr]);
    return e.node.kind === "const" && e.node.value === 0 ? null : tidy(exprsToAst([e], this.leaves, this.bind)[0]);
  }
}

/** Readability of template output: `+(a < b) ? p : q` → `a < b ? p : q`, `+(c !== 0) ? …` for a boolean c → `c ? …`. */
function tidy(n: Node): Node {
  if (!n || typeof n !== "object") return n;
  for (const [k, v] of Object.entries(n)) {
    if (Array.isArray(v)) n[k] = v.map((c) => (c && typeof c === "object" ? tidy(c) : c));
    else if (v && typeof v === "object" && typeof v.type === "string") n[k] = tidy(v);
  }
  if (n.type === "ConditionalExpression") {
    let t = n.test;
    if (t.type === "UnaryExpression" && t.operator === "+") t = t.argument;
    if (t.type === "BinaryExpression" && t.operator === "!==" && t.right.type === "Literal" && t.right.value === 0 && isBooleanNode(t.left)) t = t.left;
    n.test = t;
  }
  return n;
}

const isBooleanNode = (n: Node): boolean => (n.type === "BinaryExpression" && BOOLEAN_OPS.has(n.operator)) || n.type === "LogicalExpression" || (n.type === "UnaryExpression" && (n.operator === "!" || (n.operator === "+" && isBooleanNode(n.argument)))) || (n.type === "Literal" && typeof n.value === "boolean");

const isLiteral = (n: Node, v: number): boolean => (n.type === "Literal" && n.value === v) || (v < 0 && n.type === "UnaryExpression" && n.operator === "-" && isLiteral(n.argument, -v));

// ---- emission -------------------------------------------------------------------------------

export interface Options {
  /** The parameters to differentiate, by position. */
  argnums: number[];
  /** √T checkpointing of top-level counted loops (reverse mode): snapshots every √T steps, each segment re-run with the tape. */
  checkpoint?: boolean;
  /** Reverse mode without the output and the cotangent: `(…args) => gradient` with the seed 1, code that can be differentiated again. */
  gradientOnly?: boolean;
  /** Forward mode along the one (number) argnum with tangent 1, returning the derivative only: a derivative that can be differentiated again. */
  tangentOnly?: boolean;
  /** Forward mode along this many directions at once (each tangent number becomes that many, direction fastest). */
  batch?: number;
  op: string;
}

class Emitter {
  readonly adjoints = new Map<string, string>();
  usesTape = false;
  usesTemp = false;
  readonly counters: string[] = [];
  /** Each taped loop's trip counter. */
  readonly loopCounter = new Map<Stmt, string>();
  /** Declarations of temporaries for shared subexpressions, waiting to go before the statement that uses them. */
  private temps: Node[] = [];
  /** False while writing a checkpointed loop's plain forward run: nothing goes on the tape. */
  taping = true;
  /** Inside a for loop's header no statement can go: everything is written inline there. */
  noTemps = false;
  /** A loop written without checkpointing (to try joining its sweeps, see joinable). */
  plainLoop: Stmt | null = null;

  private names = new WeakMap<Stmt, Map<string, string>>();
  /** A generated name belonging to a statement: the same in both passes. */
  nameFor(s: Stmt, base: string): string {
    let m = this.names.get(s);
    if (!m) this.names.set(s, (m = new Map()));
    let n = m.get(base);
    if (!n) m.set(base, (n = this.fresh(base)));
    return n;
  }

  /** A hoisted variable belonging to a statement (declared with the loop counters): checkpointing's, a branch decision. */
  hoisted(s: Stmt, base: string): string {
    const n = this.nameFor(s, base);
    if (!this.counters.includes(n)) this.counters.push(n);
    return n;
  }

  bindTemp(tree: Node): Node {
    const name = this.fresh("_t");
    this.temps.push(declare("const", [[name, tidy(tree)]]));
    return id(name);
  }

  /** The temporaries declared since the last call, to put before the statements using them. */
  takeTemps(): Node[] {
    const t = this.temps;
    this.temps = [];
    return t;
  }

  /** The variables the reverse sweep reads (only their overwritten values are kept); null: not known yet, keep all. */
  needed: Set<string> | null = null;
  /** Per statement outside loops' own assignments: values earlier statements left in variables (see availableValues). */
  available = new Map<Stmt, Map<string, string>>();
  /** The statement whose reverse is being written. */
  current: Stmt | null = null;

  /** A partial derivative's tree with every subexpression that a variable already holds replaced by that variable. */
  /** While an assignment's adjoint is written before its target is restored: [its printed right-hand side, the target], which then holds that value. */
  ownOutput: [string, string] | null = null;

  substitute(tree: Node): Node {
    const found = this.current ? this.available.get(this.current) : undefined;
    const avail = this.ownOutput ? new Map([...(found ?? []), this.ownOutput]) : found;
    if (!avail || avail.size === 0) return tree;
    const visit = (n: Node): Node => {
      if (!n || typeof n !== "object") return n;
      if (n.type === "CallExpression" || n.type === "BinaryExpression") {
        const name = avail.get(keyOf(n));
        if (name !== undefined) return id(name);
      }
      for (const [k, v] of Object.entries(n)) {
        if (k === "comments") continue;
        if (Array.isArray(v)) n[k] = v.map(visit);
        else if (v && typeof v === "object" && typeof v.type === "string") n[k] = visit(v);
      }
      return n;
    };
    return visit(tree);
  }

  /** Assignments in loops whose old values no reverse code reads (see unrestored). */
  noRestore = new Set<Stmt>();
  /** Each variable's assignments (and pops), with whether each sits inside a loop. */
  assignsOf = new Map<string, [Stmt & { k: "assign" | "pop" }, boolean][]>();
  /** For statements outside loops: the variables read by the reverse of their top-level statement and of the statements before it. */
  readonly neededAt = new Map<Stmt, Set<string>>();
  tapeName: string;
  tempName: string;
  a!: Analysis;

  constructor(
    readonly fn: Fn,
    readonly o: Options,
  ) {
    this.tapeName = this.fresh("_tape");
    this.tempName = this.fresh("_g");
  }

  fresh(base: string): string {
    let n = base;
    for (let k = 2; this.fn.taken.has(n); k++) n = `${base}${k}`;
    this.fn.taken.add(n);
    return n;
  }

  fail(n: Node, reason: string): never {
    throw new SourceError(this.o.op, reason, this.fn.source, typeof n.start === "number" ? n.start - this.fn.shift : 0);
  }

  adj(name: string): string {
    let a = this.adjoints.get(name);
    if (!a) {
      a = this.fresh(`d${name}`);
      this.adjoints.set(name, a);
    }
    return a;
  }

  /** The adjoint (or tangent) of an operand: `x` → `dx`, `a[i]` → `da[i]`, `p.w[i]` → `dp.w[i]`. */
  adjOf(n: Node): Node {
    if (n.type === "Identifier") return id(this.adj(n.name));
    const c = clone(n);
    let m = c;
    while (m.object.type === "MemberExpression") m = m.object;
    m.object = id(this.adj(m.object.name));
    return c;
  }

  isActive(t: Target): boolean {
    return this.a.active.has(targetBase(t));
  }

  partials(expr: Node): { p: Partials; root: Tensor } {
    const p = new Partials(this.a.active, (n, r) => this.fail(n, r), this.noTemps ? undefined : (t) => this.bindTemp(t));
    return { p, root: p.interpret(expr) };
  }

  push(v: Node): Node {
    this.usesTape = true;
    return exprStmt(method(this.tapeName, "push", [v]));
  }

  pop(): Node {
    this.usesTape = true;
    return method(this.tapeName, "pop", []);
  }
}

/** `adj += g · p` with the literal cases written plainly. */
function accumulate(adj: Node, g: Node, p: Node): Node {
  if (isLiteral(p, 1)) return assign(adj, clone(g), "+=");
  if (isLiteral(p, -1)) return assign(adj, clone(g), "-=");
  return assign(adj, bin("*", clone(g), p), "+=");
}

/** Reverse mode: the vector-Jacobian product as one function `(…args, dout) => [value, [d arg…]]`. */
export function reverseMode(fn: Fn, o: Options): Node {
  const e = new Emitter(fn, o);
  const out = e.fresh("out");
  fn.locals.set(out, "scalar");
  let body = eliminateJumps(fn.body, { returnTo: out, fresh: (b) => e.fresh(b), locals: fn.locals });
  // the outputs: one scalar `out`, or the elements of a final array/object literal, or a local array
  const last = body[body.length - 1];
  let outputs: { node: Node; seed: Node }[];
  const dout = e.fresh("dout");
  let result: Node;
  const seedStmts: Node[] = [];
  if (last?.k === "return") {
    body.pop();
    const lit = last.value;
    const items: [Node, Node][] = lit.type === "ArrayExpression" ? lit.elements.map((el: Node, k: number) => [el, member(id(dout), num(k))]) : lit.properties.map((p: Node) => [p.value, member(id(dout), { type: "Literal", value: p.key.value })]);
    outputs = [];
    const names: Node[] = [];
    items.forEach(([value, seed], k) => {
      const name = e.fresh(`${out}${k}`);
      fn.locals.set(name, "scalar");
      body.push({ k: "assign", target: { kind: "var", name }, expr: value, text: k === 0 ? last.text : "" });
      outputs.push({ node: id(name), seed });
      names.push(id(name));
    });
    result = lit.type === "ArrayExpression" ? { type: "ArrayExpression", elements: names } : { type: "ObjectExpression", properties: lit.properties.map((p: Node, k: number) => ({ ...p, value: names[k] })) };
  } else {
    // `return s` of a local: s itself is the output
    const final = body[body.length - 1];
    let assigns = 0;
    walkAssigns(body, (t) => void (t.kind === "var" && t.name === out && assigns++));
    const v = final?.k === "assign" && final.target.kind === "var" && final.target.name === out && assigns === 1 && final.expr.type === "Identifier" && fn.locals.has(final.expr.name) ? (final.expr.name as string) : null;
    if (v !== null) {
      body.pop();
      fn.locals.delete(out);
    }
    result = id(v ?? out);
    outputs = [{ node: id(v ?? out), seed: id(dout) }];
  }
  const wrt = new Set(o.argnums.map((i) => fn.params[i].name));
  body = removeDead(body, new Set([...outputs.map((x) => x.node.name as string), ...(result.type === "Identifier" ? [result.name as string] : [])]));
  e.a = analyze(fn, body, wrt, outputs.map((x) => x.node));
  e.noRestore = unrestored(body);
  eachStmt(body, (st, inLoop) => {
    if ((st.k === "assign" || st.k === "pop") && st.target.kind === "var") {
      const list = e.assignsOf.get(st.target.name) ?? [];
      list.push([st, inLoop]);
      e.assignsOf.set(st.target.name, list);
    }
  });
  e.available = availableValues(body);
  // seeds: the outputs' adjoints start as the cotangent
  const seedInit = new Map<string, Node>();
  for (const { node, seed } of outputs) {
    if (!e.a.active.has(node.name)) continue;
    if (fn.locals.get(node.name) === "struct") {
      throw new TransformError(`${o.op}: ${fn.name} returns a derivative structure (${node.name}); its reverse mode is not supported — use sourceJvp for Hessian-vector products`);
    }
    if (fn.locals.get(node.name) === "array") {
      const k = e.fresh("k");
      seedStmts.push({
        type: "ForStatement",
        init: declare("let", [[k, num(0)]]),
        test: bin("<", id(k), member(id(node.name), id("length"), false)),
        update: update(k, "++"),
        body: block([assign(member(id(e.adj(node.name)), id(k)), member(clone(seed), id(k)), "+=")]),
      });
    } else if (node.name === out) e.adjoints.set(out, dout);
    else seedInit.set(node.name, seed);
  }

  // two passes: the first shows which variables the reverse sweep reads; only those are restored
  forwardSweep(e, body, false);
  // statement by statement (as the whole sweep writes them): what the reverse of each top-level
  // statement and of those before it reads, so a value overwritten outside loops is kept only when
  // something that runs after its restore in the reverse sweep reads it
  const reads: Set<string>[] = [];
  for (let k = body.length - 1; k >= 0; k--) reads[k] = readsOf(reverseSweep(e, [body[k]], false), e.tapeName);
  e.needed = new Set(reads.flatMap((r) => [...r]));
  const before = new Set<string>();
  body.forEach((top, k) => {
    const at = new Set([...before, ...reads[k]]);
    eachStmt([top], (x) => void e.neededAt.set(x, at));
    reads[k].forEach((n) => before.add(n));
  });
  const restart = () => {
    e.usesTape = e.usesTemp = false;
    e.counters.length = 0;
    e.takeTemps();
  };
  restart();
  // the last top-level loop may run its reverse iterations forwards, inside its own loop (see joinable)
  const j = body.map((x) => x.k).lastIndexOf("loop");
  const loop = j >= 0 && seedStmts.length === 0 ? (body[j] as Stmt & { k: "loop" }) : null;
  const c = loop ? e.a.canonical.get(loop) : undefined;
  const sections = loop && c && needsReverse(e, loop, false) ? sweepSections(e, body, j) : null;
  let fwd: Node[], rev: Node[];
  const twoSweeps = () => [...sections!.revAfter, countedDown(loop!, c!, [...sections!.recomputed, ...sections!.revBody]), ...sections!.revInit, ...sections!.revBefore];
  if (sections && !sections.plain) {
    fwd = [...sections.fwdBefore, ...sections.fwdLoop, ...sections.fwdAfter];
    rev = []; // assembled from the sections below, once dead adjoints are pruned from them
  } else {
    fwd = forwardSweep(e, body, false);
    rev = reverseSweep(e, body, false);
  }
  const keptNames: string[] = [];
  const keepValue = (): Node | null => {
    // the reverse sweep restores overwritten values: keep the output as it was
    if (o.gradientOnly || result.type !== "Identifier" || result.name === out || !e.needed!.has(result.name) || !(e.a.overwritten.has(result.name) || fn.locals.get(result.name) === "array")) return null;
    const kept = e.fresh("value");
    fn.locals.set(kept, "scalar");
    keptNames.push(kept);
    const node = assign(id(kept), fn.locals.get(result.name) === "array" ? method(result.name, "slice", []) : id(result.name));
    result = id(kept);
    return node;
  };
  // declarations: locals, then adjoints of the differentiated parameters and active scalars
  // scalars are declared first (the reverse sweep sees them); arrays, tapes and zeros where they are made
  const assigned = new Set<string>();
  walkAssigns(body, (t) => void (t.kind === "var" && assigned.add(t.name)));
  const hoisted = [...fn.locals].filter(([n, k]) => k === "scalar" && assigned.has(n) && !fn.params.some((p) => p.name === n)).map(([n]) => n);
  const stmts: Node[] = [];
  const adjDecls: [string, Node][] = [];
  for (const i of o.argnums) {
    const p = fn.params[i];
    adjDecls.push([e.adj(p.name), p.kind === "scalar" ? num(0) : call(id("zerosOf"), [id(p.name)])]);
  }
  for (const [name, kind] of fn.locals) if (kind === "scalar" && e.a.active.has(name) && e.adjoints.get(name) !== dout) adjDecls.push([e.adj(name), seedInit.get(name) ?? num(0)]);
  if (o.gradientOnly) adjDecls.unshift([dout, num(1)]);
  const localAdjoints = new Set([...fn.locals].filter(([n, k]) => k === "scalar" && e.a.active.has(n)).map(([n]) => e.adj(n)));
  const prunable = adjDecls.filter(([n, init]) => localAdjoints.has(n) && isLiteral(init, 0)).map(([n]) => n);
  const allDecls = adjDecls.slice();
  // each call sees the whole reverse code as written now (written again, it decides again)
  const prune = (lists: Node[][]) => {
    const dead = pruneDeadAdjoints(lists, prunable);
    adjDecls.splice(0, adjDecls.length, ...allDecls.filter(([n]) => !dead.has(n)));
  };
  if (sections) prune([sections.revAfter, sections.recomputed, sections.revBody, sections.revInit, sections.revBefore]);
  else prune([rev]);
  if (sections && !sections.plain) rev = twoSweeps();
  const joined = sections ? joinable(e, sections, loop!, body.slice(j + 1), new Map(adjDecls)) : null;
  if (!joined && sections?.plain) {
    // the loop was written without checkpointing to try joining it: write everything again
    restart();
    fwd = forwardSweep(e, body, false);
    rev = reverseSweep(e, body, false);
    prune([rev]);
  }
  const decl = declare("let", adjDecls);
  if (joined) {
    // forward sweep up to the loop; adjoints; the reverse of what follows the loop (linear, so it
    // needs no value the loop makes); the joined loop; the rest of the forward sweep; the reverse
    // of what precedes the loop
    const { fwdBefore, fwdAfter, revAfter, revBefore } = sections!;
    const kept = keepValue();
    if (kept) fwdAfter.push(kept);
    if (fwdBefore.length > 0) withComment(fwdBefore[0], "forward sweep", true);
    withComment(decl, "adjoints", true);
    if (revBefore.length > 0) withComment(revBefore[0], "reverse sweep", true);
    stmts.push(...fwdBefore, decl, ...revAfter, joined, ...fwdAfter, ...revBefore);
  } else {
    const kept = keepValue();
    if (kept) fwd.push(kept);
    if (fwd.length > 0) withComment(fwd[0], "forward sweep", true);
    withComment(decl, "reverse sweep", true);
    stmts.push(...fwd, decl, ...seedStmts, ...rev);
  }
  const lets = [...hoisted, ...keptNames, ...e.counters, ...(e.usesTemp ? [e.tempName] : [])];
  const head: Node[] = [];
  if (lets.length > 0) head.push(declare("let", lets.map((n) => [n, null])));
  if (e.usesTape) head.push(declare("const", [[e.tapeName, { type: "NewExpression", callee: id("Tape"), arguments: [] }]]));
  stmts.unshift(...head);
  if (e.usesTape) stmts.push(exprStmt(method(e.tapeName, "release", [])));
  const grads = o.argnums.map((i) => id(e.adj(fn.params[i].name)));
  const gradient = o.argnums.length === 1 && o.gradientOnly ? grads[0] : { type: "ArrayExpression", elements: grads };
  stmts.push({ type: "ReturnStatement", argument: o.gradientOnly ? gradient : { type: "ArrayExpression", elements: [result, gradient] } });
  const name = `${fn.name}_${o.gradientOnly ? "grad" : "vjp"}`;
  const node: Node = {
    type: "FunctionDeclaration",
    id: id(name),
    params: [...fn.params.map((p) => id(p.name)), ...(o.gradientOnly ? [] : [id(dout)])],
    body: block(stmts),
    generator: false,
    async: false,
  };
  const wrtNames = o.argnums.map((i) => fn.params[i].name);
  if (o.gradientOnly) {
    withComment(node, `Gradient of ${fn.name} with respect to ${wrtNames.join(", ")} by reverse mode (wengert); it can be differentiated again.`);
    return node;
  }
  withComment(node, `Reverse mode of ${fn.name} with respect to ${wrtNames.join(", ")} (generated by wengert from the source).`);
  withComment(node, `${name}(${[...fn.params.map((p) => p.name), dout].join(", ")}) returns [${fn.name}(${fn.params.map((p) => p.name).join(", ")}), [${wrtNames.map((n) => e.adj(n)).join(", ")}]]: the output and ${dout} times its derivatives.`);
  if (e.usesTape) withComment(node, `The tape keeps overwritten values, branch decisions and loop trip counts (Tape, zerosOf: from wengert).`);
  else if (o.argnums.some((i) => fn.params[i].kind !== "scalar")) withComment(node, `zerosOf comes from wengert.`);
  return node;
}

/**
 * For each statement, the values other statements left in variables that still hold them when its
 * reverse runs. The reverse sweep runs after the whole forward sweep, and after jump elimination a
 * block runs all its statements or none: so `cs = Math.cos(theta)` anywhere in the statement's
 * block or an enclosing one (not in a branch or a loop) qualifies, when cs is assigned only there
 * and theta and everything else it reads is never reassigned (arrays it reads never written).
 * Inside a loop only what was computed before the loop counts (a joined loop runs its reverse
 * during the forward sweep). Keyed by the printed right-hand side: a partial derivative
 * containing `Math.cos(theta)` reads `cs` instead of calling cos again.
 */
function availableValues(body: Stmt[]): Map<Stmt, Map<string, string>> {
  const counts = new Map<string, number>();
  walkAssigns(body, (t) => void counts.set(targetBase(t), (counts.get(targetBase(t)) ?? 0) + 1));
  const inLoops = new Set<Stmt>();
  eachStmt(body, (s) => void (s.k === "loop" && eachStmt([...s.init, ...s.update, ...s.body], (x) => void inLoops.add(x))));
  const assignedInLoop = new Set<string>();
  for (const s of inLoops) if (s.k === "assign" || s.k === "pop") assignedInLoop.add(targetBase(s.target));
  const stable = (n: string) => !counts.has(n) || (counts.get(n) === 1 && !assignedInLoop.has(n));
  /** The variable and printed value an assignment leaves, if it qualifies. */
  const entry = (s: Stmt): [string, string] | null => {
    if (s.k !== "assign" || s.target.kind !== "var" || inLoops.has(s) || counts.get(s.target.name) !== 1) return null;
    const x = s.expr;
    let ok = x.type === "CallExpression" || x.type === "BinaryExpression";
    walk(x, (n) => {
      if (n.type === "Identifier" && !stable(n.name)) ok = false;
      if (n.type === "MemberExpression" && n.computed && counts.has(rootOf(n)?.name ?? "")) ok = false;
    });
    return ok && !namesIn(x).has(s.target.name) ? [keyOf(x), s.target.name] : null;
  };
  const out = new Map<Stmt, Map<string, string>>();
  const add = (m: Map<string, string>, e: [string, string] | null) => void (e && !m.has(e[0]) && m.set(e[0], e[1]));
  const visit = (ss: Stmt[], outerAll: Map<string, string>, outerBefore: Map<string, string>) => {
    const all = new Map(outerAll);
    for (const s of ss) add(all, entry(s));
    const before = new Map(outerBefore);
    for (const s of ss) {
      if (s.k === "if") {
        out.set(s, all);
        visit(s.then, all, before);
        visit(s.else, all, before);
      } else if (s.k === "loop") {
        const snapshot = new Map(before);
        eachStmt([s], (x) => void out.set(x, snapshot));
      } else out.set(s, all);
      add(before, entry(s));
    }
  };
  visit(body, new Map(), new Map());
  return out;
}

/**
 * Assignments inside a loop whose old values need not be kept: a variable v that the loop's body
 * only accumulates into or overwrites (`v = v ± e`, `v = e`, e free of v), that nothing else in the
 * loop reads or writes, and that the statement before the loop sets (with nothing in between using
 * it), as in `sum = 0; for (…) sum += …`. No reverse code reads v's values inside the loop, and after
 * the loop's reverse the assignment before it restores v (or decides it need not): so v's pushes in
 * the loop would only save values nobody reads.
 */
function unrestored(body: Stmt[]): Set<Stmt> {
  const out = new Set<Stmt>();
  const names = (s: Stmt) => namesIn({ type: "ArrayExpression", elements: ownExpressions(s) });
  const visit = (ss: Stmt[]) => {
    ss.forEach((L, idx) => {
      if (L.k === "if") return visit(L.then), visit(L.else);
      if (L.k !== "loop") return;
      visit(L.init), visit(L.body);
      const inside: Stmt[] = [];
      eachStmt([...L.body, ...L.update], (u) => void inside.push(u));
      const vars = new Set<string>();
      for (const u of L.body) if (u.k === "assign" && u.target.kind === "var") vars.add(u.target.name);
      for (const v of vars) {
        const own = L.body.filter((u): u is Stmt & { k: "assign" } => u.k === "assign" && u.target.kind === "var" && u.target.name === v);
        // its assignments: accumulations or overwrites, reading v only as the accumulated term
        const fine = own.every((u) => {
          const x = u.expr;
          if (!namesIn(x).has(v)) return true;
          return x.type === "BinaryExpression" && (x.operator === "+" || x.operator === "-") && x.left.type === "Identifier" && x.left.name === v && !namesIn(x.right).has(v);
        });
        // nothing else in the loop touches v (reads, writes, or nested assignments)
        const others = inside.filter((u) => !own.includes(u as Stmt & { k: "assign" }));
        if (!fine || others.some((u) => names(u).has(v) || ((u.k === "assign" || u.k === "pop") && targetBase(u.target) === v))) continue;
        // the nearest statement before the loop that uses v must set it (v = e, e free of v)
        let k = idx - 1;
        while (k >= 0) {
          const u = ss[k];
          let uses = false;
          eachStmt([u], (x) => void ((names(x).has(v) || ((x.k === "assign" || x.k === "pop") && targetBase(x.target) === v)) && (uses = true)));
          if (uses) break;
          k--;
        }
        const s0 = ss[k];
        if (k < 0 || s0.k !== "assign" || s0.target.kind !== "var" || s0.target.name !== v || namesIn(s0.expr).has(v)) continue;
        own.forEach((u) => out.add(u));
      }
    });
  };
  visit(body);
  return out;
}

/** Whether an assignment's old value must be kept: the variable is written again later, and this is not its (first-run) declaration. */
function keepsOld(e: Emitter, s: Stmt & { k: "assign" | "pop" }, inLoop: boolean): boolean {
  if (!e.taping) return false;
  const needed = (!inLoop && e.neededAt.get(s)) || e.needed;
  if (needed !== null && !needed.has(targetBase(s.target))) return false;
  if (e.a.recomputed.has(s as Stmt)) return false;
  if (inLoop && e.noRestore.has(s)) return false;
  if (s.target.kind === "elem") return true;
  return e.a.overwritten.has(s.target.name) && !(s.declare && !inLoop);
}

/** Whether every assignment of `v` other than `s` puts back the value it overwrote when its reverse runs. */
function restoresOthers(e: Emitter, s: Stmt, v: string): boolean {
  // (a declaration outside loops runs once, before any other assignment of its variable)
  return (e.assignsOf.get(v) ?? []).every(([t, inLoop]) => t === s || (t.k === "assign" && t.declare && !inLoop) || keepsOld(e, t, inLoop));
}

function forwardSweep(e: Emitter, ss: Stmt[], inLoop: boolean): Node[] {
  const out: Node[] = [];
  for (const s of ss) {
    switch (s.k) {
      case "declare":
        break;
      case "assign": {
        const stmts: Node[] = [];
        if (keepsOld(e, s, inLoop)) stmts.push(e.push(targetNode(s.target)));
        stmts.push(assignment(targetNode(s.target), clone(s.expr)));
        if (s.text) withComment(stmts[0], s.text);
        out.push(...stmts);
        break;
      }
      case "alloc": {
        const a = declare("const", [[s.name, clone(s.init)]]);
        out.push(s.text ? withComment(a, s.text) : a);
        if (e.a.active.has(s.name)) out.push(declare("const", [[e.adj(s.name), zerosArrayLike(s.name)]]));
        break;
      }
      case "tape":
      case "zeros":
        out.push(...madeLocal(e, s));
        break;
      case "push": {
        const node = exprStmt(method(s.tape, "push", [clone(s.expr)]));
        out.push(s.text ? withComment(node, s.text) : node);
        break;
      }
      case "pop": {
        const stmts: Node[] = [];
        if (keepsOld(e, s, inLoop)) stmts.push(e.push(targetNode(s.target)));
        stmts.push(assign(targetNode(s.target), method(s.tape, "pop", [])));
        if (s.text) withComment(stmts[0], s.text);
        out.push(...stmts);
        break;
      }
      case "if": {
        const needs = e.taping && needsReverse(e, s, inLoop);
        const then = forwardSweep(e, s.then, inLoop), els = forwardSweep(e, s.else, inLoop);
        if (needs) {
          // the decision: on the tape inside a loop; outside loops an if runs once, and a local keeps it
          then.push(inLoop ? e.push(num(1)) : assign(id(e.hoisted(s, "_b")), num(1)));
          els.push(inLoop ? e.push(num(0)) : assign(id(e.hoisted(s, "_b")), num(0)));
        }
        const node = ifStmt(clone(s.test), then, els.length > 0 ? els : undefined);
        out.push(s.text ? withComment(node, s.text) : node);
        break;
      }
      case "loop": {
        const c = e.a.canonical.get(s);
        const init = forwardSweep(e, s.init, inLoop);
        const ck = !inLoop && e.o.checkpoint && s !== e.plainLoop ? checkpointPlan(e, s) : null;
        if (ck) {
          out.push(...init.slice(0, -1), ...checkpointedForward(e, s, ck));
          break;
        }
        if (c) {
          // for (i = A; i < B; i++): no tape, the reverse loop counts down
          const lastInit = init[init.length - 1];
          const initExpr = lastInit?.type === "ExpressionStatement" && lastInit.expression.type === "AssignmentExpression" ? lastInit.expression : null;
          const body = forwardSweep(e, s.body, true);
          const node = { type: "ForStatement", init: initExpr, test: clone(s.test), update: update(c.v, c.up ? "++" : "--"), body: block(body) };
          const before = initExpr ? init.slice(0, -1) : init;
          if (before.length > 0) delete before[0].comments;
          out.push(...before);
          out.push(withComment(node, s.text));
          break;
        }
        const needs = e.taping && needsReverse(e, s, inLoop);
        out.push(...init);
        const body = [...forwardSweep(e, s.body, true), ...forwardSweep(e, s.update, true)];
        let counter: string | null = null;
        if (needs) {
          counter = e.loopCounter.get(s) ?? e.fresh("_n");
          if (!e.counters.includes(counter)) e.counters.push(counter);
          e.loopCounter.set(s, counter);
          out.push(assign(id(counter), num(0)));
          body.push(exprStmt(update(counter, "++")));
        }
        const test = s.test ? clone(s.test) : { type: "Literal", value: true, raw: "true" };
        const node = s.doWhile ? { type: "DoWhileStatement", body: block(body), test } : { type: "WhileStatement", test, body: block(body) };
        out.push(s.text ? withComment(node, s.text) : node);
        if (counter) out.push(e.push(id(counter)));
        break;
      }
      default:
        throw new Error(`wengert internal: ${s.k} left after jump elimination`);
    }
  }
  return out;
}

/** A reverse loop iteration starts by recomputing the values that were not taped: this iteration's, as the forward sweep had them. */
function recomputed(e: Emitter, s: Stmt): Node[] {
  const again = (e.a.recompute.get(s) ?? []).filter((r) => e.needed === null || e.needed.has((r.target as { name: string }).name));
  return again.map((r, k) => {
    const node = assignment(targetNode(r.target), clone(r.expr));
    return k === 0 ? withComment(node, `recomputed, not taped: ${again.map((x) => (x.target as { name: string }).name).join(", ")}`) : node;
  });
}

// ---- √T checkpointing ------------------------------------------------------------------------

interface CheckpointPlan {
  v: string;
  start: Node;
  /** Number of steps, from the loop's bound (computed before the loop runs). */
  steps: Node;
  /** What the loop changes: its scalars and the local arrays it writes into. */
  scalars: string[];
  arrays: string[];
}

/**
 * Whether a top-level loop can be checkpointed: counted upwards (`for (let i = A; i < B; i++)`,
 * or `<=`) with a bound the loop does not change, something to tape, and no tapes or adjoints of
 * its own inside. Other loops are taped as usual.
 */
function checkpointPlan(e: Emitter, s: Stmt & { k: "loop" }): CheckpointPlan | null {
  const c = e.a.canonical.get(s);
  const t = s.test;
  if (!c || !c.up || !t || t.type !== "BinaryExpression" || (t.operator !== "<" && t.operator !== "<=") || t.left.type !== "Identifier" || t.left.name !== c.v) return null;
  if (![...s.body].some((b) => needsReverse(e, b, true))) return null;
  const scalars = new Set<string>(), arrays = new Set<string>();
  walkAssigns(s.body, (tg) => void (tg.kind === "var" ? scalars.add(tg.name) : arrays.add(tg.base)));
  let plain = true;
  eachStmt(s.body, (b) => void ((b.k === "push" || b.k === "pop" || b.k === "tape" || b.k === "zeros") && (plain = false)));
  if (!plain || [...arrays].some((a) => e.fn.locals.get(a) !== "array") || [...namesIn(t.right)].some((n) => scalars.has(n) || arrays.has(n))) return null;
  scalars.delete(c.v);
  const span = minus(clone(t.right), clone(c.start));
  return { v: c.v, start: c.start, steps: t.operator === "<=" ? bin("+", span, num(1)) : span, scalars: [...scalars], arrays: [...arrays] };
}

/** `new Float64Array(a.length)`: an adjoint or tangent for the local array `a`. */
const zerosArrayLike = (a: string): Node => ({ type: "NewExpression", callee: id("Float64Array"), arguments: [member(id(a), id("length"), false)] });

/** a − b, or a when b is the literal 0. */
const minus = (a: Node, b: Node): Node => (isLiteral(b, 0) ? a : bin("-", a, b));

/** `for (let j = 0; j < a.length; j++) body(j)` (or downwards), with a fresh index. */
function overElements(e: Emitter, s: Stmt, a: string, down: boolean, body: (j: Node) => Node): Node {
  const j = e.nameFor(s, `_j`);
  const len = member(id(a), id("length"), false);
  return {
    type: "ForStatement",
    init: declare("let", [[j, down ? bin("-", len, num(1)) : num(0)]]),
    test: down ? bin(">=", id(j), num(0)) : bin("<", id(j), len),
    update: update(j, down ? "--" : "++"),
    body: block([body(id(j))]),
  };
}

/** The forward sweep of a checkpointed loop: run plainly, snapshotting its state every ⌈√T⌉ steps. */
function checkpointedForward(e: Emitter, s: Stmt & { k: "loop" }, ck: CheckpointPlan): Node[] {
  const K = e.hoisted(s, "_stride");
  e.usesTape = true;
  const snapshot = [e.push(id(ck.v)), ...ck.scalars.map((n) => e.push(id(n))), ...ck.arrays.map((a) => overElements(e, s, a, false, (j) => e.push(member(id(a), j))))];
  e.taping = false;
  const body = forwardSweep(e, s.body, true);
  e.taping = true;
  const stride = assign(id(K), call(member(id("Math"), id("max"), false), [num(1), call(member(id("Math"), id("ceil"), false), [call(member(id("Math"), id("sqrt"), false), [clone(ck.steps)])])]));
  withComment(stride, `checkpointed: a snapshot of ${[ck.v, ...ck.scalars, ...ck.arrays].join(", ")} every ${K} steps, ${K} ≈ √(steps)`);
  const loop = {
    type: "ForStatement",
    init: { type: "AssignmentExpression", operator: "=", left: id(ck.v), right: clone(ck.start) },
    test: clone(s.test),
    update: update(ck.v, "++"),
    body: block([ifStmt(bin("===", bin("%", minus(id(ck.v), clone(ck.start)), id(K)), num(0)), snapshot), ...body]),
  };
  return [stride, withComment(loop, s.text), e.push(id(ck.v))];
}

/** The reverse sweep of a checkpointed loop: segment by segment from the last, restore, re-run with the tape, run backwards. */
function checkpointedReverse(e: Emitter, s: Stmt & { k: "loop" }, ck: CheckpointPlan): Node[] {
  const end = e.hoisted(s, "_segEnd"), begin = e.hoisted(s, "_segStart");
  const restore = [...ck.arrays.slice().reverse().map((a) => overElements(e, s, a, true, (j) => assign(member(id(a), j), e.pop()))), ...ck.scalars.slice().reverse().map((n) => assign(id(n), e.pop())), assign(id(ck.v), e.pop()), assign(id(begin), id(ck.v))];
  withComment(restore[0], "restore the segment's snapshot, run it again with the tape, then backwards");
  // the re-run starts from the snapshot and recomputes the values the loop assigns: its reads of
  // those need no restored values (readsOf skips them), but a value it reads and never assigns (set
  // before the loop, perhaps overwritten after it) must hold its value here as in the forward sweep
  const assignedInLoop = new Set<string>([ck.v]);
  walkAssigns([s], (t) => void assignedInLoop.add(targetBase(t)));
  const again = { type: "ForStatement", init: null, test: bin("<", id(ck.v), id(end)), update: update(ck.v, "++"), body: block(forwardSweep(e, s.body, true)), rerun: assignedInLoop };
  const back = {
    type: "ForStatement",
    init: { type: "AssignmentExpression", operator: "=", left: id(ck.v), right: bin("-", id(ck.v), num(1)) },
    test: bin(">=", id(ck.v), id(begin)),
    update: update(ck.v, "--"),
    body: block([...recomputed(e, s), ...reverseSweep(e, s.body, true)]),
  };
  const segments = { type: "WhileStatement", test: bin(">", id(end), clone(ck.start)), body: block([...restore, again, back, assign(id(end), id(begin))]) };
  return [withComment(assign(id(end), e.pop()), `${s.text} (checkpointed)`), segments];
}

/** `const t = new Tape()` / `const dx = zerosOf(x)`, with the derivative's own tape or zeros beside it when active. */
function madeLocal(e: Emitter, s: Stmt & { k: "tape" | "zeros" }): Node[] {
  const make = (): Node => (s.k === "tape" ? { type: "NewExpression", callee: id("Tape"), arguments: [] } : call(id("zerosOf"), [id(s.of)]));
  const nodes = [declare("const", [[s.name, make()]])];
  if (e.a.active.has(s.name)) nodes.push(declare("const", [[e.adj(s.name), make()]]));
  if (s.text) withComment(nodes[0], s.text);
  return nodes;
}

/** Whether a statement leaves anything for the reverse sweep to do (restore values, propagate adjoints). */
function needsReverse(e: Emitter, s: Stmt, inLoop: boolean): boolean {
  switch (s.k) {
    case "assign":
      return keepsOld(e, s, inLoop) || e.isActive(s.target);
    case "alloc":
      return s.elems !== null && e.a.active.has(s.name);
    case "push":
      return e.a.active.has(s.tape);
    case "pop":
      return keepsOld(e, s, inLoop) || e.a.active.has(s.tape);
    case "if":
      return s.then.some((x) => needsReverse(e, x, inLoop)) || s.else.some((x) => needsReverse(e, x, inLoop));
    case "loop":
      return s.init.some((x) => needsReverse(e, x, inLoop)) || [...(e.a.canonical.has(s) ? [] : s.update), ...s.body].some((x) => needsReverse(e, x, true));
    default:
      return false;
  }
}

function reverseSweep(e: Emitter, ss: Stmt[], inLoop: boolean): Node[] {
  const out: Node[] = [];
  for (let i = ss.length - 1; i >= 0; i--) {
    const s = ss[i];
    if (!needsReverse(e, s, inLoop)) continue;
    switch (s.k) {
      case "assign": {
        const stmts: Node[] = [];
        const old = keepsOld(e, s, inLoop);
        // A variable assigned a value that does not read it still holds that value here: its adjoint
        // goes first, with partials that may read the variable instead of recomputing its value
        // (tanh′ = 1 − out², no second Math.tanh), and the old value is restored after.
        // (only when every other assignment of the variable restores its old value in the reverse
        // sweep: one that does not — an accumulation left unrestored — would leave its value there)
        const late = old && s.target.kind === "var" && !namesIn(s.expr).has(s.target.name) && !e.noTemps && restoresOthers(e, s, s.target.name);
        if (old && !late) stmts.push(assign(targetNode(s.target), e.pop()));
        e.current = s;
        if (late && (s.expr.type === "CallExpression" || s.expr.type === "BinaryExpression")) e.ownOutput = [keyOf(s.expr), (s.target as { name: string }).name];
        if (e.isActive(s.target)) stmts.push(...adjointOf(e, s.target, s.expr, s.target.kind === "var" && !!s.declare && !inLoop));
        e.ownOutput = null;
        e.current = null;
        if (late) stmts.push(assign(targetNode(s.target), e.pop()));
        if (stmts.length > 0 && s.text) withComment(stmts[0], s.text);
        out.push(...stmts);
        break;
      }
      case "alloc": {
        const stmts: Node[] = [];
        for (let k = s.elems!.length - 1; k >= 0; k--) stmts.push(...adjointOf(e, { kind: "elem", base: s.name, node: member(id(s.name), num(k)) }, s.elems![k], true));
        if (stmts.length > 0) withComment(stmts[0], s.text);
        out.push(...stmts);
        break;
      }
      case "push": {
        // the value pushed gets the adjoint its pop left on the adjoint tape
        const seed = method(e.adj(s.tape), "pop", []);
        const { p, root } = e.partials(s.expr);
        const parts = p.partials(root).map((part, k) => [p.slots[k], part] as const).filter(([, part]) => part !== null);
        let stmts: Node[];
        if (parts.length === 0) stmts = [exprStmt(seed)];
        else {
          e.usesTemp = true;
          const g = id(e.tempName);
          stmts = [...e.takeTemps(), assign(g, seed), ...parts.map(([slot, part]) => accumulate(e.adjOf(slot.node), g, part!))];
        }
        if (s.text) withComment(stmts[0], s.text);
        out.push(...stmts);
        break;
      }
      case "pop": {
        const stmts: Node[] = [];
        if (keepsOld(e, s, inLoop)) stmts.push(assign(targetNode(s.target), e.pop()));
        if (e.a.active.has(s.tape)) {
          const active = e.isActive(s.target);
          stmts.push(exprStmt(method(e.adj(s.tape), "push", [active ? e.adjOf(targetNode(s.target)) : num(0)])));
          if (active) stmts.push(assign(e.adjOf(targetNode(s.target)), num(0)));
        }
        if (stmts.length > 0 && s.text) withComment(stmts[0], s.text);
        out.push(...stmts);
        break;
      }
      case "if": {
        const node = ifStmt(inLoop ? e.pop() : id(e.hoisted(s, "_b")), reverseSweep(e, s.then, inLoop), reverseSweep(e, s.else, inLoop));
        out.push(s.text ? withComment(node, s.text) : node);
        break;
      }
      case "loop": {
        const c = e.a.canonical.get(s);
        const ck = !inLoop && e.o.checkpoint && s !== e.plainLoop ? checkpointPlan(e, s) : null;
        if (ck) {
          out.push(...checkpointedReverse(e, s, ck), ...reverseSweep(e, s.init, inLoop));
          break;
        }
        const body = [...(c ? [] : reverseSweep(e, s.update, true)), ...recomputed(e, s), ...reverseSweep(e, s.body, true)];
        if (c) {
          out.push(countedDown(s, c, body));
        } else {
          const counter = e.loopCounter.get(s)!;
          const node = {
            type: "ForStatement",
            init: { type: "AssignmentExpression", operator: "=", left: id(counter), right: e.pop() },
            test: bin(">", id(counter), num(0)),
            update: update(counter, "--"),
            body: block(body),
          };
          out.push(s.text ? withComment(node, s.text) : node);
        }
        out.push(...reverseSweep(e, s.init, inLoop));
        break;
      }
    }
  }
  return out;
}

// ---- joined sweeps ---------------------------------------------------------------------------

/** Both sweeps of a body written in parts around its top-level loop body[j] (in the order whole sweeps are written, so names agree). */
interface Sections {
  /** The loop was written without checkpointing (which it would otherwise have had). */
  plain: boolean;
  fwdBefore: Node[];
  fwdLoop: Node[];
  fwdAfter: Node[];
  revAfter: Node[];
  recomputed: Node[];
  revBody: Node[];
  revInit: Node[];
  revBefore: Node[];
}

function sweepSections(e: Emitter, body: Stmt[], j: number): Sections {
  const loop = body[j] as Stmt & { k: "loop" };
  const plain = !!e.o.checkpoint && checkpointPlan(e, loop) !== null;
  const before = body.slice(0, j), after = body.slice(j + 1);
  e.plainLoop = loop;
  const fwdBefore = forwardSweep(e, before, false), fwdLoop = forwardSweep(e, [loop], false), fwdAfter = forwardSweep(e, after, false);
  const revAfter = reverseSweep(e, after, false), rec = recomputed(e, loop), revBody = reverseSweep(e, loop.body, true);
  const revInit = reverseSweep(e, loop.init, false), revBefore = reverseSweep(e, before, false);
  e.plainLoop = null;
  return { plain, fwdBefore, fwdLoop, fwdAfter, revAfter, recomputed: rec, revBody, revInit, revBefore };
}

/**
 * One loop doing both sweeps, when a counted loop's reverse iterations can run forwards, each right
 * after its forward iteration (as for a sum of terms: Rosenbrock's loop): then nothing is taped or
 * recomputed, and memory is read once. Returns that loop, or null. The conditions:
 * - no tape anywhere in the loop or after it (so every value a reverse iteration reads is the one
 *   its forward iteration left, and nothing after the loop needs restoring);
 * - the reverse of what follows the loop reads no value the loop or its followers assign (it is
 *   linear in them, as `return s` or `return 0.5 * s`), so it can run before the loop;
 * - the reverse iterations commute: each adjoint the reverse body writes is only incremented and
 *   never read there (dx[i] += …), or is the iteration's own (plainly assigned first, or zero at
 *   the start of the loop and set to 0 at the end of every iteration); adjoints read and not
 *   written (the accumulator's ds) stay as they were. The reverse body is straight-line code.
 * Adjoints then sum in another order than the two-sweep code's (the last bits may differ).
 */
function joinable(e: Emitter, sec: Sections, loop: Stmt & { k: "loop" }, after: Stmt[], adjInit: Map<string, Node>): Node | null {
  const { fwdLoop, fwdAfter, revAfter, revBody, revInit } = sec;
  const forNode = fwdLoop[fwdLoop.length - 1];
  if (forNode?.type !== "ForStatement" || revInit.length > 0) return null;
  if ([fwdLoop, fwdAfter, revAfter, revBody].some(usesStack)) return null;
  const primal = new Set<string>([...e.fn.params.map((p) => p.name), ...e.fn.locals.keys()]);
  const assigned = new Set<string>();
  walkAssigns([loop, ...after], (t) => void assigned.add(targetBase(t)));
  if ([...readsOf(revAfter)].some((n) => assigned.has(n))) return null;
  const writtenAfter = new Set<string>();
  for (const n of revAfter) walk(n, (x) => void (x.type === "AssignmentExpression" && writtenAfter.add(baseName(x.left))));
  // the reverse body, statement by statement: how each adjoint is first touched and last written
  const first = new Map<string, "read" | "set" | "inc">(), lastWrite = new Map<string, Node>(), incOnly = new Map<string, boolean>(), read = new Set<string>(), local = new Set<string>();
  const reads = (n: Node) => {
    for (const r of readsOf([n])) {
      read.add(r);
      if (!first.has(r)) first.set(r, "read");
    }
  };
  for (const st of revBody) {
    if (st.type === "VariableDeclaration" && st.kind === "const") {
      for (const d of st.declarations) reads(d.init), local.add(d.id.name);
      continue;
    }
    if (st.type !== "ExpressionStatement" || st.expression.type !== "AssignmentExpression") return null;
    const a = st.expression;
    const w = baseName(a.left);
    reads(st);
    if (primal.has(w)) return null; // only recomputation writes primal values, and it is dropped here
    const inc = a.operator === "+=" || a.operator === "-=";
    if (!inc && a.operator !== "=") return null;
    if (!first.has(w)) first.set(w, inc ? "inc" : "set");
    incOnly.set(w, (incOnly.get(w) ?? true) && inc);
    lastWrite.set(w, a);
  }
  for (const [w, last] of lastWrite) {
    if (local.has(w)) continue;
    if (incOnly.get(w) && !read.has(w)) continue; // an accumulation
    const zeroAtEnd = last.operator === "=" && last.left.type === "Identifier" && isLiteral(last.right, 0);
    if (first.get(w) === "set" && (zeroAtEnd || w === e.tempName)) continue;
    const init = adjInit.get(w);
    if (first.get(w) === "inc" && zeroAtEnd && init !== undefined && isLiteral(init, 0) && !writtenAfter.has(w)) continue;
    return null;
  }
  const fwdBody: Node[] = forNode.body.body;
  const loads = loadOnce(e, loop, [...fwdBody, ...revBody]);
  if (revBody.length > 0) withComment(revBody[0], "this iteration's reverse", true);
  if (loads.length > 0) withComment(loads[0], "elements read, loaded once", true);
  const node = { ...forNode, body: block([...loads, ...fwdBody, ...revBody]) };
  return withComment(node, "both sweeps in one loop: the reverse iterations commute, so each runs after its forward one", true);
}

/**
 * The elements of arrays the loop does not write that a joined iteration reads, each loaded once
 * into a constant at its start (and `body` rewritten to use them): the engine must otherwise load
 * x[i] again after every store into an adjoint array, which might be x itself. Only elements of
 * parameter or local arrays read as numbers, with indices the iteration does not change (reading
 * such an element early has no effect even where the code reads it conditionally). Returns the
 * declarations.
 */
function loadOnce(e: Emitter, loop: Stmt & { k: "loop" }, body: Node[]): Node[] {
  const written = new Set<string>();
  walkAssigns(loop.body, (t) => void written.add(targetBase(t)));
  for (const n of body) walk(n, (x) => void (x.type === "AssignmentExpression" && written.add(baseName(x.left))));
  const arrays = new Set([...e.fn.params.filter((p) => p.kind === "array").map((p) => p.name), ...[...e.fn.locals].filter(([, k]) => k === "array").map(([n]) => n)]);
  const loads = new Map<string, string>(), decls: Node[] = [];
  const fixed = (idx: Node) => {
    let ok = true;
    walk(idx, (x) => void ((x.type === "Identifier" && written.has(x.name)) || x.type === "MemberExpression" || x.type === "CallExpression" ? (ok = false) : 0));
    return ok;
  };
  const visit = (n: Node): Node => {
    if (!n || typeof n !== "object") return n;
    if (n.type === "MemberExpression" && n.computed && n.object.type === "Identifier" && arrays.has(n.object.name) && !written.has(n.object.name) && fixed(n.property)) {
      const key = keyOf(n);
      let name = loads.get(key);
      if (!name) {
        name = e.fresh(`${n.object.name}_${keyOf(n.property).replace(/[^A-Za-z0-9]/g, "")}`);
        loads.set(key, name);
        decls.push(declare("const", [[name, clone(n)]]));
      }
      return id(name);
    }
    if (n.type === "MemberExpression") return indices(n); // x[i] of x[i][j] is an array: only indices are looked into
    if (n.type === "AssignmentExpression") {
      if (n.left.type === "MemberExpression") indices(n.left);
      n.right = visit(n.right);
      return n;
    }
    for (const [k, v] of Object.entries(n)) {
      if (k === "comments") continue;
      if (Array.isArray(v)) n[k] = v.map(visit);
      else if (v && typeof v === "object" && typeof v.type === "string") n[k] = visit(v);
    }
    return n;
  };
  const indices = (m: Node): Node => {
    for (let x = m; x.type === "MemberExpression"; x = x.object) if (x.computed) x.property = visit(x.property);
    return m;
  };
  body.forEach(visit);
  return decls;
}

/** Whether the code pushes on or pops from a stack (the tape, or a tape of the differentiated code). */
function usesStack(ns: Node[]): boolean {
  let found = false;
  for (const n of ns) walk(n, (x) => void (x.type === "CallExpression" && x.callee.type === "MemberExpression" && ["push", "pop"].includes(x.callee.property.name) && (found = true)));
  return found;
}

const baseName = (n: Node): string => {
  while (n.type === "MemberExpression") n = n.object;
  return n.name;
};

/**
 * Remove the adjoints that never receive anything (a partial that simplified to zero, as for t in
 * `t - t`): among `candidates` (local adjoints starting at 0), those no statement assigns anything
 * but 0. Statements adding a multiple of one (`dx += dt · …`) and its resets (`dt = 0`) go, and
 * again until nothing changes. Like JAX's symbolic zeros, nothing is added, not even 0 · ∞.
 * Returns the names removed (their declarations are the caller's).
 */
function pruneDeadAdjoints(lists: Node[][], candidates: string[]): Set<string> {
  const dead = new Set<string>();
  const eachList = (f: (ns: Node[]) => void) => {
    const visit = (ns: Node[]) => {
      f(ns);
      for (const n of ns) {
        if (n.type === "ForStatement" || n.type === "WhileStatement" || n.type === "DoWhileStatement") visit(n.body.body);
        else if (n.type === "IfStatement") visit(n.consequent.body), n.alternate && visit(n.alternate.body);
        else if (n.type === "BlockStatement") visit(n.body);
      }
    };
    lists.forEach(visit);
  };
  for (;;) {
    const live = new Set<string>();
    eachList((ns) => {
      for (const n of ns) {
        const a = n.type === "ExpressionStatement" && n.expression.type === "AssignmentExpression" ? n.expression : null;
        if (a && a.left.type === "Identifier" && !(a.operator === "=" && isLiteral(a.right, 0))) live.add(a.left.name);
      }
    });
    const fresh = candidates.filter((n) => !dead.has(n) && !live.has(n));
    if (fresh.length === 0) return dead;
    fresh.forEach((n) => dead.add(n));
    eachList((ns) => {
      for (let k = ns.length - 1; k >= 0; k--) {
        const n = ns[k];
        const a = n.type === "ExpressionStatement" && n.expression.type === "AssignmentExpression" ? n.expression : null;
        if (!a) continue;
        const reset = a.left.type === "Identifier" && dead.has(a.left.name) && a.operator === "=" && isLiteral(a.right, 0);
        const adds = (a.operator === "+=" || a.operator === "-=") && [...readsOf([a.right])].some((r) => dead.has(r));
        if (!reset && !adds) continue;
        ns.splice(k, 1);
        // its statement's comment moves to the next statement of the same group (one without its own)
        if (n.comments && k < ns.length && !ns[k].comments) ns[k].comments = n.comments;
      }
    });
  }
}

/** A counted loop's reverse: the counter ends one step past the last iteration, so step back and run down to the start. */
function countedDown(s: Stmt & { k: "loop" }, c: { v: string; start: Node; up: boolean }, body: Node[]): Node {
  const node = {
    type: "ForStatement",
    init: { type: "AssignmentExpression", operator: "=", left: id(c.v), right: bin(c.up ? "-" : "+", id(c.v), num(1)) },
    test: bin(c.up ? ">=" : "<=", id(c.v), clone(c.start)),
    update: update(c.v, c.up ? "--" : "++"),
    body: block(body),
  };
  return withComment(node, s.text);
}

/** The adjoint statements of `target = expr`, run after target's old value is restored. */
function adjointOf(e: Emitter, target: Target, expr: Node, fresh = false): Node[] {
  // the logistic function written out, y = 1 / (1 + exp(−u)), whose value y still holds: its
  // derivative is y·(1 − y) (the partials would otherwise compute exp(−u) again)
  const u = e.ownOutput && e.ownOutput[0] === keyOf(expr) ? logisticArgument(expr) : null;
  const { p, root } = e.partials(u ?? expr);
  let raw = p.partials(root);
  if (u) {
    const y = e.ownOutput![1];
    const dy = bin("*", id(y), bin("-", num(1), id(y)));
    raw = raw.map((t) => t && (isLiteral(t, 1) ? clone(dy) : bin("*", clone(dy), t)));
  }
  const parts = commonCalls(e, raw.map((t) => t && e.substitute(t)));
  const temps = e.takeTemps();
  for (const t of temps) for (const d of t.declarations) d.init = e.substitute(d.init);
  const tgt = targetNode(target);
  const tgtAdj = e.adjOf(tgt);
  const selfKey = keyOf(tgt);
  const selfIndex = p.slots.findIndex((s) => s.key === selfKey);
  const out: Node[] = [...temps];
  const others = p.slots.map((s, k) => [s, parts[k]] as const).filter(([s, part]) => part !== null && s.key !== selfKey);
  if (target.kind === "var" && (selfIndex < 0 || (parts[selfIndex] !== null && isLiteral(parts[selfIndex]!, 1)))) {
    for (const [s, part] of others) out.push(accumulate(e.adjOf(s.node), tgtAdj, part!));
    // an overwritten variable's earlier value gets no share of this adjoint (a first assignment has no earlier value)
    if (selfIndex < 0 && e.a.overwritten.has(target.name) && !fresh) out.push(assign(clone(tgtAdj), num(0)));
    return out;
  }
  if (fresh && selfIndex < 0) {
    for (const [s, part] of others) out.push(accumulate(e.adjOf(s.node), tgtAdj, part!));
    return out;
  }
  e.usesTemp = true;
  const g = id(e.tempName);
  out.push(assign(g, clone(tgtAdj)), assign(clone(tgtAdj), num(0)));
  for (const [s, part] of p.slots.map((s, k) => [s, parts[k]] as const)) if (part !== null) out.push(accumulate(e.adjOf(s.node), g, part));
  return out;
}

/** `u` when the expression is `1 / (1 + Math.exp(-u))` or `1 / (Math.exp(-u) + 1)`, else null. */
function logisticArgument(n: Node): Node | null {
  if (n.type !== "BinaryExpression" || n.operator !== "/" || !isLiteral(n.left, 1)) return null;
  const d = n.right;
  if (d.type !== "BinaryExpression" || d.operator !== "+") return null;
  const ex = isLiteral(d.left, 1) ? d.right : isLiteral(d.right, 1) ? d.left : null;
  if (!ex || ex.type !== "CallExpression" || ex.callee.type !== "MemberExpression" || ex.callee.object?.name !== "Math" || ex.callee.property?.name !== "exp" || ex.arguments.length !== 1) return null;
  const a = ex.arguments[0];
  return a.type === "UnaryExpression" && a.operator === "-" ? a.argument : null;
}

/**
 * A call (Math.exp(−z), Math.tanh(u)) that occurs more than once in a statement's partial
 * derivatives is computed once, into a temporary (engines do not merge calls of Math functions).
 */
function commonCalls(e: Emitter, parts: (Node | null)[]): (Node | null)[] {
  if (e.noTemps) return parts;
  const counts = new Map<string, number>();
  for (const t of parts) if (t) walk(t, (n) => void (n.type === "CallExpression" && counts.set(keyOf(n), (counts.get(keyOf(n)) ?? 0) + 1)));
  const temps = new Map<string, Node>();
  const replace = (n: Node): Node => {
    if (!n || typeof n !== "object") return n;
    if (n.type === "CallExpression" && (counts.get(keyOf(n)) ?? 0) > 1) {
      const k = keyOf(n);
      let t = temps.get(k);
      if (!t) temps.set(k, (t = e.bindTemp(clone(n))));
      return clone(t);
    }
    for (const [k, v] of Object.entries(n)) {
      if (k === "comments") continue;
      if (Array.isArray(v)) n[k] = v.map(replace);
      else if (v && typeof v === "object" && typeof v.type === "string") n[k] = replace(v);
    }
    return n;
  };
  return parts.map((t) => t && replace(t));
}

/** Variables read by generated statements (assignment targets and the arrays written into excluded; their indices included). */
function readsOf(nodes: Node[], tape?: string): Set<string> {
  const out = new Set<string>();
  let skip: Set<string> | null = null;
  const visit = (n: Node): void => {
    if (!n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(visit);
    if (tape && n.rerun instanceof Set && skip === null) {
      // a checkpointed segment's re-run (see checkpointedReverse): the values its loop assigns come from the snapshot
      skip = n.rerun as Set<string>;
      for (const [k, v] of Object.entries(n)) if (k !== "comments" && k !== "rerun" && v && typeof v === "object") visit(v);
      skip = null;
      return;
    }
    if (n.type === "Identifier") return void (skip?.has(n.name) || out.add(n.name));
    if (tape && n.type === "CallExpression" && n.callee.type === "MemberExpression" && n.callee.object.type === "Identifier" && n.callee.object.name === tape && n.callee.property.name === "push") {
      // saving a value to restore it is not a use of it (a re-run segment saves what it overwrites); its index is
      let t = n.arguments[0];
      while (t?.type === "MemberExpression") visit(t.property), (t = t.object);
      return;
    }
    if (n.type === "AssignmentExpression") {
      let t = n.left;
      while (t.type === "MemberExpression") visit(t.property), (t = t.object);
      return visit(n.right);
    }
    if (n.type === "MemberExpression" && !n.computed) return visit(n.object);
    for (const [k, v] of Object.entries(n)) if (k !== "comments" && v && typeof v === "object") visit(v);
  };
  nodes.forEach(visit);
  return out;
}

/**
 * Drop assignments whose value nothing reads (repeatedly: dropping one may free others), such as a
 * gradient function's unused value when it is differentiated again. Tape operations stay (they keep
 * the tape aligned); expressions of the subset have no side effects, so nothing else changes.
 */
function removeDead(body: Stmt[], outputs: Set<string>): Stmt[] {
  for (;;) {
    const read = new Set(outputs);
    const reads = (n: Node) => walk(n, (c) => void (c.type === "Identifier" && read.add(c.name)));
    eachStmt(body, (s) => {
      if (s.k === "assign") {
        reads(s.expr);
        // writing a[i] reads i, not a
        for (let m = s.target.kind === "elem" ? s.target.node : null; m?.type === "MemberExpression"; m = m.object) if (m.computed) reads(m.property);
      } else if (s.k === "alloc") s.elems?.forEach(reads);
      else if (s.k === "push" || s.k === "return" || s.k === "if" || s.k === "loop") ownExpressions(s).forEach(reads);
    });
    let dropped = false;
    const keep = (ss: Stmt[]): Stmt[] =>
      ss.flatMap((s): Stmt[] => {
        if (s.k === "assign" && !read.has(targetBase(s.target))) return (dropped = true), [];
        if (s.k === "if") return [{ ...s, then: keep(s.then), else: keep(s.else) }];
        if (s.k === "loop") return [{ ...s, init: keep(s.init), update: keep(s.update), body: keep(s.body) }];
        return [s];
      });
    body = keep(body);
    if (!dropped) return body;
  }
}

/** Visit every assignment target of a statement list. */
function walkAssigns(ss: Stmt[], f: (t: Target) => void): void {
  eachStmt(ss, (s) => void ((s.k === "assign" || s.k === "pop") && f(s.target)));
}

// ---- forward mode ---------------------------------------------------------------------------

/**
 * Forward mode keeps declarations where they are; but jump elimination can move a statement out of
 * the block that declares a variable it reads (an inlined helper's locals, read by its last return
 * after guards). Such a variable is declared at the top instead (its declaration becomes an assignment).
 */
function hoistEscaping(body: Stmt[]): void {
  const decls = new Map<string, Stmt & { k: "assign" | "pop" }>();
  eachStmt(body, (s) => void ((s.k === "assign" || s.k === "pop") && s.declare && s.target.kind === "var" && decls.set(s.target.name, s)));
  const escaping = new Set<string>();
  const block = (ss: Stmt[], outer: Set<string>): Set<string> => {
    const visible = new Set(outer);
    for (const s of ss) {
      const declares = (s.k === "assign" || s.k === "pop") && s.declare && s.target.kind === "var";
      // what the statement reads or writes (a loop's test is read inside the loop, see below)
      const used = s.k === "loop" ? new Set<string>() : namesIn({ type: "ArrayExpression", elements: ownExpressions(s) });
      if (declares) used.delete(targetBase((s as Stmt & { k: "assign" }).target));
      for (const n of used) if (decls.has(n) && !visible.has(n)) escaping.add(n);
      if (s.k === "if") block(s.then, visible), block(s.else, visible);
      else if (s.k === "loop") {
        const inner = block(s.init, visible);
        block([...s.body, ...s.update], inner);
        if (s.test) for (const n of namesIn(s.test)) if (decls.has(n) && !inner.has(n)) escaping.add(n);
      }
      if (declares) visible.add(targetBase((s as Stmt & { k: "assign" }).target));
    }
    return visible;
  };
  block(body, new Set());
  for (const n of escaping) delete decls.get(n)!.declare;
}

/** Forward mode: `(…args, …tangents of the argnums) => [value, tangent]`, a tangent statement before each active assignment. */
export function forwardMode(fn: Fn, o: Options): Node {
  const e = new Emitter(fn, o);
  const outputs: Node[] = [];
  eachStmt(fn.body, (s) => void (s.k === "return" && outputs.push(s.value)));
  const wrt = new Set(o.argnums.map((i) => fn.params[i].name));
  const live = removeDead(fn.body, new Set());
  hoistEscaping(live);
  e.a = analyze(fn, live, wrt, outputs);
  if (o.batch !== undefined) return batchedForward(e, fn, o, live, o.batch);
  const body = tangentSweep(e, live);
  // variables the normalisation introduced without a declaration (helper results, lifted
  // conditionals, flags) are declared first, with their tangents
  const declared = new Set<string>(fn.params.map((p) => p.name));
  eachStmt(live, (st) => {
    if ((st.k === "assign" || st.k === "pop") && st.declare && st.target.kind === "var") declared.add(st.target.name);
    else if (st.k === "declare" || st.k === "alloc" || st.k === "tape" || st.k === "zeros") declared.add(st.name);
  });
  const undeclared: string[] = [];
  walkAssigns(live, (t) => void (t.kind === "var" && !declared.has(t.name) && !undeclared.includes(t.name) && undeclared.push(t.name)));
  if (undeclared.length > 0) body.unshift(declare("let", undeclared.flatMap((n): [string, Node | null][] => (e.a.active.has(n) ? [[n, null], [e.adj(n), num(0)]] : [[n, null]]))));
  if (o.tangentOnly) {
    // d/dx along the one number argument: its tangent starts at 1, the derivative is returned alone
    body.unshift(declare("let", [[e.adj(fn.params[o.argnums[0]].name), num(1)]]));
    const name = `${fn.name}_d${fn.params[o.argnums[0]].name}`;
    const node: Node = { type: "FunctionDeclaration", id: id(name), params: fn.params.map((p) => id(p.name)), body: block(body), generator: false, async: false };
    return withComment(node, `∂${fn.name}/∂${fn.params[o.argnums[0]].name} by forward mode (wengert); it can be differentiated again.`);
  }
  const name = `${fn.name}_${o.argnums.length === 0 ? "value" : "jvp"}`;
  const params = [...fn.params.map((p) => p.name), ...o.argnums.map((i) => e.adj(fn.params[i].name))];
  const node: Node = { type: "FunctionDeclaration", id: id(name), params: params.map(id), body: block(body), generator: false, async: false };
  if (o.argnums.length > 0) {
    withComment(node, `Forward mode of ${fn.name} with respect to ${o.argnums.map((i) => fn.params[i].name).join(", ")} (generated by wengert from the source).`);
    withComment(node, `${name}(${params.join(", ")}) returns [${fn.name}(${fn.params.map((p) => p.name).join(", ")}), its derivative along the tangents].`);
  }
  return node;
}

/** The tangent of an expression (null when it is zero). */
function tangentOf(e: Emitter, expr: Node): Node | null {
  const { p, root } = e.partials(expr);
  return p.tangent(
    root,
    p.slots.map((s) => {
      const r = rootOf(s.node);
      return r && e.a.active.has(r.name) ? e.adjOf(s.node) : null;
    }),
  );
}

function tangentSweep(e: Emitter, ss: Stmt[]): Node[] {
  const out: Node[] = [];
  const note = (nodes: Node[], text: string) => {
    nodes = [...e.takeTemps(), ...nodes];
    if (nodes.length > 0 && text) withComment(nodes[0], text);
    out.push(...nodes);
  };
  for (const s of ss) {
    switch (s.k) {
      case "declare":
        note([declare("let", [[s.name, null]]), ...(e.a.active.has(s.name) ? [declare("let", [[e.adj(s.name), num(0)]])] : [])], s.text);
        break;
      case "assign": {
        const nodes: Node[] = [];
        if (e.isActive(s.target)) {
          const t = tangentOf(e, s.expr) ?? num(0);
          const tgt = e.adjOf(targetNode(s.target));
          nodes.push(s.declare ? declare(s.declare, [[tgt.name, t]]) : assignment(tgt, t));
        }
        nodes.push(s.declare ? declare(s.declare, [[(s.target as { name: string }).name, clone(s.expr)]]) : assignment(targetNode(s.target), clone(s.expr)));
        note(nodes, s.text);
        break;
      }
      case "alloc": {
        const nodes = [declare("const", [[s.name, clone(s.init)]])];
        if (e.a.active.has(s.name)) {
          const init = s.elems ? { type: "ArrayExpression", elements: s.elems.map((x) => tangentOf(e, x) ?? num(0)) } : zerosArrayLike(s.name);
          nodes.push(declare("const", [[e.adj(s.name), init]]));
        }
        note(nodes, s.text);
        break;
      }
      case "if":
        note([ifStmt(clone(s.test), tangentSweep(e, s.then), tangentSweep(e, s.else))], s.text);
        break;
      case "tape":
      case "zeros":
        out.push(...madeLocal(e, s));
        break;
      case "push": {
        const nodes = [exprStmt(method(s.tape, "push", [clone(s.expr)]))];
        if (e.a.active.has(s.tape)) nodes.push(exprStmt(method(e.adj(s.tape), "push", [tangentOf(e, s.expr) ?? num(0)])));
        note(nodes, s.text);
        break;
      }
      case "pop": {
        const target = targetNode(s.target);
        const nodes = [s.declare ? declare(s.declare, [[target.name, method(s.tape, "pop", [])]]) : assign(target, method(s.tape, "pop", []))];
        if (e.a.active.has(s.tape)) {
          const t = method(e.adj(s.tape), "pop", []);
          if (!e.isActive(s.target)) nodes.push(exprStmt(t));
          else nodes.push(s.declare ? declare(s.declare, [[e.adj(target.name), t]]) : assign(e.adjOf(target), t));
        }
        note(nodes, s.text);
        break;
      }
      case "loop": {
        const init = tangentSweep(e, s.init);
        e.noTemps = true;
        const update = tangentSweep(e, s.update);
        e.noTemps = false;
        const body = block(tangentSweep(e, s.body));
        const node = loopNode(s, init, update, body, out);
        note([node], s.text);
        break;
      }
      case "break":
        out.push({ type: "BreakStatement", label: null });
        break;
      case "continue":
        out.push({ type: "ContinueStatement", label: null });
        break;
      case "return": {
        if (e.o.argnums.length === 0) {
          note([{ type: "ReturnStatement", argument: clone(s.value) }], s.text);
          break;
        }
        const v = s.value;
        let t: Node;
        const localTangent = (x: Node): Node | null => {
          if (x.type !== "Identifier") return null;
          const kind = e.fn.locals.get(x.name);
          if (kind === "struct") return e.a.active.has(x.name) ? id(e.adj(x.name)) : call(id("zerosOf"), [id(e.fn.locals.has(x.name) ? structOf(e.fn, x.name) : x.name)]);
          if (kind === "array") return e.a.active.has(x.name) ? id(e.adj(x.name)) : zerosArrayLike(x.name);
          return null;
        };
        if (v.type === "ArrayExpression") t = { type: "ArrayExpression", elements: v.elements.map((x: Node) => localTangent(x) ?? tangentOf(e, x) ?? num(0)) };
        else if (localTangent(v)) t = localTangent(v)!;
        else if (v.type === "ObjectExpression") t = { type: "ObjectExpression", properties: v.properties.map((p: Node) => ({ ...p, value: tangentOf(e, p.value) ?? num(0) })) };
        else t = tangentOf(e, v) ?? num(0);
        note([{ type: "ReturnStatement", argument: e.o.tangentOnly ? t : { type: "ArrayExpression", elements: [clone(v), t] } }], s.text);
        break;
      }
    }
  }
  return out;
}

// ---- batched forward mode ---------------------------------------------------------------------

/**
 * Forward mode along K directions at once (Tapenade's vector mode): each active number's tangent
 * is K numbers — a scalar v has `dv[q]`, element i of an array a has `da[i·K + q]` — and each
 * statement's partial derivatives are computed once and applied to all K directions in one loop.
 * Primal work and the partials (transcendental functions included) are shared by the directions,
 * where K separate passes would repeat them. Numbers and flat arrays only; no tapes.
 */
function batchedForward(e: Emitter, fn: Fn, o: Options, live: Stmt[], K: number): Node {
  const q = e.fresh("_q");
  const sweep = batchedSweep(e, live, K, q);
  const head: Node[] = [];
  // tangent storage of active scalars, made once (a value assigned in a loop reuses it)
  const declared = new Set<string>(fn.params.map((p) => p.name));
  eachStmt(live, (st) => {
    if ((st.k === "assign" || st.k === "pop") && st.declare && st.target.kind === "var") declared.add(st.target.name);
    else if (st.k === "declare" || st.k === "alloc") declared.add(st.name);
  });
  const undeclared: string[] = [];
  walkAssigns(live, (t) => void (t.kind === "var" && !declared.has(t.name) && !undeclared.includes(t.name) && undeclared.push(t.name)));
  if (undeclared.length > 0) head.push(declare("let", undeclared.map((n) => [n, null])));
  const scalars = [...fn.locals].filter(([n, k]) => k === "scalar" && e.a.active.has(n) && !fn.params.some((p) => p.name === n)).map(([n]) => n);
  if (scalars.length > 0) head.push(declare("const", scalars.map((n) => [e.adj(n), { type: "NewExpression", callee: id("Float64Array"), arguments: [num(K)] }])));
  for (const i of o.argnums) {
    const p = fn.params[i];
    if (p.kind !== "scalar" && p.kind !== "array") throw new TransformError(`${o.op}: batched forward mode takes numbers and flat arrays; ${fn.name}'s parameter ${p.name} is an object`);
  }
  const name = `${fn.name}_jvp${K}`;
  const params = [...fn.params.map((p) => p.name), ...o.argnums.map((i) => e.adj(fn.params[i].name))];
  const node: Node = { type: "FunctionDeclaration", id: id(name), params: params.map(id), body: block(fuseDirections([...head, ...sweep])), generator: false, async: false };
  withComment(node, `Forward mode of ${fn.name} with respect to ${o.argnums.map((i) => fn.params[i].name).join(", ")} along ${K} directions at once (generated by wengert from the source).`);
  withComment(node, `A tangent holds ${K} numbers per number, direction fastest: dv[q] for a number v, da[i * ${K} + q] for a[i].`);
  return node;
}

/** The tangent of an operand along direction q: dv[q], or da[i·K + q] for an element a[i]. */
function batchedTangent(e: Emitter, n: Node, K: number, q: string): Node {
  if (n.type === "Identifier") return member(id(e.adj(n.name)), id(q));
  if (n.type === "MemberExpression" && n.computed && n.object.type === "Identifier") return member(id(e.adj(n.object.name)), bin("+", bin("*", clone(n.property), num(K)), id(q)));
  return e.fail(n, `batched forward mode takes numbers and flat arrays (a[i]); this operand is nested`);
}

const directions = (q: string, K: number, body: Node): Node => ({ type: "ForStatement", init: declare("let", [[q, num(0)]]), test: bin("<", id(q), num(K)), update: update(q, "++"), body, directions: true });

/**
 * The direction loops of consecutive statements as one loop: every direction loop reads and writes
 * direction q only, so in a run of statements the loops can all run last, in their order, once the
 * primal statements between them are done — when those write nothing the loops read (a loop may
 * read a primal value such as p0 directly) and read nothing the loops write. Fewer loops, the
 * tangents just written still in registers (GradBench ht's Jacobian: 0.68 → 0.62 ms, one measurement).
 */
function fuseDirections(ss: Node[]): Node[] {
  const out: Node[] = [];
  let loops: Node[] = [];
  let reads = new Set<string>(), writes = new Set<string>();
  // a waiting loop's comment (the source statement it belongs to) goes on that statement's primal part
  let comments: unknown[] = [];
  const flush = () => {
    if (loops.length > 0) {
      const bodies = loops.map((l) => l.body);
      const fused: Node = loops.length === 1 ? loops[0] : { ...loops[0], body: block(bodies.flatMap((b) => (b.type === "BlockStatement" ? b.body : [b]))) };
      out.push(comments.length > 0 ? { ...fused, comments } : fused);
    }
    loops = [];
    comments = [];
    reads = new Set();
    writes = new Set();
  };
  for (const s0 of ss) {
    const s = nestedFused(s0);
    if (s.directions) {
      if (s.comments?.length) comments.push(...s.comments);
      loops.push({ ...s, comments: undefined });
      walk(s, (n) => void (n.type === "Identifier" && reads.add(n.name)));
      walk(s.body, (n) => {
        if (n.type === "AssignmentExpression" || n.type === "UpdateExpression") {
          const r = rootOf(n.type === "AssignmentExpression" ? n.left : n.argument)?.name;
          if (r) writes.add(r);
        }
      });
      continue;
    }
    const simple = s.type === "VariableDeclaration" || (s.type === "ExpressionStatement" && (s.expression.type === "AssignmentExpression" || s.expression.type === "UpdateExpression"));
    if (loops.length > 0 && simple) {
      const sWrites: string[] = [];
      const sReads = new Set<string>();
      if (s.type === "VariableDeclaration") for (const d of s.declarations) sWrites.push(d.id.name);
      else {
        const r = rootOf(s.expression.type === "AssignmentExpression" ? s.expression.left : s.expression.argument)?.name;
        if (r) sWrites.push(r);
      }
      walk(s, (n) => void (n.type === "Identifier" && sReads.add(n.name)));
      if (!sWrites.some((w) => reads.has(w)) && ![...sReads].some((r) => writes.has(r))) {
        out.push(comments.length > 0 ? { ...s, comments: [...comments, ...(s.comments ?? [])] } : s); // runs before the waiting loops
        comments = [];
        continue;
      }
    }
    flush();
    out.push(s);
  }
  flush();
  return out;
}

/** A statement with the blocks inside it (loop bodies, branches) fused the same way. */
function nestedFused(s: Node): Node {
  if (s.directions) return s;
  const inner = (b: Node): Node => (b && b.type === "BlockStatement" ? { ...b, body: fuseDirections(b.body) } : b);
  switch (s.type) {
    case "BlockStatement":
      return inner(s);
    case "IfStatement":
      return { ...s, consequent: inner(s.consequent), alternate: s.alternate ? (s.alternate.type === "IfStatement" ? nestedFused(s.alternate) : inner(s.alternate)) : s.alternate };
    case "ForStatement":
    case "WhileStatement":
    case "DoWhileStatement":
      return { ...s, body: inner(s.body) };
    case "LabeledStatement":
      return { ...s, body: nestedFused(s.body) };
    default:
      return s;
  }
}

/** `target(q) = Σ ∂expr/∂u · du[q]` for every direction q: the partials computed once, before the loop. */
function batchedAssign(e: Emitter, target: (q: Node) => Node, expr: Node | null, K: number, q: string): Node[] {
  const out: Node[] = [];
  const terms: Node[] = [];
  if (expr) {
    const { p, root } = e.partials(expr);
    const parts = p.partials(root);
    out.push(...e.takeTemps());
    p.slots.forEach((slot, k) => {
      const part = parts[k];
      const r = rootOf(slot.node);
      if (part === null || !r || !e.a.active.has(r.name)) return;
      const t = batchedTangent(e, slot.node, K, q);
      if (isLiteral(part, 1)) return void terms.push(t);
      if (isLiteral(part, -1)) return void terms.push(unary("-", t));
      let coef = part;
      if (!(part.type === "Literal" || part.type === "Identifier")) {
        const name = e.fresh("_p");
        out.push(declare("const", [[name, part]]));
        coef = id(name);
      }
      terms.push(bin("*", coef, t));
    });
  }
  const sum = terms.length === 0 ? num(0) : terms.reduce((a, b) => bin("+", a, b));
  out.push(directions(q, K, assign(target(id(q)), sum)));
  return out;
}

function batchedSweep(e: Emitter, ss: Stmt[], K: number, q: string): Node[] {
  const out: Node[] = [];
  const note = (nodes: Node[], text: string) => {
    if (nodes.length > 0 && text) withComment(nodes[0], text);
    out.push(...nodes);
  };
  const tangentOfTarget = (t: Target) => (qq: Node) => (t.kind === "var" ? member(id(e.adj(t.name)), qq) : batchedTangent(e, t.node, K, qq.name as string));
  for (const s of ss) {
    switch (s.k) {
      case "declare":
        note([declare("let", [[s.name, null]])], s.text);
        break;
      case "assign": {
        const nodes: Node[] = [];
        if (e.isActive(s.target)) nodes.push(...batchedAssign(e, tangentOfTarget(s.target), s.expr, K, q));
        nodes.push(s.declare ? declare(s.declare, [[(s.target as { name: string }).name, clone(s.expr)]]) : assignment(targetNode(s.target), clone(s.expr)));
        note(nodes, s.text);
        break;
      }
      case "alloc": {
        const nodes = [declare("const", [[s.name, clone(s.init)]])];
        if (e.a.active.has(s.name)) {
          nodes.push(declare("const", [[e.adj(s.name), { type: "NewExpression", callee: id("Float64Array"), arguments: [bin("*", member(id(s.name), id("length"), false), num(K))] }]]));
          s.elems?.forEach((x, k) => nodes.push(...batchedAssign(e, (qq) => member(id(e.adj(s.name)), bin("+", num(k * K), qq)), x, K, q)));
        }
        note(nodes, s.text);
        break;
      }
      case "if":
        note([ifStmt(clone(s.test), batchedSweep(e, s.then, K, q), batchedSweep(e, s.else, K, q))], s.text);
        break;
      case "loop": {
        const init = batchedSweep(e, s.init, K, q);
        const update = batchedSweep(e, s.update, K, q);
        if (update.some((n) => n.type !== "ExpressionStatement")) throw new TransformError(`${e.o.op}: batched forward mode: a loop's update may not change a differentiated value`);
        const body = block(batchedSweep(e, s.body, K, q));
        const node = loopNode(s, init, update, body, out);
        note([node], s.text);
        break;
      }
      case "break":
        out.push({ type: "BreakStatement", label: null });
        break;
      case "continue":
        out.push({ type: "ContinueStatement", label: null });
        break;
      case "return": {
        const v = s.value;
        const fresh = (): [string, Node] => {
          const r = e.fresh("_r");
          return [r, declare("const", [[r, { type: "NewExpression", callee: id("Float64Array"), arguments: [num(K)] }]])];
        };
        const scalarTangent = (x: Node): [Node[], Node] => {
          const [r, decl] = fresh();
          return [[decl, ...batchedAssign(e, (qq) => member(id(r), qq), x, K, q)], id(r)];
        };
        const nodes: Node[] = [];
        let t: Node;
        if (v.type === "Identifier" && e.fn.locals.get(v.name) === "array") {
          t = e.a.active.has(v.name) ? id(e.adj(v.name)) : { type: "NewExpression", callee: id("Float64Array"), arguments: [bin("*", member(id(v.name), id("length"), false), num(K))] };
        } else if (v.type === "ArrayExpression") {
          t = { type: "ArrayExpression", elements: v.elements.map((x: Node) => { const [ns, r] = scalarTangent(x); nodes.push(...ns); return r; }) };
        } else if (v.type === "ObjectExpression") {
          t = { type: "ObjectExpression", properties: v.properties.map((p: Node) => { const [ns, r] = scalarTangent(p.value); nodes.push(...ns); return { ...p, value: r }; }) };
        } else {
          const [ns, r] = scalarTangent(v);
          nodes.push(...ns);
          t = r;
        }
        nodes.push({ type: "ReturnStatement", argument: { type: "ArrayExpression", elements: [clone(v), t] } });
        note(nodes, s.text);
        break;
      }
      default:
        throw new TransformError(`${e.o.op}: batched forward mode does not take derivative code with tapes (${s.k}); use one direction at a time`);
    }
  }
  return out;
}

/**
 * A forward-mode loop from its swept parts: the init and update statements go into the for header
 * when they can (declarations, or plain expressions), else the init statements before the loop.
 */
function loopNode(s: Stmt & { k: "loop" }, init: Node[], update: Node[], body: Node, out: Node[]): Node {
  if (s.doWhile) return { type: "DoWhileStatement", body, test: clone(s.test!) };
  if (init.length === 0 && update.length === 0 && s.test) return { type: "WhileStatement", test: clone(s.test), body };
  const decls = init.every((n) => n.type === "VariableDeclaration" && n.kind === "let");
  const inHeader = decls || init.every((n) => n.type === "ExpressionStatement");
  if (!inHeader) out.push(...init);
  const initNode = !inHeader || init.length === 0 ? null : decls ? { type: "VariableDeclaration", kind: "let", declarations: init.flatMap((n) => n.declarations) } : init.length === 1 ? init[0].expression : { type: "SequenceExpression", expressions: init.map((n) => n.expression) };
  const updateNode = update.length === 0 ? null : update.length === 1 ? update[0].expression : { type: "SequenceExpression", expressions: update.map((n) => n.expression) };
  return { type: "ForStatement", init: initNode, test: s.test ? clone(s.test) : null, update: updateNode, body };
}

/** The argument a struct local was made as zeros of. */
function structOf(fn: Fn, name: string): string {
  let of = name;
  eachStmt(fn.body, (s) => void (s.k === "zeros" && s.name === name && (of = s.of)));
  return of;
}

/** `t = e`, written as a person would: `s += x`, `i++`. */
export function assignment(target: Node, value: Node): Node {
  const k = keyOf(target);
  if (value.type === "BinaryExpression" && ["+", "-", "*", "/"].includes(value.operator) && keyOf(value.left) === k) {
    if (target.type === "Identifier" && (value.operator === "+" || value.operator === "-") && isLiteral(value.right, 1) && value.right.type === "Literal") return exprStmt({ type: "UpdateExpression", operator: value.operator === "+" ? "++" : "--", prefix: false, argument: target });
    return assign(target, value.right, `${value.operator}=`);
  }
  return assign(target, value);
}
