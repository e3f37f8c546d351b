/**
 * @file Source transformation, first half: parse a JavaScript or TypeScript function (with
 * @babel/parser), check it against the supported subset, and normalise it into a small statement
 * IR: every local renamed to one unique name, compound assignments expanded (`s += e` is
 * `s = s + e`), `for…of` turned into a counted loop, calls to helper functions of the same source
 * inlined, array aliases (`const row = A[i]`) substituted. Anything outside the subset is a
 * SourceError showing the line, the column and a caret.
 */
import { parse as babelParse } from "@babel/parser";
import { InputError, locate } from "../core/errors.js";
import { generate } from "astring";
import { type Node, bin, clone, id, num, unary } from "./ast.js";

/** Code outside the supported subset, or code that cannot be parsed: says where and what to do. */
export class SourceError extends InputError {
  readonly line: number;
  readonly column: number;
  constructor(op: string, reason: string, source: string, offset: number) {
    const { line, column, excerpt } = locate(source, Math.max(0, Math.min(offset, source.length)));
    super(`${op}: ${reason} (line ${line}, column ${column})\n${excerpt}`);
    this.line = line;
    this.column = column;
  }
}

export type Target = { kind: "var"; name: string } | { kind: "elem"; base: string; node: Node };

export type Stmt =
  | { k: "assign"; target: Target; expr: Node; declare?: "let" | "const"; text: string }
  | { k: "declare"; name: string; text: string }
  | { k: "alloc"; name: string; init: Node; elems: Node[] | null; text: string }
  | { k: "if"; test: Node; then: Stmt[]; else: Stmt[]; text: string }
  | { k: "loop"; init: Stmt[]; test: Node | null; update: Stmt[]; body: Stmt[]; doWhile: boolean; text: string }
  | { k: "break" }
  | { k: "continue" }
  | { k: "return"; value: Node; text: string }
  // the vocabulary of derivative code itself, so that derivatives can be differentiated again
  | { k: "tape"; name: string; text: string }
  | { k: "push"; tape: string; expr: Node; text: string }
  | { k: "pop"; tape: string; target: Target; declare?: "let" | "const"; text: string }
  | { k: "zeros"; name: string; of: string; text: string };

export type LocalKind = "scalar" | "array" | "tape" | "struct";

export type ParamKind = "scalar" | "array" | "object" | "unused";

/** A normalised function. */
export interface Fn {
  name: string;
  params: { name: string; kind: ParamKind }[];
  body: Stmt[];
  /**
   * Locals by unique name: scalars; arrays (allocated once, never reassigned); tapes; and
   * "struct" locals, zeros shaped like an argument (`zerosOf(x)`, derivative code's adjoints).
   */
  locals: Map<string, LocalKind>;
  /** Every identifier of the source and every name given out: generated names avoid them all. */
  taken: Set<string>;
  /** The text errors point into. */
  source: string;
  /** Subtract from a node's `start` to point into `source`. */
  shift: number;
}

/** Math functions of the subset: derivative rules come from the catalogue (source/derive.ts). */
export const MATH_FUNCTIONS = new Set([
  "abs", "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "cos", "cosh", "exp", "expm1", "floor", "fround",
  "hypot", "log", "log10", "log1p", "log2", "max", "min", "pow", "round", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
]);
const MATH_CONSTANTS = new Set(["PI", "E", "LN2", "LN10", "LOG2E", "LOG10E", "SQRT2", "SQRT1_2"]);
const ARRAY_CTORS = new Set(["Float64Array", "Float32Array", "Array"]);
const MAX_INLINE_DEPTH = 50;
/** Names the derivative code refers to (or JavaScript forbids rebinding): user variables may not shadow them. */
const RESERVED = new Set(["arguments", "eval", "undefined", "NaN", "Infinity", "Math", "Tape", "zerosOf", "Float64Array", "Float32Array", "Array"]);

interface Source {
  text: string;
  /** Subtract from parser offsets to point into `text` (the function text may have been wrapped to parse). */
  shift: number;
  fn: Node;
  helpers: Map<string, Node>;
  constants: Map<string, Node>;
}

const PLUGINS_TS = ["typescript", "estree"] as const;

function parseProgram(op: string, text: string, shift: number, ts: boolean): Node {
  try {
    return babelParse(text, { sourceType: "module", plugins: ts ? [...PLUGINS_TS] : ["estree"], errorRecovery: false }).program as unknown as Node;
  } catch (e) {
    const err = e as { message?: string; pos?: number };
    if (typeof err.pos !== "number") throw e;
    const reason = String(err.message).replace(/\s*\(\d+:\d+\)\s*$/, "");
    throw new SourceError(op, `cannot parse the source: ${reason}`, text.slice(shift), err.pos - shift);
  }
}

