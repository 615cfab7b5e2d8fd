//! Captures a job's stdout and stderr under one shared byte budget, and hands every kept
//! chunk (and progress reports) to an optional sink so they can be streamed while the job
//! runs.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Which stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// What a running guest produces besides its final result, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestEvent {
    /// Bytes written to stdout or stderr (only what was kept).
    Output(StreamKind, Bytes),
    /// A progress report of an `edge:platform/job` component.
    Progress { percent: u8, message: String },
}

/// Receives guest events while the job runs.
pub type EventSink = mpsc::UnboundedSender<GuestEvent>;

/// The trap a guest gets when it writes past its output budget.
#[derive(Debug, thiserror::Error)]
#[error("output limit: the job wrote more than {limit} bytes to stdout and stderr")]
pub struct OutputLimitExceeded {
    /// The budget in bytes.
    pub limit: u64,
}

#[derive(Default)]
struct Captured {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    stdout_truncated: bool,
    stderr_truncated: bool,
    /// Everything the guest tried to write, kept or not.
    written: u64,
}

struct Shared {
    limit: u64,
    sink: Option<EventSink>,
    captured: Mutex<Captured>,
}

/// What was captured, once the job is over.
pub struct CapturedOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub written: u64,
}

/// Both streams of one job. Clone it into the WASI context as stdout and stderr.
#[derive(Clone)]
pub struct OutputCapture {
    shared: Arc<Shared>,
}

impl OutputCapture {
    pub fn new(limit: u64, sink: Option<EventSink>) -> Self {
        let captured = Mutex::new(Captured::default());
        Self { shared: Arc::new(Shared { limit, sink, captured }) }
    }

    /// The stream the guest sees as `kind`.
    pub fn stream(&self, kind: StreamKind) -> CaptureStream {
        CaptureStream { shared: self.shared.clone(), kind }
    }

    /// Writes to stdout from the host side (a job's returned output), under the same budget.
    pub fn write_stdout(&self, bytes: &[u8]) -> Result<(), OutputLimitExceeded> {
        self.shared.write(StreamKind::Stdout, bytes)
    }

    /// Writes to stderr from the host side (a job's log lines), under the same budget.
    pub fn write_stderr(&self, bytes: &[u8]) -> Result<(), OutputLimitExceeded> {
        self.shared.write(StreamKind::Stderr, bytes)
    }

    /// Takes what was captured.
    pub fn finish(&self) -> CapturedOutput {
        let mut c = self.shared.captured.lock().unwrap_or_else(PoisonError::into_inner);
        let c = std::mem::take(&mut *c);
        CapturedOutput {
            stdout: c.stdout,
            stderr: c.stderr,
            stdout_truncated: c.stdout_truncated,
            stderr_truncated: c.stderr_truncated,
            written: c.written,
        }
    }
}

impl Shared {
    /// Keeps what fits in the budget; `Err` when something had to be dropped.
    fn write(&self, kind: StreamKind, bytes: &[u8]) -> Result<(), OutputLimitExceeded> {
        let keep = {
            let mut guard = self.captured.lock().unwrap_or_else(PoisonError::into_inner);
            let c = &mut *guard;
            let kept_so_far = (c.stdout.len() + c.stderr.len()) as u64;
            let room = self.limit.saturating_sub(kept_so_far);
            let keep = bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX));
            c.written += bytes.len() as u64;
            let (buffer, truncated) = match kind {
                StreamKind::Stdout => (&mut c.stdout, &mut c.stdout_truncated),
                StreamKind::Stderr => (&mut c.stderr, &mut c.stderr_truncated),
            };
            buffer.extend_from_slice(&bytes[..keep]);
            if keep < bytes.len() {
                *truncated = true;
            }
            keep
        };
        if keep > 0
            && let Some(sink) = &self.sink
        {
            // A closed sink only means nobody streams this job any more.
            let _ = sink.send(GuestEvent::Output(kind, Bytes::copy_from_slice(&bytes[..keep])));
        }
        if keep < bytes.len() { Err(OutputLimitExceeded { limit: self.limit }) } else { Ok(()) }
    }
}

/// One of the two streams, as wasmtime-wasi wants it.
#[derive(Clone)]
pub struct CaptureStream {
    shared: Arc<Shared>,
    kind: StreamKind,
}

/// Largest write permit offered to the guest at once.
const WRITE_PERMIT: usize = 64 * 1024;

impl IsTerminal for CaptureStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CaptureStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CaptureStream {
    async fn ready(&mut self) {}
}

impl OutputStream for CaptureStream {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.shared.write(self.kind, &bytes).map_err(|e| StreamError::Trap(wasmtime::Error::new(e)))
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(WRITE_PERMIT)
    }
}

impl AsyncWrite for CaptureStream {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.shared.write(self.kind, buf).map(|()| buf.len()).map_err(io::Error::other))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_streams_share_one_budget_and_keep_their_order() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let capture = OutputCapture::new(10, Some(tx));
        let mut out = capture.stream(StreamKind::Stdout);
        let mut err = capture.stream(StreamKind::Stderr);
        assert!(out.write(Bytes::from_static(b"hello")).is_ok());
        assert!(err.write(Bytes::from_static(b"oops")).is_ok());
        assert!(out.write(Bytes::from_static(b"world")).is_err());
        let done = capture.finish();
        assert_eq!(done.stdout, b"hellow");
        assert_eq!(done.stderr, b"oops");
        assert!(done.stdout_truncated && !done.stderr_truncated);
        assert_eq!(done.written, 14);
        let chunks: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(
            chunks,
            vec![
                GuestEvent::Output(StreamKind::Stdout, Bytes::from_static(b"hello")),
                GuestEvent::Output(StreamKind::Stderr, Bytes::from_static(b"oops")),
                GuestEvent::Output(StreamKind::Stdout, Bytes::from_static(b"w")),
            ]
        );
    }
}
