//! The keys that seal personal data: from the configuration, or from a keys
//! file that is created (with fresh keys) the first time Convene starts
//! without any, so a new instance protects its data from the first record.
//! Either way they are checked against the database before anything is
//! served: a wrong or missing key stops Convene.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use convene_domain::sealing::DataKeys;
use convene_store::Store;
use convene_store::people::keys;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The keys file: `current`, `blind_index`, and `[keys]` of id = base64.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    current: String,
    blind_index: String,
    keys: std::collections::BTreeMap<String, String>,
}

/// The configured keys, checked against `store`.
pub async fn load_and_verify(config: &Config, store: &Store) -> anyhow::Result<DataKeys> {
    // New keys only for a new instance: a database that already holds
    // sealed data (a restored backup whose keys file was left behind)
    // needs its own keys, and a fresh file would only be a wrong one.
    if config.data_keys.expose_secret().trim().is_empty() && !config.data_keys_file.exists() {
        let used = keys::used(store).await.map_err(|e| anyhow!("{e}"))?;
        if !used.is_empty() {
            bail!(
                "there is no keys file at {} but the database holds personal data sealed with the key(s) {}: \
                 copy the keys file that was backed up with this database there (or configure data_keys); \
                 Convene makes new keys only for a new database",
                config.data_keys_file.display(),
                used.join(", ")
            );
        }
    }
    let keys = load(config)?;
    keys::verify(store, &keys)
        .await
        .map_err(|e| anyhow!("{e}"))
        .context("check the data keys against the database")?;
    Ok(keys)
}

pub fn load(config: &Config) -> anyhow::Result<DataKeys> {
    let configured = config.data_keys.expose_secret();
    if !configured.trim().is_empty() {
        let current = match config.data_key_current.trim() {
            "" if !configured.contains(',') => configured
                .split_once(':')
                .map(|(id, _)| id.trim().to_string())
                .unwrap_or_default(),
            "" => bail!(
                "invalid configuration: data_key_current: name the key new values are sealed with"
            ),
            id => id.to_string(),
        };
        return DataKeys::parse(configured, &current, config.blind_index_key.expose_secret())
            .map_err(|e| anyhow!("invalid configuration: data_keys: {e}"));
    }
    let path = &config.data_keys_file;
    if !path.exists() {
        create(path)?;
        tracing::warn!(
            file = %path.display(),
            "created new keys for sealing personal data; back this file up with the database: without it that data cannot be read"
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the keys file {}", path.display()))?;
    let file: KeysFile = toml::from_str(&text).map_err(|e| {
        anyhow!(
            "the keys file {} is not valid: {}",
            path.display(),
            e.message()
        )
    })?;
    let pairs: Vec<String> = file
        .keys
        .iter()
        .map(|(id, key)| format!("{id}:{key}"))
        .collect();
    DataKeys::parse(&pairs.join(","), &file.current, &file.blind_index)
        .map_err(|e| anyhow!("the keys file {}: {e}", path.display()))
}

fn create(path: &Path) -> anyhow::Result<()> {
    let new = || DataKeys::generate_key().map_err(|e| anyhow!("{e}"));
    let file = KeysFile {
        current: "k1".to_string(),
        blind_index: new()?,
        keys: [("k1".to_string(), new()?)].into_iter().collect(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options
        .open(path)
        .with_context(|| format!("cannot create the keys file {}", path.display()))?;
    let text = format!(
        "# Keys that seal Convene's personal data. Keep this file secret and back it up\n\
         # with the database. To rotate: add a key under [keys], set current to it, run\n\
         # `convene keys rotate`, then remove the old key.\n{}",
        toml::to_string(&file).context("write the keys file")?
    );
    out.write_all(text.as_bytes())
        .and_then(|()| out.sync_all())
        .with_context(|| format!("cannot write the keys file {}", path.display()))
}
