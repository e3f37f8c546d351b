/**
 * @file The syntax trees of source transformation: ESTree nodes as @babel/parser (with its
 * "estree" plugin) produces and astring prints. Builders for the nodes the transformation emits,
 * and `exprToAst`, which turns a symbolic expression (a partial derivative built by the
 * catalogue's rules) into a JavaScript expression tree through each primitive's own code template:
 * the template is parsed once, and its placeholders are replaced by the operands' trees. Nothing
 * here pastes text: generated code is printed from these trees.
 */
import { parseExpression } from "@babel/parser";
import { generate } from "astring";
import type { Expr } from "../symbolic/expr.js";
import { topoOrder } from "../symbolic/dag.js";

/** An ESTree node (the shapes are ESTree's; fields are read loosely). */
export interface Node {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

export const id = (name: string): Node => ({ type: "Identifier", name });
export function num(v: number): Node {
  if (Object.is(v, -0)) return { type: "UnaryExpression", operator: "-", prefix: true, argument: num(0) };
  if (v < 0) return { type: "UnaryExpression", operator: "-", prefix: true, argument: num(-v) };
  if (Number.isNaN(v)) return id("NaN");
  if (v === Infinity) return id("Infinity");
  return { type: "Literal", value: v, raw: String(v) };
}
export const bin = (operator: string, left: Node, right: Node): Node => ({ type: "BinaryExpression", operator, left, right });
export const unary = (operator: string, argument: Node): Node => ({ type: "UnaryExpression", operator, prefix: true, argument });
export const assign = (target: Node, value: Node, operator = "="): Node => ({ type: "ExpressionStatement", expression: { type: "AssignmentExpression", operator, left: target, right: value } });
export const exprStmt = (expression: Node): Node => ({ type: "ExpressionStatement", expression });
export const block = (body: Node[]): Node => ({ type: "BlockStatement", body });
export const member = (object: Node, property: Node, computed = true): Node => ({ type: "MemberExpression", object, property, computed, optional: false });
export const call = (callee: Node, args: Node[]): Node => ({ type: "CallExpression", callee, arguments: args, optional: false });
export const method = (obj: string, name: string, args: Node[]): Node => call(member(id(obj), id(name), false), args);
export const update = (name: string, operator: "++" | "--"): Node => ({ type: "UpdateExpression", operator, prefix: false, argument: id(name) });
export const ifStmt = (test: Node, consequent: Node[], alternate?: Node[]): Node => ({
  type: "IfStatement",
  test,
  consequent: block(consequent),
  alternate: alternate && alternate.length > 0 ? block(alternate) : null,
});
export function declare(kind: "let" | "const", decls: [string, Node | null][]): Node {
  return { type: "VariableDeclaration", kind, declarations: decls.map(([n, init]) => ({ type: "VariableDeclarator", id: id(n), init })) };
}

/**
 * A line comment above a node. The text is the user's own source; it is written as one line with
 * every line terminator replaced, so it can never end the comment early.
 */
export function withComment(node: Node, text: string, first = false): Node {
  const line = " " + text.replace(/[\r\n\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim();
  const short = line.length > 110 ? line.slice(0, 108) + "…" : line;
  const c = { type: "Line", value: short };
  node.comments = first ? [c, ...(node.comments ?? [])] : [...(node.comments ?? []), c];
  return node;
}

/** A deep copy of a tree (positions dropped): the same user subtree may be printed in several places. */
export function clone<T>(n: T): T {
  if (Array.isArray(n)) return n.map(clone) as T;
  if (n === null || typeof n !== "object") return n;
  const src = n as unknown as Node;
  const out: Node = { type: src.type };
  for (const [k, v] of Object.entries(src)) {
    if (k === "start" || k === "end" || k === "loc" || k === "range" || k === "comments" || k === "leadingComments" || k === "trailingComments" || k === "extra") continue;
    out[k] = clone(v);
  }
  return out as T;
}

/** Replace identifiers (not property names) by copies of other trees. */
export function substitute(n: Node, env: Map<string, Node>): Node {
  if (n.type === "Identifier") return env.has(n.name) ? clone(env.get(n.name)!) : n;
  const out: Node = { ...n };
  for (const [k, v] of Object.entries(n)) {
    if (k === "property" && n.type === "MemberExpression" && !n.computed) continue;
    if (Array.isArray(v)) out[k] = v.map((c) => (c && typeof c === "object" && typeof c.type === "string" ? substitute(c, env) : c));
    else if (v && typeof v === "object" && typeof v.type === "string") out[k] = substitute(v, env);
  }
  return out;
}

/** Structural key of an expression (ignoring positions): equal keys, equal computations. */
export function keyOf(n: Node): string {
  return generate(n); // positions and comments are not printed (comments only with the option)
}

// ---- symbolic expressions to trees ----------------------------------------------------------

const templates = new Map<string, Node>();

/** The primitive's code template as a tree, with `$0`, `$1`… where its operands go. */
function template(e: Expr): Node {
  const node = e.node as { prim: { name: string; code?: (a: string[], p: unknown) => string }; params: unknown; args: readonly Expr[] };
  const k = `${node.prim.name}:${JSON.stringify(node.params ?? null)}:${node.args.length}`;
  let t = templates.get(k);
  if (t === undefined) {
    const text = node.prim.code!(node.args.map((_, i) => `$${i}`), node.params);
    t = clone(parseExpression(text, { plugins: ["estree"] }) as unknown as Node);
    templates.set(k, t);
  }
  return t;
}

/** A shared subexpression at least this large (in nodes, as written) is computed once into a temporary. */
const SHARED_SIZE = 10;

/**
 * Symbolic expressions as JavaScript expression trees. Variables are looked up in `leaves` (each
 * stands for a user subtree: a variable, an array element); constants become literals. A
 * derivative is a DAG: written out as a tree, shared subexpressions would repeat (exponentially
 * often when they nest), so each large one used twice or more is handed to `bind` (which declares
 * a temporary and returns its name) and written once.
 */
export function exprsToAst(roots: readonly Expr[], leaves: Map<string, Node>, bind?: (tree: Node) => Node): Node[] {
  const order = topoOrder(roots);
  const uses = new Map<Expr, number>();
  for (const e of [...order.flatMap((e) => e.args), ...roots]) uses.set(e, (uses.get(e) ?? 0) + 1);
  const tree = new Map<Expr, Node>();
  const size = new Map<Expr, number>();
  for (const e of order) {
    const node = e.node;
    let t: Node;
    let n = 1;
    if (node.kind === "var") {
      const leaf = leaves.get(node.name);
      if (leaf === undefined) throw new Error(`wengert internal: no tree for the symbol ${node.name}`);
      t = clone(leaf);
    } else if (node.kind === "const") t = num(node.value);
    else {
      t = substitute(template(e), new Map(e.args.map((a, i) => [`$${i}`, tree.get(a)!])));
      n = 1 + e.args.reduce((acc, a) => acc + size.get(a)!, 0);
      if (bind && (uses.get(e) ?? 0) >= 2 && n >= SHARED_SIZE) {
        t = bind(t);
        n = 1;
      }
    }
    tree.set(e, t);
    size.set(e, n);
  }
  return roots.map((r) => clone(tree.get(r)!));
}

/** Print a program tree as formatted JavaScript (with the comments attached to its nodes). */
export function print(n: Node): string {
  return generate(n.type === "Program" ? n : { type: "Program", body: [n], sourceType: "script" }, { comments: true, indent: "  " });
}