const isFunctionNode = (n: Node | null | undefined): n is Node => !!n && (n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression" || n.type === "FunctionDeclaration");

/**
 * On a derivative function made by source transformation: the source of a function computing it
 * within the subset (a gradient function), so that it can be differentiated again.
 */
export const DIFFERENTIABLE_SOURCE = Symbol("wengert.differentiableSource");

/** The function to differentiate, from a JS function (its text) or from a source text and a name. */
export function loadSource(op: string, f: unknown, name: string | undefined): Source {
  const again = typeof f === "function" ? (f as { [DIFFERENTIABLE_SOURCE]?: { source: string; name: string } })[DIFFERENTIABLE_SOURCE] : undefined;
  if (again) return loadSource(op, again.source, again.name);
  if (typeof f === "function") {
    const text = Function.prototype.toString.call(f);
    if (/\{\s*\[native code\]\s*\}\s*$/.test(text)) {
      throw new InputError(`${op}: ${f.name || "this function"} is built in or bound, so its source cannot be read; pass a function written in JavaScript, or its source text and name`);
    }
    // `function (x) {…}` and methods `m(x) {…}` are not statements: wrap them to parse
    for (const [before, after] of [["", ""], ["(", ")"], ["({", "})"]]) {
      let program: Node;
      try {
        program = babelParse(before + text + after, { sourceType: "module", plugins: ["estree"] }).program as unknown as Node;
      } catch {
        continue;
      }
      const first = program.body[0];
      let fn: Node | undefined;
      if (first?.type === "FunctionDeclaration") fn = first;
      else if (first?.type === "ExpressionStatement" && isFunctionNode(first.expression)) fn = first.expression;
      else if (first?.type === "ExpressionStatement" && first.expression.type === "ObjectExpression") {
        const p = first.expression.properties[0];
        if (p?.type === "Property" && isFunctionNode(p.value)) fn = p.value;
      }
      if (fn && program.body.length === 1) return { text: before + text + after, shift: before.length, fn, helpers: new Map(), constants: new Map() };
    }
    parseProgram(op, text, 0, false); // throws the parser's own located message
    throw new InputError(`${op}: cannot find a function in the text of ${f.name || "this function"}`);
  }
  if (typeof f !== "string") throw new InputError(`${op}: needs a function, or a source text and the name of a function in it; got ${f === null ? "null" : typeof f}`);
  if (typeof name !== "string" || name === "") throw new InputError(`${op}: with a source text, give the name of the function to differentiate ({ name: "f" })`);
  const program = parseProgram(op, f, 0, true);
  const functions = new Map<string, Node>();
  const constants = new Map<string, Node>();
  for (let s of program.body as Node[]) {
    if (s.type === "ExportNamedDeclaration" || s.type === "ExportDefaultDeclaration") s = s.declaration;
    if (!s) continue;
    if (s.type === "FunctionDeclaration" && s.id) functions.set(s.id.name, s);
    else if (s.type === "VariableDeclaration") {
      for (const d of s.declarations) {
        if (d.id.type !== "Identifier" || !d.init) continue;
        const init = unwrapTS(d.init);
        if (isFunctionNode(init)) functions.set(d.id.name, init);
        else if (s.kind === "const" && isNumberLiteral(init)) constants.set(d.id.name, init);
      }
    }
  }
  const fn = functions.get(name);
  if (!fn) {
    const known = [...functions.keys()];
    throw new InputError(`${op}: the source has no function named ${JSON.stringify(name.slice(0, 40))}${known.length ? `; it has ${known.slice(0, 10).join(", ")}` : ""}`);
  }
  return { text: f, shift: 0, fn, helpers: functions, constants };
}

function isNumberLiteral(n: Node): boolean {
  if (n.type === "Literal" && typeof n.value === "number") return true;
  return n.type === "UnaryExpression" && n.operator === "-" && n.argument.type === "Literal" && typeof n.argument.value === "number";
}

/** A copy without TypeScript's annotations and wrappers, for printing. */
function withoutTypes(n: Node): Node {
  const out: Node = { type: n.type };
  for (const [k, v] of Object.entries(n)) {
    if (k === "typeAnnotation" || k === "returnType" || k === "typeParameters" || k === "typeArguments" || k === "comments" || k === "leadingComments" || k === "trailingComments") continue;
    const fix = (c: Node) => withoutTypes(unwrapTS(c));
    if (Array.isArray(v)) out[k] = v.map((c) => (c && typeof c === "object" && typeof c.type === "string" ? fix(c) : c));
    else out[k] = v && typeof v === "object" && typeof v.type === "string" ? fix(v) : v;
  }
  return out;
}

/** TypeScript's expression wrappers (`x as number`, `x!`, `x satisfies T`, `<T>x`) do nothing at run time. */
function unwrapTS(n: Node): Node {
  while (n.type === "TSAsExpression" || n.type === "TSNonNullExpression" || n.type === "TSSatisfiesExpression" || n.type === "TSTypeAssertion" || n.type === "ParenthesizedExpression") n = n.expression;
  return n;
}

// ---- normalisation --------------------------------------------------------------------------

type Binding =
  | { kind: "scalar"; name: string; constant: boolean }
  | { kind: "array" | "tape" | "struct"; name: string }
  | { kind: "param"; name: string }
  | { kind: "alias"; path: Node; assigned: Set<string> };

class Normalizer {
  readonly locals = new Map<string, LocalKind>();
  readonly taken = new Set<string>();
  private scopes: Map<string, Binding>[] = [];
  private inlining: string[] = [];
  private loopDepth = 0;
  /** Loops and branches around the current statement, the caller's included while inlining a helper. */
  private nested = 0;
  /** Statements a call in the current expression needs first (the inlined helper's body). */
  private pending: Stmt[] = [];
  /** Per function: names used as arrays (`x[i]`, `x.length`, `for (… of x)`) and as objects (`p.w`). */
  private readonly usesOf = new Map<Node, { arrays: Set<string>; objects: Set<string> }>();
  private uses: { arrays: Set<string>; objects: Set<string> };
  private get arrayNames(): Set<string> {
    return this.uses.arrays;
  }
  private get objectNames(): Set<string> {
    return this.uses.objects;
  }

  constructor(
    readonly op: string,
    readonly src: Source,
  ) {
    collectNames(src.fn, this.taken);
    for (const h of src.helpers.values()) collectNames(h, this.taken);
    for (const h of [src.fn, ...src.helpers.values()]) this.usesOf.set(h, collectUses(h));
    this.uses = this.usesOf.get(src.fn)!;
  }

  fail(node: Node, reason: string): never {
    throw new SourceError(this.op, reason, this.src.text.slice(this.src.shift), (node.start ?? 0) - this.src.shift);
  }

  /** A statement or expression as the comment above its derivative code: reprinted, one line. */
  text(node: Node): string {
    try {
      return generate(withoutTypes(node)).replace(/\s+/g, " ").replace(/;\s*$/, "").trim();
    } catch {
      return this.src.text.slice(node.start, node.end);
    }
  }

  /** A loop's header: `for (let i = 0; i < n; i++)`, `for (const v of x)`. */
  private header(s: Node): string {
    if (s.type === "ForOfStatement") return `for (${this.text(s.left)} of ${this.text(s.right)})`;
    return `for (${s.init ? this.text(s.init) : ""}; ${s.test ? this.text(s.test) : ""}; ${s.update ? this.text(s.update) : ""})`;
  }

  /** A fresh name: `base` if no identifier of the source or generated so far uses it. */
  fresh(base: string): string {
    let n = base;
    for (let k = 2; this.taken.has(n); k++) n = `${base}${k}`;
    this.taken.add(n);
    return n;
  }

  private lookup(name: string): Binding | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const b = this.scopes[i].get(name);
      if (b) return b;
    }
    return undefined;
  }

  private bind(node: Node, name: string, b: Binding): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope.has(name)) this.fail(node, `${name} is declared twice in one block`);
    if (RESERVED.has(name)) this.fail(node, `${name} cannot be a variable name here (the derivative code uses it); rename it`);
    scope.set(name, b);
  }

  /** A unique name for a new local called `name` in the source. */
  private declareLocal(node: Node, name: string, kind: LocalKind, constant: boolean): string {
    const unique = this.locals.has(name) || this.isParamName(name) ? this.fresh(name) : name;
    this.taken.add(unique);
    this.locals.set(unique, kind);
    this.bind(node, name, kind === "scalar" ? { kind: "scalar", name: unique, constant } : { kind, name: unique });
    return unique;
  }

  private paramNames = new Set<string>();
  private isParamName(n: string): boolean {
    return this.paramNames.has(n);
  }

  run(): Fn {
    const fn = this.src.fn;
    this.checkFunctionNode(fn, "the function");
    const params: Fn["params"] = [];
    this.scopes.push(new Map());
    for (const p of fn.params as Node[]) {
      const name = this.paramName(p);
      this.paramNames.add(name);
      this.bind(p, name, { kind: "param", name });
      const kind: ParamKind = this.arrayNames.has(name) ? "array" : this.objectNames.has(name) ? "object" : "scalar";
      params.push({ name, kind });
    }
    let body: Stmt[];
    if (fn.body.type === "BlockStatement") body = this.block(fn.body.body);
    else body = this.withPending(() => [{ k: "return", value: this.returnValue(fn.body), text: this.text(fn.body) }] as Stmt[]);
    this.scopes.pop();
    if (!endsInReturn(body)) this.fail(fn, `${fnName(fn)} must end with a return statement of the value to differentiate`);
    const used = new Set<string>();
    walkStmts(body, (n) => void (n.type === "Identifier" && used.add(n.name)));
    for (const p of params) if (!used.has(p.name)) p.kind = "unused";
    return { name: fnName(fn), params, body, locals: this.locals, taken: this.taken, source: this.src.text.slice(this.src.shift), shift: this.src.shift };
  }

  private checkFunctionNode(fn: Node, what: string): void {
    if (fn.async) this.fail(fn, `${what} is async; only synchronous functions of numbers and arrays can be differentiated`);
    if (fn.generator) this.fail(fn, `${what} is a generator; write it as a function returning a number or an array`);
  }

  private paramName(p: Node): string {
    if (p.type === "Identifier") return p.name;
    if (p.type === "TSParameterProperty") this.fail(p, `parameter properties are not supported`);
    if (p.type === "AssignmentPattern") this.fail(p, `default parameter values are not supported; pass every argument`);
    if (p.type === "RestElement") this.fail(p, `rest parameters are not supported; pass an array instead`);
    this.fail(p, `destructuring parameters are not supported; take the object or array as one parameter and index it`);
  }

  private block(stmts: Node[]): Stmt[] {
    this.scopes.push(new Map());
    const out: Stmt[] = [];
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i];
      if (s.type === "ExpressionStatement" && s.directive) continue; // "use strict"
      out.push(...this.withPending(() => this.stmt(s, stmts.slice(i + 1))));
    }
    this.scopes.pop();
    return out;
  }

  private withPending(f: () => Stmt[]): Stmt[] {
    const saved = this.pending;
    this.pending = [];
    try {
      const main = f();
      const pend = this.pending;
      // `forget = sigmoid(…)`: the helper's result goes straight into forget, not through a copy
      // (which would cost a variable, and in reverse mode a saved value and an adjoint step)
      const m = main.length === 1 ? main[0] : null, last = pend[pend.length - 1];
      if (m?.k === "assign" && m.target.kind === "var" && m.expr.type === "Identifier" && this.inlineResults.has(m.expr.name) && last?.k === "assign" && last.target.kind === "var" && last.target.name === m.expr.name) {
        this.inlineResults.delete(m.expr.name);
        this.locals.delete(m.expr.name);
        return [...pend.slice(0, -1), { ...m, expr: last.expr }];
      }
      return [...pend, ...main];
    } finally {
      this.pending = saved;
    }
  }
  /** Result variables of inlined helper calls (see inline), each used once, where the call was. */
  private inlineResults = new Set<string>();

  private stmt(s: Node, rest: Node[]): Stmt[] {
    switch (s.type) {
      case "VariableDeclaration":
        return this.declaration(s, rest);
      case "ExpressionStatement":
        return this.expressionStatement(s);
      case "IfStatement": {
        const pre: Stmt[] = [];
        let test: Node;
        const tape = this.tapeOf(unwrapTS(s.test), "pop");
        if (tape) {
          // if (tape.pop()): the decision is read into a variable first
          const c = this.fresh("_decision");
          this.locals.set(c, "scalar");
          pre.push({ k: "pop", tape, target: { kind: "var", name: c }, text: "" });
          test = id(c);
        } else test = this.expr(s.test);
        this.nested++;
        try {
          return [...pre, { k: "if", test, then: this.body(s.consequent), else: s.alternate ? this.body(s.alternate) : [], text: `if (${this.text(s.test)})` }];
        } finally {
          this.nested--;
        }
      }
      case "BlockStatement":
        return this.block(s.body);
      case "EmptyStatement":
        return [];
      case "ForStatement":
        return this.forStatement(s);
      case "ForOfStatement":
        return this.forOf(s);
      case "WhileStatement":
      case "DoWhileStatement": {
        this.noCallsIn(s.test, "a loop condition");
        const test = this.expr(s.test);
        this.loopDepth++, this.nested++;
        const body = this.body(s.body);
        this.loopDepth--, this.nested--;
        const text = s.type === "WhileStatement" ? `while (${this.text(s.test)})` : `do … while (${this.text(s.test)})`;
        return [{ k: "loop", init: [], test, update: [], body, doWhile: s.type === "DoWhileStatement", text }];
      }
      case "BreakStatement":
      case "ContinueStatement":
        if (s.label) this.fail(s, `labelled ${s.type === "BreakStatement" ? "break" : "continue"} is not supported; use a flag variable`);
        if (this.loopDepth === 0) this.fail(s, `${s.type === "BreakStatement" ? "break" : "continue"} outside a loop`);
        return [{ k: s.type === "BreakStatement" ? "break" : "continue" }];
      case "ReturnStatement":
        if (!s.argument) this.fail(s, `return needs a value (the function's output)`);
        this.checkReturnShape(s.argument, rest);
        return [{ k: "return", value: this.returnValue(s.argument), text: this.text(s) }];
      case "FunctionDeclaration":
        return this.fail(s, `nested functions are not supported; define helpers at the top level of the source`);
      case "TSTypeAliasDeclaration":
      case "TSInterfaceDeclaration":
        return [];
      case "SwitchStatement":
        return this.fail(s, `switch is not supported; use if / else if`);
      case "TryStatement":
        return this.fail(s, `try is not supported; differentiable code cannot catch exceptions`);
      case "ThrowStatement":
        return this.fail(s, `throw is not supported inside a function to differentiate`);
      case "WithStatement":
        return this.fail(s, `with is not supported`);
      case "LabeledStatement":
        return this.fail(s, `labels are not supported; use a flag variable`);
      case "ClassDeclaration":
        return this.fail(s, `classes are not supported; use plain functions of numbers and arrays`);
      case "ForInStatement":
        return this.fail(s, `for…in is not supported; use for…of or a counted for loop`);
      default:
        return this.fail(s, `${describe(s)} is not supported here`);
    }
  }

  private body(s: Node): Stmt[] {
    return s.type === "BlockStatement" ? this.block(s.body) : this.block([s]);
  }

  private declaration(s: Node, rest: Node[]): Stmt[] {
    if (s.kind !== "let" && s.kind !== "const") this.fail(s, `${s.kind} declarations are not supported; use let or const`);
    const out: Stmt[] = [];
    for (const d of s.declarations as Node[]) {
      if (d.id.type !== "Identifier") this.fail(d.id, `destructuring is not supported; declare one variable at a time`);
      const name: string = d.id.name;
      const text = `${s.kind} ${this.text(d)}`;
      if (!d.init) {
        if (s.kind === "const") this.fail(d, `const ${name} needs a value`);
        const u = this.declareLocal(d, name, "scalar", false);
        out.push({ k: "declare", name: u, text });
        continue;
      }
      const init = unwrapTS(d.init);
      const special = this.specialDeclaration(d, name, init, s.kind, text);
      if (special) {
        out.push(special);
        continue;
      }
      const alloc = this.allocation(init);
      if (alloc) {
        if (this.nested > 0) this.fail(d, `arrays must be allocated at the top level of the function, before any loop or if (here one is allocated inside ${this.loopDepth > 0 || this.inlining.length > 0 ? "a loop or a helper called there" : "an if"}); allocate it once and overwrite its elements`);
        const elems = init.type === "ArrayExpression" ? (init.elements as Node[]).map((e) => this.expr(e)) : null;
        const size = alloc.length === null ? null : this.expr(alloc.length);
        const u = this.declareLocal(d, name, "array", true);
        const initNode = elems !== null ? { type: "ArrayExpression", elements: elems } : rebuildAllocation(init, size!);
        out.push({ k: "alloc", name: u, init: initNode, elems, text });
        continue;
      }
      if (this.arrayNames.has(name) && isPath(init)) {
        // an alias of a row of an array: substituted where it is used
        const path = this.expr(init);
        const assigned = new Set<string>();
        walk(path, (n) => void (n.type === "Identifier" && assigned.add(n.name)));
        this.checkAliasIndices(d, path, rest);
        this.bind(d, name, { kind: "alias", path, assigned });
        continue;
      }
      if (init.type === "ArrayExpression" || init.type === "ObjectExpression") this.fail(init, `only arrays of numbers are supported as local data`);
      const value = this.lift(this.expr(init));
      const u = this.declareLocal(d, name, "scalar", s.kind === "const");
      out.push({ k: "assign", target: { kind: "var", name: u }, expr: value, declare: s.kind, text });
    }
    return out;
  }

  /** The tape a call `t.push(…)` / `t.pop()` is made on, or null. */
  private tapeOf(n: Node, method: "push" | "pop" | "release"): string | null {
    if (n.type !== "CallExpression" || n.callee.type !== "MemberExpression" || n.callee.computed || n.callee.property.name !== method || n.callee.object.type !== "Identifier") return null;
    const b = this.lookup(n.callee.object.name);
    if (b?.kind !== "tape") return null;
    if (n.arguments.length !== (method === "push" ? 1 : 0)) this.fail(n, `${method} takes ${method === "push" ? "one value" : "no arguments"}`);
    return b.name;
  }

  /** Derivative code's own declarations: `const t = new Tape()`, `const dx = zerosOf(x)`, `const v = t.pop()`. */
  private specialDeclaration(d: Node, name: string, init: Node, kind: "let" | "const", text: string): Stmt | null {
    const top = () => this.nested > 0 && this.fail(d, `tapes and zerosOf(…) adjoints are created at the top level of the function`);
    if (init.type === "NewExpression" && init.callee.type === "Identifier" && init.callee.name === "Tape") {
      top();
      if (init.arguments.length > 0) this.fail(init, `new Tape() takes no arguments`);
      return { k: "tape", name: this.declareLocal(d, name, "tape", true), text };
    }
    if (init.type === "CallExpression" && init.callee.type === "Identifier" && init.callee.name === "zerosOf") {
      top();
      const arg = init.arguments[0];
      const b = arg?.type === "Identifier" ? this.lookup(arg.name) : undefined;
      if (init.arguments.length !== 1 || b?.kind !== "param") this.fail(init, `zerosOf takes one argument of the function`);
      return { k: "zeros", name: this.declareLocal(d, name, "struct", true), of: b.name, text };
    }
    const tape = this.tapeOf(init, "pop");
    if (tape) return { k: "pop", tape, target: { kind: "var", name: this.declareLocal(d, name, "scalar", kind === "const") }, declare: kind, text };
    return null;
  }

  /** `new Float64Array(n)`, `new Float32Array(n)`, `new Array(n).fill(c)`, `Array(n).fill(c)`, `[a, b, c]`. */
  private allocation(n: Node): { length: Node | null } | null {
    if (n.type === "ArrayExpression") {
      for (const e of n.elements as (Node | null)[]) if (!e || e.type === "SpreadElement") this.fail(n, `array literals must list their elements (no holes or spreads)`);
      return { length: null };
    }
    if (n.type === "NewExpression" && n.callee.type === "Identifier" && (n.callee.name === "Float64Array" || n.callee.name === "Float32Array")) {
      if (n.arguments.length !== 1) this.fail(n, `allocate a typed array with its length: new ${n.callee.name}(n)`);
      return { length: n.arguments[0] };
    }
    if (n.type === "CallExpression" && n.callee.type === "MemberExpression" && !n.callee.computed && n.callee.property.name === "fill") {
      const inner = n.callee.object;
      if ((inner.type === "NewExpression" || inner.type === "CallExpression") && inner.callee.type === "Identifier" && inner.callee.name === "Array" && inner.arguments.length === 1) {
        if (n.arguments.length !== 1 || !isNumberLiteral(n.arguments[0])) this.fail(n, `fill the new array with a number: new Array(n).fill(0) (then assign its elements)`);
        return { length: inner.arguments[0] };
      }
    }
    if ((n.type === "NewExpression" || n.type === "CallExpression") && n.callee.type === "Identifier" && ARRAY_CTORS.has(n.callee.name)) {
      this.fail(n, `allocate arrays as new Float64Array(n), new Float32Array(n), new Array(n).fill(0) or [a, b, …]`);
    }
    return null;
  }

  /** The indices of an alias path must keep their values while the alias is in use. */
  private checkAliasIndices(d: Node, path: Node, rest: Node[]): void {
    const names = new Set<string>();
    walk(path, (n) => void (n.type === "Identifier" && names.add(n.name)));
    for (const r of rest) {
      walk(r, (n) => {
        if ((n.type === "AssignmentExpression" && unwrapTS(n.left).type === "Identifier" && names.has(this.resolveName(unwrapTS(n.left).name))) || (n.type === "UpdateExpression" && n.argument.type === "Identifier" && names.has(this.resolveName(n.argument.name)))) {
          this.fail(n, `this changes an index of the array row ${d.id.name} while it is in use; index the array directly instead`);
        }
      });
    }
  }

  private resolveName(name: string): string {
    const b = this.lookup(name);
    return b && b.kind !== "alias" ? b.name : name;
  }

  private expressionStatement(s: Node): Stmt[] {
    const e = unwrapTS(s.expression);
    const text = this.text(s);
    if (e.type === "AssignmentExpression") {
      const op = e.operator as string;
      const binary: Record<string, string> = { "+=": "+", "-=": "-", "*=": "*", "/=": "/", "**=": "**", "%=": "%" };
      if (op !== "=" && !(op in binary)) this.fail(e, `the assignment operator ${op} is not supported`);
      const target = this.target(unwrapTS(e.left));
      const tape = this.tapeOf(unwrapTS(e.right), "pop");
      if (tape) {
        if (op !== "=") this.fail(e, `assign a tape's pop() with =`);
        return [{ k: "pop", tape, target, text }];
      }
      const right = this.lift(this.expr(e.right));
      const expr = op === "=" ? right : bin(binary[op], targetNode(target), right);
      return [{ k: "assign", target, expr, text }];
    }
    if (e.type === "UpdateExpression") {
      const target = this.target(unwrapTS(e.argument));
      return [{ k: "assign", target, expr: bin(e.operator === "++" ? "+" : "-", targetNode(target), num(1)), text }];
    }
    if (e.type === "SequenceExpression") return e.expressions.flatMap((x: Node) => this.expressionStatement({ ...s, expression: x, start: x.start, end: x.end }));
    const pushed = this.tapeOf(e, "push");
    if (pushed) return [{ k: "push", tape: pushed, expr: this.lift(this.expr(e.arguments[0])), text }];
    // a tape's release() (derivative code handing its array on) changes no value: nothing to differentiate
    if (this.tapeOf(e, "release")) return [];
    const popped = this.tapeOf(e, "pop");
    if (popped) {
      const sink = this.fresh("_dropped");
      this.locals.set(sink, "scalar");
      return [{ k: "pop", tape: popped, target: { kind: "var", name: sink }, text }];
    }
    if (e.type === "CallExpression") {
      const m = e.callee.type === "MemberExpression" && !e.callee.computed ? e.callee.property.name : null;
      if (m === "push" || m === "unshift" || m === "splice") this.fail(e, `arrays do not grow here (.${m} is not supported): allocate the array at its final length at the top (new Float64Array(n)) and write a[i]`);
      this.fail(e, `a call whose result is unused does nothing here (functions of the subset have no side effects)`);
    }
    return this.fail(e, `${describe(e)} as a statement does nothing; assign its value to a variable`);
  }

  private target(n: Node): Target {
    if (n.type === "Identifier") {
      const b = this.lookup(n.name);
      if (!b) this.fail(n, `${n.name} is not declared here; declare it with let`);
      if (b.kind === "param" && (this.arrayNames.has(n.name) || this.objectNames.has(n.name))) this.fail(n, `${n.name} is an array or object argument; it cannot be reassigned`);
      if (b.kind === "param") return { kind: "var", name: b.name };
      if (b.kind !== "scalar") this.fail(n, `arrays cannot be reassigned; overwrite their elements instead`);
      if (b.constant) this.fail(n, `${n.name} is a const`);
      return { kind: "var", name: b.name };
    }
    const root = n.type === "MemberExpression" ? rootOf(n) : null;
    const rb = root ? this.lookup(root.name) : undefined;
    if (rb?.kind === "struct") return { kind: "elem", base: rb.name, node: this.expr(n) };
    if (n.type === "MemberExpression" && n.computed) {
      const base = rootOf(n);
      if (base?.type === "Identifier") {
        const b = this.lookup(base.name);
        if (b?.kind === "param" || b?.kind === "alias") this.fail(n, `writing into the argument ${base.name} is not supported (arguments are read-only); copy it into a local array first`);
        if (b?.kind === "array") {
          if (n.object.type !== "Identifier") this.fail(n, `local arrays are one-dimensional: write a[i], or index a flat array as a[i * n + j]`);
          return { kind: "elem", base: b.name, node: this.expr(n) };
        }
      }
    }
    return this.fail(n, `only local variables and elements of local arrays can be assigned`);
  }

  /**
   * A conditional expression whose branches read variables becomes an if statement before the
   * statement (`_sel` holds its value): the branch not taken is then never evaluated or
   * differentiated, as in the original (its operands may not even exist, like x[i − 1] at i = 0).
   */
  private lift(n: Node): Node {
    const { pre, value } = this.liftInto(n);
    if (pre.length > 0 && this.noLift) this.fail(n, `a conditional expression (?:) is not supported in a loop update; move it into the loop body`);
    this.pending.push(...pre);
    return value;
  }

  private noLift = false;

  private liftInto(n: Node): { pre: Stmt[]; value: Node } {
    const reads = (x: Node) => {
      let r = false;
      walk(x, (c) => void (c.type === "Identifier" && !["Math", "Infinity", "NaN"].includes(c.name) && (r = true)));
      return r;
    };
    if (n.type === "ConditionalExpression" && (reads(n.consequent) || reads(n.alternate))) {
      const a = this.liftInto(n.consequent), b = this.liftInto(n.alternate);
      const t = this.fresh("_sel");
      this.locals.set(t, "scalar");
      const set = (v: Node): Stmt => ({ k: "assign", target: { kind: "var", name: t }, expr: v, text: "" });
      return { pre: [{ k: "if", test: n.test, then: [...a.pre, set(a.value)], else: [...b.pre, set(b.value)], text: "" }], value: { ...id(t), start: n.start } };
    }
    const pre: Stmt[] = [];
    const sub = (c: Node) => {
      const r = this.liftInto(c);
      pre.push(...r.pre);
      return r.value;
    };
    if (n.type === "BinaryExpression") return { pre, value: { ...n, left: sub(n.left), right: sub(n.right) } };
    if (n.type === "UnaryExpression") return { pre, value: { ...n, argument: sub(n.argument) } };
    if (n.type === "CallExpression") return { pre, value: { ...n, arguments: n.arguments.map(sub) } };
    if (n.type === "ConditionalExpression") return { pre, value: n };
    return { pre, value: n };
  }

  /**
   * Arrays and objects are returned only by the function's last statement (reverse mode seeds them
   * once, after everything ran); helpers and early returns give numbers. Arguments are not outputs.
   */
  private checkReturnShape(arg: Node, rest: Node[]): void {
    const n = unwrapTS(arg);
    const b = n.type === "Identifier" ? this.lookup(n.name) : undefined;
    if (b?.kind === "param" && (this.arrayNames.has(n.name) || this.objectNames.has(n.name))) this.fail(n, `returning the argument ${n.name} itself is not supported; copy it into a local array and return that`);
    if (b?.kind === "alias") this.fail(n, `returning a row of an argument is not supported; copy it into a local array and return that`);
    const structured = n.type === "ArrayExpression" || n.type === "ObjectExpression" || b?.kind === "array" || b?.kind === "struct";
    const last = this.inlining.length === 0 && this.scopes.length <= 2 && rest.every((r) => r.type === "EmptyStatement" || r.type.startsWith("TS"));
    if (structured && !last) this.fail(n, `${this.inlining.length > 0 ? "helpers return numbers" : "an array or object can be returned only by the function's last statement"}; return numbers elsewhere`);
  }

  /** What a return statement gives back: a number, an array literal or object literal of numbers, or a local array. */
  private returnValue(n: Node): Node {
    n = unwrapTS(n);
    if (n.type === "ArrayExpression") return { type: "ArrayExpression", elements: (n.elements as Node[]).map((e) => (e && e.type !== "SpreadElement" ? this.lift(this.expr(e)) : this.fail(n, `return arrays as [a, b, …] without holes or spreads`))) };
    if (n.type === "ObjectExpression") {
      return {
        type: "ObjectExpression",
        properties: (n.properties as Node[]).map((p) => {
          if (p.type !== "Property" || p.computed || p.kind !== "init" || p.method) this.fail(p, `return objects as { key: value, … } with plain keys`);
          const key = p.key.type === "Identifier" ? p.key.name : p.key.type === "Literal" ? String(p.key.value) : this.fail(p.key, `keys must be names or literals`);
          return { type: "Property", key: { type: "Literal", value: key }, value: this.lift(this.expr(p.value)), kind: "init", computed: false, method: false, shorthand: false };
        }),
      };
    }
    return this.lift(this.expr(n));
  }

  private forStatement(s: Node): Stmt[] {
    this.scopes.push(new Map());
    const init: Stmt[] = [];
    if (s.init) {
      if (s.init.type === "VariableDeclaration") init.push(...this.withPending(() => this.declaration(s.init, [])));
      else init.push(...this.expressionStatement({ type: "ExpressionStatement", expression: s.init, start: s.init.start, end: s.init.end }));
      for (const i of init) if (i.k === "alloc") this.fail(s.init, `allocate arrays before the loop`);
    }
    if (s.test) this.noCallsIn(s.test, "a loop condition");
    if (s.update) this.noCallsIn(s.update, "a loop update");
    const test = s.test ? this.expr(s.test) : null;
    this.noLift = true;
    const update = s.update ? this.expressionStatement({ type: "ExpressionStatement", expression: s.update, start: s.update.start, end: s.update.end }) : [];
    this.noLift = false;
    this.loopDepth++, this.nested++;
    const body = this.body(s.body);
    this.loopDepth--, this.nested--;
    this.scopes.pop();
    return [{ k: "loop", init, test, update, body, doWhile: false, text: this.header(s) }];
  }

  private forOf(s: Node): Stmt[] {
    const right = unwrapTS(s.right);
    if (s.left.type !== "VariableDeclaration" || s.left.declarations.length !== 1 || s.left.declarations[0].id.type !== "Identifier") this.fail(s.left, `write for (const v of array)`);
    if (s.left.kind === "var") this.fail(s.left, `var declarations are not supported; use const`);
    if (!isPath(right)) this.fail(right, `for…of needs an array variable (or a row of one) after "of"`);
    const arr = this.expr(right);
    const name: string = s.left.declarations[0].id.name;
    this.scopes.push(new Map());
    const counter = this.fresh(`${name}_i`);
    this.locals.set(counter, "scalar");
    const elem = { type: "MemberExpression", object: clone(arr), property: id(counter), computed: true, optional: false };
    const init: Stmt[] = [{ k: "assign", target: { kind: "var", name: counter }, expr: num(0), declare: "let", text: "" }];
    const test = bin("<", id(counter), { type: "MemberExpression", object: clone(arr), property: id("length"), computed: false, optional: false });
    const update: Stmt[] = [{ k: "assign", target: { kind: "var", name: counter }, expr: bin("+", id(counter), num(1)), text: "" }];
    this.loopDepth++, this.nested++;
    this.scopes.push(new Map());
    let head: Stmt[] = [];
    if (this.arrayNames.has(name)) this.bind(s.left, name, { kind: "alias", path: elem, assigned: new Set([counter]) });
    else {
      const u = this.declareLocal(s.left, name, "scalar", true);
      head = [{ k: "assign", target: { kind: "var", name: u }, expr: elem, declare: "const", text: `const ${name} = ${this.text(right)}[${counter}]` }];
    }
    const body = [...head, ...this.body(s.body)];
    this.scopes.pop();
    this.loopDepth--, this.nested--;
    this.scopes.pop();
    return [{ k: "loop", init, test, update, body, doWhile: false, text: this.header(s) }];
  }

  private noCallsIn(n: Node, where: string): void {
    walk(n, (c) => {
      if (c.type === "CallExpression" && unwrapTS(c.callee).type === "Identifier") this.fail(c, `calls to functions are not supported in ${where}; compute the value into a variable first`);
    });
  }

  /** Check and rename an expression; calls to helpers are inlined into `pending`. Keeps the position for later errors. */
  expr(n: Node, inBranch = false): Node {
    const out = this.exprInner(n, inBranch);
    if (typeof out.start !== "number" && typeof n.start === "number") out.start = n.start;
    return out;
  }

  private exprInner(n: Node, inBranch: boolean): Node {
    n = unwrapTS(n);
    switch (n.type) {
      case "Literal":
        if (typeof n.value === "number" || typeof n.value === "boolean") return { type: "Literal", value: n.value, raw: n.raw };
        return this.fail(n, `${n.value === null ? "null" : typeof n.value === "string" ? "strings" : "this literal"} cannot be differentiated; only numbers and booleans are supported`);
      case "Identifier":
        return this.identifier(n);
      case "MemberExpression":
        return this.memberExpr(n, inBranch);
      case "BinaryExpression": {
        const op = n.operator as string;
        if (op === "in" || op === "instanceof") this.fail(n, `${op} is not supported`);
        return bin(op, this.expr(n.left, inBranch), this.expr(n.right, inBranch));
      }
      case "LogicalExpression":
        if (n.operator === "??") this.fail(n, `?? is not supported`);
        return { type: "LogicalExpression", operator: n.operator, left: this.expr(n.left, inBranch), right: this.expr(n.right, true) };
      case "UnaryExpression":
        if (!["-", "+", "!", "~"].includes(n.operator)) this.fail(n, `the operator ${n.operator} is not supported`);
        return unary(n.operator, this.expr(n.argument, inBranch));
      case "ConditionalExpression":
        return { type: "ConditionalExpression", test: this.expr(n.test, inBranch), consequent: this.expr(n.consequent, true), alternate: this.expr(n.alternate, true) };
      case "CallExpression":
        return this.callExpr(n, inBranch);
      case "ThisExpression":
        return this.fail(n, `this is not supported; pass the values as arguments`);
      case "AssignmentExpression":
      case "UpdateExpression":
        return this.fail(n, `assignments inside expressions are not supported; write each assignment as its own statement`);
      case "ArrowFunctionExpression":
      case "FunctionExpression":
        return this.fail(n, `functions inside the function (closures) are not supported; define helpers at the top level of the source`);
      case "NewExpression":
        return this.fail(n, `new is only supported to allocate arrays in a declaration (const a = new Float64Array(n))`);
      case "ArrayExpression":
      case "ObjectExpression":
        return this.fail(n, `array and object literals are supported only as the value of a declaration or of the return statement`);
      case "TemplateLiteral":
        return this.fail(n, `strings cannot be differentiated`);
      case "AwaitExpression":
        return this.fail(n, `await is not supported; only synchronous code can be differentiated`);
      case "YieldExpression":
        return this.fail(n, `yield is not supported`);
      case "SequenceExpression":
        return this.fail(n, `the comma operator is not supported; write separate statements`);
      default:
        return this.fail(n, `${describe(n)} is not supported here`);
    }
  }

  private identifier(n: Node): Node {
    const name: string = n.name;
    const b = this.lookup(name);
    if (b) {
      if (b.kind === "alias") return clone(b.path);
      return id(b.name);
    }
    const c = this.src.constants.get(name);
    if (c) return clone(c);
    if (name === "Infinity" || name === "NaN") return id(name);
    if (name === "undefined") this.fail(n, `undefined is not a number; use a number`);
    if (this.src.helpers.has(name)) this.fail(n, `${name} is a function; call it`);
    return this.fail(n, `unknown name ${name}: only the parameters, local variables, top-level numeric constants and functions of the same source are visible (pass ${name} as an argument${this.src.helpers.size === 0 ? ", or give the source text with its helpers" : ""})`);
  }

  private memberExpr(n: Node, inBranch: boolean): Node {
    const obj = unwrapTS(n.object);
    if (obj.type === "Identifier" && obj.name === "Math" && !this.lookup("Math")) {
      if (!n.computed && MATH_CONSTANTS.has(n.property.name)) return { type: "MemberExpression", object: id("Math"), property: id(n.property.name), computed: false, optional: false };
      return this.fail(n, `Math.${n.computed ? "[…]" : n.property.name} is not a supported constant`);
    }
    if (n.optional) this.fail(n, `optional chaining is not supported`);
    if (n.computed) {
      const object = this.expr(obj, inBranch);
      if (!isPath(object)) this.fail(n, `only arrays held in variables can be indexed`);
      const root = rootOf(object);
      if (root && root.type === "Identifier" && this.lookup(root.name)?.kind === "scalar") this.fail(n, `${root.name} is a number, not an array`);
      return { type: "MemberExpression", object, property: this.expr(n.property, inBranch), computed: true, optional: false };
    }
    const prop: string = n.property.name;
    const object = this.expr(obj, inBranch);
    if (!isPath(object)) this.fail(n, `only arrays and objects held in variables can be read from`);
    const root = rootOf(object);
    if (prop === "length") return { type: "MemberExpression", object, property: id("length"), computed: false, optional: false };
    if (!(root?.type === "Identifier" && (this.paramNames.has(root.name) || this.locals.get(root.name) === "struct"))) this.fail(n, `.${prop}: only fields of object parameters (and .length of arrays) can be read`);
    if (prop === "__proto__" || prop === "constructor" || prop === "prototype") this.fail(n, `.${prop} is not data`);
    return { type: "MemberExpression", object, property: id(prop), computed: false, optional: false };
  }

  private callExpr(n: Node, inBranch: boolean): Node {
    const callee = unwrapTS(n.callee);
    for (const a of n.arguments as Node[]) if (a.type === "SpreadElement") this.fail(a, `spread arguments are not supported`);
    if (callee.type === "MemberExpression" && !callee.computed && unwrapTS(callee.object).type === "Identifier" && unwrapTS(callee.object).name === "Math" && !this.lookup("Math")) {
      const fname: string = callee.property.name;
      if (fname === "random") this.fail(n, `Math.random is not differentiable; pass random numbers in as an argument`);
      if (!MATH_FUNCTIONS.has(fname)) this.fail(n, `Math.${fname} is not supported`);
      const arity: Record<string, number> = { atan2: 2, pow: 2 };
      const want = arity[fname] ?? (fname === "max" || fname === "min" || fname === "hypot" ? -1 : 1);
      if (want > 0 && n.arguments.length !== want) this.fail(n, `Math.${fname} takes ${want} argument${want > 1 ? "s" : ""} here`);
      if (want < 0 && n.arguments.length === 0) this.fail(n, `Math.${fname} needs at least one argument`);
      return { type: "CallExpression", callee: { type: "MemberExpression", object: id("Math"), property: id(fname), computed: false, optional: false }, arguments: n.arguments.map((a: Node) => this.expr(a, inBranch)), optional: false };
    }
    if (callee.type === "Identifier" && !this.lookup(callee.name) && this.src.helpers.has(callee.name)) {
      if (inBranch) this.fail(n, `calls inside ?:, && or || are not supported; compute the value with if / else first`);
      return this.inline(n, callee.name);
    }
    if (callee.type === "Identifier") {
      return this.fail(n, `unknown function ${callee.name}: only Math functions and functions of the same source can be called${this.src.helpers.size === 0 ? " (pass the whole source text and the function's name to differentiate code with helpers)" : ""}`);
    }
    if (callee.type === "MemberExpression") return this.fail(n, `method calls are not supported (only Math functions; allocate arrays with new Float64Array(n), new Array(n).fill(0) or a literal, and fill them in a loop)`);
    return this.fail(n, `this call is not supported`);
  }

  /** Inline a call to a helper: its parameters become locals (or aliases of array arguments), its result a fresh variable. */
  private inline(n: Node, name: string): Node {
    if (this.inlining.includes(name)) this.fail(n, `recursive calls are not supported (${[...this.inlining, name].join(" → ")}); write the recursion as a loop`);
    if (this.inlining.length >= MAX_INLINE_DEPTH) this.fail(n, `helper calls nest more than ${MAX_INLINE_DEPTH} deep`);
    const h = this.src.helpers.get(name)!;
    this.checkFunctionNode(h, name);
    const params = h.params as Node[];
    if (params.length !== n.arguments.length) this.fail(n, `${name} takes ${params.length} argument${params.length === 1 ? "" : "s"}; this call passes ${n.arguments.length}`);
    const args = (n.arguments as Node[]).map((a) => this.expr(a));
    const result = this.fresh(`${name}_out`);
    this.locals.set(result, "scalar");
    this.inlineResults.add(result);
    const savedScopes = this.scopes;
    const savedLoop = this.loopDepth;
    const savedUses = this.uses;
    this.uses = this.usesOf.get(h)!;
    this.scopes = [new Map()];
    this.loopDepth = 0;
    this.inlining.push(name);
    const pre: Stmt[] = [];
    try {
      params.forEach((p, i) => {
        const pname = this.paramName(p);
        if (this.arrayNames.has(pname) || this.objectNames.has(pname)) {
          if (!isPath(args[i])) this.fail(n.arguments[i], `${name} indexes its parameter ${pname}, so pass an array variable here`);
          this.bind(p, pname, { kind: "alias", path: args[i], assigned: new Set() });
        } else {
          const u = this.declareLocal(p, pname, "scalar", true);
          pre.push({ k: "assign", target: { kind: "var", name: u }, expr: args[i], declare: "const", text: `${name}: ${pname} = ${this.text(n.arguments[i])}` });
        }
      });
      let body: Stmt[];
      if (h.body.type === "BlockStatement") body = this.block(h.body.body);
      else body = this.withPending(() => [{ k: "return", value: this.expr(h.body), text: this.text(h.body) }] as Stmt[]);
      if (!endsInReturn(body)) this.fail(h, `${name} must end with a return statement`);
      labelReturns(body, name);
      const inlined = eliminateJumps([...pre, ...body], { returnTo: result, fresh: (b) => this.fresh(b), locals: this.locals });
      this.pending.push(...inlined);
    } finally {
      this.inlining.pop();
      this.scopes = savedScopes;
      this.loopDepth = savedLoop;
      this.uses = savedUses;
    }
    return id(result);
  }
}

