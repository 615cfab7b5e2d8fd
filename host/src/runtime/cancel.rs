//! A cancel switch for one run, readable from the epoch callback (sync) and awaitable from
//! the executor (async).

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Flipped once, never back.
#[derive(Debug, Default)]
pub struct CancelSignal {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelSignal {
    /// Asks the run to stop.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// True once [`Self::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves when cancelled (at once if it already is).
    pub async fn cancelled(&self) {
        let notified = self.notify.notified();
        if self.is_cancelled() {
            return;
        }
        notified.await;
    }
}

/// The error a cancelled guest stops with.
#[derive(Debug, thiserror::Error)]
#[error("the job was cancelled")]
pub struct Cancelled;

/// The error a guest past its deadline stops with.
#[derive(Debug, thiserror::Error)]
#[error("the job ran past its deadline")]
pub struct DeadlineReached;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_wakes_a_waiter_and_stays_set() {
        let signal = std::sync::Arc::new(CancelSignal::default());
        let waiter = tokio::spawn({
            let signal = signal.clone();
            async move { signal.cancelled().await }
        });
        tokio::task::yield_now().await;
        signal.cancel();
        waiter.await.expect("waiter");
        assert!(signal.is_cancelled());
        signal.cancelled().await; // already cancelled: returns at once
    }
}
