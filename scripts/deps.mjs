#!/usr/bin/env node
// Import-cycle check for src/ (run by `npm test`): fails on a cycle of value imports between files
// or between folders, and prints lines of TypeScript per folder. Type-only imports (`import type`,
// `import { type X }` with only types) are erased by TypeScript and cannot form a cycle at run time
// or in module initialisation, so they are not counted (core names the concrete array type that
// tensor/ implements, for instance).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const files = [];
const walk = (d) => { for (const f of readdirSync(d)) { const p = join(d, f); statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") && files.push(p); } };
walk(src);

const importRe = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+"(\.[^"]+)"/gm;
const sideRe = /^\s*import\s+"(\.[^"]+)"/gm;
const valueEdges = new Map(), folderEdges = new Map(); // file → Set(file), folder → Map(folder → example)
const folderOf = (f) => relative(src, dirname(f)) || "(root)";
for (const f of files) {
  const text = readFileSync(f, "utf8");
  valueEdges.set(f, new Set());
  const add = (spec, typeOnly) => {
    const target = resolve(dirname(f), spec.replace(/\.js$/, ".ts"));
    if (typeOnly) return;
    valueEdges.get(f).add(target);
    const a = folderOf(f), b = folderOf(target);
    if (a !== b) {
      if (!folderEdges.has(a)) folderEdges.set(a, new Map());
      if (!folderEdges.get(a).has(b)) folderEdges.get(a).set(b, `${relative(src, f)} → ${relative(src, target)}`);
    }
  };
  for (const m of text.matchAll(importRe)) {
    const names = m[3];
    const typeOnly = Boolean(m[2]) || (/^\{[^}]*\}$/.test(names.trim()) && names.replace(/[{}]/g, "").split(",").map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith("type ")));
    add(m[4], typeOnly);
  }
  for (const m of text.matchAll(sideRe)) add(m[1], false);
}

/** Strongly connected components with more than one node (Tarjan). */
function cycles(nodes, edges) {
  let index = 0;
  const idx = new Map(), low = new Map(), on = new Set(), stack = [], out = [];
  const strong = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of edges(v)) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) out.push(comp);
    }
  };
  for (const v of nodes) if (!idx.has(v)) strong(v);
  return out;
}

const fileCycles = cycles(files, (f) => [...(valueEdges.get(f) ?? [])].filter((t) => valueEdges.has(t)));
const folders = [...new Set(files.map(folderOf))];
const folderCycles = cycles(folders, (d) => [...(folderEdges.get(d)?.keys() ?? [])]);

for (const d of folders.sort()) {
  const lines = files.filter((f) => folderOf(f) === d).reduce((n, f) => n + readFileSync(f, "utf8").split("\n").length - 1, 0);
  console.log(`${(d === "(root)" ? "src/" : "src/" + d + "/").padEnd(18)} ${String(lines).padStart(6)}`);
}
let bad = false;
for (const c of fileCycles) {
  bad = true;
  console.error(`import cycle between files: ${c.map((f) => relative(src, f)).join(" ↔ ")}`);
}
for (const c of folderCycles) {
  bad = true;
  const ex = c.flatMap((a) => c.filter((b) => b !== a && folderEdges.get(a)?.has(b)).map((b) => `    ${folderEdges.get(a).get(b)}`));
  console.error(`import cycle between folders: ${c.join(" ↔ ")}\n${ex.join("\n")}`);
}
if (bad) process.exit(1);
console.log(`${"total".padEnd(18)} ${String(files.reduce((n, f) => n + readFileSync(f, "utf8").split("\n").length - 1, 0)).padStart(6)}\nno import cycles between files or folders`);
