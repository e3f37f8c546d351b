"""SymPy as the reference for symbolic derivatives: first, mixed and second derivatives of random expressions (symdiff.ts) at three points each."""
import os, sys
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/wengert-differential"
import json, sympy as sp, math
x, y = sp.symbols("x y", real=True)
W = json.load(open(OUT + "/sym.json"))
ns = {"x": x, "y": y, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "atan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "asinh": sp.asinh, "erf": sp.erf, "log1p": lambda a: sp.log(1 + a), "expm1": lambda a: sp.exp(a) - 1, "abs": sp.Abs, "cbrt": lambda a: sp.sign(a) * sp.Abs(a) ** sp.Rational(1, 3), "log2": lambda a: sp.log(a, 2), "log10": lambda a: sp.log(a, 10), "exp2": lambda a: 2 ** a, "SIG": lambda a: 1 / (1 + sp.exp(-a))}
bad = 0; n = 0
for c in W:
    e = sp.sympify(c["src"].replace("^", "**"), locals=ns)
    for name, d in (("dx", sp.diff(e, x)), ("dxy", sp.diff(e, x, y)), ("dxx", sp.diff(e, x, 2))):
        f = sp.lambdify((x, y), d, modules=["mpmath"])
        for (a, b), got in zip(c["pts"], c[name]):
            n += 1
            try: ref = float(f(a, b))
            except Exception as ex: continue
            got = float(got)
            if math.isnan(ref) and math.isnan(got): continue
            if not (abs(got - ref) <= 1e-9 * max(1, abs(ref))):
                bad += 1
                if bad < 8: print(name, c["src"][:120], (a, b), got, ref)
print("sympy: mismatches", bad, "of", n)
sys.exit(1 if bad else 0)
