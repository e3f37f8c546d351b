/**
 * A full-batch fit with L-BFGS: multinomial logistic regression (64 pixels → 10 classes, L2
 * penalty) on the UCI handwritten digits, minimised by `optim.minimize` (L-BFGS with a
 * backtracking line search over jit(valueAndGrad(loss))). Run: `npm run example:lbfgs`.
 */
import { fileURLToPath } from "node:url";
import * as w from "../src/index.js";
import { type Tensor, optim, random } from "../src/index.js";
import { loadDigits } from "./digits.js";

export function fitLogistic(opts: { l2?: number; seed?: number; maxIter?: number } = {}) {
  const l2 = opts.l2 ?? 1e-3;
  const { images, labels } = loadDigits();
  const n = labels.length, nTest = Math.round(n * 0.2), nTrain = n - nTest;
  const order = random.permutation(random.key(opts.seed ?? 0), n);
  const ord = order.toArray() as number[];
  const x = w.reshape(images, [n, 64]);
  const xTrain = w.take(x, w.slice(order, [0, nTrain]), 0), xTest = w.take(x, w.slice(order, [nTrain, n]), 0);
  const yTrain = ord.slice(0, nTrain).map((i) => labels[i]), yTest = ord.slice(nTrain).map((i) => labels[i]);
  const onehot = w.tensor(yTrain.map((l) => Array.from({ length: 10 }, (_, k) => (k === l ? 1 : 0))));
  type P = { W: Tensor; b: Tensor };
  const logits = (p: P, xs: Tensor) => w.add(w.matmul(xs, p.W), p.b);
  const loss = (p: P) => w.add(w.neg(w.mean(w.sum(w.mul(w.logSoftmax(logits(p, xTrain), -1), onehot), -1))), w.mul(l2 / 2, w.sum(w.square(p.W))));
  const t0 = performance.now();
  const r = optim.minimize(loss, { W: w.zeros([64, 10]), b: w.zeros([10]) }, { maxIter: opts.maxIter ?? 500, gtol: 1e-5 });
  const seconds = (performance.now() - t0) / 1000;
  const acc = (xs: Tensor, ys: number[]) => {
    const pred = w.argmax(logits(r.params, xs), -1).toArray() as number[];
    return pred.filter((v, i) => v === ys[i]).length / ys.length;
  };
  return { ...r, seconds, trainAccuracy: acc(xTrain, yTrain), testAccuracy: acc(xTest, yTest) };
}

function main(): void {
  console.log("digits: multinomial logistic regression (64 → 10, L2 1e-3), full batch, L-BFGS with a backtracking line search");
  const r = fitLogistic();
  console.log(`${r.converged ? "converged" : "stopped"} after ${r.iterations} iterations (${r.evaluations} evaluations of loss and gradient) in ${r.seconds.toFixed(2)} s`);
  console.log(`loss ${r.value.toFixed(5)}, gradient norm ${r.gradNorm.toExponential(2)}; accuracy: train ${(100 * r.trainAccuracy).toFixed(1)} %, test ${(100 * r.testAccuracy).toFixed(1)} %`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
