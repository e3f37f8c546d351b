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
 * Named scalar helper functions that code templates may call (an erf approximation is written once,
 * not inlined into every loop). Every generated function receives all of them as parameters, so
 * jit, eager fusion and compiled expressions can all call them. Names are checked identifiers.
 */
const helpers = new Map<string, (...a: number[]) => number>();
export function helper(name: string, fn: (...a: number[]) => number): string {
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
