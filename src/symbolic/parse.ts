/**
 * @file A small Pratt parser from text to expressions. Every operator and function it knows is a
 * wengert op applied to symbolic values, so a parsed expression is built by the same catalogue as
 * everything else. Identifiers are data: they become variable names or are looked up in a Map of
 * known functions, never evaluated.
 */
import { InputError, fmtValue, locate } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import * as ops from "../api/ops.js";
import { UNARY_FUNCTIONS } from "../api/methods.js";
import { Expr, constant, symbol } from "./expr.js";

export class ParseError extends InputError {
  constructor(
    readonly reason: string,
    readonly source: string,
    /** 0-based offset of the offending character. */
    readonly offset: number,
  ) {
    const { line, column, excerpt } = locate(source, offset);
    super(`parse: ${reason} at line ${line}, column ${column}\n${excerpt}`);
    this.line = line;
    this.column = column;
  }
  readonly line: number;
  readonly column: number;
}

/** The longest source text parse accepts. */
export const MAX_SOURCE = 10_000_000;

/**
 * The deepest nesting the parser accepts (parentheses, unary signs, calls, right-nested powers).
 * Deeper input gets a ParseError instead of exhausting the call stack.
 */
export const MAX_PARSE_DEPTH = 500;

type Fn = (...args: Tensor[]) => Tensor;
/** The functions the grammar knows, by name, with their arity. */
const FUNCTIONS = new Map<string, { arity: number; fn: Fn }>([
  // every one-argument function that is also a tensor method (api/methods.ts)
  ...UNARY_FUNCTIONS.map((name) => [name, { arity: 1, fn: ops[name] as Fn }] as const),
  ["ln", { arity: 1, fn: ops.log }],
  ["atan2", { arity: 2, fn: ops.atan2 }],
  ["hypot", { arity: 2, fn: ops.hypot }],
  ["pow", { arity: 2, fn: ops.pow }],
  ["max", { arity: 2, fn: ops.maximum }],
  ["min", { arity: 2, fn: ops.minimum }],
  ["where", { arity: 3, fn: ops.where }],
  ["stop_gradient", { arity: 1, fn: ops.stopGradient }],
]);
/** Named constants (so these names cannot be variables): what the printer writes for π, e, ∞ and NaN. */
const CONSTANTS = new Map<string, number>([
  ["pi", Math.PI],
  ["e", Math.E],
  ["inf", Infinity],
  ["nan", NaN],
]);

/**
 * Names the parser treats as functions (for help texts and error messages).
 * @example
 * symbolic.knownFunctions().includes("ln") // → true
 */
export const knownFunctions = (): string[] => [...FUNCTIONS.keys()];

interface Token {
  kind: "num" | "id" | "op" | "end";
  text: string;
  at: number;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  // "−" (U+2212, typographic minus, as printed text and these docs write it), "×" and "·" read as - and *
  const re = /\s+|(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|<=|>=|==|!=|[-+*/^(),<>\u2212\u00d7\u00b7])/y;
  let i = 0;
  while (i < src.length) {
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) {
      const ch = src[i];
      throw new ParseError(`unexpected character ${JSON.stringify(ch)}; expected a number, a name, an operator (+ - * / ^ < <= > >= == !=) or a parenthesis`, src, i);
    }
    if (m[1] !== undefined) tokens.push({ kind: "num", text: m[1], at: i });
    else if (m[2] !== undefined) tokens.push({ kind: "id", text: m[2], at: i });
    else if (m[3] !== undefined) tokens.push({ kind: "op", text: m[3] === "**" ? "^" : m[3] === "\u2212" ? "-" : m[3] === "\u00d7" || m[3] === "\u00b7" ? "*" : m[3], at: i });
    i = re.lastIndex;
  }
  tokens.push({ kind: "end", text: "end of input", at: src.length });
  return tokens;
}

// Binding powers: comparisons 0.5 (not chained), + − 1, * / 2, unary minus 3, ^ 4 (right-associative).
const CMP = 0.5;
const INFIX: Record<string, { prec: number; right: boolean; fn: Fn }> = {
  "<": { prec: CMP, right: false, fn: ops.lt },
  "<=": { prec: CMP, right: false, fn: ops.le },
  ">": { prec: CMP, right: false, fn: ops.gt },
  ">=": { prec: CMP, right: false, fn: ops.ge },
  "==": { prec: CMP, right: false, fn: ops.eq },
  "!=": { prec: CMP, right: false, fn: ops.ne },
  "+": { prec: 1, right: false, fn: ops.add },
  "-": { prec: 1, right: false, fn: ops.sub },
  "*": { prec: 2, right: false, fn: ops.mul },
  "/": { prec: 2, right: false, fn: ops.div },
  "^": { prec: 4, right: true, fn: ops.pow },
};
const UNARY_PREC = 3;

