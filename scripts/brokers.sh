#!/usr/bin/env bash
# Runs the two brokers the integration tests and the demo need, on machines without Docker:
#   - RabbitMQ (Debian's rabbitmq-server), its own node rabbit@localhost with data in .state/, every
#     listener (AMQP 5672, distribution 25672, epmd 4369) on loopback;
#   - Tansu, a Kafka-compatible broker (in memory: a restart loses everything), on 127.0.0.1:9092.
#
# Usage: scripts/brokers.sh start|stop|status|env [--fresh] [kafka] [rabbitmq]   (no name: both)
#   start   starts what is not running yet (twice is harmless), waits until each broker answers;
#           with --fresh a RabbitMQ node this call starts begins without the data of earlier runs
#           (Tansu always does), so that test runs do not pile up durable queues
#   stop    stops what this script started, by the process ids it recorded, and checks nothing is left
#   status  says what runs; exit 0 when every selected broker is ready, 3 otherwise
#   env     prints `export ...` lines for the addresses tests read: eval "$(scripts/brokers.sh env)"
#   ctl|diagnostics ARGS...   rabbitmqctl / rabbitmq-diagnostics against this node, with the right user,
#           cookie and loopback settings (Debian's /usr/sbin/rabbitmqctl would start an epmd on 0.0.0.0)
#
# Brokers elsewhere (docker compose, a cluster): set MESSAGEBUS_KAFKA_BROKERS and/or MESSAGEBUS_AMQP_URL.
# A variable that is set is used as is and nothing is started for it; the one exception is a variable
# holding this script's own local address while nothing answers there, in which case the local broker is
# started as if the variable were unset.
# Run scripts/bootstrap.sh first. Linux (Debian/Ubuntu) is what CI runs; macOS uses Homebrew services
# and is untested.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.state"
VENV_PYTHON="$STATE/venv/bin/python"

KAFKA_HOST=127.0.0.1
KAFKA_PORT=9092
AMQP_PORT=5672
RABBITMQ_DIST_PORT=25672
EPMD_PORT=4369
RABBITMQ_NODE="rabbit@localhost"
DEFAULT_KAFKA_BROKERS="$KAFKA_HOST:$KAFKA_PORT"
DEFAULT_AMQP_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT/%2F"
READY_TIMEOUT="${MESSAGEBUS_BROKER_START_TIMEOUT:-60}"   # seconds, per broker
STOP_TIMEOUT=30

TANSU_BIN="$STATE/bin/tansu"
TANSU_PID="$STATE/tansu.pid"
TANSU_LOG="$STATE/tansu.log"
RABBITMQ_PID="$STATE/rabbitmq.pid"         # the launcher (rabbitmq-server script), leader of its group
RABBITMQ_EPMD_PID="$STATE/rabbitmq-epmd.pid"
RABBITMQ_DIR_FILE="$STATE/rabbitmq.dir"     # where the node's data lives (see rabbitmq_dir)
RABBITMQ_LAUNCH_LOG="$STATE/rabbitmq-launch.log"
RABBITMQ_HOME=/var/lib/rabbitmq             # the rabbitmq user's home: its Erlang cookie lives there
BREW_STARTED="$STATE/brew-services.started"

