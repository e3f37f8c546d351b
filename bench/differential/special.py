"""SciPy as the reference for special functions and their derivatives, tails included (special.ts)."""
import os, sys
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/wengert-differential"
import json, numpy as np
from scipy import special as S
W = json.load(open(OUT + "/special.json"))
xs = np.array(W["xs"]); ps = np.array(W["ps"])
f = lambda v: np.array([float(t) for t in v])
ref = {
 "erf": S.erf(xs), "erfc": S.erfc(xs), "gelu": 0.5 * xs * (1 + np.tanh(np.sqrt(2 / np.pi) * (xs + 0.044715 * xs ** 3))),  # the default, tanh-approximate GELU (JAX's) "sigmoid": S.expit(xs), "softplus": np.logaddexp(0, xs),
 "log1p": np.log1p(xs), "expm1": np.expm1(xs), "tanh": np.tanh(xs), "asinh": np.arcsinh(xs), "atanh": np.arctanh(ps), "cbrt": np.cbrt(xs),
 "erfinv": S.erfinv(ps), "derf": 2 / np.sqrt(np.pi) * np.exp(-xs ** 2), "derfinv": np.sqrt(np.pi) / 2 * np.exp(S.erfinv(ps) ** 2),
}
bad = []
with np.errstate(all="ignore"):
  for k, r in ref.items():
    g = f(W[k])
    rel = np.where(np.isfinite(r) & (r != 0), np.abs(g - r) / np.abs(r), np.where(np.isnan(r) & np.isnan(g), 0, np.abs(g - r)))
    worst = np.nanargmax(rel)
    pts = ps if k in ("atanh", "erfinv", "derfinv") else xs
    print(f"{k:9s} max rel err {rel[worst]:.2e} at {pts[worst]!r}: got {g[worst]!r} ref {r[worst]!r}")
    if rel[worst] > 1e-13: bad.append(k)
print("scipy: functions beyond 1e-13 relative:", bad)
sys.exit(1 if bad else 0)