/**
 * Parse `source` into an expression: `parse("ln(x1) + x1*x2 - sin(x2)")`.
 * @example
 * symbolic.evaluate(parse("ln(x1) + x1*x2 - sin(x2)"), { x1: 2, x2: 5 }) // ≈ 11.652071455223084
 */
export function parse(source: string): Expr {
  if (typeof source !== "string") throw new InputError(`parse: needs a string; got ${typeof source}`);
  if (source.length > MAX_SOURCE) throw new InputError(`parse: the source has ${source.length} characters; at most ${MAX_SOURCE} are accepted`);
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (t: Token, what: string): never => {
    throw new ParseError(`expected ${what}; found ${t.kind === "end" ? "the end of the input" : fmtValue(t.text, 40)}`, source, t.at);
  };
  const expect = (text: string, what: string) => {
    const t = peek();
    if (t.text !== text || t.kind !== "op") fail(t, what);
    pos++;
  };

  function prefix(): Tensor {
    const t = tokens[pos++];
    if (t.kind === "num") return constant(Number(t.text));
    if (t.kind === "op" && t.text === "(") {
      const inner = expression(0);
      expect(")", `")" to close the "(" at column ${t.at + 1}`);
      return inner;
    }
    if (t.kind === "op" && t.text === "-") return ops.neg(expression(UNARY_PREC));
    if (t.kind === "op" && t.text === "+") return expression(UNARY_PREC);
    if (t.kind === "id") {
      const called = peek().kind === "op" && peek().text === "(";
      const f = FUNCTIONS.get(t.text);
      if (called) {
        if (!f) throw new ParseError(`unknown function ${fmtValue(t.text, 40)}; known functions: ${knownFunctions().join(", ")}`, source, t.at);
        pos++;
        const args: Tensor[] = [];
        if (!(peek().kind === "op" && peek().text === ")")) {
          args.push(expression(0));
          while (peek().kind === "op" && peek().text === ",") {
            pos++;
            args.push(expression(0));
          }
        }
        expect(")", `"," or ")" in the call of ${t.text}`);
        if (args.length !== f.arity) {
          throw new ParseError(`${t.text} takes ${f.arity} argument${f.arity > 1 ? "s" : ""}; got ${args.length}`, source, t.at);
        }
        if (t.text === "where" && args[0].dtype !== "bool") throw new ParseError(`where's first argument must be a comparison (where(x > 0, x, 0))`, source, t.at);
        if (t.text !== "where" && args.some((a) => a.dtype === "bool")) throw new ParseError(`${t.text} takes numbers; a comparison is true or false (use where(c, 1, 0) for a number)`, source, t.at);
        return f.fn(...args);
      }
      if (f) throw new ParseError(`${t.text} is a function; call it as ${t.text}(…)`, source, t.at);
      const c = CONSTANTS.get(t.text);
      return c !== undefined ? constant(c) : symbol(t.text);
    }
    return fail(t, "a number, a name, \"(\" or \"-\"");
  }

  let depth = 0;
  function expression(minPrec: number): Tensor {
    if (++depth > MAX_PARSE_DEPTH) {
      throw new ParseError(`the expression is nested more than ${MAX_PARSE_DEPTH} levels deep (parentheses, signs, calls and powers count); split it into parts`, source, peek().at);
    }
    try {
      return expressionAt(minPrec);
    } finally {
      depth--;
    }
  }

  function expressionAt(minPrec: number): Tensor {
    let left = prefix();
    for (;;) {
      const t = peek();
      const op = t.kind === "op" ? INFIX[t.text] : undefined;
      if (!op || op.prec < minPrec) break;
      if (op.prec === CMP && left.dtype === "bool") throw new ParseError(`comparisons do not chain (a < b < c); combine them with where(…)`, source, t.at);
      pos++;
      left = op.fn(left, expression(op.prec === CMP ? 1 : op.right ? op.prec : op.prec + 1)); // a comparison's right side is a whole sum
    }
    return left;
  }

  const e = expression(0);
  const t = peek();
  if (t.kind !== "end") fail(t, "an operator (+ - * / ^) or the end of the input");
  return e as Expr;
}
