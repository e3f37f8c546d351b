/**
 * The examples keep their promises: the digits CNN reaches at least 97 % test accuracy (one full
 * default run, 20 epochs), and its plot is written; the L-BFGS fit converges to a stationary point.
 */
import { describe, it, expect } from "vitest";
import { train, plotSVG } from "../examples/digits.js";
import { fitLogistic } from "../examples/lbfgs.js";

describe("examples/digits.ts", () => {
  it("trains a CNN on the UCI digits to ≥ 97 % test accuracy, with the loss falling", () => {
    const r = train({ epochs: 20, seed: 0 });
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(r.history).toHaveLength(20);
    expect(r.history[19].loss).toBeLessThan(r.history[0].loss / 10);
    const svg = plotSVG(r.history);
    expect(svg).toMatch(/^<svg[^>]*>/);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(svg).not.toMatch(/NaN/);
  }, 120_000);
});

describe("examples/lbfgs.ts", () => {
  it("fits multinomial logistic regression full batch to a stationary point (gradient norm < 1e-5) with > 94 % test accuracy", () => {
    const r = fitLogistic();
    expect(r.converged).toBe(true);
    expect(r.gradNorm).toBeLessThan(1e-5);
    expect(r.testAccuracy).toBeGreaterThan(0.94);
    expect(r.value).toBeLessThan(Math.log(10)); // below the loss of the zero model
  }, 60_000);
});
