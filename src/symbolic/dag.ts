/**
 * @file Walking an expression DAG: nodes in dependency order, and bottom-up maps with memoization.
 * Apart from expr.ts so that the printer can walk expressions without importing their module.
 */
import type { Expr } from "./expr.js";

/** Every node reachable from `roots`, arguments before users. */
export function topoOrder(roots: readonly Expr[]): Expr[] {
  const seen = new Set<Expr>();
  const order: Expr[] = [];
  const stack: Expr[] = [...roots];
  while (stack.length) {
    const e = stack.pop()!;
    if (seen.has(e)) continue;
    seen.add(e);
    order.push(e);
    for (const a of e.args) if (!seen.has(a)) stack.push(a);
  }
  return order.sort((a, b) => a.id - b.id); // ids increase from arguments to users
}

/** Map every node bottom-up with memoization (so shared nodes are visited once). */
export function mapDag<T>(roots: readonly Expr[], f: (e: Expr, args: T[]) => T): Map<Expr, T> {
  const memo = new Map<Expr, T>();
  for (const e of topoOrder(roots)) memo.set(e, f(e, e.args.map((a) => memo.get(a)!)));
  return memo;
}

