#!/usr/bin/env node
// Extract the @example of every exported function's doc comment in src/ into
// tests/doc-examples/<file>.<name>.ts (generated, not committed), importing what it uses from
// src/index.ts. A line `expr // → value` becomes a check that expr equals value (tensors compared
// by their elements, numbers to 1e-12 relative); `// ≈ value` checks to 1e-6. `npm test` type-checks
// the files under strict and tests/doc-examples.test.ts runs each one, so no example in the API
// reference (TypeDoc, from the same comments) is wrong.
import { readFileSync, writeFileSync, mkdirSync, rmSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "tests", "doc-examples");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const files = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".ts")) files.push(p);
  }
};
walk(join(root, "src"));

// the names the package exports (functions and namespaces), from src/index.ts's own lines
const index = readFileSync(join(root, "src", "index.ts"), "utf8");
const exported = new Set();
for (const m of index.matchAll(/export\s*\{([^}]*)\}/g)) for (const part of m[1].split(",")) {
  const name = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop().trim();
  if (name && !part.trim().startsWith("type ")) exported.add(name);
}
for (const m of index.matchAll(/export \* as (\w+)/g)) exported.add(m[1]);
// `export * from` modules: every exported name of those files
for (const m of index.matchAll(/export \* from "\.\/(.+?)\.js"/g)) {
  const src = readFileSync(join(root, "src", `${m[1]}.ts`), "utf8");
  for (const e of src.matchAll(/^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)/gm)) exported.add(e[1]);
  for (const e of src.matchAll(/^export const ([^\n]*)/gm)) for (const n of e[1].matchAll(/(?:^|,\s*)([A-Za-z_$][\w$]*)\s*=(?![=>])/g)) exported.add(n[1]);
  for (const e of src.matchAll(/^export\s*\{([^}]*)\}/gm)) for (const part of e[1].split(",")) {
    const n = part.trim().split(/\s+as\s+/).pop().trim();
    if (n && !part.trim().startsWith("type ")) exported.add(n);
  }
}

let count = 0;
const seen = new Map();
for (const file of files) {
  const text = readFileSync(file, "utf8");
  // functions exported under another name (`export { variance as var }`) carry their doc on the function
  const aliases = new Map([...text.matchAll(/export\s*\{\s*(\w+)\s+as\s+(\w+)\s*\}/g)].map((a) => [a[1], a[2]]));
  const documented = [
    // a doc comment before `export const a = …, b = …` documents every name the line declares
    ...[...text.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)([^\n]*)/g)].flatMap((m) => [
      [m[1], m[2]],
      ...[...m[3].matchAll(/,\s*([A-Za-z_$][\w$]*)\s*=/g)].map((n) => [m[1], n[1]]),
    ]),
    ...[...text.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*function\s+([A-Za-z_$][\w$]*)/g)].filter((m) => aliases.has(m[2])).map((m) => [m[1], aliases.get(m[2])]),
  ];
  for (const m of documented.map(([d, n]) => [null, d, n])) {
    const doc = m[1].split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n");
    const at = doc.indexOf("@example");
    if (at < 0) continue;
    const code = doc.slice(at + "@example".length).split(/\n@\w/)[0].trim();
    const name = m[2];
    const rel = relative(root, file);
    const lines = code.split("\n").map((line, k) => {
      const arrow = /^(.*?);?\s*\/\/\s*(→|≈)\s*(.+)$/.exec(line);
      if (!arrow) return line;
      const where = JSON.stringify(`${rel} ${name}, example line ${k + 1}`);
      return `__check(${arrow[1]}, ${arrow[3]}, ${arrow[2] === "≈" ? 1e-6 : 1e-12}, ${where});`;
    });
    const body = lines.join("\n");
    const used = [...new Set([...body.replace(/\/\/.*$/gm, "").replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, "").matchAll(/(?<![.\w$])([A-Za-z_$][\w$]*)/g)].map((x) => x[1]))].filter((id) => exported.has(id));
    const key = `${rel.replace(/^src\//, "").replace(/\.ts$/, "").replace(/\//g, "_")}.${name}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const header = `// Generated from ${rel} (${name}) by scripts/doc-examples.mjs; edit the doc comment instead.\n`;
    const imports = `${body.includes("__check(") ? `import { __check } from "../doc-check.js";\n` : ""}${used.length ? `import { ${used.join(", ")} } from "../../src/index.js";\n` : ""}`;
    writeFileSync(join(out, `${key}${n > 1 ? `_${n}` : ""}.ts`), `${header}${imports}\n${body}\nexport {};\n`);
    count++;
  }
}
console.log(`doc comments: ${count} @example blocks written to tests/doc-examples/`);
