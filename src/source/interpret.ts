/**
 * @file Running derivative code without `new Function` (under a strict Content-Security-Policy):
 * a small tree-walking interpreter for exactly the JavaScript that source transformation emits
 * (declarations, assignments, if, for, while, do…while, break, continue, return; arithmetic,
 * comparisons, Math, array and tape operations). Slower than compiled code, same results.
 */
import type { Node } from "./ast.js";

type Env = Map<string, unknown>;
class Jump {
  constructor(
    readonly kind: "break" | "continue" | "return",
    readonly value?: unknown,
  ) {}
}

const BINARY: Record<string, (a: never, b: never) => unknown> = {
  "+": (a: number, b: number) => a + b,
  "-": (a: number, b: number) => a - b,
  "*": (a: number, b: number) => a * b,
  "/": (a: number, b: number) => a / b,
  "%": (a: number, b: number) => a % b,
  "**": (a: number, b: number) => a ** b,
  "<": (a: number, b: number) => a < b,
  "<=": (a: number, b: number) => a <= b,
  ">": (a: number, b: number) => a > b,
  ">=": (a: number, b: number) => a >= b,
  "==": (a: number, b: number) => a == b,
  "!=": (a: number, b: number) => a != b,
  "===": (a: number, b: number) => a === b,
  "!==": (a: number, b: number) => a !== b,
  "|": (a: number, b: number) => a | b,
  "&": (a: number, b: number) => a & b,
  "^": (a: number, b: number) => a ^ b,
  "<<": (a: number, b: number) => a << b,
  ">>": (a: number, b: number) => a >> b,
  ">>>": (a: number, b: number) => a >>> b,
};

const MATH = Math as unknown as Record<string, unknown>;

/** Call the generated function `fn` (a FunctionDeclaration) on `args`; `globals` supplies Tape and zerosOf. */
export function interpret(fn: Node, args: unknown[], globals: Record<string, unknown>): unknown {
  const env: Env = new Map(Object.entries(globals));
  (fn.params as Node[]).forEach((p, i) => env.set(p.name, args[i]));
  try {
    block(fn.body.body, env);
  } catch (j) {
    if (j instanceof Jump && j.kind === "return") return j.value;
    throw j;
  }
  return undefined;
}

function block(stmts: Node[], env: Env): void {
  for (const s of stmts) stmt(s, env);
}

function stmt(s: Node, env: Env): void {
  switch (s.type) {
    case "VariableDeclaration":
      for (const d of s.declarations) env.set(d.id.name, d.init ? expr(d.init, env) : undefined);
      return;
    case "ExpressionStatement":
      expr(s.expression, env);
      return;
    case "BlockStatement":
      block(s.body, env);
      return;
    case "IfStatement":
      if (expr(s.test, env)) stmt(s.consequent, env);
      else if (s.alternate) stmt(s.alternate, env);
      return;
    case "ForStatement":
      if (s.init) s.init.type === "VariableDeclaration" ? stmt(s.init, env) : expr(s.init, env);
      for (; s.test ? expr(s.test, env) : true; s.update && expr(s.update, env)) if (loopBody(s.body, env)) break;
      return;
    case "WhileStatement":
      while (expr(s.test, env)) if (loopBody(s.body, env)) break;
      return;
    case "DoWhileStatement":
      do if (loopBody(s.body, env)) break;
      while (expr(s.test, env));
      return;
    case "BreakStatement":
      throw new Jump("break");
    case "ContinueStatement":
      throw new Jump("continue");
    case "ReturnStatement":
      throw new Jump("return", expr(s.argument, env));
    default:
      throw new Error(`wengert internal: the interpreter does not run ${s.type}`);
  }
}

/** Run a loop body; true on break. */
function loopBody(body: Node, env: Env): boolean {
  try {
    stmt(body, env);
  } catch (j) {
    if (j instanceof Jump && j.kind === "break") return true;
    if (j instanceof Jump && j.kind === "continue") return false;
    throw j;
  }
  return false;
}

