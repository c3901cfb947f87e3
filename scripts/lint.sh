#!/usr/bin/env bash
# `make lint`: swift format lint (the toolchain's swift-format, configured by .swift-format: 4 spaces, 120 columns)
# over the project's Swift code; fails on any finding except the pretty printer's line-layout ones.
#
# Not enforced, only counted: Indentation, AddLines, RemoveLine, LineLength, TrailingComma and EndOfLineComment. They
# say where swift-format's printer would break and indent lines, and the code wraps long calls by hand (continuation
# lines, `guard ... else` on its own line) in a way the printer does not reproduce: enforcing them would mean
# reformatting most files. `swift format --in-place FILE` still gives a new file the house indentation and width.
# Rules .swift-format turns off, and why: DoNotUseSemicolons (one-line `{ failed = true; return }` blocks are house
# style), OrderedImports (imports are grouped by hand), OneCasePerLine (`case queued, closed` enums),
# AlwaysUseLowerCamelCase (Decodable mirrors of snake_case JSON from Python tools), OnlyOneTrailingClosureArgument
# (`withTestBus(open: { ... }) { bus in ... }`), ReplaceForEachWithForLoop (`forEach { free($0) }` clean-ups).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

LAYOUT='\[(Indentation|AddLines|RemoveLine|LineLength|TrailingComma|EndOfLineComment)\]'
output=$(swift format lint --parallel --recursive Sources Tests Examples Benchmarks Chaos 2>&1) || {
    echo "$output" >&2
    echo "lint: swift format lint failed (a file it cannot parse?)" >&2
    exit 1
}
findings=$(grep -E '\[[A-Za-z]+\]' <<<"$output" | grep -Ev "$LAYOUT" || true)
layout=$(grep -cE "$LAYOUT" <<<"$output" || true)
if [[ -n "$findings" ]]; then
    echo "$findings"
    echo "lint: $(wc -l <<<"$findings") finding(s); fix them, or run swift format --in-place on the file" >&2
    exit 1
fi
echo "lint: no findings ($layout line-layout notes not enforced)"