say() { printf 'brokers: %s\n' "$*"; }
warn() { printf 'brokers: %s\n' "$*" >&2; }
die() { printf 'brokers: ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$STATE"
# shellcheck source=scripts/lib/processes.sh
source "$ROOT/scripts/lib/processes.sh"

# --- helpers ------------------------------------------------------------------------------------------
any_alive() {
    local pid
    for pid in "$@"; do pid_alive "$pid" && return 0; done
    return 1
}

# Waits for the given processes to end: TERM after the grace period, then KILL. By PID only.
end_processes() {
    local name="$1"
    shift
    local deadline=$((SECONDS + STOP_TIMEOUT)) pid
    while any_alive "$@" && ((SECONDS < deadline)); do sleep 0.2; done
    if any_alive "$@"; then
        warn "$name did not stop within ${STOP_TIMEOUT} s: sending TERM to $*"
        for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
        deadline=$((SECONDS + 10))
        while any_alive "$@" && ((SECONDS < deadline)); do sleep 0.2; done
    fi
    if any_alive "$@"; then
        warn "$name still running: sending KILL to $*"
        for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
        sleep 0.5
    fi
    ! any_alive "$@"
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Who listens on a port (for error messages).
port_owner() {
    if command -v ss >/dev/null 2>&1; then
        ss -Hltnp "sport = :$1" 2>/dev/null | awk '{print $4, $6}' | head -n 3 | tr '\n' ' '
    elif command -v lsof >/dev/null 2>&1; then
        lsof -nP -iTCP:"$1" -sTCP:LISTEN 2>/dev/null | awk 'NR>1{print $1 " pid " $2}' | head -n 3 | tr '\n' ' '
    fi
}

# Succeeds when the PID in $1 is alive and its command line contains $2 (guards against PID reuse).
ours() {
    local pid
    pid="$(read_pid "$1")"
    pid_alive "$pid" || return 1
    if [[ -r "/proc/$pid/cmdline" ]]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
    else
        ps -o command= -p "$pid" 2>/dev/null | grep -q -- "$2"
    fi
}

# Succeeds when a port is free, or when the process that holds it is the one we recorded.
require_port_free() {
    local port="$1" what="$2"
    if port_open "$port"; then
        die "port $port ($what) is already in use by something this script did not start: $(port_owner "$port")
    Stop it, or point the tests at it with the MESSAGEBUS_* variables (see scripts/brokers.sh)."
    fi
}

# Which brokers the environment already provides. Prints "external" or "local".
kafka_mode() {
    local value="${MESSAGEBUS_KAFKA_BROKERS:-}"
    if [[ -z "$value" ]]; then echo local
    elif [[ "$value" == "$DEFAULT_KAFKA_BROKERS" || "$value" == "localhost:$KAFKA_PORT" ]] &&
        { ours "$TANSU_PID" tansu || ! port_open "$KAFKA_PORT"; }; then echo local
    else echo external; fi
}
amqp_mode() {
    local value="${MESSAGEBUS_AMQP_URL:-}"
    if [[ -z "$value" ]]; then echo local
    elif [[ "$value" == "$DEFAULT_AMQP_URL" ]] &&
        { ours "$RABBITMQ_PID" rabbitmq || ! port_open "$AMQP_PORT"; }; then echo local
    else echo external; fi
}

# --- Kafka (Tansu) -----------------------------------------------------------------------------------
# Asks the broker for its metadata through confluent-kafka, retrying until $2 seconds have passed.
kafka_answers() {
    local brokers="$1" timeout="$2"
    [[ -x "$VENV_PYTHON" ]] || die "missing $VENV_PYTHON: run scripts/bootstrap.sh first"
    "$VENV_PYTHON" - "$brokers" "$timeout" <<'PY'
import sys, time
from confluent_kafka.admin import AdminClient
brokers, timeout = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + timeout
client = AdminClient({"bootstrap.servers": brokers, "log_level": 0})
while True:
    try:
        metadata = client.list_topics(timeout=max(0.5, min(2.0, deadline - time.monotonic())))
        if metadata.brokers:
            sys.exit(0)
    except Exception:  # KafkaException while the broker is not up yet
        pass
    if time.monotonic() >= deadline:
        sys.exit(1)
    time.sleep(0.2)
PY
}

start_kafka() {
    if [[ "$(kafka_mode)" == external ]]; then
        say "Kafka: using MESSAGEBUS_KAFKA_BROKERS=$MESSAGEBUS_KAFKA_BROKERS as is (nothing started)"
        kafka_answers "$MESSAGEBUS_KAFKA_BROKERS" 5 2>/dev/null ||
            warn "Kafka at $MESSAGEBUS_KAFKA_BROKERS does not answer now (unset MESSAGEBUS_KAFKA_BROKERS to start a local broker)"
        return 0
    fi
    if ours "$TANSU_PID" tansu; then
        say "Kafka: Tansu already running (pid $(read_pid "$TANSU_PID")) on $DEFAULT_KAFKA_BROKERS"
        kafka_answers "$DEFAULT_KAFKA_BROKERS" "$READY_TIMEOUT" 2>/dev/null || die "Tansu runs but does not answer"
        return 0
    fi
    rm -f "$TANSU_PID"
    [[ -x "$TANSU_BIN" ]] || die "missing $TANSU_BIN: run scripts/bootstrap.sh first"
    require_port_free "$KAFKA_PORT" Kafka
    local started=$SECONDS
    # setsid: its own process group, so stop can end it and anything it spawned by that id.
    setsid "$TANSU_BIN" broker \
        --listener-url "tcp://$KAFKA_HOST:$KAFKA_PORT" \
        --advertised-listener-url "tcp://$KAFKA_HOST:$KAFKA_PORT" \
        --storage-engine memory://tansu/ \
        >>"$TANSU_LOG" 2>&1 </dev/null &
    echo $! >"$TANSU_PID"
    if ! kafka_answers "$DEFAULT_KAFKA_BROKERS" "$READY_TIMEOUT" 2>>"$TANSU_LOG"; then
        warn "Tansu did not answer a metadata request within ${READY_TIMEOUT} s; last lines of $TANSU_LOG:"
        tail -n 20 "$TANSU_LOG" | sed 's/^/    /' >&2
        stop_kafka >/dev/null 2>&1 || true
        exit 1
    fi
    say "Kafka: Tansu ready on $DEFAULT_KAFKA_BROKERS in $((SECONDS - started)) s (pid $(read_pid "$TANSU_PID"), log .state/tansu.log, memory storage)"
}

stop_kafka() {
    local pid
    pid="$(read_pid "$TANSU_PID")"
    if [[ -z "$pid" ]]; then return 0; fi
    if ours "$TANSU_PID" tansu; then
        local tree
        tree="$(process_tree "$pid")"
        kill -TERM "$pid" 2>/dev/null || true
        # shellcheck disable=SC2086
        end_processes Tansu $tree || die "Tansu ($tree) is still running"
        say "Kafka: Tansu stopped"
    fi
    rm -f "$TANSU_PID"
}

# --- RabbitMQ ----------------------------------------------------------------------------------------
# The command prefix that runs a program as the rabbitmq user (Debian's package runs the node as that user,
# and its Erlang cookie is $RABBITMQ_HOME/.erlang.cookie) with the environment that keeps the node and the
# CLI tools on loopback and away from the machine's /etc/rabbitmq. Sets the array RABBITMQ_PREFIX.
set_rabbitmq_prefix() {
    local dir
    dir="$(rabbitmq_dir)"
    local environment=(
        HOME="$RABBITMQ_HOME"
        ERL_EPMD_ADDRESS=127.0.0.1
        ERL_EPMD_PORT="$EPMD_PORT"
        RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
        RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
        RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
        RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$dir/mnesia"
        RABBITMQ_LOG_BASE="$dir/log"
        RABBITMQ_NODENAME="$RABBITMQ_NODE"
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
        RABBITMQ_NODE_PORT="$AMQP_PORT"
        RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT"
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    )
    if [[ "$(id -u)" -eq 0 ]]; then
        RABBITMQ_PREFIX=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env "${environment[@]}")
    elif [[ "$(id -un)" == rabbitmq ]]; then
        RABBITMQ_PREFIX=(env "${environment[@]}")
    else
        RABBITMQ_PREFIX=(sudo -n -u rabbitmq env "${environment[@]}")
    fi
}

as_rabbitmq() {
    set_rabbitmq_prefix
    (cd / && exec "${RABBITMQ_PREFIX[@]}" "$@")
}

rabbitmq_cli() {
    local tool="$1"
    shift
    local path="/usr/lib/rabbitmq/bin/$tool"
    [[ -x "$path" ]] || path="$(command -v "$tool")" || die "$tool not found: run scripts/bootstrap.sh"
    as_rabbitmq timeout 60 "$path" -n "$RABBITMQ_NODE" "$@"
}

# The node's data folder: .state/rabbitmq when the rabbitmq user can reach it, else a folder in /tmp
# (a clone under a private home folder is not reachable by that user).
rabbitmq_dir() {
    if [[ -f "$RABBITMQ_DIR_FILE" ]]; then cat "$RABBITMQ_DIR_FILE"; else echo "$STATE/rabbitmq"; fi
}

prepare_rabbitmq_dir() {
    local dir="$STATE/rabbitmq"
    id rabbitmq >/dev/null 2>&1 || die "no rabbitmq user: run scripts/bootstrap.sh (installs rabbitmq-server)"
    mkdir -p "$dir"
    chown rabbitmq:rabbitmq "$dir" 2>/dev/null || sudo -n chown rabbitmq:rabbitmq "$dir"
    echo "$dir" >"$RABBITMQ_DIR_FILE"
    if ! as_rabbitmq test -w "$dir" 2>/dev/null; then
        dir="${TMPDIR:-/tmp}/messagebus-rabbitmq-$(printf '%s' "$ROOT" | cksum | awk '{print $1}')"
        mkdir -p "$dir"
        chown rabbitmq:rabbitmq "$dir" 2>/dev/null || sudo -n chown rabbitmq:rabbitmq "$dir"
        chmod 750 "$dir"
        echo "$dir" >"$RABBITMQ_DIR_FILE"
        as_rabbitmq test -w "$dir" || die "the rabbitmq user cannot write $dir"
    fi
    if [[ $FRESH -eq 1 ]]; then as_rabbitmq rm -rf "$dir/mnesia"; fi
    # Our own configuration files, so that the machine's /etc/rabbitmq does not change this node.
    as_rabbitmq sh -c "cd '$dir' && mkdir -p mnesia log && : >rabbitmq-env.conf &&
        printf '%s\n' 'listeners.tcp.default = 127.0.0.1:$AMQP_PORT' 'loopback_users.guest = true' >rabbitmq.conf &&
        printf '[].\n' >advanced.config && { [ -f enabled_plugins ] || printf '[].\n' >enabled_plugins; }"
    # The node and the CLI must share one Erlang cookie: create it before either starts, so they never
    # race to create two different ones.
    if [[ ! -f "$RABBITMQ_HOME/.erlang.cookie" ]]; then
        as_rabbitmq sh -c "umask 077 && head -c 512 /dev/urandom | tr -dc 'A-Z' | head -c 20 >'$RABBITMQ_HOME/.erlang.cookie' && chmod 400 '$RABBITMQ_HOME/.erlang.cookie'"
    fi
}

rabbitmq_log_tail() {
    local dir
    dir="$(rabbitmq_dir)"
    warn "last lines of $RABBITMQ_LAUNCH_LOG and $dir/log/$RABBITMQ_NODE.log:"
    tail -n 15 "$RABBITMQ_LAUNCH_LOG" 2>/dev/null | sed 's/^/    /' >&2 || true
    as_rabbitmq tail -n 25 "$dir/log/$RABBITMQ_NODE.log" 2>/dev/null | sed 's/^/    /' >&2 || true
}

rabbitmq_ready() { rabbitmq_cli rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }

start_rabbitmq() {
    if [[ "$(amqp_mode)" == external ]]; then
        say "RabbitMQ: using MESSAGEBUS_AMQP_URL as is (nothing started)"
        return 0
    fi
    if ours "$RABBITMQ_PID" rabbitmq; then
        say "RabbitMQ: $RABBITMQ_NODE already running (pid $(read_pid "$RABBITMQ_PID")) on 127.0.0.1:$AMQP_PORT"
        rabbitmq_ready || die "RabbitMQ runs but does not answer check_port_connectivity"
        return 0
    fi
    if [[ "$(uname -s)" == Darwin ]]; then start_brew_service rabbitmq; return; fi
    rm -f "$RABBITMQ_PID"
    [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || die "rabbitmq-server not installed: run scripts/bootstrap.sh"
    require_port_free "$AMQP_PORT" AMQP
    require_port_free "$RABBITMQ_DIST_PORT" "RabbitMQ distribution"
    prepare_rabbitmq_dir
    local started=$SECONDS
    # Our own epmd, on loopback, started first so that the node does not spawn a daemonised one we
    # could not find by PID. An epmd that already runs (another Erlang program) is shared, not ours.
    set_rabbitmq_prefix
    if ! port_open "$EPMD_PORT"; then
        (cd / && exec setsid "${RABBITMQ_PREFIX[@]}" epmd -address 127.0.0.1 -port "$EPMD_PORT") \
            >>"$RABBITMQ_LAUNCH_LOG" 2>&1 </dev/null &
        echo $! >"$RABBITMQ_EPMD_PID"
        local epmd_deadline=$((SECONDS + 10))
        until port_open "$EPMD_PORT" || ((SECONDS >= epmd_deadline)); do sleep 0.1; done
    fi
    # setsid: the node gets its own process group (led by this PID), so stop can wait for all of it.
    (cd / && exec setsid "${RABBITMQ_PREFIX[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server) \
        >>"$RABBITMQ_LAUNCH_LOG" 2>&1 </dev/null &
    echo $! >"$RABBITMQ_PID"
    local pid deadline=$((SECONDS + READY_TIMEOUT))
    pid="$(read_pid "$RABBITMQ_PID")"
    # The AMQP listener opens last in the boot sequence: wait for it cheaply, then ask the node itself.
    until port_open "$AMQP_PORT"; do
        if ! pid_alive "$pid"; then
            warn "RabbitMQ exited during start"
            rabbitmq_log_tail
            stop_rabbitmq >/dev/null 2>&1 || true
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            warn "RabbitMQ did not open 127.0.0.1:$AMQP_PORT within ${READY_TIMEOUT} s"
            rabbitmq_log_tail
            stop_rabbitmq >/dev/null 2>&1 || true
            exit 1
        fi
        sleep 0.2
    done
    until rabbitmq_ready; do
        if ((SECONDS >= deadline)); then
            warn "RabbitMQ did not pass check_port_connectivity within ${READY_TIMEOUT} s"
            rabbitmq_log_tail
            stop_rabbitmq >/dev/null 2>&1 || true
            exit 1
        fi
        sleep 1
    done
    say "RabbitMQ: $RABBITMQ_NODE ready on 127.0.0.1:$AMQP_PORT in $((SECONDS - started)) s (pid $pid, data $(rabbitmq_dir))"
}

stop_rabbitmq() {
    if [[ "$(uname -s)" == Darwin ]]; then stop_brew_service rabbitmq; return; fi
    local pid epmd
    pid="$(read_pid "$RABBITMQ_PID")"
    epmd="$(read_pid "$RABBITMQ_EPMD_PID")"
    if [[ -n "$pid" ]] && ours "$RABBITMQ_PID" rabbitmq; then
        local dir tree
        dir="$(rabbitmq_dir)"
        tree="$(process_tree "$pid")"
        # Graceful: `stop PIDFILE` asks the node to stop and waits for its Erlang VM to end.
        rabbitmq_cli rabbitmqctl -q stop "$dir/mnesia/$RABBITMQ_NODE.pid" >/dev/null 2>&1 ||
            warn "rabbitmqctl stop failed; ending the node's processes ($tree) by PID"
        # shellcheck disable=SC2086
        end_processes RabbitMQ $tree || die "RabbitMQ ($tree) is still running"
        say "RabbitMQ: $RABBITMQ_NODE stopped"
    fi
    rm -f "$RABBITMQ_PID"
    if [[ -n "$epmd" ]] && ours "$RABBITMQ_EPMD_PID" epmd; then
        kill -TERM "$epmd" 2>/dev/null || true
        end_processes epmd "$epmd" || die "epmd ($epmd) is still running"
        say "RabbitMQ: epmd stopped"
    fi
    rm -f "$RABBITMQ_EPMD_PID"
}

# --- macOS: Homebrew services (untested by this project's CI) ---------------------------------------
start_brew_service() {
    local formula="$1"
    if brew services list 2>/dev/null | awk -v f="$formula" '$1 == f && $2 == "started" {found=1} END {exit !found}'; then
        say "$formula: Homebrew service already started"
        return 0
    fi
    brew services start "$formula" >/dev/null
    echo "$formula" >>"$BREW_STARTED"
    say "$formula: Homebrew service started (macOS support is untested)"
}
stop_brew_service() {
    local formula="$1"
    if [[ -f "$BREW_STARTED" ]] && grep -qx "$formula" "$BREW_STARTED"; then
        brew services stop "$formula" >/dev/null || true
        grep -vx "$formula" "$BREW_STARTED" >"$BREW_STARTED.tmp" || true
        mv "$BREW_STARTED.tmp" "$BREW_STARTED"
        say "$formula: Homebrew service stopped"
    fi
}

# --- commands ----------------------------------------------------------------------------------------
print_env() {
    local kafka="${MESSAGEBUS_KAFKA_BROKERS:-$DEFAULT_KAFKA_BROKERS}"
    local amqp="${MESSAGEBUS_AMQP_URL:-$DEFAULT_AMQP_URL}"
    if want kafka; then printf 'export MESSAGEBUS_KAFKA_BROKERS=%q\n' "$kafka"; fi
    if want rabbitmq; then printf 'export MESSAGEBUS_AMQP_URL=%q\n' "$amqp"; fi
}

status() {
    local code=0 pid
    if want kafka; then
        if [[ "$(kafka_mode)" == external ]]; then
            say "Kafka: external, MESSAGEBUS_KAFKA_BROKERS=$MESSAGEBUS_KAFKA_BROKERS"
        elif ours "$TANSU_PID" tansu; then
            pid="$(read_pid "$TANSU_PID")"
            if kafka_answers "$DEFAULT_KAFKA_BROKERS" 3 2>/dev/null; then
                say "Kafka: Tansu running, pid $pid, answering on $DEFAULT_KAFKA_BROKERS"
            else say "Kafka: Tansu running, pid $pid, NOT answering on $DEFAULT_KAFKA_BROKERS"; code=3; fi
        else
            say "Kafka: not running$(port_open "$KAFKA_PORT" && printf ' (port %s is held by: %s)' "$KAFKA_PORT" "$(port_owner "$KAFKA_PORT")")"
            code=3
        fi
    fi
    if want rabbitmq; then
        if [[ "$(amqp_mode)" == external ]]; then
            say "RabbitMQ: external, MESSAGEBUS_AMQP_URL set"
        elif ours "$RABBITMQ_PID" rabbitmq; then
            pid="$(read_pid "$RABBITMQ_PID")"
            if rabbitmq_ready; then say "RabbitMQ: $RABBITMQ_NODE running, pid $pid, answering on 127.0.0.1:$AMQP_PORT"
            else say "RabbitMQ: $RABBITMQ_NODE running, pid $pid, NOT answering on 127.0.0.1:$AMQP_PORT"; code=3; fi
            pid="$(read_pid "$RABBITMQ_EPMD_PID")"
            if pid_alive "$pid"; then say "RabbitMQ: epmd (ours) pid $pid on 127.0.0.1:$EPMD_PORT"; fi
        else
            say "RabbitMQ: not running$(port_open "$AMQP_PORT" && printf ' (port %s is held by: %s)' "$AMQP_PORT" "$(port_owner "$AMQP_PORT")")"
            code=3
        fi
    fi
    return "$code"
}

SELECTED=()
FRESH=0      # 1 with --fresh: a RabbitMQ node started now begins with empty data
EXPLICIT=0   # 1 when the command line names backends: then only those named count
want() { [[ $EXPLICIT -eq 0 ]] || [[ " ${SELECTED[*]} " == *" $1 "* ]]; }

main() {
    local command="${1:-}"
    shift || true
    case "$command" in
        ctl) rabbitmq_cli rabbitmqctl "$@"; return ;;
        diagnostics) rabbitmq_cli rabbitmq-diagnostics "$@"; return ;;
    esac
    local name
    for name in "$@"; do
        case "$name" in
            --fresh) FRESH=1 ;;
            kafka | rabbitmq) SELECTED+=("$name"); EXPLICIT=1 ;;
            memory) EXPLICIT=1 ;;   # needs no broker (lets `make demo BACKENDS=...` pass its list through)
            *) die "unknown broker '$name' (expected kafka and/or rabbitmq)" ;;
        esac
    done
    case "$command" in
        start)
            if want rabbitmq; then start_rabbitmq; fi
            if want kafka; then
                if [[ "$(uname -s)" == Darwin && "$(kafka_mode)" == local ]]; then
                    start_brew_service kafka
                    kafka_answers "$DEFAULT_KAFKA_BROKERS" "$READY_TIMEOUT" 2>/dev/null || die "Kafka does not answer on $DEFAULT_KAFKA_BROKERS"
                else start_kafka; fi
            fi
            say "addresses (eval \"\$(scripts/brokers.sh env)\" to export them):"
            print_env | sed 's/^/    /'
            ;;
        stop)
            if want kafka; then
                if [[ "$(uname -s)" == Darwin ]]; then stop_brew_service kafka; else stop_kafka; fi
            fi
            if want rabbitmq; then stop_rabbitmq; fi
            ;;
        status) status ;;
        env) print_env ;;
        *) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}

main "$@"
