//! Ready-to-run components, fetched and compiled at most once per executor, and compiled
//! at most once per platform.
//!
//! Lookup order: memory (`InstancePre` per digest) → local disk (native code keyed by
//! digest and engine fingerprint) → the shared precompiled store → compile from the
//! component bytes, then save to disk and share.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use edge_wire::ComponentKind;
use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;
use wasmtime::component::{Component, Linker};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use super::Runtime;
use super::bindings::JobPre;
use super::run::Ready;
use super::sandbox::{self, SandboxState};

/// Where the cache gets what it does not have. Implemented over the NATS object stores.
pub trait ComponentSource: Send + Sync + 'static {
    /// The component bytes for `digest`.
    fn component_bytes(&self, digest: &str) -> impl Future<Output = anyhow::Result<Vec<u8>>> + Send;
    /// Native code another executor compiled, if any.
    fn precompiled(&self, key: &str) -> impl Future<Output = anyhow::Result<Option<Vec<u8>>>> + Send;
    /// Shares native code with other executors.
    fn share_precompiled(&self, key: &str, code: Vec<u8>) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Why a component cannot be made ready.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The store could not be reached; trying later may work.
    #[error("component {digest} is unavailable: {reason}")]
    Unavailable { digest: String, reason: String },
    /// The component itself is unusable; trying again will not help.
    #[error("component {digest} cannot run: {reason}")]
    Unusable { digest: String, reason: String },
}

/// Where a ready component came from, for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadedFrom {
    Memory,
    Disk,
    Shared,
    Compiled,
}

impl LoadedFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Disk => "disk",
            Self::Shared => "shared",
            Self::Compiled => "compiled",
        }
    }
}

/// The cache of one executor.
pub struct ComponentCache<S> {
    runtime: Runtime,
    linker: Linker<SandboxState>,
    source: S,
    disk_dir: PathBuf,
    capacity: usize,
    ready: Mutex<ReadySet>,
}

#[derive(Default)]
struct ReadySet {
    by_digest: HashMap<(String, ComponentKind), Arc<OnceCell<Ready>>>,
    /// Insertion order, for eviction when over capacity.
    order: VecDeque<(String, ComponentKind)>,
}

impl<S: ComponentSource> ComponentCache<S> {
    /// A cache keeping at most `capacity` components in memory and native code in
    /// `disk_dir`.
    ///
    /// # Errors
    /// When the WASI linker cannot be set up or `disk_dir` cannot be created.
    pub fn new(runtime: Runtime, source: S, disk_dir: &Path, capacity: usize) -> anyhow::Result<Self> {
        let linker = sandbox::linker(runtime.engine())?;
        std::fs::create_dir_all(disk_dir)?;
        Ok(Self {
            runtime,
            linker,
            source,
            disk_dir: disk_dir.to_path_buf(),
            capacity: capacity.max(1),
            ready: Mutex::new(ReadySet::default()),
        })
    }

    /// The runtime components are compiled for.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// `digest` made ready to run as `kind`, and where it came from.
    ///
    /// # Errors
    /// [`CacheError`] when the component cannot be fetched or made ready.
    pub async fn get(&self, digest: &str, kind: ComponentKind) -> Result<(Ready, LoadedFrom), CacheError> {
        let cell = self.cell(digest, kind);
        let mut loaded_from = LoadedFrom::Memory;
        let loaded_ref = &mut loaded_from;
        let ready = cell
            .get_or_try_init(|| async move {
                let (component, from) = self.load(digest).await?;
                *loaded_ref = from;
                let pre = self.linker.instantiate_pre(&component).map_err(|e| unusable(digest, format!("{e:#}")))?;
                let ready = match kind {
                    ComponentKind::Job => JobPre::new(pre).map(Ready::Job),
                    ComponentKind::Http => ProxyPre::new(pre).map(Ready::Http),
                    ComponentKind::Command => CommandPre::new(pre).map(Ready::Command),
                };
                ready.map_err(|e| unusable(digest, format!("{e:#}")))
            })
            .await?;
        Ok((ready.clone(), loaded_from))
    }

