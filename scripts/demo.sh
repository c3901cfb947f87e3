#!/usr/bin/env bash
# Runs the README's quick start (`swift run QuickStart URL`), the examples under Examples/ on each URL they
# support and the Migration walkthrough between every two of them (each stops by itself and exits non-zero when
# its result is wrong), and the command-line demo
# (`swift run messagebus demo`), which publishes, consumes, acknowledges, retries and dead-letters orders.
# The first failing program fails the demo.
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

# Runs one example on `url`; `set -e` ends the demo when it fails. The echoed command shows no password.
example() {
    echo "demo: swift run $*" | sed -E 's#(://[^:/@]+):[^@/]*@#\1:***@#g'
    swift run "${swift_flags[@]}" "$@"
}

# The quick start and every example that runs on `url`: KafkaTransform needs transactions (kafka://, memory://),
# RabbitMQRPC direct reply-to (amqp://).
run_examples() {
    local url="$1"
    example QuickStart "$url"
    example Microservice "$url" --demo 5
    example CodableConsumer "$url"
    case "$url" in
        kafka://* | memory://*) example KafkaTransform "$url" ;;
        amqp://* | amqps://*) example RabbitMQRPC "$url" ;;
    esac
}

# The migration walkthrough between every two brokers given, both ways (memory://legacy to memory://target for
# the in-memory backend).
run_migrations() {
    local from to
    for from in "$@"; do
        if [[ "$from" == memory://* ]]; then
            example Migration memory://legacy memory://target
            continue
        fi
        for to in "$@"; do
            [[ "$to" == "$from" || "$to" == memory://* ]] || example Migration "$from" "$to"
        done
    done
}

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
    plain_urls=()
    for ((i = 1; i < ${#urls[@]}; i += 2)); do
        run_examples "${urls[i]}"
        plain_urls+=("${urls[i]}")
    done
    run_migrations "${plain_urls[@]}"
    echo "demo: swift run messagebus demo ${urls[*]}" | sed -E 's#(://[^:/@]+):[^@/]*@#\1:***@#g'
    exec swift run "${swift_flags[@]}" messagebus demo "${urls[@]}"
fi

if [[ $# -eq 0 ]]; then
    run_examples memory://
    run_migrations memory://
    echo "demo: swift run messagebus demo"
    exec swift run "${swift_flags[@]}" messagebus demo
fi
exec scripts/with-brokers.sh "$@" -- scripts/demo.sh --run "$@"
