/** @file Symbolic differentiation: expressions built on the core's catalogue, derivatives by its rules. */
export { Expr, symbol, constant, dagSize, treeSize, variables, evaluate, type ExprLike } from "./expr.js";
export { parse, ParseError, knownFunctions } from "./parse.js";
export { simplify, simplifyAll, RULES, type Rule } from "./simplify.js";
export { diff, gradient, jacobian, hessian, toExpr } from "./calculus.js";
export { compile, toJS } from "./compile.js";
export { format, formatAll, type Style } from "./print.js";
