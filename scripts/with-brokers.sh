#!/usr/bin/env bash
# Runs a command with the brokers it needs, then stops the ones it started.
#
# Usage: scripts/with-brokers.sh [BACKEND...] -- COMMAND [ARG...]
#   BACKEND: kafka, rabbitmq or memory (memory needs no broker); default: kafka rabbitmq.
#
# Starts each selected broker through scripts/brokers.sh (which uses MESSAGEBUS_KAFKA_BROKERS and
# MESSAGEBUS_AMQP_URL as they are when set), exports those two variables, runs COMMAND, and stops the
# brokers that were not already running before, whether COMMAND passed, failed or was interrupted.
# Exits with COMMAND's status (or 1 when a broker could not start).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BROKERS="$ROOT/scripts/brokers.sh"

backends=()
while [[ $# -gt 0 && "$1" != "--" ]]; do
    backends+=("$1")
    shift
done
if [[ "${1:-}" != "--" || $# -lt 2 ]]; then
    sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
shift
[[ ${#backends[@]} -gt 0 ]] || backends=(kafka rabbitmq)

brokers=()
for backend in "${backends[@]}"; do
    case "$backend" in
        kafka | rabbitmq) brokers+=("$backend") ;;
        memory) ;;
        *) echo "with-brokers: unknown backend '$backend' (expected memory, kafka or rabbitmq)" >&2; exit 2 ;;
    esac
done

# Brokers already running (started by hand with `make brokers-start`) are left running afterwards.
to_stop=()
for broker in "${brokers[@]}"; do
    if ! "$BROKERS" status "$broker" >/dev/null 2>&1; then to_stop+=("$broker"); fi
done

stop_started() {
    if [[ ${#to_stop[@]} -gt 0 ]]; then
        "$BROKERS" stop "${to_stop[@]}" || echo "with-brokers: stopping ${to_stop[*]} failed" >&2
        to_stop=()
    fi
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ ${#brokers[@]} -gt 0 ]]; then
    # --fresh: a RabbitMQ node started here does not carry the queues of earlier runs (a few hundred
    # durable quorum queues, each a Raft member the node restores and ticks, slow every later run).
    "$BROKERS" start --fresh "${brokers[@]}" || exit 1
    eval "$("$BROKERS" env "${brokers[@]}")"
fi

"$@"
status=$?
stop_started
exit "$status"
