"""NumPy 2 as the reference for wengert's ops: reads the values npdiff.ts wrote and compares (rtol 1e-12)."""
import os, sys
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/wengert-differential"
import json, numpy as np, math
A = np.array([[1.5, -2, 0, 3], [4, -0.5, 2.5, -3.5], [0, 7, -1, 2]])
V = np.array([3, -1.5, 0, 2.5, -2.5, 0.5, 1, -0.5])
I = np.array([[1, -2, 3], [-4, 5, -6]], dtype=np.int32)
R = lambda *s: np.arange(np.prod(s)).reshape(s)
def topk(x, k): return np.sort(x)[::-1][:k]
def lse(x, axis): m = x.max(axis, keepdims=True); return (np.log(np.exp(x - m).sum(axis, keepdims=True)) + m).squeeze(axis)
def softmax(x, axis): e = np.exp(x - x.max(axis, keepdims=True)); return e / e.sum(axis, keepdims=True)
cases = {
 "sum0": lambda: A.sum(0), "sum1k": lambda: A.sum(1, keepdims=True), "mean": lambda: A.mean(-1), "prod": lambda: A.prod(1), "max0": lambda: A.max(0), "min": lambda: A.min(),
 "argmax1": lambda: A.argmax(1), "argmin0": lambda: A.argmin(0), "var": lambda: A.var(1), "std_ddof": lambda: A.std(0, ddof=1),
 "cumsum1": lambda: A.cumsum(1), "cumprod0": lambda: A.cumprod(0), "cummax": lambda: np.maximum.accumulate(V),
 "sort": lambda: np.sort(A, -1), "argsort": lambda: np.argsort(V, kind="stable"), "sort0": lambda: np.sort(A, 0),
 "round": lambda: np.round(V), "round1": lambda: np.round(np.array([1.25, 1.35, -1.45, 2.675]), 1), "floor": lambda: np.floor(V), "ceil": lambda: np.ceil(V), "trunc": lambda: np.trunc(V),
 "mod": lambda: np.mod(V, 1.5), "modneg": lambda: np.mod(V, -1.5), "floordiv": lambda: np.floor_divide(V, 1.5), "imod": lambda: np.mod(I, 4), "ifloordiv": lambda: np.floor_divide(I, -4),
 "clip": lambda: np.clip(V, -1, 1), "sign": lambda: np.sign(V), "abs": lambda: np.abs(V),
 "transpose": lambda: A.T, "swap": lambda: np.swapaxes(R(2, 3, 4), 0, 2), "moveaxis": lambda: np.moveaxis(R(2, 3, 4), 0, -1),
 "flip": lambda: np.flip(A, 1), "roll": lambda: np.roll(A, 2, 1), "rollflat": lambda: np.roll(A, -5),
 "diag1": lambda: np.diagonal(A, 1), "trace": lambda: np.trace(A, -1), "triu": lambda: np.triu(A, 1), "tril": lambda: np.tril(A, -1),
 "outer": lambda: np.outer([1, 2, 3], [4, 5]), "dot": lambda: A.dot([1, 2, 3, 4]), "matmul": lambda: A @ A.T,
 "tensordot": lambda: np.tensordot(R(2, 3, 4), R(4, 3), [[1, 2], [1, 0]]), "einsum": lambda: np.einsum("ij,kj->ik", A, A),
 "take": lambda: np.take(A, [3, 0, -1], 1), "takeflat": lambda: np.take(A, [5, -1]),
 "pad": lambda: np.pad([[1, 2], [3, 4]], [[1, 0], [0, 2]]), "concat": lambda: np.concatenate([A, A], 1), "stack1": lambda: np.stack([V, V], 1),
 "linspace": lambda: np.linspace(0, 1, 7), "arange": lambda: np.arange(-1, 2, 0.3), "eye": lambda: np.eye(3, 4, k=-1),
 "logsumexp": lambda: lse(A, 0), "softmax": lambda: softmax(A, 1), "norm": lambda: np.linalg.norm(V, 3), "norm0": lambda: np.linalg.norm(V, 0), "normninf": lambda: np.linalg.norm(V, -np.inf),
 "lnorm2": lambda: np.linalg.norm(A, 2), "lnormnuc": lambda: np.linalg.norm(A, "nuc"), "lnorm1": lambda: np.linalg.norm(A, 1), "lnorm-inf": lambda: np.linalg.norm(A, -np.inf),
 "det": lambda: np.linalg.det([[2, 1, 0], [1, 3, 1], [0, 1, 4]]), "slogdet": lambda: np.linalg.slogdet([[0, 1], [1, 0]])[1], "inv": lambda: np.linalg.inv([[2, 1], [1, 3]]),
 "pinv": lambda: np.linalg.pinv(A), "svdvals": lambda: np.linalg.svd(A, compute_uv=False), "eigvalsh": lambda: np.linalg.eigvalsh([[2, 1, 0], [1, 3, 1], [0, 1, 4]]),
 "lstsq": lambda: np.linalg.lstsq([[1, 0], [1, 1], [1, 2]], [1, 2, 2], rcond=None)[0],
 "cholesky": lambda: np.linalg.cholesky([[4, 2], [2, 3]]), "solvetri": lambda: np.linalg.solve([[2, 0], [1, 3]], [2, 7]),
 "logaddexp": lambda: np.logaddexp(V, -V), "hypot": lambda: np.hypot(V, 2), "log2": lambda: np.log2([1, 3, 8]), "cbrt": lambda: np.cbrt([-27, 2]),
 "nonzero": lambda: np.nonzero(A)[1], "argwhere": lambda: np.argwhere(A), "flatnonzero": lambda: np.flatnonzero(A),
 "topk": lambda: topk(V, 3), "where": lambda: np.where(V > 0, V, -1),
 "maximum": lambda: np.maximum(V, V / 2), "atan2": lambda: np.arctan2(V, -1), "pow": lambda: np.power(np.array([-2, -2, 0, 2.0]), np.array([3, -2, 0, 0.5])),
 "broadcast": lambda: np.broadcast_to([[1], [2]], (2, 3)), "squeeze": lambda: np.squeeze(np.ones((1, 3, 1))), "expand": lambda: np.expand_dims(V, 0),
 "sliceneg": lambda: A[::-1, 1::2], "slicestep": lambda: A[0::2, -1:0:-1],
}
W = json.load(open(OUT + "/w.json"))
def conv(x):
    if isinstance(x, list): return [conv(v) for v in x]
    if isinstance(x, str): return float(x)
    return x
bad = 0
for k, f in cases.items():
    ref = np.asarray(f(), dtype=float)
    got = W.get(k)
    if got is None or "err" in got:
        print("ERR", k, got); bad += 1; continue
    g = np.asarray(conv(got["v"]), dtype=float)
    if g.shape != ref.shape:
        print("SHAPE", k, g.shape, ref.shape); bad += 1; continue
    if not np.allclose(g, ref, rtol=1e-12, atol=1e-12, equal_nan=True):
        print("VALUE", k, g.tolist(), ref.tolist()); bad += 1
print("numpy: mismatches", bad, "of", len(cases))
sys.exit(1 if bad else 0)
