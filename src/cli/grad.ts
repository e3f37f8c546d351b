/**
 * @file `wengert grad file.js --fn name [--wrt x,y] [--mode reverse|forward] [--out file]`: print
 * the derivative of a function of a JavaScript or TypeScript file as source code (source
 * transformation, as Tapenade does).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { InputError, fmtValue } from "../core/errors.js";
import { normalize } from "../source/normalize.js";
import { sourceGrad, sourceJvp } from "../source/index.js";

export const gradUsage = `wengert grad <file.js|file.ts> --fn name [--wrt x,y] [--mode reverse|forward] [--out file]`;

export const gradHelp = `usage: ${gradUsage}

  <file>          a JavaScript or TypeScript source file; helpers it defines may be called
  --fn name       the function to differentiate
  --wrt x,y       the parameters to differentiate by (default: the first)
  --mode m        reverse (the default: one sweep gives the whole gradient, with a tape) or
                  forward (tangents beside values)
  --out file      write the derivative there instead of printing it
  --help, -h      this text`;

const OPTIONS = ["fn", "wrt", "mode", "out"];

export function gradCommand(argv: string[], out: (s: string) => void): void {
  const opts: Record<string, string> = {};
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") return out(gradHelp);
    if (a.startsWith("--")) {
      const [key, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (!OPTIONS.includes(key)) throw new InputError(`grad: unknown option ${fmtValue(a, 40)} (wengert grad --help lists them)`);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new InputError(`grad: --${key} needs a value`);
      opts[key] = value;
    } else files.push(a);
  }
  if (files.length !== 1) throw new InputError(`grad: give one source file (${gradUsage})`);
  if (!opts.fn) throw new InputError(`grad: say which function with --fn name`);
  const mode = opts.mode ?? "reverse";
  if (mode !== "reverse" && mode !== "forward") throw new InputError(`grad: --mode is reverse or forward; got ${fmtValue(mode, 20)}`);
  let text: string;
  try {
    text = readFileSync(files[0], "utf8");
  } catch (e) {
    throw new InputError(`grad: cannot read ${fmtValue(files[0], 80)}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const params = normalize("grad", text, opts.fn).params.map((p) => p.name);
  const wrt = opts.wrt === undefined ? [params[0]] : opts.wrt.split(",").map((s) => s.trim());
  const argnums = wrt.map((n) => {
    const k = params.indexOf(n);
    if (k < 0) throw new InputError(`grad: ${opts.fn} has no parameter ${fmtValue(n, 40)}; its parameters are ${params.join(", ") || "none"}`);
    return k;
  });
  const source = mode === "reverse" ? sourceGrad(text, { name: opts.fn, argnums }).source : sourceJvp(text, { name: opts.fn, argnums }).source;
  if (opts.out) writeFileSync(opts.out, source + "\n");
  else out(source);
}
