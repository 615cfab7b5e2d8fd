//! The jobs running on one executor, each with the switch that stops it, and the cancels
//! that came for jobs it does not run (yet).
//!
//! A cancel can overtake its job: the host takes a queued job's message off the queue and
//! then signals, but a message already on its way to this executor may arrive after the
//! signal. So a cancel for a job not running here is remembered for a while, and a job
//! that starts within that while starts stopped.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::runtime::CancelSignal;

/// How long a cancel for a job that is not running here is remembered.
const REMEMBER_FOR: Duration = Duration::from_secs(60);
/// At most this many are remembered (the oldest go first).
const REMEMBER_AT_MOST: usize = 10_000;

#[derive(Default)]
pub struct Cancels {
    // One lock for both: a cancel and the start of its job cannot miss each other.
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    running: HashMap<String, Arc<CancelSignal>>,
    remembered: VecDeque<(Instant, String)>,
    remembered_ids: HashSet<String>,
}

impl Cancels {
    /// Registers job `id` as running here until the guard drops; its switch is already
    /// thrown if a cancel for it came before.
    pub fn register<'a>(&'a self, id: &'a str) -> Registered<'a> {
        let signal = Arc::new(CancelSignal::default());
        let mut inner = self.lock();
        if inner.remembered_ids.contains(id) {
            signal.cancel();
        }
        inner.running.insert(id.to_owned(), signal.clone());
        Registered { cancels: self, id, signal }
    }

    /// Stops job `id` if it runs here, else remembers the cancel. True if it was running.
    pub fn cancel(&self, id: &str) -> bool {
        let mut inner = self.lock();
        if let Some(signal) = inner.running.get(id) {
            signal.cancel();
            return true;
        }
        inner.remember(id);
        false
    }

    /// Jobs running here.
    pub fn running(&self) -> usize {
        self.lock().running.len()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn remember(&mut self, id: &str) {
        let now = Instant::now();
        while let Some((at, _)) = self.remembered.front() {
            if now.duration_since(*at) < REMEMBER_FOR && self.remembered.len() < REMEMBER_AT_MOST {
                break;
            }
            if let Some((_, old)) = self.remembered.pop_front() {
                self.remembered_ids.remove(&old);
            }
        }
        if self.remembered_ids.insert(id.to_owned()) {
            self.remembered.push_back((now, id.to_owned()));
        }
    }
}

/// A job registered as running; unregisters it when dropped, however its processing ends.
pub struct Registered<'a> {
    cancels: &'a Cancels,
    id: &'a str,
    pub signal: Arc<CancelSignal>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.cancels.lock().running.remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_reaches_a_running_job_or_the_job_that_starts_after_it() {
        let cancels = Cancels::default();
        let running = cancels.register("a");
        assert!(!running.signal.is_cancelled());
        assert!(cancels.cancel("a"));
        assert!(running.signal.is_cancelled());
        drop(running);
        assert_eq!(cancels.running(), 0);

        // Overtaken by its cancel: starts stopped.
        assert!(!cancels.cancel("b"));
        assert!(cancels.register("b").signal.is_cancelled());
        assert!(!cancels.register("c").signal.is_cancelled());
    }
}
