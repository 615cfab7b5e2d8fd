//! Runs one component in a fresh, empty sandbox and says how it ended.

use std::sync::Arc;
use std::time::{Duration, Instant};

use edge_wire::{JobError, JobStatus, Limits};
use wasmtime::Trap;
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::bindings::CommandPre;

use super::Runtime;
use super::bindings::JobPre;
use super::cancel::{CancelSignal, Cancelled, DeadlineReached};
use super::outbound::OutboundPolicy;
use super::output::{EventSink, OutputCapture, OutputLimitExceeded};
use super::sandbox::SandboxState;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

/// Time a job blocked in the host (e.g. sleeping) gets past its deadline before it is
/// dropped; a job burning CPU is stopped by the epoch deadline instead.
const HOST_WAIT_GRACE: Duration = Duration::from_millis(50);

/// Everything one run needs besides the component.
pub struct RunInput {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// A command's stdin; a job component's input.
    pub stdin: Vec<u8>,
    pub limits: Limits,
    /// Receives output and progress while the job runs.
    pub sink: Option<EventSink>,
    /// Stops the run when flipped.
    pub cancel: Arc<CancelSignal>,
}

/// How a run ended.
pub struct RunOutcome {
    pub status: JobStatus,
    pub exit_code: Option<i32>,
    pub error: Option<JobError>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub wall: Duration,
    pub fuel_used: Option<u64>,
    pub peak_memory_bytes: u64,
    pub output_bytes: u64,
}

/// A component made ready to run many times: as a `wasi:cli` command, through the
/// `edge:platform` job world, or as a `wasi:http` handler.
#[derive(Clone)]
pub enum Ready {
    Command(CommandPre<SandboxState>),
    Job(JobPre<SandboxState>),
    Http(ProxyPre<SandboxState>),
}

/// How the guest itself ended, when nothing stopped it.
enum GuestEnd {
    /// `wasi:cli/run` returned ok, or a job returned its output.
    Ok,
    /// `wasi:cli/run` returned an error.
    Err,
    /// A job returned an error message.
    JobError(String),
}

impl Runtime {
    /// Runs `ready` once under `input.limits`. Never fails: every way a run can end is an
    /// outcome.
    pub async fn run(&self, ready: &Ready, input: RunInput) -> RunOutcome {
        let limits = input.limits;
        let capture = OutputCapture::new(limits.max_output_bytes, input.sink.clone());
        // A job component gets its input as an argument, not as stdin.
        let (stdin, job_input) = match ready {
            Ready::Command(_) | Ready::Http(_) => (input.stdin, Vec::new()),
            Ready::Job(_) => (Vec::new(), input.stdin),
        };
        let state = SandboxState::new(
            &input.args,
            &input.env,
            stdin,
            capture.clone(),
            input.sink,
            limits.memory_mb,
            OutboundPolicy::deny_all(),
        );
        let timeout = Duration::from_millis(limits.timeout_ms);
        let started = Instant::now();
        let mut store = self.guarded_store(state, limits.fuel, started + timeout, Some(input.cancel.clone()));

        let run = async {
            match ready {
                Ready::Command(pre) => {
                    let command = pre.instantiate_async(&mut store).await?;
                    Ok(match command.wasi_cli_run().call_run(&mut store).await? {
                        Ok(()) => GuestEnd::Ok,
                        Err(()) => GuestEnd::Err,
                    })
                }
                Ready::Http(_) => Err(wasmtime::Error::msg("an http component is served at /fn/, not run as a job")),
                Ready::Job(pre) => {
                    let job = pre.instantiate_async(&mut store).await?;
                    match job.edge_platform_handler().call_run(&mut store, &job_input).await? {
                        Ok(output) => {
                            capture.write_stdout(&output).map_err(wasmtime::Error::new)?;
                            Ok(GuestEnd::Ok)
                        }
                        Err(message) => Ok(GuestEnd::JobError(message)),
                    }
                }
            }
        };
        // A guest blocked in the host (sleeping, reading) sees no ticks: drop it from here.
        let result = tokio::select! {
            result = tokio::time::timeout(timeout + HOST_WAIT_GRACE, run) => result.map_err(|_| Stopped::Deadline),
            () = input.cancel.cancelled() => Err(Stopped::Cancelled),
        };
        let wall = started.elapsed();

        let fuel_used = limits.fuel.map(|budget| budget.saturating_sub(store.get_fuel().unwrap_or(0)));
        let limiter = &store.data().limiter;
        let (memory_exceeded, peak) = (limiter.exceeded(), limiter.peak_bytes() as u64);
        // The store holds the last sender of the event sink: dropping it ends the stream.
        drop(store);
        let out = capture.finish();
        let (status, exit_code, error) = classify(result, memory_exceeded, &limits);
        RunOutcome {
            status,
            exit_code,
            error,
            stdout: out.stdout,
            stderr: out.stderr,
            stdout_truncated: out.stdout_truncated,
            stderr_truncated: out.stderr_truncated,
            wall,
            fuel_used,
            peak_memory_bytes: peak,
            output_bytes: out.written,
        }
    }
}

