/**
 * @file Example programs for source transformation, as plain JavaScript source texts: the seed
 * example, loops, branches, a data-dependent while loop, nested loops, helper calls, the logistic
 * map, the extended Rosenbrock function, a Runge–Kutta step and an LSTM cell. The tour prints some
 * of their derivatives; the tests keep their printed derivatives as golden files.
 */
export interface SourceExample {
  name: string;
  /** The function to differentiate in `source`. */
  fn: string;
  source: string;
  argnums: number[];
  /** A point to evaluate at. */
  args: unknown[];
}

export const SOURCE_EXAMPLES: SourceExample[] = [
  {
    name: "seed",
    fn: "f",
    source: `function f(x1, x2) {
  return Math.log(x1) + x1 * x2 - Math.sin(x2);
}`,
    argnums: [0, 1],
    args: [2, 5],
  },
  {
    name: "sum-of-squares",
    fn: "sumOfSquares",
    source: `function sumOfSquares(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i] * x[i];
  }
  return s;
}`,
    argnums: [0],
    args: [[1, 2, 3]],
  },
  {
    name: "piecewise",
    fn: "piecewise",
    source: `function piecewise(x) {
  if (x < 0) {
    return x * x;
  } else if (x < 1) {
    return Math.sin(x);
  }
  return Math.sin(1) + Math.cos(1) * (x - 1);
}`,
    argnums: [0],
    args: [0.5],
  },
  {
    name: "newton-sqrt",
    fn: "newtonSqrt",
    source: `// √a by Newton's method: the number of steps depends on the data
function newtonSqrt(a) {
  let x = a;
  while (Math.abs(x * x - a) > 1e-12 * a) {
    x = 0.5 * (x + a / x);
  }
  return x;
}`,
    argnums: [0],
    args: [2],
  },
  {
    name: "matmul",
    fn: "matmulNorm",
    source: `// ‖A·B‖² with A and B plain nested arrays
function matmulNorm(A, B) {
  let s = 0;
  for (let i = 0; i < A.length; i++) {
    for (let j = 0; j < B[0].length; j++) {
      let c = 0;
      for (let k = 0; k < B.length; k++) {
        c += A[i][k] * B[k][j];
      }
      s += c * c;
    }
  }
  return s;
}`,
    argnums: [0, 1],
    args: [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [0.5, -1],
        [2, 0.25],
      ],
    ],
  },
  {
    name: "helpers",
    fn: "energy",
    source: `function square(x) {
  return x * x;
}
function spring(a, b, rest) {
  return square(Math.abs(a - b) - rest);
}
function energy(x, rest) {
  let e = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    e += spring(x[i], x[i + 1], rest);
  }
  return 0.5 * e;
}`,
    argnums: [0],
    args: [[0, 1.5, 2.5, 4], 1],
  },
  {
    name: "logistic-map",
    fn: "logistic",
    source: `// the logistic map l ← 4·l·(1 − l), k times (seed 000's expression swell example)
function logistic(l, k) {
  for (let i = 0; i < k; i++) {
    l = 4 * l * (1 - l);
  }
  return l;
}`,
    argnums: [0],
    args: [0.3, 4],
  },
  {
    name: "rosenbrock",
    fn: "rosenbrock",
    source: `// the extended Rosenbrock function
function rosenbrock(x) {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    s += 100 * a * a + b * b;
  }
  return s;
}`,
    argnums: [0],
    args: [[-1.2, 1, -1.2, 1]],
  },
  {
    name: "rk4",
    fn: "rk4",
    source: `// dy/dt = -2·t·y + sin(y)
function rate(t, y) {
  return -2 * t * y + Math.sin(y);
}
// one classical Runge–Kutta step of size h
function rk4(y, t, h) {
  const k1 = rate(t, y);
  const k2 = rate(t + h / 2, y + h / 2 * k1);
  const k3 = rate(t + h / 2, y + h / 2 * k2);
  const k4 = rate(t + h, y + h * k3);
  return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
}`,
    argnums: [0, 2],
    args: [1, 0.5, 0.1],
  },
  {
    name: "lstm-cell",
    fn: "lstmCell",
    source: `function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}
// one LSTM cell: W is (4·H)×(X+H) row-major, b has 4·H entries; returns Σ hₜ² + Σ cₜ²
function lstmCell(W, b, x, h, c) {
  const H = h.length, X = x.length;
  const gates = new Float64Array(4 * H);
  for (let r = 0; r < 4 * H; r++) {
    let z = b[r];
    for (let k = 0; k < X; k++) {
      z += W[r * (X + H) + k] * x[k];
    }
    for (let k = 0; k < H; k++) {
      z += W[r * (X + H) + X + k] * h[k];
    }
    gates[r] = z;
  }
  let loss = 0;
  for (let j = 0; j < H; j++) {
    const input = sigmoid(gates[j]);
    const forget = sigmoid(gates[H + j]);
    const output = sigmoid(gates[2 * H + j]);
    const change = Math.tanh(gates[3 * H + j]);
    const cNew = forget * c[j] + input * change;
    const hNew = output * Math.tanh(cNew);
    loss += hNew * hNew + cNew * cNew;
  }
  return loss;
}`,
    argnums: [0, 1, 2, 3, 4],
    args: [
      [0.1, -0.2, 0.3, 0.05, -0.1, 0.2, 0.15, -0.05, 0.1, 0.3, -0.25, 0.2, 0.05, 0.1, -0.15, 0.25, -0.3, 0.1, 0.2, -0.1, 0.05, 0.15, -0.2, 0.1, 0.3, -0.05, 0.1, 0.2, -0.1, 0.05, 0.25, -0.15],
      [0.1, 0, -0.1, 0.2, 0, 0.1, -0.2, 0.05],
      [0.5, -1],
      [0.2, -0.3],
      [0.1, 0.4],
    ],
  },
];
