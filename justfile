# edge: the recipes people run. `just --list` shows them all.

set shell := ["bash", "-euo", "pipefail", "-c"]

root := justfile_directory()
venv := root / ".venv"
# Guests build in their own workspace; a shared CARGO_TARGET_DIR (as CI may set) holds both.
guest_target := env("CARGO_TARGET_DIR", root / "guest/target")

export EDGE_NATS_SERVER := venv / "bin/nats-server"
# Installed by `just test` from tools/requirements-test.txt.
export EDGE_SCHEMATHESIS := venv / "bin/schemathesis"
export EDGE_GUEST_DIR := guest_target / "wasm32-wasip2/release"
# Hosts started by these recipes (and the tests) serve the UI built by `just ui`.
export EDGE_UI_DIR := root / "frontend/dist"

# Show the recipes.
default:
    @{{ just_executable() }} --list

# Install what is missing: the wasm32-wasip2 target and the pinned tools in .venv.
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
    # Reinstall when tools/requirements.txt changed since the last install.
    if ! cmp -s "{{ root }}/tools/requirements.txt" "{{ venv }}/.requirements.txt"; then
        [ -x "{{ venv }}/bin/pip" ] || python3 -m venv "{{ venv }}"
        "{{ venv }}/bin/pip" install --quiet -r "{{ root }}/tools/requirements.txt"
        cp "{{ root }}/tools/requirements.txt" "{{ venv }}/.requirements.txt"
    fi

# Build the guest components (wasm32-wasip2) into $EDGE_GUEST_DIR.
guests: setup
    cargo build --quiet --release --target wasm32-wasip2 --manifest-path "{{ root }}/guest/Cargo.toml"

# Build the edge binary (release).
build: guests
    cargo build --release -p edge

# Leptos for wasm32-unknown-unknown, wasm-bindgen as a library (nothing downloaded), then
# wasm-opt from npm's binaryen@132 when npm is there.
# Build the web UI into frontend/dist.
ui:
    #!/usr/bin/env bash
    set -euo pipefail
    rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
    tools="{{ root }}/frontend/.tools"
    if [ ! -x "$tools/node_modules/.bin/wasm-opt" ] && command -v npm >/dev/null; then
        npm install --silent --no-save --prefix "$tools" binaryen@132 >/dev/null 2>&1 || echo "wasm-opt unavailable; the UI is built without it"
    fi
    if [ -x "$tools/node_modules/.bin/wasm-opt" ]; then export EDGE_WASM_OPT="$tools/node_modules/.bin/wasm-opt"; fi
    cargo run --quiet --release --manifest-path "{{ root }}/frontend/Cargo.toml" -p edge-ui-build -- "$EDGE_UI_DIR"

# Run the platform on this machine: nats-server, the host on :8080 (API and UI) and two executors.
dev: build ui
    cargo run --quiet --release -p edge -- dev

# Run only nats-server (JetStream) on :4222, with its data in .edge-dev/nats.
nats: setup
    mkdir -p "{{ root }}/.edge-dev"
    "{{ venv }}/bin/nats-server" -c "{{ root }}/nats/nats-server.conf" -js -sd "{{ root }}/.edge-dev/nats"

# Debian's Chromium and its WebDriver, for the browser tests (no browser is downloaded).
browser:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v chromedriver >/dev/null || [ ! -x /usr/bin/chromium ]; then
        apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
            || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }
    fi

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all --check
    cargo fmt --check --manifest-path "{{ root }}/guest/Cargo.toml"
    cargo fmt --check --manifest-path "{{ root }}/fuzz/Cargo.toml"
    cargo clippy --quiet --workspace --all-targets -- -D warnings
    cargo fmt --all --check --manifest-path "{{ root }}/frontend/Cargo.toml"
    cd "{{ root }}/frontend" && cargo clippy --quiet --release --target wasm32-unknown-unknown -p edge-ui -- -D warnings
    grep -qF "$(tail -n 1 "{{ root }}/.ci/run")" "{{ root }}/README.md" || { echo ".ci/run and the README's test command differ"; exit 1; }