    fn cell(&self, digest: &str, kind: ComponentKind) -> Arc<OnceCell<Ready>> {
        let key = (digest.to_owned(), kind);
        let mut ready = self.ready.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cell) = ready.by_digest.get(&key) {
            return cell.clone();
        }
        while ready.order.len() >= self.capacity {
            if let Some(oldest) = ready.order.pop_front() {
                ready.by_digest.remove(&oldest);
            }
        }
        let cell = Arc::new(OnceCell::new());
        ready.by_digest.insert(key.clone(), cell.clone());
        ready.order.push_back(key);
        cell
    }

    async fn load(&self, digest: &str) -> Result<(Component, LoadedFrom), CacheError> {
        let key = crate::nats::names::precompiled_object(digest, self.runtime.fingerprint());
        let disk_path = self.disk_dir.join(format!("{}-{}.cwasm", hex_of(digest), self.runtime.fingerprint()));

        if let Some(component) = self.load_from_disk(&disk_path).await {
            return Ok((component, LoadedFrom::Disk));
        }
        match self.source.precompiled(&key).await {
            Ok(Some(code)) => match self.deserialize(code.clone()).await {
                Ok(component) => {
                    save_to_disk(&disk_path, &code);
                    return Ok((component, LoadedFrom::Shared));
                }
                Err(e) => tracing::warn!(%digest, error = %e, "shared precompiled code unusable; compiling"),
            },
            Ok(None) => {}
            Err(e) => tracing::warn!(%digest, error = %e, "cannot read shared precompiled code; compiling"),
        }

        let bytes = self
            .source
            .component_bytes(digest)
            .await
            .map_err(|e| CacheError::Unavailable { digest: digest.into(), reason: format!("{e:#}") })?;
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if actual != digest {
            return Err(unusable(digest, format!("stored bytes hash to {actual}")));
        }
        let engine = self.runtime.engine().clone();
        let (component, code) = tokio::task::spawn_blocking(move || {
            let component = Component::new(&engine, &bytes)?;
            let code = component.serialize()?;
            anyhow::Ok((component, code))
        })
        .await
        .map_err(|e| unusable(digest, e.to_string()))?
        .map_err(|e| unusable(digest, format!("{e:#}")))?;
        save_to_disk(&disk_path, &code);
        if let Err(e) = self.source.share_precompiled(&key, code).await {
            tracing::warn!(%digest, error = %e, "cannot share precompiled code");
        }
        Ok((component, LoadedFrom::Compiled))
    }

    async fn load_from_disk(&self, path: &Path) -> Option<Component> {
        let code = tokio::fs::read(path).await.ok()?;
        match self.deserialize(code).await {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "dropping unusable cached code");
                let _ = std::fs::remove_file(path);
                None
            }
        }
    }

    async fn deserialize(&self, code: Vec<u8>) -> anyhow::Result<Component> {
        let engine = self.runtime.engine().clone();
        tokio::task::spawn_blocking(move || {
            // SAFETY: the code is native code made by `Component::serialize` of an engine
            // with this fingerprint, read from this executor's data dir or from the
            // platform's own precompiled bucket; wasmtime checks version and settings.
            // Whoever can write that bucket can run code on executors: NATS access to
            // it must be limited to edge's own nodes.
            unsafe { Component::deserialize(&engine, &code) }
        })
        .await?
        .map_err(anyhow::Error::from)
    }
}

fn unusable(digest: &str, reason: String) -> CacheError {
    CacheError::Unusable { digest: digest.into(), reason }
}

fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

/// Best effort: a cache that cannot be written only costs a recompile later.
fn save_to_disk(path: &Path, code: &[u8]) {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = std::fs::write(&tmp, code).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), error = %e, "cannot cache precompiled code on disk");
        let _ = std::fs::remove_file(&tmp);
    }
}
