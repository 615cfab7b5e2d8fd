//! Component names as this host last saw them: kept current by a watch on `edge_names`,
//! so a function call costs no NATS round trip.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use async_nats::jetstream::kv;
use edge_wire::ComponentInfo;
use futures::StreamExt as _;

use crate::components::{ComponentStore, StoreError, name_key};
use crate::runtime::OutboundPolicy;

/// A name as a function call needs it, made once per change of the name.
pub struct FunctionEntry {
    pub info: ComponentInfo,
    pub outbound: OutboundPolicy,
}

impl FunctionEntry {
    fn new(info: ComponentInfo) -> Arc<Self> {
        let outbound = OutboundPolicy::allow(&info.config.allowed_outbound_hosts);
        Arc::new(Self { info, outbound })
    }
}

/// Names and their current description.
#[derive(Clone, Default)]
pub struct NameCache {
    infos: Arc<RwLock<HashMap<String, Arc<FunctionEntry>>>>,
}

impl NameCache {
    /// Starts following `edge_names`.
    ///
    /// # Errors
    /// When the watch cannot be started.
    pub async fn watch(names: &kv::Store) -> anyhow::Result<Self> {
        let cache = Self::default();
        let mut updates = names.watch_with_history(">").await?;
        let infos = cache.infos.clone();
        tokio::spawn(async move {
            while let Some(update) = updates.next().await {
                let Ok(entry) = update else { continue };
                let mut infos = infos.write().unwrap_or_else(PoisonError::into_inner);
                match entry.operation {
                    kv::Operation::Put => {
                        if let Ok(info) = serde_json::from_slice::<ComponentInfo>(&entry.value) {
                            infos.insert(entry.key, FunctionEntry::new(info));
                        }
                    }
                    kv::Operation::Delete | kv::Operation::Purge => {
                        infos.remove(&entry.key);
                    }
                }
            }
        });
        Ok(cache)
    }

    /// The description of `tenant`'s `name`: from the cache, or from NATS when the watch has not
    /// brought it yet.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown name.
    pub async fn get(
        &self,
        tenant: &str,
        name: &str,
        store: &ComponentStore,
    ) -> Result<Arc<FunctionEntry>, StoreError> {
        let key = name_key(tenant, name);
        if let Some(entry) = self.infos.read().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(entry.clone());
        }
        let entry = FunctionEntry::new(store.describe(tenant, name).await?);
        self.infos.write().unwrap_or_else(PoisonError::into_inner).insert(key, entry.clone());
        Ok(entry)
    }
}