/** Comments of an inlined helper's returns name the helper. */
function labelReturns(ss: Stmt[], name: string): void {
  eachStmt(ss, (s) => void (s.k === "return" && (s.text = `${name}: ${s.text}`)));
}

function fnName(fn: Node): string {
  return fn.id?.name ?? "f";
}

function endsInReturn(body: Stmt[]): boolean {
  const last = body[body.length - 1];
  if (!last) return false;
  if (last.k === "return") return true;
  if (last.k === "if") return endsInReturn(last.then) && endsInReturn(last.else);
  return false;
}

function rebuildAllocation(init: Node, size: Node): Node {
  if (init.type === "NewExpression") return { type: "NewExpression", callee: id(init.callee.name), arguments: [size] };
  const value = clone(init.arguments[0]); // a number literal (checked by allocation)
  return { type: "CallExpression", callee: { type: "MemberExpression", object: { type: "NewExpression", callee: id("Array"), arguments: [size] }, property: id("fill"), computed: false, optional: false }, arguments: [value], optional: false };
}

/** A variable, or an element/field chain of one: `x`, `A[i]`, `p.w[i][j]`. */
export function isPath(n: Node): boolean {
  n = unwrapTS(n);
  if (n.type === "Identifier") return true;
  if (n.type === "MemberExpression" && !n.optional) return isPath(n.object);
  return false;
}

