//! The state of one store (a job's run or a function's request): a WASI context that grants
//! nothing but its own args, env and stdio, wasi:http with outbound requests on an
//! allow-list, the memory limiter, and the `edge:platform` host functions.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::Runtime;
use super::bindings::edge::platform::host::{self, Level};
use super::cancel::{CancelSignal, Cancelled, DeadlineReached};
use super::limiter::JobLimiter;
use super::outbound::OutboundPolicy;
use super::output::{EventSink, GuestEvent, OutputCapture, StreamKind};

/// One job's store data.
pub struct SandboxState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: JobLimiter,
    capture: OutputCapture,
    events: Option<EventSink>,
    http: WasiHttpCtx,
    outbound: OutboundPolicy,
}

impl SandboxState {
    /// A sandbox for one run: no files, no sockets, no name lookups, no inherited env.
    pub fn new(
        args: &[String],
        env: &[(String, String)],
        stdin: Vec<u8>,
        capture: OutputCapture,
        events: Option<EventSink>,
        memory_mb: u64,
        outbound: OutboundPolicy,
    ) -> Self {
        let memory_cap_bytes = usize::try_from(memory_mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
        let mut builder = WasiCtxBuilder::new();
        builder
            .arg("main")
            .args(args)
            .envs(env)
            .stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(stdin))
            .stdout(capture.stream(StreamKind::Stdout))
            .stderr(capture.stream(StreamKind::Stderr))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        Self {
            wasi: builder.build(),
            table: ResourceTable::new(),
            limiter: JobLimiter::new(memory_cap_bytes),
            capture,
            events,
            http: WasiHttpCtx::new(),
            outbound,
        }
    }
}

impl WasiView for SandboxState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for SandboxState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.outbound }
    }
}

impl host::Host for SandboxState {
    async fn progress(&mut self, percent: u8, message: String) {
        if let Some(events) = &self.events {
            let _ = events.send(GuestEvent::Progress { percent: percent.min(100), message });
        }
    }

    async fn log(&mut self, level: Level, message: String) {
        let level = match level {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        };
        // Past the output budget the line is dropped; the budget's trap comes with the
        // guest's next write, or the result is flagged truncated.
        let _ = self.capture.write_stderr(&Bytes::from(format!("{level} {message}\n")));
    }
}

/// The linker every component uses: WASI p2, wasi:http and the `edge:platform` host.
///
/// # Errors
/// When wasmtime refuses a definition (a bug, not an input problem).
pub fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<SandboxState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    host::add_to_linker::<_, HasSelf<SandboxState>>(&mut linker, |state| state)?;
    Ok(linker)
}

impl Runtime {
    /// A store for one run or request: the memory limiter, a fuel budget when this engine
    /// meters fuel, and an epoch callback that ends the guest at `deadline` (never before)
    /// or as soon as `cancel` flips, and otherwise yields at every tick so a computing guest
    /// never holds a runtime thread for long.
    pub(super) fn guarded_store(
        &self,
        state: SandboxState,
        fuel: Option<u64>,
        deadline: Instant,
        cancel: Option<Arc<CancelSignal>>,
    ) -> Store<SandboxState> {
        let mut store = Store::new(self.engine(), state);
        store.limiter(|s| &mut s.limiter);
        if self.settings().fuel
            && let Err(e) = store.set_fuel(fuel.unwrap_or(u64::MAX))
        {
            // Only fails on an engine without fuel metering, which the check above rules out.
            tracing::error!(error = %e, "cannot set fuel");
        }
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
                return Err(wasmtime::Error::new(Cancelled));
            }
            if Instant::now() >= deadline {
                return Err(wasmtime::Error::new(DeadlineReached));
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }
}
