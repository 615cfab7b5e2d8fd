//! The component registry in NATS: bytes in the `edge_components` object store under their
//! digest, names in the `edge_names` bucket pointing at digests, with their versions.

use std::sync::Arc;

use async_nats::jetstream::kv::{self, CreateErrorKind, UpdateErrorKind};
use async_nats::jetstream::object_store::{InfoErrorKind, ObjectMetadata, ObjectStore};
use bytes::Bytes;
use edge_wire::{ComponentConfig, ComponentInfo, ComponentKind, ComponentVersion};
use futures::TryStreamExt as _;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncReadExt as _;

use super::names::{NameCache, NameEntry};
use crate::clock::now_rfc3339;

/// Versions listed per name; older digests stay runnable by digest.
const MAX_LISTED_VERSIONS: usize = 100;
/// Longest component name.
const MAX_NAME_LEN: usize = 64;
/// Attempts at a compare-and-set before giving up on a name being updated concurrently.
const CAS_ATTEMPTS: usize = 16;
/// Object metadata key holding the component kind.
const KIND_METADATA: &str = "edge-kind";

/// Errors of the registry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such name or digest.
    #[error("no component {0}")]
    NotFound(String),
    /// NATS failed or is unreachable.
    #[error("component store unavailable: {0}")]
    Unavailable(String),
    /// The name kept changing under us.
    #[error("component {0} is being updated by others; try again")]
    Contended(String),
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// A bad component name.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid component name {0:?}: use 1 to 64 of a-z, A-Z, 0-9, `-` and `_`, starting with a \
     letter or digit"
)]
pub struct NameError(pub String);

/// Checks a component name. Names become NATS keys, so the alphabet is narrow on purpose.
///
/// # Errors
/// [`NameError`] for anything else.
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.chars().all(ok_char)
        && name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if ok { Ok(()) } else { Err(NameError(name.to_owned())) }
}

/// `sha256:<hex>` of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// How a job names its component: by name (current version) or by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentRef {
    /// A name in `edge_names`.
    Name(String),
    /// An exact digest.
    Digest(String),
}

impl ComponentRef {
    /// Parses a reference.
    ///
    /// # Errors
    /// [`NameError`] when it is neither a digest nor a valid name.
    pub fn parse(reference: &str) -> Result<Self, NameError> {
        if is_digest(reference) {
            return Ok(Self::Digest(reference.to_owned()));
        }
        validate_name(reference)?;
        Ok(Self::Name(reference.to_owned()))
    }
}

/// A name's key in `edge_names`: `<tenant>.<name>` (neither has dots).
pub fn name_key(tenant: &str, name: &str) -> String {
    format!("{tenant}.{name}")
}

/// The registry. Names belong to tenants; component bytes are shared by digest.
#[derive(Clone)]
pub struct ComponentStore {
    names: kv::Store,
    objects: ObjectStore,
    /// Hosts resolve names from a watched cache; executors only fetch bytes.
    cache: Option<NameCache>,
}

impl ComponentStore {
    pub fn new(names: kv::Store, objects: ObjectStore) -> Self {
        Self { names, objects, cache: None }
    }

    /// The same registry, resolving names through a cache that follows `edge_names`.
    #[must_use]
    pub fn with_name_cache(self) -> Self {
        let cache = NameCache::watch(self.names.clone());
        Self { cache: Some(cache), ..self }
    }

    /// Tells the cache about a name this host just wrote or read: seen here at once.
    fn remember(&self, key: &str, entry: Arc<NameEntry>) {
        if let Some(cache) = &self.cache {
            cache.offer(key, entry);
        }
    }

