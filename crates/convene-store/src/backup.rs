//! Consistent copies of a live database.

use std::path::Path;

use sea_orm::{ConnectionTrait, Statement};

use crate::database::Backend;
use crate::{Store, StoreError};

/// What to tell someone who asks Convene to back up PostgreSQL.
pub const POSTGRES_ADVICE: &str = "convene backup copies SQLite databases only. For PostgreSQL use its own tools, for example: pg_dump --format=custom --file=convene.dump \"$CONVENE_DATABASE_URL\" (restore with pg_restore --clean --if-exists --no-owner --dbname=...). See docs/operations.md.";

/// Writes a consistent copy of a live SQLite database to `to` with
/// `VACUUM INTO`, which reads one snapshot while writers carry on. The copy
/// is a complete, compacted database file, ready to open.
pub async fn copy_to(store: &Store, to: &Path) -> Result<(), StoreError> {
    if store.backend() == Backend::Postgres {
        return Err(StoreError::Unsupported(POSTGRES_ADVICE.to_string()));
    }
    if to.exists() {
        return Err(StoreError::Refused(format!(
            "{} already exists; choose a new file name so no backup is overwritten",
            to.display()
        )));
    }
    match to.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.is_dir() => {
            return Err(StoreError::Refused(format!(
                "the folder {} does not exist",
                parent.display()
            )));
        }
        _ => {}
    }
    let target = to.to_str().ok_or_else(|| {
        StoreError::Refused(format!("{} is not a valid UTF-8 path", to.display()))
    })?;
    let conn = store.conn();
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await?;
    Ok(())
}
