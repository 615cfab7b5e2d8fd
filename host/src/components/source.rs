//! Feeds a [`ComponentCache`](crate::runtime::ComponentCache) from the NATS object stores.

use async_nats::jetstream::object_store::ObjectStore;

use super::{ComponentStore, read_object};
use crate::runtime::ComponentSource;

/// Component bytes from `edge_components`, shared native code in `edge_precompiled`.
pub struct NatsSource {
    pub components: ComponentStore,
    pub precompiled: ObjectStore,
}

impl ComponentSource for NatsSource {
    async fn component_bytes(&self, digest: &str) -> anyhow::Result<Vec<u8>> {
        Ok(self.components.bytes(digest).await?)
    }

    async fn precompiled(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(read_object(&self.precompiled, key).await?)
    }

    async fn share_precompiled(&self, key: &str, code: Vec<u8>) -> anyhow::Result<()> {
        let mut reader = code.as_slice();
        self.precompiled.put(key, &mut reader).await?;
        Ok(())
    }
}
