#!/usr/bin/env node
/** @file The `wengert` command line. */
import { tour } from "./tour.js";
import { diffCommand, diffUsage } from "./diff.js";
import { WengertError } from "../core/errors.js";

const usage = `wengert — automatic differentiation for TypeScript and JavaScript

usage:
  wengert tour       a short tour: evaluation trace, tangents, adjoints, Jacobian, Hessian, finite differences
  ${diffUsage}
                     a symbolic derivative; with --at, its value beside AD and finite differences
  wengert help       this text
`;

function main(argv: string[]): number {
  const [cmd = "tour"] = argv;
  switch (cmd) {
    case "tour":
      tour();
      return 0;
    case "diff":
      try {
        diffCommand(argv.slice(1), (s) => process.stdout.write(s + "\n"));
        return 0;
      } catch (e) {
        if (!(e instanceof WengertError) && !(e instanceof TypeError && "code" in e)) throw e;
        process.stderr.write(`wengert diff: ${e.message}\n`);
        return 2;
      }
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage);
      return 0;
    default:
      process.stderr.write(`wengert: unknown command ${JSON.stringify(cmd)}\n\n${usage}`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