export function rootOf(n: Node): Node | null {
  while (n.type === "MemberExpression") n = n.object;
  return n.type === "Identifier" ? n : null;
}

export function targetNode(t: Target): Node {
  return t.kind === "var" ? id(t.name) : clone(t.node);
}

function describe(n: Node): string {
  const names: Record<string, string> = {
    ClassExpression: "a class",
    TaggedTemplateExpression: "a tagged template",
    ImportExpression: "import()",
    MetaProperty: "new.target / import.meta",
    ChainExpression: "optional chaining",
    Super: "super",
  };
  return names[n.type] ?? n.type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().replace(/^(.)/, (c) => `a ${c}`);
}

/** Visit every node of an ESTree subtree. */
export function walk(n: Node, f: (n: Node) => void): void {
  if (!n || typeof n !== "object") return;
  f(n);
  for (const [k, v] of Object.entries(n)) {
    if (k === "loc" || k === "comments" || k === "leadingComments" || k === "trailingComments" || k === "typeAnnotation" || k === "returnType" || k === "typeParameters") continue;
    if (Array.isArray(v)) for (const c of v) c && typeof c === "object" && typeof c.type === "string" && walk(c, f);
    else if (v && typeof v === "object" && typeof v.type === "string") walk(v, f);
  }
}