function expr(n: Node, env: Env): unknown {
  switch (n.type) {
    case "Literal":
      return n.value;
    case "Identifier":
      if (n.name === "Infinity") return Infinity;
      if (n.name === "NaN") return NaN;
      if (!env.has(n.name)) throw new Error(`wengert internal: the interpreter has no variable ${n.name}`);
      return env.get(n.name);
    case "MemberExpression": {
      if (n.object.type === "Identifier" && n.object.name === "Math") return MATH[n.property.name];
      const o = expr(n.object, env) as Record<string | number, unknown>;
      return o[n.computed ? (expr(n.property, env) as number) : n.property.name];
    }
    case "BinaryExpression":
      return BINARY[n.operator](expr(n.left, env) as never, expr(n.right, env) as never);
    case "LogicalExpression": {
      const a = expr(n.left, env);
      return n.operator === "&&" ? a && expr(n.right, env) : a || expr(n.right, env);
    }
    case "UnaryExpression": {
      const a = expr(n.argument, env) as number;
      return n.operator === "-" ? -a : n.operator === "+" ? +a : n.operator === "!" ? !a : ~a;
    }
    case "ConditionalExpression":
      return expr(n.test, env) ? expr(n.consequent, env) : expr(n.alternate, env);
    case "AssignmentExpression": {
      const v = expr(n.right, env) as number;
      const op = n.operator as string;
      const combine = (old: unknown) => (op === "=" ? v : (BINARY[op.slice(0, -1)](old as never, v as never) as number));
      return store(n.left, env, combine);
    }
    case "UpdateExpression":
      return store(n.argument, env, (old) => (old as number) + (n.operator === "++" ? 1 : -1), true);
    case "SequenceExpression": {
      let v: unknown;
      for (const x of n.expressions) v = expr(x, env);
      return v;
    }
    case "CallExpression": {
      const callee = n.callee;
      const args = n.arguments.map((a: Node) => expr(a, env));
      if (callee.type === "MemberExpression") {
        const obj = callee.object.type === "Identifier" && callee.object.name === "Math" ? Math : (expr(callee.object, env) as Record<string, (...a: unknown[]) => unknown>);
        return (obj as unknown as Record<string, (...a: unknown[]) => unknown>)[callee.property.name](...args);
      }
      return (expr(callee, env) as (...a: unknown[]) => unknown)(...args);
    }
    case "NewExpression": {
      const ctor = n.callee.name as string;
      const args = n.arguments.map((a: Node) => expr(a, env));
      if (ctor === "Float64Array") return new Float64Array(args[0] as number);
      if (ctor === "Float32Array") return new Float32Array(args[0] as number);
      if (ctor === "Array") return new Array(args[0] as number);
      return new (env.get(ctor) as new () => unknown)();
    }
    case "ArrayExpression":
      return n.elements.map((e: Node) => expr(e, env));
    case "ObjectExpression": {
      const o: Record<string, unknown> = {};
      for (const p of n.properties) Object.defineProperty(o, p.key.type === "Identifier" ? p.key.name : String(p.key.value), { value: expr(p.value, env), enumerable: true, writable: true, configurable: true });
      return o;
    }
    default:
      throw new Error(`wengert internal: the interpreter does not evaluate ${n.type}`);
  }
}

function store(target: Node, env: Env, f: (old: unknown) => number, postfix = false): number {
  if (target.type === "Identifier") {
    const old = env.get(target.name);
    const v = f(old);
    env.set(target.name, v);
    return postfix ? (old as number) : v;
  }
  const o = expr(target.object, env) as Record<string | number, unknown>;
  const k = target.computed ? (expr(target.property, env) as number) : target.property.name;
  const old = o[k];
  const v = f(old);
  o[k] = v;
  return postfix ? (old as number) : v;
}
