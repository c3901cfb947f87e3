# Process helpers shared by scripts/brokers.sh and the RabbitMQ test node script. Sourced, not run.
# Everything goes by PID, never by process name.

# Reads a PID file; prints nothing when it is missing.
read_pid() { [[ -f "$1" ]] && tr -dc '0-9' <"$1" || true; }

# A process counts as alive until it has exited; a zombie (exited, not yet reaped) does not.
pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
    local state
    state="$(ps -o stat= -p "$1" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z* ]]
}

# Prints a PID and all its descendants. The Erlang VM puts its helpers (erl_child_setup, inet_gethost,
# the disk monitor) in sessions of their own, so a process group alone does not hold them all.
process_tree() {
    local table queue=("$1") result=() pid
    table="$(ps -eo pid=,ppid=)"
    while ((${#queue[@]} > 0)); do
        pid="${queue[0]}"
        queue=("${queue[@]:1}")
        result+=("$pid")
        # shellcheck disable=SC2207
        queue+=($(awk -v parent="$pid" '$2 == parent {print $1}' <<<"$table"))
    done
    echo "${result[@]}"
}
