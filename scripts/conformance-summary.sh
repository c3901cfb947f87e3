#!/usr/bin/env bash
# Prints one line per backend from the conformance results the test run wrote:
#   conformance <backend>: N passed, N failed, N unsupported
# then every case that was not a pass, with its reason. The results are the files
# $MESSAGEBUS_CONFORMANCE_REPORT/<backend>.tsv (default .state/conformance), one "case<TAB>result<TAB>detail"
# line per case, written by ConformanceReport in the test targets. Informational: always exits 0.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPORT_DIR="${MESSAGEBUS_CONFORMANCE_REPORT:-$ROOT/.state/conformance}"

shopt -s nullglob
files=("$REPORT_DIR"/*.tsv)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "conformance: no results in $REPORT_DIR (did the conformance tests run?)"
    exit 0
fi
for file in "${files[@]}"; do
    backend="$(basename "$file" .tsv)"
    awk -F'\t' -v backend="$backend" '
        { count[$2]++ }
        $2 != "passed" { detail = $3; sub(/^[a-z]+: /, "", detail); notes = notes sprintf("  %s: %s: %s\n", $2, $1, detail) }
        END {
            printf "conformance %s: %d passed, %d failed, %d unsupported\n",
                backend, count["passed"], count["failed"], count["unsupported"]
            printf "%s", notes
        }' "$file"
done
