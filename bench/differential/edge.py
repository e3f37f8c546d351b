"""NumPy 2 on edge values (npedge.ts): values and NaN placement must agree exactly; the sign of a zero is not compared (Math.sign(-0) and Math.min(-0, 0) keep it, NumPy does not), and floorDivide(±inf, y) is ±inf here (the limit) where NumPy gives NaN, so it is not among the cases."""
import json, sys, numpy as np, warnings
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/wengert-differential"
warnings.simplefilter("ignore")
N = np.array([3, np.nan, -1, np.inf, -np.inf, 0, -0.0, 2])
i32 = lambda a: np.array(a, dtype=np.int32)
def lse(x): m = np.max(x); return m + np.log(np.sum(np.exp(x - m))) if np.isfinite(m) else m
cases = {
 "sumN": lambda: N.sum(), "maxN": lambda: N.max(), "minN": lambda: N.min(), "argmaxN": lambda: N.argmax(), "argminN": lambda: N.argmin(),
 "sortN": lambda: np.sort(N), "argsortN": lambda: np.argsort(N, kind="stable"), "cumsumN": lambda: N.cumsum(), "cummaxN": lambda: np.maximum.accumulate(N),
 "roundN": lambda: np.round(N), "signN": lambda: np.sign(N), "clipN": lambda: np.clip(N, -1, 1), "maximumN": lambda: np.maximum(N, 0), "minimumN": lambda: np.minimum(N, 0),
 "modN": lambda: np.mod(N, 2), "modN0": lambda: np.mod([1., -1, 0], 0), "fdiv0": lambda: np.floor_divide([1., -1, 0], 0),
 "modInf": lambda: np.mod([3., -3, np.inf], np.inf), "modnegInf": lambda: np.mod([3., -3], -np.inf),
 "pow0": lambda: np.power([0., 0, -0.0, np.inf, -np.inf, np.nan, 1], [-1., 0, -1, -1, 3, 0, np.nan]),
 "atan2z": lambda: np.arctan2([0., -0.0, 0, -0.0], [0., 0, -0.0, -0.0]),
 "logaddexpN": lambda: np.logaddexp([np.inf, -np.inf, np.nan, np.inf], [-np.inf, -np.inf, 1, np.inf]),
 "sqrtNeg0": lambda: np.sqrt([-0.0, -1]), "expm1N": lambda: np.expm1([-np.inf, -0.0]), "log1pN": lambda: np.log1p([-1, -0.0, -2]),
 "meanE": lambda: np.mean(np.zeros(0)), "sumE": lambda: np.zeros((0, 3)).sum(0), "prodE": lambda: np.prod(np.zeros(0)), "cumsumE": lambda: np.cumsum(np.zeros(0)), "sortE": lambda: np.sort(np.zeros(0)),
 "varOne": lambda: np.var([5.]), "stdOneDdof": lambda: np.std([5.], ddof=1),
 "lseInf": lambda: lse(np.array([-np.inf, -np.inf])), "softmaxBig": lambda: np.exp(np.array([1000., 1000]) - 1000) / 2,
 "iabsMin": lambda: np.abs(i32([-2147483648])), "isumOver": lambda: i32([2147483647, 1]).sum(dtype=np.int32),
 "imodNeg": lambda: np.mod(i32([-7, 7, -7]), i32([3, -3, -3])), "ifdivNeg": lambda: np.floor_divide(i32([-7, 7, -7]), i32([3, -3, -3])),
 "roundHalf": lambda: np.round([0.5, 1.5, 2.5, -0.5, -1.5, 4.5e15 + 0.5]), "round2": lambda: np.round([0.125, 0.375, 1e300], 2),
 "linspace1": lambda: np.linspace(2, 3, 1), "arangeNeg": lambda: np.arange(5, 1, -1.5),
}
W = json.load(open(OUT + "/edge.json"))
def conv(x):
    if isinstance(x, list): return [conv(v) for v in x]
    if isinstance(x, str): return {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "-0": -0.0}[x]
    if isinstance(x, bool): return float(x)
    return x
bad = 0
for k, f in cases.items():
    ref = np.asarray(f(), dtype=float); got = W[k]
    if "err" in got: print("ERR ", k, got["err"], "| numpy:", ref.tolist()); bad += 1; continue
    g = np.asarray(conv(got["v"]), dtype=float)
    same = g.shape == ref.shape and bool(np.all((g == ref) | (np.isnan(g) & np.isnan(ref))))
    if not same: print("DIFF", k, "wengert", g.tolist(), "numpy", ref.tolist()); bad += 1
print("numpy edge values: mismatches", bad, "of", len(cases))
sys.exit(1 if bad else 0)
