//! Is this database set up so that an acknowledged write survives a crash?
//! `convene check` and `/readyz` ask; this module answers from the database
//! itself, not from configuration.

use serde::Serialize;

use crate::database::Backend;
use crate::{Store, StoreError};

/// One setting: what it should be, what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingCheck {
    pub setting: &'static str,
    pub expected: &'static str,
    pub actual: String,
    pub ok: bool,
}

/// Reads every durability setting of the connected database.
pub async fn inspect(store: &Store) -> Result<Vec<SettingCheck>, StoreError> {
    match store.backend() {
        Backend::Sqlite => inspect_sqlite(store).await,
        Backend::Postgres => inspect_postgres(store).await,
    }
}

async fn inspect_sqlite(store: &Store) -> Result<Vec<SettingCheck>, StoreError> {
    let journal = read(store, "PRAGMA journal_mode").await?.to_lowercase();
    let synchronous = read(store, "PRAGMA synchronous").await?;
    let foreign_keys = read(store, "PRAGMA foreign_keys").await?;
    Ok(vec![
        SettingCheck {
            setting: "journal_mode",
            expected: "wal",
            ok: journal == "wal",
            actual: journal,
        },
        SettingCheck {
            setting: "synchronous",
            expected: "full (2) or extra (3)",
            ok: synchronous == "2" || synchronous == "3",
            actual: sqlite_synchronous_name(&synchronous),
        },
        SettingCheck {
            setting: "foreign_keys",
            expected: "on (1)",
            ok: foreign_keys == "1",
            actual: foreign_keys,
        },
    ])
}

fn sqlite_synchronous_name(value: &str) -> String {
    let name = match value {
        "0" => "off",
        "1" => "normal",
        "2" => "full",
        "3" => "extra",
        _ => "unknown",
    };
    format!("{name} ({value})")
}

async fn inspect_postgres(store: &Store) -> Result<Vec<SettingCheck>, StoreError> {
    let synchronous_commit = read(store, "SHOW synchronous_commit").await?;
    let fsync = read(store, "SHOW fsync").await?;
    let full_page_writes = read(store, "SHOW full_page_writes").await?;
    Ok(vec![
        SettingCheck {
            setting: "synchronous_commit",
            expected: "on (or local, remote_write, remote_apply)",
            // Every value but `off` flushes the commit to local disk before
            // acknowledging it.
            ok: synchronous_commit != "off",
            actual: synchronous_commit,
        },
        SettingCheck {
            setting: "fsync",
            expected: "on",
            ok: fsync == "on",
            actual: fsync,
        },
        SettingCheck {
            setting: "full_page_writes",
            expected: "on",
            ok: full_page_writes == "on",
            actual: full_page_writes,
        },
    ])
}

async fn read(store: &Store, sql: &str) -> Result<String, StoreError> {
    store
        .query_text(sql)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("`{sql}` returned no row")))
}
