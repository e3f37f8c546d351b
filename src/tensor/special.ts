/**
 * @file Scalar special functions that JavaScript's Math lacks, in float64 to within a few ulps:
 * the error function and its complement. (They are registered as code-template helpers by their
 * primitives, so generated loops call one copy.)
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π
const INV_SQRT_PI = 0.5641895835477563; // 1/√π

/** erf x for |x| < 2: 2x/√π · e^(−x²) · Σₙ (2x²)ⁿ / (1·3·…·(2n+1)), whose terms are all positive (no cancellation). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = 1, sum = 1;
  for (let n = 1; n < 100; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return TWO_OVER_SQRT_PI * x * Math.exp(-x2) * sum;
}

/**
 * erfc x for x ≥ 2 by its continued fraction e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))),
 * evaluated from a fixed depth backwards (80 levels: converged to rounding for x ≥ 2).
 */
function erfcFraction(x: number): number {
  let f = x;
  for (let k = 80; k >= 1; k--) f = x + k / 2 / f;
  return (INV_SQRT_PI * Math.exp(-x * x)) / f;
}

/** The error function erf x = 2/√π ∫₀ˣ e^(−t²) dt. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2) return erfSeries(x);
  const r = 1 - erfcFraction(a);
  return x < 0 ? -r : r;
}

/** The complementary error function erfc x = 1 − erf x, accurate where it is tiny (large x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 2) return erfcFraction(x);
  if (x <= -2) return 2 - erfcFraction(-x);
  return 1 - erfSeries(x);
}

/**
 * The inverse error function: erfinv(erf y) = y on (−1, 1), ±∞ at ±1, NaN outside. A rough start
 * (Winitzki's closed form, relative error below 2·10⁻³) refined by Halley steps on erf y − x, the
 * residual taken as (1 − x) − erfc y for x ≥ ½ so that it keeps its precision as x → 1.
 */
export function erfinv(x: number): number {
  if (Number.isNaN(x) || x < -1 || x > 1) return NaN;
  if (x === 1) return Infinity;
  if (x === -1) return -Infinity;
  if (x === 0) return x;
  const s = x < 0 ? -1 : 1, a = Math.abs(x);
  const ln = Math.log((1 - a) * (1 + a)), k = 0.147;
  const t = 2 / (Math.PI * k) + ln / 2;
  let y = Math.sqrt(Math.sqrt(t * t - ln / k) - t);
  for (let i = 0; i < 4; i++) {
    const f = a >= 0.5 ? 1 - a - erfc(y) : erf(y) - a;
    const d = TWO_OVER_SQRT_PI * Math.exp(-y * y); // d erf / dy
    if (f === 0 || d === 0) break;
    const step = f / (d + y * f); // Halley: f / (f′ − f·f″ / (2f′)), f″ = −2y·f′
    y -= step;
    if (Math.abs(step) <= 1e-17 * y) break;
  }
  return s * y;
}
