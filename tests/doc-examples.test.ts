/**
 * @file Every @example in the doc comments of src/ runs, and its `// → value` results are what the
 * doc says (scripts/doc-examples.mjs extracts them before the type check, which compiles them under
 * strict). The API reference (TypeDoc) shows the same examples.
 */
import { describe, it, expect } from "vitest";
import { importQuietly } from "./generated.js";
import { readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as w from "../src/index.js";

const dir = fileURLToPath(new URL("./doc-examples/", import.meta.url));
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".ts")).sort() : [];

describe("doc-comment examples", () => {
  it("were extracted (npm test runs scripts/doc-examples.mjs first)", () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });
  it("every public function has an example (aliases such as gt/greater share one)", () => {
    const have = new Set(files.map((f) => f.replace(/\.ts$/, "").split(".").pop()!.replace(/_\d+$/, "")));
    const fns: [string, unknown][] = [];
    for (const [k, v] of Object.entries(w)) {
      if (typeof v === "function" && !/^[A-Z]/.test(k)) fns.push([k, v]);
      else if (v !== null && typeof v === "object" && k !== "catalogue") for (const [k2, v2] of Object.entries(v)) if (typeof v2 === "function" && !/^[A-Z]/.test(k2)) fns.push([k2, v2]);
    }
    const documented = new Set(fns.filter(([k]) => have.has(k)).map(([, v]) => v));
    expect(fns.filter(([k, v]) => !have.has(k) && !documented.has(v)).map(([k]) => k)).toEqual([]);
    expect(fns.length).toBeGreaterThanOrEqual(240);
  });
  it.each(files)("%s runs and gives what its doc says", (file) => importQuietly(`./doc-examples/${file}`));
});
