#!/usr/bin/env bash
# A throwaway RabbitMQ node for fault and TLS tests, next to the shared node of scripts/brokers.sh (which it never
# touches): its own node name, ports and data folder under .state/test-nodes/NAME, every listener on loopback.
#
# Usage: rabbitmq-test-node.sh start NAME AMQP_PORT DIST_PORT [TLS_PORT CA CERT KEY]
#        (with TLS_PORT: a TLS listener that requires a client certificate signed by CA)
#        rabbitmq-test-node.sh stop NAME
#        rabbitmq-test-node.sh wipe NAME      (stop, then delete the data folder)
#        rabbitmq-test-node.sh ctl NAME ARGS...   (rabbitmqctl against that node, bounded to 30 s)
# `start` prints the node's PID once its AMQP port answers; `stop` ends it (and only it) by PID. The data folder
# survives `stop`, so a stop and a start are a broker restart with durable queues intact. Every wait is bounded:
# start gives up after MESSAGEBUS_TEST_NODE_TIMEOUT seconds (60), stop escalates to TERM and KILL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
RABBITMQ_HOME=/var/lib/rabbitmq   # the rabbitmq user's home: the Erlang cookie the CLI and node share
EPMD_PORT=4369
TIMEOUT="${MESSAGEBUS_TEST_NODE_TIMEOUT:-60}"

die() { printf 'rabbitmq-test-node: ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf 'rabbitmq-test-node: %s\n' "$*" >&2; }

command="${1:-}"
name="${2:-}"
[[ "$name" =~ ^[a-z0-9-]+$ ]] || die "usage: $0 start|stop|wipe NAME ... (NAME: lower-case letters, digits, dashes)"
node="$name@localhost"
dir="$ROOT/.state/test-nodes/$name"
pid_file="$dir/launcher.pid"
epmd_pid_file="$dir/epmd.pid"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# shellcheck source=../../../scripts/lib/processes.sh
source "$ROOT/scripts/lib/processes.sh"

# Sets NODE_PREFIX: the command prefix that runs a program as the rabbitmq user with this node's environment.
set_prefix() {
    local environment=(
        HOME="$RABBITMQ_HOME" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$EPMD_PORT"
        RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
        RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_NODENAME="$node"
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="${AMQP_PORT:-0}" RABBITMQ_DIST_PORT="${DIST_PORT:-0}"
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    )
    if [[ "$(id -u)" -eq 0 ]]; then
        NODE_PREFIX=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env "${environment[@]}")
    else
        NODE_PREFIX=(sudo -n -u rabbitmq env "${environment[@]}")
    fi
}

as_node() {
    set_prefix
    (cd / && exec "${NODE_PREFIX[@]}" "$@")
}

stop_node() {
    local pid epmd deadline
    pid="$(read_pid "$pid_file")"
    if pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "rabbitmq-server"; then
        local processes
        processes="$(process_tree "$pid")"
        # Graceful first (the node flushes its queues), bounded; then by PID only.
        as_node timeout 30 /usr/lib/rabbitmq/bin/rabbitmqctl -n "$node" -q stop "$dir/mnesia/$node.pid" \
            >/dev/null 2>&1 || say "rabbitmqctl stop failed or timed out; ending $processes by PID"
        deadline=$((SECONDS + 15))
        while ((SECONDS < deadline)); do
            local any=0 p
            for p in $processes; do pid_alive "$p" && any=1; done
            ((any == 0)) && break
            sleep 0.2
        done
        for p in $processes; do pid_alive "$p" && kill -TERM "$p" 2>/dev/null || true; done
        sleep 1
        for p in $processes; do pid_alive "$p" && kill -KILL "$p" 2>/dev/null || true; done
    fi
    rm -f "$pid_file"
    epmd="$(read_pid "$epmd_pid_file")"
    if pid_alive "$epmd" && grep -q epmd "/proc/$epmd/cmdline" 2>/dev/null; then kill -TERM "$epmd" 2>/dev/null || true; fi
    rm -f "$epmd_pid_file"
}

start_node() {
    AMQP_PORT="${3:?AMQP port}"
    DIST_PORT="${4:?distribution port}"
    local tls_port="${5:-}" ca="${6:-}" cert="${7:-}" key="${8:-}"
    stop_node   # a node left over by a crashed run
    port_open "$AMQP_PORT" && die "port $AMQP_PORT is already in use"
    port_open "$DIST_PORT" && die "port $DIST_PORT is already in use"
    [[ -n "$tls_port" ]] && port_open "$tls_port" && die "port $tls_port is already in use"
    mkdir -p "$dir"
    chown rabbitmq:rabbitmq "$dir" 2>/dev/null || sudo -n chown rabbitmq:rabbitmq "$dir"
    local config="listeners.tcp.default = 127.0.0.1:$AMQP_PORT
loopback_users.guest = true"
    if [[ -n "$tls_port" ]]; then
        config+="
listeners.ssl.default = 127.0.0.1:$tls_port
ssl_options.cacertfile = $ca
ssl_options.certfile = $cert
ssl_options.keyfile = $key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = true"
    fi
    as_node sh -c "cd '$dir' && mkdir -p mnesia log && : >rabbitmq-env.conf && printf '[].\n' >advanced.config &&
        printf '[].\n' >enabled_plugins && cat >rabbitmq.conf" <<<"$config"
    # The shared epmd (loopback) is used when one runs; otherwise this node gets its own, ended by stop.
    set_prefix
    if ! port_open "$EPMD_PORT"; then
        (cd / && exec setsid "${NODE_PREFIX[@]}" epmd -address 127.0.0.1 -port "$EPMD_PORT") \
            >>"$dir/launch.log" 2>&1 </dev/null &
        echo $! >"$epmd_pid_file"
        sleep 0.5
    fi
    # setsid straight away: the PID recorded is the launcher's own, leader of the node's process group.
    (cd / && exec setsid "${NODE_PREFIX[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server) >>"$dir/launch.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
    local pid deadline=$((SECONDS + TIMEOUT))
    pid="$(read_pid "$pid_file")"
    until port_open "$AMQP_PORT" && { [[ -z "$tls_port" ]] || port_open "$tls_port"; }; do
        if ! pid_alive "$pid" || ((SECONDS >= deadline)); then
            say "node $node did not open its ports within $TIMEOUT s; last lines of $dir/launch.log:"
            tail -n 20 "$dir/launch.log" >&2 || true
            stop_node
            exit 1
        fi
        sleep 0.2
    done
    echo "$pid"
}

case "$command" in
    start) start_node "$@" ;;
    stop) stop_node ;;
    wipe) stop_node; rm -rf "$dir" ;;
    ctl) shift 2; as_node timeout 90 /usr/lib/rabbitmq/bin/rabbitmqctl -n "$node" "$@" ;;
    *) die "unknown command '$command' (expected start, stop, wipe or ctl)" ;;
esac
