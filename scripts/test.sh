#!/usr/bin/env bash
# Runs the whole test suite: `swift test`, in two runs (extra arguments are passed on, e.g. --scratch-path), its
# output also kept in .state/swift-test.log, then scripts/conformance-summary.sh (one line per backend,
# from the results the conformance tests write to $MESSAGEBUS_CONFORMANCE_REPORT). Exits with swift test's status: the
# summary never turns a failing run into a passing one, nor the other way round.
# The brokers must already run: `make test` (scripts/with-brokers.sh) starts and stops them.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p .state
LOG=.state/swift-test.log

# The conformance tests append their results here (ConformanceReport); the summary reads them.
export MESSAGEBUS_CONFORMANCE_REPORT="${MESSAGEBUS_CONFORMANCE_REPORT:-$ROOT/.state/conformance}"
rm -rf "$MESSAGEBUS_CONFORMANCE_REPORT"   # an earlier run's results must not be summarised as this run's

echo "test: MESSAGEBUS_KAFKA_BROKERS=${MESSAGEBUS_KAFKA_BROKERS:-<unset>} MESSAGEBUS_AMQP_URL=${MESSAGEBUS_AMQP_URL:-<unset>}"
# Two runs: the bridge suites move 100,000-message backlogs both ways between the brokers, which on a 2-core
# machine starved every other suite of CPU (receive timeouts in unrelated tests), so they run after the rest.
HEAVY=MessageBridgeTests
echo "test: swift test (all but $HEAVY)" | tee "$LOG"
swift test "$@" --skip "$HEAVY" 2>&1 | tee -a "$LOG"
status=${PIPESTATUS[0]}
echo "test: swift test ($HEAVY)" | tee -a "$LOG"
swift test "$@" --filter "$HEAVY" 2>&1 | tee -a "$LOG"
heavy_status=${PIPESTATUS[0]}
if [[ $status -eq 0 ]]; then status=$heavy_status; fi

if [[ -f scripts/conformance-summary.sh ]]; then
    bash scripts/conformance-summary.sh ||
        echo "test: warning: scripts/conformance-summary.sh exited with $?" >&2
fi
if [[ $status -ne 0 ]]; then echo "test: swift test FAILED (exit $status)" >&2; fi
exit "$status"
