/**
 * A small convolutional network trained on real data: the UCI handwritten digits (1,797 8×8
 * images, examples/data/README.md for the credit), split 80/20 into training and test sets,
 * trained with adam under jit. Run: `npm run example:digits` (options: --epochs N, --seed S,
 * --svg path). Prints a progress bar on a terminal (plain lines otherwise) and writes the loss and
 * accuracy curves as an SVG plot.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as w from "../src/index.js";
import { type Tensor, optim, random } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));

export interface Digits {
  images: Tensor; // [n, 1, 8, 8], pixels scaled to [0, 1]
  labels: number[];
}

/** The digits, from the gzipped CSV (64 pixels 0…16 then the label, per row). */
export function loadDigits(path = join(here, "data", "digits.csv.gz")): Digits {
  const rows = gunzipSync(readFileSync(path)).toString("utf8").trim().split("\n");
  const pixels = new Float64Array(rows.length * 64), labels: number[] = [];
  rows.forEach((line, i) => {
    const v = line.split(",").map(Number);
    if (v.length !== 65) throw new Error(`digits: row ${i + 1} has ${v.length} values, expected 65`);
    for (let j = 0; j < 64; j++) pixels[i * 64 + j] = v[j] / 16;
    labels.push(v[64]);
  });
  return { images: w.reshape(w.tensor(pixels), [rows.length, 1, 8, 8]), labels };
}

export type Params = { c1: Tensor; b1: Tensor; c2: Tensor; b2: Tensor; d: Tensor; bd: Tensor };

/** He-normal weights (std √(2 / fan-in)), zero biases. */
export function initParams(key: Tensor): Params {
  const [k1, k2, k3] = [0, 1, 2].map((i) => random.foldIn(key, i));
  const he = (k: Tensor, shape: number[], fanIn: number) => w.mul(random.normal(k, shape), Math.sqrt(2 / fanIn));
  return {
    c1: he(k1, [16, 1, 3, 3], 9),
    b1: w.zeros([1, 16, 1, 1]),
    c2: he(k2, [32, 16, 3, 3], 144),
    b2: w.zeros([1, 32, 1, 1]),
    d: he(k3, [128, 10], 128),
    bd: w.zeros([10]),
  };
}

/** conv 3×3 (16) → relu → max pool 2 → conv 3×3 (32) → relu → max pool 2 → dense (10): logits [n, 10]. */
export function model(p: Params, x: Tensor): Tensor {
  let h = w.relu(w.add(w.conv2d(x, p.c1, { padding: "SAME" }), p.b1)); // [n, 16, 8, 8]
  h = w.maxPool(h, 2); // [n, 16, 4, 4]
  h = w.relu(w.add(w.conv2d(h, p.c2, { padding: "SAME" }), p.b2)); // [n, 32, 4, 4]
  h = w.maxPool(h, 2); // [n, 32, 2, 2]
  return w.add(w.matmul(w.reshape(h, [h.shape[0], 128]), p.d), p.bd);
}

/** Mean softmax cross-entropy against one-hot labels. */
export function loss(p: Params, x: Tensor, onehot: Tensor): Tensor {
  return w.neg(w.mean(w.sum(w.mul(w.logSoftmax(model(p, x), -1), onehot), -1)));
}

const oneHot = (labels: number[]) => w.tensor(labels.map((l) => Array.from({ length: 10 }, (_, k) => (k === l ? 1 : 0))));

export interface TrainResult {
  params: Params;
  history: { epoch: number; loss: number; trainAccuracy: number; testAccuracy: number; seconds: number }[];
  testAccuracy: number;
  seconds: number;
}

/** Train with adam under jit; `report` is called after every step and every epoch. */
export function train(opts: { epochs?: number; seed?: number; batch?: number; learningRate?: number; report?: (e: { epoch: number; step: number; steps: number; loss: number; stepsPerSecond: number; done?: TrainResult["history"][number] }) => void } = {}): TrainResult {
  const epochs = opts.epochs ?? 20, batch = opts.batch ?? 64;
  const key = random.key(opts.seed ?? 0);
  const { images, labels } = loadDigits();
  const n = labels.length, nTest = Math.round(n * 0.2), nTrain = n - nTest;
  const order = random.permutation(random.foldIn(key, 1), n);
  const orderArr = order.toArray() as number[];
  const trainIdx = w.slice(order, [0, nTrain]), testIdx = w.slice(order, [nTrain, n]);
  const xTrain = w.take(images, trainIdx, 0), xTest = w.take(images, testIdx, 0);
  const yTrain = orderArr.slice(0, nTrain).map((i) => labels[i]), yTest = orderArr.slice(nTrain).map((i) => labels[i]);
  const yTrain1h = oneHot(yTrain);

  const steps = Math.floor(nTrain / batch);
  // adam with the learning rate decaying along a half cosine to 0 over the run
  const opt = optim.adam(optim.cosineDecay(opts.learningRate ?? 5e-3, epochs * steps));
  let params = initParams(random.foldIn(key, 2));
  let state = opt.init(params);
  const step = w.jit((p: Params, s: typeof state, x: Tensor, y: Tensor) => {
    const [l, g] = w.valueAndGrad(loss)(p, x, y);
    const [updates, s2] = opt.update(g, s, p);
    return [optim.applyUpdates(p, updates), s2, l] as const;
  });
  const predict = w.jit((p: Params, x: Tensor) => w.argmax(model(p, x), -1));
  const accuracy = (p: Params, x: Tensor, y: number[]) => {
    const got = predict(p, x).toArray() as number[];
    return got.filter((v, i) => v === y[i]).length / y.length;
  };

  const history: TrainResult["history"] = [];
  const t0 = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const perm = random.permutation(random.foldIn(random.foldIn(key, 3), epoch), nTrain);
    let total = 0;
    const te = performance.now();
    for (let s = 0; s < steps; s++) {
      const idx = w.slice(perm, [s * batch, (s + 1) * batch]);
      const [p2, s2, l] = step(params, state, w.take(xTrain, idx, 0), w.take(yTrain1h, idx, 0));
      params = p2;
      state = s2;
      total += l.item();
      opts.report?.({ epoch, step: s + 1, steps, loss: total / (s + 1), stepsPerSecond: (s + 1) / ((performance.now() - te) / 1000) });
    }
    const done = { epoch, loss: total / steps, trainAccuracy: accuracy(params, xTrain, yTrain), testAccuracy: accuracy(params, xTest, yTest), seconds: (performance.now() - t0) / 1000 };
    history.push(done);
    opts.report?.({ epoch, step: steps, steps, loss: done.loss, stepsPerSecond: steps / ((performance.now() - te) / 1000), done });
  }
  const last = history[history.length - 1];
  return { params, history, testAccuracy: last.testAccuracy, seconds: (performance.now() - t0) / 1000 };
}

