//! `edge keys new`: makes an API key and its entry for a key file.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::auth::{self, Role};

/// Manage API keys.
#[derive(Args)]
pub struct KeysCommand {
    #[command(subcommand)]
    action: KeysAction,
}

#[derive(Subcommand)]
enum KeysAction {
    /// Make a key: prints it once (it is not stored) and its entry for the key file.
    New(NewKey),
}

#[derive(Args)]
struct NewKey {
    /// The tenant the key belongs to.
    #[arg(long, default_value = auth::DEFAULT_TENANT)]
    tenant: String,
    /// What the key may do.
    #[arg(long, value_enum, default_value = "submit")]
    role: Role,
    /// A name for logs.
    #[arg(long, default_value = "key")]
    name: String,
    /// Add the entry to this key file (made if missing) instead of printing it.
    #[arg(long)]
    file: Option<PathBuf>,
}

impl KeysCommand {
    pub async fn execute(self) -> anyhow::Result<()> {
        let KeysAction::New(new) = self.action;
        let (key, entry) = auth::new_key(&new.name, &new.tenant, new.role)?;
        match &new.file {
            Some(path) => {
                let mut entries = if path.exists() { auth::read_key_file(path)? } else { Vec::new() };
                entries.push(entry);
                auth::write_key_file(path, entries)?;
                println!("{key}");
                eprintln!(
                    "added key {:?} ({} of tenant {}) to {}",
                    new.name,
                    new.role.as_str(),
                    new.tenant,
                    path.display()
                );
            }
            None => {
                println!("{key}");
                println!("{}", serde_json::to_string(&entry)?);
            }
        }
        Ok(())
    }
}
