#!/usr/bin/env node
/** @file The `wengert` command line. */
import { readFileSync } from "node:fs";
import { tour } from "./tour.js";
import { diffCommand, diffUsage } from "./diff.js";
import { gradCommand, gradUsage } from "./grad.js";
import { WengertError, fmtValue } from "../core/errors.js";

const usage = `wengert — automatic differentiation for TypeScript and JavaScript

usage:
  wengert tour       a short tour: evaluation trace, tangents, adjoints, Jacobian, Hessian, finite differences
  ${diffUsage}
                     a symbolic derivative; with --at, its value beside AD and finite differences
                     (wengert diff --help for the details)
  ${gradUsage}
                     the derivative of a function in a source file, as source code
                     (wengert grad --help for the details)
  wengert help       this text
  wengert --version  the version
`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Bold titles only on a terminal that allows colour (NO_COLOR, https://no-color.org, turns them off). */
export const useColor = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";

function main(argv: string[]): number {
  const [cmd = "tour"] = argv;
  switch (cmd) {
    case "tour":
      tour(console.log, useColor());
      return 0;
    case "diff":
      try {
        diffCommand(argv.slice(1), (s) => process.stdout.write(s + "\n"), (s) => process.stderr.write(s + "\n"));
        return 0;
      } catch (e) {
        if (!(e instanceof WengertError)) {
          // not our typed error: still one line, no stack trace
          process.stderr.write(`wengert diff: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
          return 1;
        }
        process.stderr.write(`wengert ${e.message.startsWith("diff: ") ? "" : "diff: "}${e.message}\n`);
        return 2;
      }
    case "grad":
      try {
        gradCommand(argv.slice(1), (s) => process.stdout.write(s + "\n"));
        return 0;
      } catch (e) {
        if (!(e instanceof WengertError)) {
          process.stderr.write(`wengert grad: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
          return 1;
        }
        process.stderr.write(`wengert ${/^(grad|sourceGrad|sourceValueAndGrad|sourceJvp): /.test(e.message) ? e.message.replace(/^[a-zA-Z]+: /, "grad: ") : `grad: ${e.message}`}\n`);
        return 2;
      }
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage);
      return 0;
    case "--version":
    case "-v":
    case "version":
      process.stdout.write(`wengert ${version()}\n`);
      return 0;
    default:
      process.stderr.write(`wengert: unknown command ${fmtValue(cmd, 40)}\n\n${usage}`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
