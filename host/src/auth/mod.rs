//! API keys, their tenants and roles.
//!
//! Keys are configured in a JSON file (`--api-keys`) or inline (`EDGE_API_KEYS`), holding
//! only their SHA-256:
//! `{"keys": [{"name": "ci", "tenant": "acme", "role": "submit", "sha256": "<hex>"}]}`.
//! `edge keys new` makes a key and prints its entry. Without a file the API is open and
//! everyone acts as the admin of the `default` tenant (`edge serve` warns; `edge dev` always
//! makes a key).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The tenant of an open (keyless) platform, and of `/fn/{name}` without a tenant.
pub const DEFAULT_TENANT: &str = "default";

/// What a key may do. Each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// See the tenant's components, jobs, events and the executors.
    Read,
    /// Also submit, cancel and retry jobs.
    Submit,
    /// Also upload and configure components.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Submit => "submit",
            Self::Admin => "admin",
        }
    }
}

/// Who is calling: from their key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// The key's name (for logs), not the key.
    pub key: String,
    pub tenant: String,
    pub role: Role,
}

impl Caller {
    /// Everyone, on an open platform.
    pub fn open() -> Self {
        Self { key: "open".into(), tenant: DEFAULT_TENANT.into(), role: Role::Admin }
    }

    /// Whether this caller may do what `needed` allows.
    pub fn may(&self, needed: Role) -> bool {
        self.role >= needed
    }
}

/// A tenant id: 1 to 32 of `a-z`, `0-9`, `-`, starting with a letter or digit (it is part
/// of NATS keys and URLs).
pub fn validate_tenant(tenant: &str) -> anyhow::Result<()> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 32
        && tenant.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !tenant.starts_with('-');
    if !ok {
        bail!("tenant {tenant:?} must be 1 to 32 of a-z, 0-9 and -, not starting with -");
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<KeyEntry>,
}

/// One key as the file holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyEntry {
    pub name: String,
    pub tenant: String,
    pub role: Role,
    /// Hex SHA-256 of the key.
    pub sha256: String,
}

/// The keys a host accepts; `None` inside means the API is open.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    by_hash: Option<HashMap<[u8; 32], Caller>>,
}

impl ApiKeys {
    /// An open API: no key needed.
    pub fn open() -> Self {
        Self { by_hash: None }
    }

    /// Whether keys are required.
    pub fn required(&self) -> bool {
        self.by_hash.is_some()
    }

    /// Reads keys from a key file's JSON text.
    ///
    /// # Errors
    /// When it is not a key file or an entry is malformed.
    pub fn parse(json: &str) -> anyhow::Result<Self> {
        let file: KeyFile = serde_json::from_str(json).context("not an API key file")?;
        Self::from_entries(file.keys)
    }

    /// Reads a key file.
    ///
    /// # Errors
    /// When the file cannot be read or an entry is malformed.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        Self::from_entries(read_key_file(path)?).with_context(|| format!("in {}", path.display()))
    }

    /// # Errors
    /// When an entry is malformed or a key is listed twice.
    pub fn from_entries(entries: Vec<KeyEntry>) -> anyhow::Result<Self> {
        let mut by_hash = HashMap::new();
        for entry in entries {
            validate_tenant(&entry.tenant)?;
            let hash: [u8; 32] = hex::decode(&entry.sha256)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .with_context(|| format!("key {:?}: `sha256` must be 64 hex digits", entry.name))?;
            let caller = Caller { key: entry.name.clone(), tenant: entry.tenant, role: entry.role };
            if by_hash.insert(hash, caller).is_some() {
                bail!("key {:?} is listed twice", entry.name);
            }
        }
        if by_hash.is_empty() {
            bail!("the key file lists no keys");
        }
        Ok(Self { by_hash: Some(by_hash) })
    }

    /// The caller a presented key belongs to. On an open API every caller is the admin of
    /// the default tenant, key or not.
    pub fn caller(&self, presented: Option<&str>) -> Option<Caller> {
        let Some(by_hash) = &self.by_hash else { return Some(Caller::open()) };
        // Hashing first makes the lookup independent of how much of a key matches.
        let hash: [u8; 32] = Sha256::digest(presented?.as_bytes()).into();
        by_hash.get(&hash).cloned()
    }
}

/// A new random key and its file entry.
pub fn new_key(name: &str, tenant: &str, role: Role) -> anyhow::Result<(String, KeyEntry)> {
    validate_tenant(tenant)?;
    let key = format!("edge_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let sha256 = hex::encode(Sha256::digest(key.as_bytes()));
    Ok((key, KeyEntry { name: name.into(), tenant: tenant.into(), role, sha256 }))
}

/// The entries of a key file.
///
/// # Errors
/// When it cannot be read or parsed.
pub fn read_key_file(path: &Path) -> anyhow::Result<Vec<KeyEntry>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading API keys from {}", path.display()))?;
    let file: KeyFile =
        serde_json::from_str(&text).with_context(|| format!("{} is not an API key file", path.display()))?;
    Ok(file.keys)
}

/// Writes a key file with `entries`.
///
/// # Errors
/// When it cannot be written.
pub fn write_key_file(path: &Path, entries: Vec<KeyEntry>) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&KeyFile { keys: entries })?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_their_tenant_and_role() {
        let (key, entry) = new_key("ci", "acme", Role::Submit).expect("key");
        let keys = ApiKeys::from_entries(vec![entry]).expect("keys");
        let caller = keys.caller(Some(&key)).expect("known key");
        assert_eq!((caller.tenant.as_str(), caller.role), ("acme", Role::Submit));
        assert!(caller.may(Role::Read) && caller.may(Role::Submit) && !caller.may(Role::Admin));
        assert_eq!(keys.caller(Some("edge_wrong")), None);
        assert_eq!(keys.caller(None), None);
        assert_eq!(ApiKeys::open().caller(None), Some(Caller::open()));
    }

    #[test]
    fn keys_can_come_inline() {
        let (key, entry) = new_key("env", "acme", Role::Read).expect("key");
        let json = serde_json::to_string(&KeyFile { keys: vec![entry] }).expect("json");
        let keys = ApiKeys::parse(&json).expect("keys");
        assert_eq!(keys.caller(Some(&key)).map(|c| c.role), Some(Role::Read));
        assert!(ApiKeys::parse("{\"keys\": 1}").is_err());
    }

    #[test]
    fn bad_entries_are_refused() {
        let (_, mut entry) = new_key("x", "acme", Role::Read).expect("key");
        entry.sha256 = "abc".into();
        assert!(ApiKeys::from_entries(vec![entry]).is_err());
        assert!(new_key("x", "Not_A_Tenant", Role::Read).is_err());
        assert!(ApiKeys::from_entries(Vec::new()).is_err());
    }
}