    /// Stores `bytes` (already inspected as `kind`) under `name`. Returns the name's
    /// description and whether a new version was made (same bytes again make none).
    ///
    /// # Errors
    /// [`StoreError`] when NATS fails.
    pub async fn upload(
        &self,
        tenant: &str,
        name: &str,
        bytes: Bytes,
        kind: ComponentKind,
    ) -> Result<(ComponentInfo, bool), StoreError> {
        let key = name_key(tenant, name);
        let digest = digest_of(&bytes);
        let size = bytes.len() as u64;
        self.put_bytes(&digest, &bytes, kind).await?;
        for _ in 0..CAS_ATTEMPTS {
            let entry = self.names.entry(&key).await.map_err(unavailable)?;
            let current = match entry {
                Some(entry) if entry.operation == kv::Operation::Put => {
                    Some((parse_info(&entry.value)?, entry.revision))
                }
                _ => None,
            };
            let version = |number| ComponentVersion {
                version: number,
                digest: digest.clone(),
                size,
                kind,
                created_at: now_rfc3339(),
            };
            let (info, revision) = match current {
                Some((info, _)) if info.digest == digest => return Ok((info, false)),
                Some((mut info, revision)) => {
                    let next = version(info.version + 1);
                    info.versions.push(next.clone());
                    let excess = info.versions.len().saturating_sub(MAX_LISTED_VERSIONS);
                    info.versions.drain(..excess);
                    (with_current(info, next), Some(revision))
                }
                None => {
                    let first = version(1);
                    let info = ComponentInfo {
                        name: name.to_owned(),
                        digest: digest.clone(),
                        size,
                        kind,
                        version: 1,
                        created_at: first.created_at.clone(),
                        versions: vec![first],
                        config: Default::default(),
                    };
                    (info, None)
                }
            };
            let value = Bytes::from(serde_json::to_vec(&info).map_err(unavailable)?);
            let written = match revision {
                Some(revision) => match self.names.update(&key, value, revision).await {
                    Err(e) if e.kind() == UpdateErrorKind::WrongLastRevision => continue,
                    other => other.map_err(unavailable),
                },
                None => match self.names.create(&key, value).await {
                    Err(e) if e.kind() == CreateErrorKind::AlreadyExists => continue,
                    other => other.map_err(unavailable),
                },
            };
            self.remember(&key, NameEntry::new(info.clone(), written?));
            return Ok((info, true));
        }
        Err(StoreError::Contended(name.to_owned()))
    }

    async fn put_bytes(&self, digest: &str, bytes: &[u8], kind: ComponentKind) -> Result<(), StoreError> {
        match self.objects.info(digest).await {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == InfoErrorKind::NotFound => {}
            Err(e) => return Err(unavailable(e)),
        }
        let meta = ObjectMetadata {
            name: digest.to_owned(),
            metadata: [(KIND_METADATA.to_owned(), kind.as_str().to_owned())].into(),
            ..Default::default()
        };
        let mut reader = bytes;
        self.objects.put(meta, &mut reader).await.map_err(unavailable)?;
        Ok(())
    }

    /// Replaces the settings of a name.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown name.
    pub async fn configure(
        &self,
        tenant: &str,
        name: &str,
        config: ComponentConfig,
    ) -> Result<ComponentInfo, StoreError> {
        let key = name_key(tenant, name);
        for _ in 0..CAS_ATTEMPTS {
            let Some(entry) = self.names.entry(&key).await.map_err(unavailable)? else {
                return Err(StoreError::NotFound(name.to_owned()));
            };
            if entry.operation != kv::Operation::Put {
                return Err(StoreError::NotFound(name.to_owned()));
            }
            let mut info = parse_info(&entry.value)?;
            info.config = config.clone();
            let value = Bytes::from(serde_json::to_vec(&info).map_err(unavailable)?);
            match self.names.update(&key, value, entry.revision).await {
                Err(e) if e.kind() == UpdateErrorKind::WrongLastRevision => continue,
                Err(e) => return Err(unavailable(e)),
                Ok(revision) => {
                    self.remember(&key, NameEntry::new(info.clone(), revision));
                    return Ok(info);
                }
            }
        }
        Err(StoreError::Contended(name.to_owned()))
    }

    /// Describes a name.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown name.
    pub async fn describe(&self, tenant: &str, name: &str) -> Result<ComponentInfo, StoreError> {
        Ok(self.name_entry(tenant, name).await?.info.clone())
    }

    /// A name as jobs and function calls need it: from the cache when it has it.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown name.
    pub async fn name_entry(&self, tenant: &str, name: &str) -> Result<Arc<NameEntry>, StoreError> {
        let key = name_key(tenant, name);
        if let Some(entry) = self.cache.as_ref().and_then(|cache| cache.lookup(&key)) {
            return Ok(entry);
        }
        match self.names.entry(&key).await.map_err(unavailable)? {
            Some(stored) if stored.operation == kv::Operation::Put => {
                let entry = NameEntry::new(parse_info(&stored.value)?, stored.revision);
                self.remember(&key, entry.clone());
                Ok(entry)
            }
            _ => Err(StoreError::NotFound(name.to_owned())),
        }
    }

