#!/usr/bin/env bash
# Runs the README's quick start (`swift run QuickStart URL`) and the command-line demo
# (`swift run messagebus demo`), which publishes, consumes, acknowledges, retries and dead-letters orders.
#
# Usage: scripts/demo.sh [BACKEND...]     BACKEND: memory, kafka, rabbitmq
#   no backend: the demo's default (the in-memory backend), no broker needed;
#   with backends: starts the brokers they need (scripts/with-brokers.sh), passes one --url per backend
#   (memory://, kafka://$MESSAGEBUS_KAFKA_BROKERS, $MESSAGEBUS_AMQP_URL) and stops the brokers it started.
# SWIFT_FLAGS (e.g. "--scratch-path .build-demo") is passed to swift run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
read -r -a swift_flags <<<"${SWIFT_FLAGS:-}"

if [[ "${1:-}" == "--run" ]]; then
    shift
    urls=()
    for backend in "$@"; do
        case "$backend" in
            memory) urls+=(--url memory://) ;;
            kafka) urls+=(--url "kafka://$MESSAGEBUS_KAFKA_BROKERS") ;;
            rabbitmq) urls+=(--url "$MESSAGEBUS_AMQP_URL") ;;
            *) echo "demo: unknown backend '$backend' (expected memory, kafka or rabbitmq)" >&2; exit 2 ;;
        esac
    done
    for ((i = 1; i < ${#urls[@]}; i += 2)); do
        echo "demo: swift run QuickStart ${urls[i]}"
        swift run "${swift_flags[@]}" QuickStart "${urls[i]}"
    done
    echo "demo: swift run messagebus demo ${urls[*]}"
    exec swift run "${swift_flags[@]}" messagebus demo "${urls[@]}"
fi

if [[ $# -eq 0 ]]; then
    echo "demo: swift run QuickStart (the README's ten lines, on memory://)"
    swift run "${swift_flags[@]}" QuickStart
    echo "demo: swift run messagebus demo"
    exec swift run "${swift_flags[@]}" messagebus demo
fi
exec scripts/with-brokers.sh "$@" -- scripts/demo.sh --run "$@"
