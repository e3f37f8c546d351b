#!/usr/bin/env bash
# Lines of TypeScript per folder of src/ (size is a signal: keep it in check).
cd "$(dirname "$0")/.."
for d in src/*/; do printf "%-18s %6s\n" "$d" "$(cat "$d"*.ts | wc -l)"; done
printf "%-18s %6s\n" "total" "$(find src -name '*.ts' -exec cat {} + | wc -l)"
