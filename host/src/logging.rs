//! Structured logs: human-readable by default, JSON lines with `--log-format json`.
//! The level comes from `EDGE_LOG` (e.g. `info`, `edge=debug`), default `info`.

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people at a terminal.
    Human,
    /// One JSON object a line, for machines.
    Json,
}

/// Starts logging to stderr.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("EDGE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
    }
}

/// With `RUST_BACKTRACE=1` (common on servers, and the right thing for panics) every
/// library error captures a backtrace, and wasmtime makes one each time a store is dropped:
/// ~2% of an executor's time. edge prints errors, never their backtraces, so unless the
/// user asked for library backtraces themselves (`RUST_LIB_BACKTRACE`), they are off;
/// panics keep theirs.
///
/// Call it first thing in `main`, before any thread is spawned.
pub fn quiet_library_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: called first in `main`, before any other thread exists (see above).
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
}
