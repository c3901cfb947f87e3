#!/usr/bin/env bash
# Runs the whole test suite: `swift test`, in four runs (extra arguments are passed on, e.g. --scratch-path), its
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
# Four runs, the heavy suites apart. First: the CPU-bound unit suites (seeded random input, a million-element
# channel race, a model of the broker's tags), which never suspend for long: run with the rest, two of them held both
# of a 2-core machine's cooperative threads for tens of seconds, and every async test meanwhile stalled (seen with
# gdb: "concurrent handlers keep per-key order" failing on memory and RabbitMQ at the same moment). Then the broker
# suites. Then the suites that boot RabbitMQ nodes of their own (an Erlang VM each) and the ten-million-id check,
# which run with everything else starved the other suites of CPU (receive and connect timeouts in unrelated tests).
# Last: the bridge suites, which move 100,000-message backlogs both ways between the brokers.
CPU_BOUND='FuzzTests|UnsettledTagsTests|AsyncBoundedChannelTests|AsyncOneShotTests|KafkaRecordCodecTests'
OWN_NODES='RabbitMQBlockedTests|RabbitMQBrokerRestartTests|RabbitMQTLSTests|MessageIDTests'
BRIDGE='MessageBridgeTests'
: > "$LOG"
status=0
for phase in "--filter $CPU_BOUND" "--skip $CPU_BOUND|$OWN_NODES|$BRIDGE" "--filter $OWN_NODES" "--filter $BRIDGE"; do
    read -r option pattern <<< "$phase"
    echo "test: swift test $option '$pattern'" | tee -a "$LOG"
    swift test "$@" "$option" "$pattern" 2>&1 | tee -a "$LOG"
    phase_status=${PIPESTATUS[0]}
    if [[ $status -eq 0 ]]; then status=$phase_status; fi
done

if [[ -f scripts/conformance-summary.sh ]]; then
    bash scripts/conformance-summary.sh ||
        echo "test: warning: scripts/conformance-summary.sh exited with $?" >&2
fi
if [[ $status -ne 0 ]]; then echo "test: swift test FAILED (exit $status)" >&2; fi
exit "$status"
