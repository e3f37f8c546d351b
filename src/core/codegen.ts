/**
 * @file Generating JavaScript at run time, in one place: kernels, jit and compiled symbolic
 * expressions all come through here. Where `new Function` is forbidden (a strict
 * Content-Security-Policy), `compileJS` returns null and callers interpret instead; that is said
 * once on the console.
 */

let available = true;
let warned = false;
let counter = 0;

/**
 * Build `function (...bound) { body }` and call it with `bound`, returning what it returns (usually
 * the generated function). Each source carries a unique comment: V8 caches compiled functions by
 * source text, and two kernels sharing one would share call-site feedback and stop inlining.
 */
export function compileJS<T>(names: string[], body: string, bound: unknown[], what: string): T | null {
  if (!available) return null;
  try {
    return new Function(...names, `// ${what} #${counter++}\n${body}`)(...bound) as T;
  } catch (e) {
    if (!(e instanceof EvalError)) throw e; // a bug in generated code, not a CSP refusal
    available = false;
    if (!warned) {
      warned = true;
      console.warn(`wengert: code generation is unavailable here (${e.message}); interpreting instead, which is slower`);
    }
    return null;
  }
}

/** Whether generated code can run here (false after a CSP refusal); tests can force it off. */
export function codegenAvailable(): boolean {
  return available;
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
