/** Small numeric helpers shared by the benchmarks and the GradBench driver (no library imports). */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** GradBench's comparison rule: |x − y| / max(1, |x| + |y|); an answer passes at ≤ 1e-4. */
export const relErr = (x: number, y: number) => Math.abs(x - y) / Math.max(1, Math.abs(x) + Math.abs(y));
