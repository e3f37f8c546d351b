#!/usr/bin/env node
// Extract every ```ts block of README.md into tests/readme-blocks/block<N>.ts (generated, not
// committed), importing the package from src/ instead of "wengert". `npm test` type-checks them
// under strict (tsconfig.tests.json includes the folder) and tests/readme.test.ts runs each one.
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "tests", "readme-blocks");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const blocks = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
blocks.forEach((code, i) => {
  const body = code.replace(/from "wengert"/g, 'from "../../src/index.js"');
  writeFileSync(join(out, `block${i + 1}.ts`), `// Generated from README.md by scripts/readme-blocks.mjs; edit the README instead.\n${body}export {};\n`);
});
console.log(`README: ${blocks.length} TypeScript blocks written to tests/readme-blocks/`);
