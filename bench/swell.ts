/**
 * The logistic-map iterate l₀ = x, l_{k+1} = 4·l_k·(1 − l_k) built in wengert (a DAG) and in mathjs
 * (nodes shared the same way, but walked as a tree): the expression-swell workload of
 * bench/symbolic.ts and bench/peers.ts.
 */
import * as math from "mathjs";
import { symbol, type Expr } from "./lib.js";

export function wengertLogistic(k: number): Expr {
  let l = symbol("x");
  for (let i = 0; i < k; i++) l = l.mul(4).mul(l.neg().add(1));
  return l;
}
export function mathjsLogistic(k: number): math.MathNode {
  let l: math.MathNode = new math.SymbolNode("x");
  for (let i = 0; i < k; i++) {
    const four = new math.OperatorNode("*", "multiply", [new math.ConstantNode(4), l]);
    l = new math.OperatorNode("*", "multiply", [four, new math.OperatorNode("-", "subtract", [new math.ConstantNode(1), l])]);
  }
  return l;
}
export function mathjsSize(n: math.MathNode): number {
  let count = 0;
  n.traverse(() => count++);
  return count;
}
