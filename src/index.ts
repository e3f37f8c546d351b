/**
 * @file wengert: automatic differentiation for TypeScript and JavaScript.
 * Tensors and ops, forward and reverse mode of any order, Jacobians and Hessians, the evaluation
 * trace, and numerical differentiation for checking.
 */
import "./api/methods.js";
import "./ops/index.js"; // registers the catalogue's ops with the core (coreOps)

export { Tensor, type Aval } from "./core/tensor.js";
export { type DType } from "./core/dtype.js";
export { WengertError, ShapeError, DTypeError, InputError, TransformError, TracerError, ConcretizationError, fmtShape, fmtValue, locate } from "./core/errors.js";
export * from "./api/ops.js";
export { customJvp, customVjp } from "./api/custom.js";
export { grad, valueAndGrad, jvp, vjp, linearize, jacfwd, jacrev, hessian, makeProgram, type GradOptions, type StagedProgram } from "./api/autodiff.js";
export { vmap, type VmapOptions, type AxisSpec } from "./api/vmap.js";
export { traceTable, formatTraceTable, type TraceRow } from "./api/trace-table.js";
export { Program, printProgram, evalProgram, deadCodeElimination } from "./core/ir.js";
export { traceDepth } from "./core/trace.js";
export { catalogue, type PrimitiveName } from "./ops/index.js";
export * from "./numeric/finite-diff.js";
export * from "./numeric/check-grads.js";
export * as symbolic from "./symbolic/index.js";
export { Expr, symbol, parse, ParseError, diff, gradient, jacobian, simplify, compile, toExpr, dagSize, treeSize } from "./symbolic/index.js";
export { jit, type Jitted, type JitOptions, type Lowered } from "./jit/jit.js";
export { cond, switchCase, fori, scan, whileLoop, checkpoint, residualBytes, type ScanOptions } from "./api/control.js";
export { sourceGrad, sourceValueAndGrad, sourceJvp, sourceVjp, SourceError, Tape, zerosOf, type SourceOptions, type SourceGradOptions, type SourceFn, type SourceGradFn } from "./source/index.js";
export * as optim from "./api/optim.js";
export * as linalg from "./api/linalg.js";
export * as random from "./api/random.js";
export { conv, convGeneralDilated, conv1d, conv2d, conv3d, maxPool, avgPool, type ConvOptions, type ConvNdOptions, type PoolOptions, type Padding } from "./api/conv.js";