function collectUses(root: Node): { arrays: Set<string>; objects: Set<string> } {
  const arrays = new Set<string>(), objects = new Set<string>();
  walk(root, (n) => {
    if (n.type === "MemberExpression") {
      const o = unwrapTS(n.object);
      if (o.type === "Identifier") {
        if (n.computed || (n.property.type === "Identifier" && n.property.name === "length")) arrays.add(o.name);
        else objects.add(o.name);
      }
    } else if (n.type === "ForOfStatement" && unwrapTS(n.right).type === "Identifier") arrays.add(unwrapTS(n.right).name);
  });
  return { arrays, objects };
}

function collectNames(root: Node, into: Set<string>): void {
  walk(root, (n) => void (n.type === "Identifier" && into.add(n.name)));
}

/**
 * Visit every statement of an IR statement list, nested ones (branches, loop parts) included,
 * parents first; `inLoop`: whether the statement can run more than once (a loop's update or body).
 */
export function eachStmt(stmts: Stmt[], f: (s: Stmt, inLoop: boolean) => void, inLoop = false): void {
  for (const s of stmts) {
    f(s, inLoop);
    if (s.k === "if") eachStmt(s.then, f, inLoop), eachStmt(s.else, f, inLoop);
    else if (s.k === "loop") eachStmt(s.init, f, inLoop), eachStmt(s.update, f, true), eachStmt(s.body, f, true); // a loop's init runs once
  }
}

