/**
 * @file Every ```ts block of the README runs (scripts/readme-blocks.mjs extracts them before
 * the type check, which compiles them under strict).
 */
import { describe, it, expect } from "vitest";
import { importQuietly } from "./generated.js";
import { readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("./readme-blocks/", import.meta.url));
const blocks = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".ts")).sort() : [];

describe("README examples", () => {
  it("were extracted (npm test runs scripts/readme-blocks.mjs first)", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });
  it.each(blocks)("%s runs", (file) => importQuietly(`./readme-blocks/${file}`));
});