# Loopback only, release builds, ~5 minutes; results in bench/results and BENCHMARKS.md.
# Benchmarks: per-job cost vs `wasmtime run`, job latency/bursts/SSE/cold start, functions vs `wasmtime serve`.
bench: guests
    #!/usr/bin/env bash
    set -euo pipefail
    command -v wrk >/dev/null || apt-get install -y -qq wrk || { apt-get update -qq && apt-get install -y -qq wrk; }
    "{{ venv }}/bin/pip" install --quiet -r "{{ root }}/tools/requirements-bench.txt"
    wasmtime=$("{{ venv }}/bin/python" -c 'import wasmtime_cli, os; print(os.path.join(os.path.dirname(wasmtime_cli.__file__), "wasmtime"))')
    chmod +x "$wasmtime"
    cargo build --quiet --release -p edge -p edge-loadgen
    target=$(cargo metadata --format-version 1 --no-deps | "{{ venv }}/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release
    results="{{ root }}/bench/results"
    cargo bench --quiet -p edge --bench per_job -- --guest-dir "$EDGE_GUEST_DIR" --wasmtime "$wasmtime" \
        --json "$results/per_job.json"
    "{{ venv }}/bin/python" "{{ root }}/bench/jobs.py" "$target/edge" "$target/edge-loadgen" "$EDGE_NATS_SERVER" \
        "$EDGE_GUEST_DIR" "$results/jobs.json"
    "{{ venv }}/bin/python" "{{ root }}/bench/functions.py" "$target/edge" "$EDGE_NATS_SERVER" "$wasmtime" \
        "$EDGE_GUEST_DIR/http-hello.wasm" "$results/functions.json"
    "{{ venv }}/bin/python" "{{ root }}/bench/report.py" "$results" "{{ root }}/BENCHMARKS.md"

# cargo-fuzz needs nightly-only compiler flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# take them. Built with ASan (FUZZ_SANITIZER=none builds ~20% faster, without it) in its own
# workspace (fuzz/), under $CARGO_TARGET_DIR/fuzz when that is set. Crashes land in
# fuzz/artifacts/<target>/, new inputs in fuzz/corpus/<target>/.
# Fuzz component validation and the job request checks, FUZZ_SECONDS (default 20) each.
fuzz:
    #!/usr/bin/env bash
    set -euo pipefail
    cd "{{ root }}"
    cargo fuzz --version >/dev/null 2>&1 || cargo install --quiet --locked cargo-fuzz --version 0.13.1
    export RUSTC_BOOTSTRAP=1
    seconds="${FUZZ_SECONDS:-20}"
    # run must get the build's options, or it builds again with others.
    build=(--codegen-units 16 --sanitizer "${FUZZ_SANITIZER:-address}")
    if [ -n "${CARGO_TARGET_DIR:-}" ]; then build+=(--target-dir "$CARGO_TARGET_DIR/fuzz"); fi
    cargo fuzz build "${build[@]}"
    # Only the committed seeds: all 15 guests as well made 20 s runs 4x slower for no more coverage.
    mkdir -p fuzz/corpus/component_validation fuzz/corpus/job_request fuzz/artifacts
    for target in component_validation job_request; do
        log="fuzz/artifacts/$target.log"
        if ! cargo fuzz run "${build[@]}" "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
            -max_total_time="$seconds" -timeout=10 -dict="fuzz/dicts/$target.dict" -print_final_stats=1 >"$log" 2>&1; then
            tail -n 60 "$log"
            echo "fuzz target $target failed; the whole log is $log"
            exit 1
        fi
        echo "$target: $(grep -E '^Done [0-9]+ runs' "$log")"
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log"
    done

# The end-to-end tests use real processes: nats-server, hosts, executors, headless Chromium.
# Everything CI runs: lints, fuzzing (bounded), unit tests and end-to-end tests.
test: guests ui browser lint fuzz
    #!/usr/bin/env bash
    set -euo pipefail
    # The tests' own tools (schemathesis); reinstalled when tools/requirements-test.txt changed.
    if ! cmp -s "{{ root }}/tools/requirements-test.txt" "{{ venv }}/.requirements-test.txt"; then
        "{{ venv }}/bin/pip" install --quiet -r "{{ root }}/tools/requirements-test.txt"
        cp "{{ root }}/tools/requirements-test.txt" "{{ venv }}/.requirements-test.txt"
    fi
    cargo test --workspace
