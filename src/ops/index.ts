/** @file The catalogue: every primitive, by name. Adding a primitive means a row here and in the conformance table. */
import type { Primitive } from "../core/primitive.js";
import * as E from "./elementwise.js";
import * as R from "./reduce.js";
import * as S from "./shape-ops.js";
import * as L from "./linalg.js";
import { customVjpLinearP } from "./custom.js";
import * as C from "./control.js";

export const catalogue = {
  neg: E.negP, add: E.addP, sub: E.subP, mul: E.mulP, square: E.squareP, div: E.divP,
  exp: E.expP, log: E.logP, log1p: E.log1pP, expm1: E.expm1P, sin: E.sinP, cos: E.cosP, sqrt: E.sqrtP,
  tanh: E.tanhP, logistic: E.logisticP, atan2: E.atan2P, pow: E.powP, max: E.maxP, sign: E.signP,
  compare: E.compareP, where: E.whereP, cast: E.castP, stopGradient: E.stopGradientP,
  reduceSum: R.reduceSumP, reduceMax: R.reduceMaxP, argmax: R.argmaxP,
  reshape: S.reshapeP, broadcastTo: S.broadcastP, transpose: S.transposeP, slice: S.sliceP, pad: S.padP,
  concat: S.concatP, gather: S.gatherP, scatterAdd: S.scatterAddP,
  matmul: L.matmulP,
  customVjp: customVjpLinearP,
  cond: C.condP, scan: C.scanP, while: C.whileP, checkpoint: C.checkpointP,
} satisfies Record<string, Primitive>;

export type PrimitiveName = keyof typeof catalogue;
