/**
 * Browser tests (Chromium through playwright-core, the site served from 127.0.0.1):
 * - the explorer page: the worked example entered, both sweeps stepped, the numbers shown checked
 *   (5.5 and 1.716338), graph and plots rendered as SVG, no console errors; screenshots are saved
 *   in tests/browser-screenshots/ for a person to look at;
 * - the library in the browser: the whole conformance table (site/src/selftest.ts), with generated
 *   code and the wasm matmul, and again under a strict Content-Security-Policy (interpreted).
 * The browser is the operating system's Chromium (Debian's `chromium`; or WENGERT_CHROMIUM=path).
 * Without one these tests are skipped, and the run says so and why.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";
// @ts-expect-error: a plain ES module script without types
import { buildSite, serveSite } from "../scripts/site.mjs";

const candidates = [process.env.WENGERT_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"].filter((p): p is string => !!p);
const executable = candidates.find((p) => existsSync(p));
if (!executable) {
  console.warn(`browser tests SKIPPED: no Chromium found (looked for ${candidates.join(", ")}). Install the operating system's Chromium (Debian: apt-get install chromium) or set WENGERT_CHROMIUM to a Chromium executable.`);
}
const shots = join(import.meta.dirname, "browser-screenshots");

describe.skipIf(!executable)("in a browser (Chromium)", () => {
  let browser: Browser, server: Server, base: string;
  beforeAll(async () => {
    await buildSite();
    server = (await serveSite(0)) as Server;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: executable, args: ["--no-sandbox"] });
    mkdirSync(shots, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  /** A page that records console errors and page exceptions. */
  async function open(path: string, viewport = { width: 1280, height: 900 }): Promise<[Page, string[]]> {
    const page = await browser.newPage({ viewport });
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(base + path);
    return [page, errors];
  }

  it("the explorer: the worked example, both sweeps stepped, the seeds' numbers shown, graph and plots drawn", async () => {
    const [page, errors] = await open("/");
    await page.waitForFunction("document.body.dataset.ready === 'true'", null, { timeout: 60_000 });
    // enter the worked example by hand (the page starts with it; type it anyway, as a learner would)
    await page.fill("#expr", "ln(x1) + x1*x2 - sin(x2)");
    await page.fill("#point", "x1 = 2, x2 = 5");
    await page.press("#point", "Enter");
    expect(await page.textContent("#value")).toContain("∇f = (5.5, 1.716338)");
    // forward sweep, seeded with ẋ1 = 1: step node by node; the output's tangent is ∂f/∂x1
    await page.click("#fwd-btn");
    const nodes = await page.locator("#graph svg g.node").count();
    expect(nodes).toBe(7);
    for (let k = 0; k < nodes; k++) await page.click("#next");
    expect(await page.textContent("#sweep-state")).toBe(`Forward sweep: step ${nodes} of ${nodes}`);
    expect(await page.locator("#graph g.node.lit").count()).toBe(nodes);
    expect(await page.locator('#graph g.node[data-id="v5"] .node-tangent').textContent()).toBe("v̇ = 5.5");
    await page.screenshot({ path: join(shots, "forward-sweep.png"), fullPage: true });
    // reverse sweep with the keyboard: adjoints from the output back; x1's adjoint sums two paths
    await page.click("#rev-btn");
    await page.locator("#graph").click();
    for (let k = 0; k < nodes; k++) await page.keyboard.press("ArrowRight");
    expect(await page.locator('#graph g.node[data-id="v-1"] .node-adjoint').textContent()).toBe("v̄ = 5.5");
    expect(await page.locator('#graph g.node[data-id="v0"] .node-adjoint').textContent()).toBe("v̄ = 1.716338");
    expect(await page.textContent("#sweep-note")).toContain("several paths");
    const table = await page.locator("#sweep-table tbody tr").allTextContents();
    expect(table[0]).toContain("5.5");
    expect(table[1]).toContain("1.716338");
    await page.screenshot({ path: join(shots, "reverse-sweep.png"), fullPage: true });
    // the Jacobian panel, the programs, the typeset derivative, the three plots
    await page.click("#jac-step");
    await page.click("#jac-step");
    expect(await page.locator("#jac-fwd td.lit").count()).toBe(4);
    expect(await page.locator("#jac-rev td.lit").count()).toBe(4);
    expect(await page.textContent("#trace")).toContain("log x1");
    expect(await page.textContent("#rev-source")).toContain("function f_vjp");
    expect(await page.locator("#symbolic .katex").count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator("svg.plot polyline").count()).toBeGreaterThanOrEqual(7);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("a parse error shows line, column and a caret; a phone-sized screen still shows the page", async () => {
    const [page, errors] = await open("/", { width: 390, height: 844 });
    await page.waitForFunction("document.body.dataset.ready === 'true'", null, { timeout: 60_000 });
    await page.fill("#expr", "ln(x1) + * x2");
    await page.click("#run");
    const err = await page.textContent("#error");
    expect(err).toMatch(/line 1, column 10/);
    expect(err).toContain("^");
    expect(await page.isVisible("#error")).toBe(true);
    await page.screenshot({ path: join(shots, "phone-parse-error.png"), fullPage: true });
    // the JS mode: source transformation of a loop
    await page.selectOption("#mode", "js");
    expect(await page.textContent("#js-result")).toContain("∇f at (2, 5)");
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("the API reference is on the site, with the functions' examples", async () => {
    const [page, errors] = await open("/api/functions/grad.html");
    const text = await page.textContent("body");
    expect(text).toContain("Gradient of a scalar function");
    expect(text).toContain("grad((x: Tensor) => x.mul(x))(3)");
    expect(errors, errors.join("\n")).toEqual([]);
    await page.close();
  }, 60_000);

  for (const csp of [false, true]) {
    it(`the conformance table in the browser${csp ? " under a strict Content-Security-Policy (interpreted, JS matmul)" : " (generated code, wasm SIMD matmul, eager fusion)"}`, async () => {
      const [page] = await open(csp ? "/csp/selftest.html" : "/selftest.html");
      await page.waitForFunction("window.selftest !== undefined", null, { timeout: 240_000 });
      const r = (await page.evaluate("window.selftest")) as { rows: number; checks: number; failures: string[]; codegen: boolean; wasm: boolean; csp: boolean };
      expect(r.failures).toEqual([]);
      expect(r.rows).toBeGreaterThan(60);
      expect(r.checks).toBeGreaterThan(4 * 60);
      expect(r.codegen).toBe(!csp);
      expect(r.wasm).toBe(!csp);
      expect(r.csp).toBe(csp);
      await page.close();
    }, 300_000);
  }
});