/// The trap and the innermost guest frame, without the full backtrace.
fn trap_message(trap: &Trap, error: &wasmtime::Error) -> String {
    let frame = error
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .and_then(|bt| bt.frames().first())
        .map(|f| match f.func_name() {
            Some(name) => format!(" in {name}"),
            None => format!(" in wasm function {}", f.func_index()),
        })
        .unwrap_or_default();
    format!("{trap}{frame}")
}

/// Why a run was dropped from outside the guest.
enum Stopped {
    Deadline,
    Cancelled,
}

type RunResult = Result<wasmtime::Result<GuestEnd>, Stopped>;

fn classify(result: RunResult, memory_exceeded: bool, limits: &Limits) -> (JobStatus, Option<i32>, Option<JobError>) {
    let error = |code: &str, message: String| Some(JobError { code: code.into(), message });
    let timed_out = || error("timeout", format!("the job ran past its deadline of {} ms", limits.timeout_ms));
    let cancelled = || error("cancelled", "the job was cancelled".to_owned());
    match result {
        Err(Stopped::Deadline) => (JobStatus::TimedOut, None, timed_out()),
        Err(Stopped::Cancelled) => (JobStatus::Cancelled, None, cancelled()),
        Ok(Ok(GuestEnd::Ok)) => (JobStatus::Succeeded, Some(0), None),
        Ok(Ok(GuestEnd::Err)) => (JobStatus::Failed, Some(1), None),
        Ok(Ok(GuestEnd::JobError(message))) => (JobStatus::Failed, None, error("job_error", message)),
        Ok(Err(e)) => {
            if let Some(exit) = e.downcast_ref::<I32Exit>() {
                let status = if exit.0 == 0 { JobStatus::Succeeded } else { JobStatus::Failed };
                return (status, Some(exit.0), None);
            }
            if e.is::<Cancelled>() {
                return (JobStatus::Cancelled, None, cancelled());
            }
            if e.is::<DeadlineReached>() {
                return (JobStatus::TimedOut, None, timed_out());
            }
            if memory_exceeded {
                let message = format!("the job tried to use more than {} MiB of memory", limits.memory_mb);
                return (JobStatus::MemoryExceeded, None, error("memory_limit", message));
            }
            if let Some(exceeded) = e.downcast_ref::<OutputLimitExceeded>() {
                return (JobStatus::Failed, None, error("output_limit", exceeded.to_string()));
            }
            match e.downcast_ref::<Trap>() {
                Some(Trap::OutOfFuel) => {
                    let budget = limits.fuel.unwrap_or_default();
                    (JobStatus::Failed, None, error("fuel_exhausted", format!("the job used all of its {budget} fuel")))
                }
                Some(trap @ Trap::StackOverflow) => {
                    (JobStatus::Failed, None, error("stack_overflow", trap_message(trap, &e)))
                }
                Some(trap) => (JobStatus::Failed, None, error("trap", trap_message(trap, &e))),
                None => (JobStatus::Failed, None, error("runtime", format!("{e:#}"))),
            }
        }
    }
}
