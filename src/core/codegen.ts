/**
 * @file Generating JavaScript at run time, in one place: kernels, jit and compiled symbolic
 * expressions all come through here. Where `new Function` is forbidden (a strict
 * Content-Security-Policy), `compileJS` returns null and callers interpret instead; that is said
 * once on the console.
 */

let available: boolean | null = null; // null: not probed yet
let warned = false;
let counter = 0;

/** Say once, on the console, why generated code is not used here. */
function refuse(e: unknown): void {
  available = false;
  if (warned) return;
  warned = true;
  const reason = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).replace(/\s+/g, " ").trim().slice(0, 300);
  console.warn(`wengert: code generation (new Function) is refused here, so jit, eager fusion and compiled expressions are interpreted instead, which is slower. The engine said: ${reason}`);
}

/** Whether `new Function` works at all: probed once with a trivial body; any refusal (EvalError under a Content-Security-Policy, or a TypeError from a locked-down realm) switches code generation off. */
function probe(): boolean {
  if (available === null) {
    try {
      available = new Function("return 1")() === 1;
      if (!available) refuse(new Error("new Function returned a wrong value"));
    } catch (e) {
      refuse(e);
    }
  }
  return available!;
}

/**
 * Named helper functions that code templates may call (an erf approximation is written once,
 * not inlined into every loop). Every generated function receives all of them as parameters, so
 * jit, eager fusion and compiled expressions can all call them. Names are checked identifiers.
 */
// (most take and return numbers; the row passes' block kernels take arrays)
const helpers = new Map<string, (...a: never[]) => unknown>();
export function helper(name: string, fn: (...a: never[]) => unknown): string {
  if (!/^h_[A-Za-z0-9_]+$/.test(name)) throw new Error(`wengert internal: helper name ${JSON.stringify(name)} must look like h_name`);
  if (helpers.has(name) && helpers.get(name) !== fn) throw new Error(`wengert internal: helper ${name} defined twice`);
  helpers.set(name, fn);
  return name;
}

/** A label for the generated source's first comment: letters, digits and a few marks, never a line break or a comment end. */
function safeLabel(what: string): string {
  return what.replace(/[^A-Za-z0-9_ ()$.-]/g, "_").slice(0, 80);
}

/**
 * Build `function (...bound) { body }` and call it with `bound`, returning what it returns (usually
 * the generated function). Each source carries a unique comment: V8 caches compiled functions by
 * source text, and two kernels sharing one would share call-site feedback and stop inlining.
 * `names` must be identifiers the caller generated; `what` is only ever written sanitised.
 */
export function compileJS<T>(names: string[], body: string, bound: unknown[], what: string): T | null {
  if (!probe()) return null;
  for (const n of names) if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(n)) throw new Error(`wengert internal: generated parameter name ${JSON.stringify(n)} is not an identifier`);
  let make: (...a: unknown[]) => unknown;
  const helperNames = [...helpers.keys()];
  try {
    make = new Function(...names, ...helperNames, `// ${safeLabel(what)} #${counter++}\n${body}`) as (...a: unknown[]) => unknown;
  } catch (e) {
    if (e instanceof SyntaxError) throw e; // a bug in generated code: the probe showed new Function works
    refuse(e);
    return null;
  }
  return make(...bound, ...helperNames.map((n) => helpers.get(n))) as T;
}

/** Whether generated code can run here (false after a CSP refusal); tests can force it off. */
export function codegenAvailable(): boolean {
  return probe();
}
export function setCodegenAvailable(on: boolean): void {
  available = on;
}

/** A JS source literal for a number, safe as an operand anywhere (negative values parenthesized). */
export function jsNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  if (Object.is(v, -0)) return "(-0)";
  return v < 0 ? `(${v})` : String(v);
}

/** An element expression rounded as a kernel of that dtype stores it: float32 through Math.fround, int32 through `| 0`. */
export function roundTo(dtype: string, expr: string): string {
  return dtype === "float32" ? `Math.fround(${expr})` : dtype === "int32" ? `(${expr}) | 0` : expr;
}