/** The loss and the two accuracies per epoch as an SVG line plot (two panels). */
export function plotSVG(history: TrainResult["history"]): string {
  const W = 640, H = 300, pad = 48, panel = (W - 3 * pad) / 2;
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const xs = history.map((h) => h.epoch), x0 = 1, x1 = Math.max(2, xs[xs.length - 1]);
  const line = (left: number, ys: number[], lo: number, hi: number, color: string) => {
    const pts = ys.map((y, i) => `${(left + ((xs[i] - x0) / (x1 - x0)) * panel).toFixed(1)},${(H - pad - ((y - lo) / (hi - lo)) * (H - 2 * pad)).toFixed(1)}`);
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(" ")}"/>`;
  };
  const axes = (left: number, title: string, lo: number, hi: number, fmt: (v: number) => string) =>
    [
      `<rect x="${left}" y="${pad}" width="${panel}" height="${H - 2 * pad}" fill="none" stroke="#999"/>`,
      `<text x="${left + panel / 2}" y="${pad - 12}" text-anchor="middle" font-size="14">${esc(title)}</text>`,
      `<text x="${left - 4}" y="${pad + 4}" text-anchor="end" font-size="11">${fmt(hi)}</text>`,
      `<text x="${left - 4}" y="${H - pad + 4}" text-anchor="end" font-size="11">${fmt(lo)}</text>`,
      `<text x="${left}" y="${H - pad + 16}" font-size="11">epoch ${x0}</text>`,
      `<text x="${left + panel}" y="${H - pad + 16}" text-anchor="end" font-size="11">${x1}</text>`,
    ].join("\n");
  const losses = history.map((h) => h.loss), lmax = Math.max(...losses) * 1.05;
  const accLo = Math.min(0.8, ...history.map((h) => h.testAccuracy), ...history.map((h) => h.trainAccuracy));
  const left2 = 2 * pad + panel;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    axes(pad, "training loss (cross-entropy)", 0, lmax, (v) => v.toFixed(2)),
    line(pad, losses, 0, lmax, "#c33"),
    axes(left2, "accuracy (blue: test, grey: train)", accLo, 1, (v) => `${(100 * v).toFixed(0)} %`),
    line(left2, history.map((h) => h.trainAccuracy), accLo, 1, "#999"),
    line(left2, history.map((h) => h.testAccuracy), accLo, 1, "#36c"),
    `</svg>`,
  ].join("\n");
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
  };
  const epochs = Number(opt("epochs", "20")), seed = Number(opt("seed", "0"));
  if (!Number.isInteger(epochs) || epochs < 1 || !Number.isInteger(seed)) {
    console.error("usage: npm run example:digits -- [--epochs N] [--seed S] [--svg path]");
    process.exit(2);
  }
  const svgPath = opt("svg", join(here, "out", "digits-training.svg"));
  const tty = process.stdout.isTTY === true;
  console.log(`digits: a CNN (conv 16 → pool → conv 32 → pool → dense 10) trained with adam under jit, ${epochs} epochs`);
  const result = train({
    epochs,
    seed,
    report: (e) => {
      if (tty && !e.done) {
        const width = 24, filled = Math.round((e.step / e.steps) * width);
        process.stdout.write(`\repoch ${String(e.epoch).padStart(2)}/${epochs} [${"#".repeat(filled)}${".".repeat(width - filled)}] loss ${e.loss.toFixed(4)}  ${e.stepsPerSecond.toFixed(0)} steps/s`);
      }
      if (e.done) {
        const d = e.done;
        const line = `epoch ${String(d.epoch).padStart(2)}/${epochs}  loss ${d.loss.toFixed(4)}  train ${(100 * d.trainAccuracy).toFixed(1)} %  test ${(100 * d.testAccuracy).toFixed(1)} %  ${e.stepsPerSecond.toFixed(0)} steps/s  ${d.seconds.toFixed(1)} s`;
        process.stdout.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
      }
    },
  });
  mkdirSync(dirname(svgPath), { recursive: true });
  writeFileSync(svgPath, plotSVG(result.history));
  console.log(`test accuracy ${(100 * result.testAccuracy).toFixed(1)} % after ${result.seconds.toFixed(1)} s; curves written to ${svgPath}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
