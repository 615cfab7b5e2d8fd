use serde::{Deserialize, Serialize};

/// What a component is, read from its exports at upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    /// Exports `wasi:cli/run`: a program with args, env, stdin, stdout, stderr, exit code.
    Command,
    /// Exports the `edge:platform` job interface: typed input, output and progress.
    Job,
    /// Exports `wasi:http/incoming-handler`: an edge function.
    Http,
}

impl ComponentKind {
    /// The name used on the wire and in object metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Command => "command",
            Self::Job => "job",
            Self::Http => "http",
        }
    }

    /// Parses [`Self::as_str`] back.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "command" => Some(Self::Command),
            "job" => Some(Self::Job),
            "http" => Some(Self::Http),
            _ => None,
        }
    }
}

/// One uploaded version of a named component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentVersion {
    /// 1 for the first upload under a name, counting up.
    pub version: u32,
    /// `sha256:<hex>` of the component bytes; runnable for as long as the bytes are stored.
    pub digest: String,
    /// Size of the component in bytes.
    pub size: u64,
    /// Detected kind.
    pub kind: ComponentKind,
    /// RFC 3339 time of the upload.
    pub created_at: String,
}

/// Settings of a named component that apply to every version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ComponentConfig {
    /// Hosts (`example.com`) or authorities (`127.0.0.1:8080`) an `http` component may send
    /// requests to. Empty: none.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
}

/// A named component: its current version and the versions before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentInfo {
    /// The name jobs refer to.
    pub name: String,
    /// Digest of the current version.
    pub digest: String,
    /// Size of the current version in bytes.
    pub size: u64,
    /// Kind of the current version.
    pub kind: ComponentKind,
    /// Number of the current version.
    pub version: u32,
    /// RFC 3339 time the current version was uploaded.
    pub created_at: String,
    /// Every version kept, oldest first; the last is the current one.
    pub versions: Vec<ComponentVersion>,
    /// Settings for every version.
    #[serde(default)]
    pub config: ComponentConfig,
}
