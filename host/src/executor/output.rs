//! Turning what a running guest produces into events: output batched into chunks, progress
//! reports in order with the output around them.

use std::time::Duration;

use edge_wire::{JobEvent, Output, OutputChunk};
use tokio::sync::mpsc;

use crate::nats::EventPublisher;
use crate::runtime::{GuestEvent, StreamKind};

/// Longest a partial line waits before it is sent.
const FLUSH_INTERVAL: Duration = Duration::from_millis(50);
/// A chunk is sent once it holds this much, newline or not.
const CHUNK_BYTES: usize = 16 * 1024;

/// Sends output chunks of one attempt as they come: a chunk ends at a newline when no
/// more output is waiting, at [`CHUNK_BYTES`], or after [`FLUSH_INTERVAL`]. Returns when
/// the job's output is closed and everything is sent.
pub async fn pump_output(
    mut output: mpsc::UnboundedReceiver<GuestEvent>,
    publisher: EventPublisher,
    job_id: String,
    attempt: u32,
) {
    let mut streams = [PendingStream::new(StreamKind::Stdout), PendingStream::new(StreamKind::Stderr)];
    let mut progress_seq = 0;
    let mut ticker = tokio::time::interval(FLUSH_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            received = output.recv() => {
                let Some(first) = received else { break };
                let mut next = Some(first);
                // Take everything already waiting, so a flood becomes few large chunks.
                while let Some(event) = next {
                    match event {
                        GuestEvent::Output(kind, bytes) => streams[kind as usize].buffer.extend_from_slice(&bytes),
                        GuestEvent::Progress { percent, message } => {
                            // What was written before the report goes out before it.
                            for stream in &mut streams {
                                stream.flush(&publisher, &job_id, attempt).await;
                            }
                            let event = JobEvent::Progress { attempt, seq: progress_seq, percent, message };
                            let dedupe = format!("{job_id}.progress.{attempt}.{progress_seq}");
                            if let Err(e) = publisher.publish(&job_id, &event, Some(&dedupe)).await {
                                tracing::warn!(job = %job_id, error = %e, "cannot publish progress");
                            }
                            progress_seq += 1;
                        }
                    }
                    next = output.try_recv().ok();
                }
                for stream in &mut streams {
                    if stream.buffer.len() >= CHUNK_BYTES || stream.buffer.ends_with(b"\n") {
                        stream.flush(&publisher, &job_id, attempt).await;
                    }
                }
            }
            _ = ticker.tick() => {
                for stream in &mut streams {
                    stream.flush(&publisher, &job_id, attempt).await;
                }
            }
        }
    }
    for stream in &mut streams {
        stream.flush(&publisher, &job_id, attempt).await;
    }
}

struct PendingStream {
    kind: StreamKind,
    buffer: Vec<u8>,
    seq: u64,
}

impl PendingStream {
    fn new(kind: StreamKind) -> Self {
        Self { kind, buffer: Vec::new(), seq: 0 }
    }

    /// Sends what is buffered, in chunks of at most [`CHUNK_BYTES`] (output held until a job
    /// is announced, or a flood taken in one go, can be far more than one message holds).
    async fn flush(&mut self, publisher: &EventPublisher, job_id: &str, attempt: u32) {
        let buffer = std::mem::take(&mut self.buffer);
        for piece in buffer.chunks(CHUNK_BYTES) {
            self.send(piece, publisher, job_id, attempt).await;
        }
        self.buffer = buffer;
        self.buffer.clear();
    }

    async fn send(&mut self, piece: &[u8], publisher: &EventPublisher, job_id: &str, attempt: u32) {
        let chunk = OutputChunk { attempt, seq: self.seq, data: Output::from_bytes(piece, false) };
        let event = match self.kind {
            StreamKind::Stdout => JobEvent::Stdout(chunk),
            StreamKind::Stderr => JobEvent::Stderr(chunk),
        };
        // Deduped per attempt and position: a chunk sent twice is stored once.
        let dedupe = format!("{job_id}.{}.{attempt}.{}", event.kind().as_str(), self.seq);
        if let Err(e) = publisher.publish(job_id, &event, Some(&dedupe)).await {
            // The final record still holds all output; only live viewers miss this chunk.
            tracing::warn!(job = job_id, error = %e, "cannot publish output chunk");
        }
        self.seq += 1;
    }
}