    /// Every name of `tenant`, sorted.
    ///
    /// # Errors
    /// [`StoreError`] when NATS fails.
    pub async fn list(&self, tenant: &str) -> Result<Vec<ComponentInfo>, StoreError> {
        let prefix = name_key(tenant, "");
        let mut names: Vec<String> = match self.names.keys().await {
            Ok(keys) => keys
                .try_filter_map(|key| std::future::ready(Ok(key.strip_prefix(&prefix).map(str::to_owned))))
                .try_collect()
                .await
                .map_err(unavailable)?,
            Err(e) => return Err(unavailable(e)),
        };
        names.sort();
        let mut infos = Vec::with_capacity(names.len());
        for name in names {
            match self.describe(tenant, &name).await {
                Ok(info) => infos.push(info),
                Err(StoreError::NotFound(_)) => {} // deleted meanwhile
                Err(e) => return Err(e),
            }
        }
        Ok(infos)
    }

    /// The digest and kind a reference stands for now.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when nothing has that name or digest.
    pub async fn resolve(&self, tenant: &str, reference: &ComponentRef) -> Result<(String, ComponentKind), StoreError> {
        match reference {
            ComponentRef::Name(name) => self.describe(tenant, name).await.map(|info| (info.digest, info.kind)),
            // A digest runs only if one of the tenant's names has had it: bytes are shared
            // between tenants, access is not. (Reads the tenant's names: digests are rare.)
            ComponentRef::Digest(digest) => {
                let owned =
                    self.list(tenant).await?.iter().any(|info| info.versions.iter().any(|v| &v.digest == digest));
                if !owned {
                    return Err(StoreError::NotFound(digest.clone()));
                }
                self.digest_kind(digest).await
            }
        }
    }

    async fn digest_kind(&self, digest: &str) -> Result<(String, ComponentKind), StoreError> {
        match self.objects.info(digest).await {
            Ok(info) => {
                let kind = info.metadata.get(KIND_METADATA).and_then(|k| ComponentKind::parse(k));
                let kind = kind.ok_or_else(|| StoreError::Unavailable(format!("{digest} has no kind")))?;
                Ok((digest.to_owned(), kind))
            }
            Err(e) if e.kind() == InfoErrorKind::NotFound => Err(StoreError::NotFound(digest.to_owned())),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The bytes of a digest.
    ///
    /// # Errors
    /// [`StoreError`] when missing or NATS fails.
    pub async fn bytes(&self, digest: &str) -> Result<Vec<u8>, StoreError> {
        read_object(&self.objects, digest).await?.ok_or_else(|| StoreError::NotFound(digest.to_owned()))
    }
}

/// Reads a whole object; `None` when there is no such object.
///
/// # Errors
/// [`StoreError::Unavailable`] when NATS fails.
pub async fn read_object(store: &ObjectStore, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    use async_nats::jetstream::object_store::GetErrorKind;
    let mut object = match store.get(name).await {
        Ok(object) => object,
        Err(e) if e.kind() == GetErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unavailable(e)),
    };
    let mut bytes = Vec::with_capacity(object.info().size);
    object.read_to_end(&mut bytes).await.map_err(unavailable)?;
    Ok(Some(bytes))
}

fn with_current(mut info: ComponentInfo, current: ComponentVersion) -> ComponentInfo {
    info.digest = current.digest;
    info.size = current.size;
    info.kind = current.kind;
    info.version = current.version;
    info.created_at = current.created_at;
    info
}

fn parse_info(value: &[u8]) -> Result<ComponentInfo, StoreError> {
    serde_json::from_slice(value).map_err(|e| StoreError::Unavailable(format!("corrupt component record: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_narrow() {
        for good in ["hello", "a", "my-job_2", "X9"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        let too_long = "a".repeat(65);
        for bad in ["", "-x", "_x", "a.b", "a b", "a/b", "ä", "a*", too_long.as_str()] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn references_are_digests_or_names() {
        let digest = digest_of(b"x");
        assert_eq!(ComponentRef::parse(&digest).ok(), Some(ComponentRef::Digest(digest.clone())));
        assert_eq!(ComponentRef::parse("hello").ok(), Some(ComponentRef::Name("hello".into())));
        assert!(ComponentRef::parse("sha256:ABC").is_err());
        assert!(ComponentRef::parse(&digest.to_uppercase()).is_err());
    }
}
