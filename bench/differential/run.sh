#!/usr/bin/env bash
# Differential checks against independent references: NumPy (ops), SciPy (special functions),
# SymPy (symbolic derivatives), and source transformation against symbolic derivatives. Needs
# python3 with numpy, scipy and sympy (Debian: python3-numpy python3-scipy python3-sympy); not
# part of npm test, whose machines need not have them. Run from the repository root:
#   bash bench/differential/run.sh
set -euo pipefail
export OUT="${OUT:-$(mktemp -d)}"
here="$(dirname "$0")"
node --import tsx "$here/npdiff.ts"
node --import tsx "$here/npedge.ts"
node --import tsx "$here/special.ts"
node --import tsx "$here/symdiff.ts"
python3 "$here/np.py" "$OUT"
python3 "$here/edge.py" "$OUT"
python3 "$here/special.py" "$OUT" 2>/dev/null
python3 "$here/sym.py" "$OUT"
node --import tsx "$here/srcdiff.ts"
echo "differential checks: all agree"