/** The expressions a statement itself holds (not those of nested statements). */
export function ownExpressions(s: Stmt): Node[] {
  switch (s.k) {
    case "assign":
      return [s.target.kind === "elem" ? s.target.node : id(s.target.name), s.expr];
    case "alloc":
      return [s.init];
    case "if":
      return [s.test];
    case "loop":
      return s.test ? [s.test] : [];
    case "return":
      return [s.value];
    case "push":
      return [s.expr];
    case "pop":
      return [s.target.kind === "elem" ? s.target.node : id(s.target.name)];
    case "zeros":
      return [id(s.of)];
    default:
      return [];
  }
}

/** Visit every expression node of an IR statement list. */
export function walkStmts(stmts: Stmt[], f: (n: Node) => void): void {
  eachStmt(stmts, (s) => ownExpressions(s).forEach((n) => walk(n, f)));
}

// ---- jumps to flags -------------------------------------------------------------------------

export interface JumpOptions {
  /** Where a return's value goes. */
  returnTo: string;
  fresh: (base: string) => string;
  locals: Map<string, LocalKind>;
}

/**
 * Replace break, continue and return by assignments to flags and guards on what follows, so that
 * control flow is structured (if and loops only) and can be run backwards from recorded decisions.
 * A return's value goes to `returnTo`.
 */