/**
 * The one writer of element code. jit's fused loops, eager fusion's loops and the "js" print
 * style (compiled symbolic expressions) all produce their source through it; they differ only in
 * how they choose what goes into a loop. A writer collects three parts: what runs once before
 * the loop (`hoist`, `before`), the per-element statements (`apply`, `let`, `statement`), and what
 * runs once after it (`after`). `loop` wraps them in `for (let i = 0; i < n; i++)`, `straight`
 * returns them without a loop. Every name it makes is `t<k>` or `h<k>`: callers keep to other
 * letters. Element expressions come only from the catalogue's code templates, generated names and
 * `jsNumber` literals.
 */
export class LoopWriter {
  private readonly head: string[] = [];
  private readonly body: string[] = [];
  private readonly tail: string[] = [];
  private readonly hoisted = new Map<string, string>();
  private temps = 0;

  /** A value computed once before the loop (an array's data, one element, a view's offset), one name per key. */
  hoist(key: string, code: string): string {
    let name = this.hoisted.get(key);
    if (name === undefined) {
      name = `h${this.hoisted.size}`;
      this.hoisted.set(key, name);
      this.head.push(`const ${name} = ${code};`);
    }
    return name;
  }
  /** A per-element value: `const t<k> = expr;` in the loop body. */
  let(expr: string): string {
    const name = `t${this.temps++}`;
    this.body.push(`const ${name} = ${expr};`);
    return name;
  }
  /** A primitive's code template applied to element operands, rounded to the result's dtype exactly as the primitive's own kernel rounds. */
  apply<P>(code: (args: string[], params: P) => string, args: string[], params: P, dtype: string): string {
    return this.let(roundTo(dtype, code(args, params)));
  }
  before(line: string): void {
    this.head.push(line);
  }
  statement(line: string): void {
    this.body.push(line);
  }
  after(line: string): void {
    this.tail.push(line);
  }
  /** The lines of the loop over n elements (n: a literal or a name), element index `i`; `counters` adds more (`k = off` stepping `k += st`). */
  loop(n: string | number, counters?: { init: string; step: string }): string[] {
    const init = counters ? `let i = 0, ${counters.init}` : "let i = 0";
    const step = counters ? `i++, ${counters.step}` : "i++";
    return [...this.head, `for (${init}; i < ${n}; ${step}) {`, ...this.body.map((l) => `  ${l}`), `}`, ...this.tail];
  }
  /**
   * The lines of a loop over the rows of a matrix (S: its data, rows × cols, row-major), eight
   * rows a block: each block's dot products with x go into Y (`dot`: kernels.ts dotRows, the
   * function matvec sums with), the body runs for the block's elements `i` (reading Y[i − b],
   * writing W[i − b], b the block's first row; names here start with $, which no other generated
   * code uses), then the block's rows scaled by W are added into G (`add`: kernels.ts addRows).
   */
  rowLoop(rows: number, cols: number, S: string, x: string, Y: string, W: string, G: string, dot: string, add: string): string[] {
    return [
      ...this.head,
      `for (let $b = 0; $b < ${rows}; $b += 8) {`,
      `  const $e = $b + 8 < ${rows} ? $b + 8 : ${rows};`,
      `  ${dot}(${S}, $b * ${cols}, ${cols}, ${x}, 0, ${Y}, 0, $e - $b);`,
      `  for (let i = $b; i < $e; i++) {`,
      ...this.body.map((l) => `    ${l}`),
      `  }`,
      `  ${add}(${S}, $b * ${cols}, ${cols}, $e - $b, ${W}, 0, ${G}, ${cols});`,
      `}`,
      ...this.tail,
    ];
  }
  /** The statements without a loop (straight-line code over scalars). */
  straight(): string[] {
    return [...this.head, ...this.body, ...this.tail];
  }
}
