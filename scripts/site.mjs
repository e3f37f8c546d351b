/**
 * The explorer site: `node scripts/site.mjs build` bundles site/src/main.ts (wengert, dagre and
 * KaTeX included) and the browser self-test into site/dist with every asset, so the page works
 * offline; `node scripts/site.mjs serve [port]` serves site/dist on 127.0.0.1 (default port 8080).
 * Files under /csp/ are the same files sent with a strict Content-Security-Policy (no eval, no
 * new Function), for testing the library's interpreted fallback in a browser.
 */
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync, existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const site = join(root, "site");
const dist = join(site, "dist");

export async function buildSite() {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const common = { bundle: true, format: "iife", platform: "browser", target: "es2022", sourcemap: true, logLevel: "warning", legalComments: "linked" };
  await build({ ...common, entryPoints: [join(site, "src", "main.ts")], outfile: join(dist, "app.js") });
  await build({ ...common, entryPoints: [join(site, "src", "selftest.ts")], outfile: join(dist, "selftest.js") });
  for (const f of ["index.html", "style.css", "selftest.html"]) cpSync(join(site, f), join(dist, f));
  const katex = join(root, "node_modules", "katex", "dist");
  mkdirSync(join(dist, "katex"), { recursive: true });
  cpSync(join(katex, "katex.min.css"), join(dist, "katex", "katex.min.css"));
  cpSync(join(katex, "fonts"), join(dist, "katex", "fonts"), { recursive: true });
  if (existsSync(join(root, "docs", "api"))) cpSync(join(root, "docs", "api"), join(dist, "api"), { recursive: true });
  return dist;
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".map": "application/json", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".svg": "image/svg+xml", ".json": "application/json", ".txt": "text/plain; charset=utf-8" };

/** A static server for site/dist on 127.0.0.1; resolves with the server once listening. */
export function serveSite(port = 8080) {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    const csp = path.startsWith("/csp/");
    if (csp) path = path.slice(4);
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(dist, path));
    if (!file.startsWith(dist + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
      return;
    }
    const headers = { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" };
    if (csp) headers["content-security-policy"] = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'";
    res.writeHead(200, headers);
    res.end(readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === "build") {
    await buildSite();
    console.log(`site built in ${dist}`);
  } else if (cmd === "serve") {
    if (!existsSync(join(dist, "index.html"))) await buildSite();
    const port = Number(arg ?? process.env.PORT ?? 8080);
    await serveSite(port);
    console.log(`wengert explorer: http://127.0.0.1:${port}/  (Ctrl-C to stop)`);
  } else {
    console.error("usage: node scripts/site.mjs build | serve [port]");
    process.exit(2);
  }
}