export function eliminateJumps(stmts: Stmt[], o: JumpOptions): Stmt[] {
  let done: string | null = null;
  const flag = (base: string) => {
    const n = o.fresh(base);
    o.locals.set(n, "scalar");
    return n;
  };
  const set = (name: string): Stmt => ({ k: "assign", target: { kind: "var", name }, expr: num(1), text: "" });
  const clear = (name: string): Stmt => ({ k: "assign", target: { kind: "var", name }, expr: num(0), text: "" });
  const not = (flags: string[]): Node => unary("!", flags.length === 1 ? id(flags[0]) : flags.map(id).reduce((a, b) => ({ type: "LogicalExpression", operator: "||", left: a, right: b })));
  // A final top-level return stays a plain assignment.
  const last = stmts[stmts.length - 1];
  const body = last?.k === "return" ? stmts.slice(0, -1) : stmts;

  /** `tail`: nothing runs after this list (outside loops), so a return there needs no flag. */
  function list(ss: Stmt[], loop: { brk: string | null; cnt: string | null; needBrk: () => string; needCnt: () => string } | null, tail: boolean): { out: Stmt[]; sets: Set<string> } {
    const out: Stmt[] = [];
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i];
      const isTail = tail && i === ss.length - 1;
      if (s.k === "return" && isTail) {
        out.push({ k: "assign", target: { kind: "var", name: o.returnTo }, expr: s.value, text: s.text });
        return { out, sets: new Set() };
      }
      if (s.k === "break") {
        out.push(set(loop!.needBrk()));
        return { out, sets: new Set([loop!.brk!]) };
      }
      if (s.k === "continue") {
        out.push(set(loop!.needCnt()));
        return { out, sets: new Set([loop!.cnt!]) };
      }
      if (s.k === "return") {
        done ??= flag("done");
        out.push({ k: "assign", target: { kind: "var", name: o.returnTo }, expr: s.value, text: s.text }, set(done));
        return { out, sets: new Set([done]) };
      }
      let sets = new Set<string>();
      if (s.k === "if") {
        const a = list(s.then, loop, isTail), b = list(s.else, loop, isTail);
        out.push({ ...s, then: a.out, else: b.out });
        sets = new Set([...a.sets, ...b.sets]);
      } else if (s.k === "loop") {
        let brk: string | null = null, cnt: string | null = null;
        const inner = { brk: null as string | null, cnt: null as string | null, needBrk: () => (inner.brk = brk ??= flag("brk")), needCnt: () => (inner.cnt = cnt ??= flag("cont")) };
        const b = list(s.body, inner, false);
        const escaping = [...b.sets].filter((f) => f !== brk && f !== cnt);
        const stop = [...(brk ? [brk] : []), ...escaping];
        let test = s.test;
        if (stop.length > 0) test = test ? { type: "LogicalExpression", operator: "&&", left: not(stop), right: test } : not(stop);
        const update = s.update.length > 0 && stop.length > 0 ? [{ k: "if", test: not(stop), then: s.update, else: [], text: "" } as Stmt] : s.update;
        const bodyOut = cnt ? [clear(cnt), ...b.out] : b.out;
        if (brk) out.push(clear(brk));
        out.push({ ...s, test, update, body: bodyOut });
        sets = new Set(escaping);
      } else out.push(s);
      if (sets.size > 0 && i + 1 < ss.length) {
        const rest = list(ss.slice(i + 1), loop, tail);
        if (rest.out.length > 0) out.push({ k: "if", test: not([...sets]), then: rest.out, else: [], text: "" });
        return { out, sets: new Set([...sets, ...rest.sets]) };
      }
      if (sets.size > 0) return { out, sets };
    }
    return { out, sets: new Set() };
  }
  const { out, sets } = list(body, null, last?.k !== "return");
  const result = [...out];
  if (last?.k === "return") {
    const final: Stmt = { k: "assign", target: { kind: "var", name: o.returnTo }, expr: last.value, text: last.text };
    if (last.value.type === "ArrayExpression" || last.value.type === "ObjectExpression") {
      // only the main function's last statement (checked by Normalizer.checkReturnShape), after which nothing can jump
      return [...result, { k: "return", value: last.value, text: last.text }];
    }
    if (sets.size > 0) result.push({ k: "if", test: not([...sets]), then: [final], else: [], text: "" });
    else result.push(final);
  }
  return done ? [{ k: "assign", target: { kind: "var", name: done }, expr: num(0), declare: "let", text: "" }, ...result] : result;
}

/** Parse, check and normalise: the function as the derivation passes see it. */
export function normalize(op: string, f: unknown, name?: string): Fn {
  const src = loadSource(op, f, name);
  return new Normalizer(op, src).run();
}
