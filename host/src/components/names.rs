//! Component names as this host last saw them, kept current by a watch on `edge_names`:
//! resolving a name for a job or a function call costs no NATS round trip.
//!
//! A name changed on another host reaches this one as fast as the watch delivers it
//! (about a NATS round trip); a change made through this host is seen here at once. While
//! the watch is down the cache is empty and every lookup reads NATS.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use async_nats::jetstream::kv;
use edge_wire::ComponentInfo;
use futures::StreamExt as _;

use crate::runtime::OutboundPolicy;

/// Pause before watching again after the watch ended.
const REWATCH_AFTER: Duration = Duration::from_secs(1);

/// A name as jobs and function calls need it, made once per change of the name.
pub struct NameEntry {
    pub info: ComponentInfo,
    /// Its revision in `edge_names`: a newer one always replaces an older one.
    pub revision: u64,
    /// The outbound hosts a function may call, parsed once.
    pub outbound: OutboundPolicy,
}

impl NameEntry {
    pub fn new(info: ComponentInfo, revision: u64) -> Arc<Self> {
        let outbound = OutboundPolicy::allow(&info.config.allowed_outbound_hosts);
        Arc::new(Self { info, revision, outbound })
    }
}

/// Names (`<tenant>.<name>` keys) and their current description.
#[derive(Clone, Default)]
pub struct NameCache {
    entries: Arc<RwLock<HashMap<String, Arc<NameEntry>>>>,
    /// True while the watch runs: only then may entries be used or added.
    live: Arc<AtomicBool>,
}

impl NameCache {
    /// Starts following `edge_names` (and follows it again whenever the watch ends).
    pub fn watch(names: kv::Store) -> Self {
        let cache = Self::default();
        tokio::spawn(cache.clone().follow(names));
        cache
    }

    async fn follow(self, names: kv::Store) {
        loop {
            match names.watch_with_history(">").await {
                Ok(mut updates) => {
                    self.live.store(true, Ordering::SeqCst);
                    while let Some(update) = updates.next().await {
                        match update {
                            Ok(entry) => self.apply(entry),
                            Err(e) => {
                                tracing::warn!(error = %e, "the watch of component names failed; watching again");
                                break;
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot watch component names; retrying"),
            }
            // Whatever the watch brought may be stale from now on.
            self.live.store(false, Ordering::SeqCst);
            self.entries.write().unwrap_or_else(PoisonError::into_inner).clear();
            tokio::time::sleep(REWATCH_AFTER).await;
        }
    }

    fn apply(&self, entry: kv::Entry) {
        match entry.operation {
            kv::Operation::Put => match serde_json::from_slice::<ComponentInfo>(&entry.value) {
                Ok(info) => self.offer(&entry.key, NameEntry::new(info, entry.revision)),
                // Unreadable: not cached, so lookups read it (and report it) themselves.
                Err(_) => self.forget(&entry.key),
            },
            kv::Operation::Delete | kv::Operation::Purge => self.forget(&entry.key),
        }
    }

    /// The entry of `key`, if the watch runs and has it.
    pub fn lookup(&self, key: &str) -> Option<Arc<NameEntry>> {
        if !self.live.load(Ordering::SeqCst) {
            return None;
        }
        self.entries.read().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
    }

    /// Keeps `entry` unless a newer revision of `key` is cached (or the watch is down).
    pub fn offer(&self, key: &str, entry: Arc<NameEntry>) {
        if !self.live.load(Ordering::SeqCst) {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        match entries.get(key) {
            Some(cached) if cached.revision >= entry.revision => {}
            _ => {
                entries.insert(key.to_owned(), entry);
            }
        }
    }

    fn forget(&self, key: &str) {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).remove(key);
    }
}
