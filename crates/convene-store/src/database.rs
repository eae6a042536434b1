use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous as SqlxSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::migrations::Migrator;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Chooses the backend from the scheme of a database URL.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(format!(
                "{} (use sqlite://PATH or postgres://...)",
                redact_url(url)
            )))
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

/// SQLite's `synchronous` setting. `full` is the only durable choice in WAL
/// mode (a committed write survives power loss); the others exist so an
/// operator can see `convene check` refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Extra,
    #[default]
    Full,
    Normal,
    Off,
}

impl SqliteSynchronous {
    /// The number SQLite reports for `PRAGMA synchronous`.
    pub fn pragma_value(self) -> i64 {
        match self {
            Self::Off => 0,
            Self::Normal => 1,
            Self::Full => 2,
            Self::Extra => 3,
        }
    }
}

impl From<SqliteSynchronous> for SqlxSynchronous {
    fn from(value: SqliteSynchronous) -> Self {
        match value {
            SqliteSynchronous::Extra => SqlxSynchronous::Extra,
            SqliteSynchronous::Full => SqlxSynchronous::Full,
            SqliteSynchronous::Normal => SqlxSynchronous::Normal,
            SqliteSynchronous::Off => SqlxSynchronous::Off,
        }
    }
}

/// Pages each SQLite connection keeps in memory, in KiB (32 MiB; ten
/// connections at most 320 MiB).
pub const SQLITE_CACHE_KIB: i64 = 32 * 1024;

/// How long a SQLite writer waits for the write lock before it fails:
/// inside SQLite (the busy timeout), and in this process's own queue of
/// writers (`Store::transaction`).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Rows per index ANALYZE looks at on SQLite (see `Store::connect`).
pub const SQLITE_ANALYSIS_LIMIT: i64 = 1000;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub sqlite_synchronous: SqliteSynchronous,
    pub connect_timeout: Duration,
}

impl DatabaseSettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            sqlite_synchronous: SqliteSynchronous::Full,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// A pool of connections to Convene's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    settings_synchronous: SqliteSynchronous,
    /// SQLite's writers take turns here before they take a connection
    /// (see [`Store::transaction`]).
    writers: Arc<tokio::sync::Mutex<()>>,
}

/// The body of a transaction: borrows the transaction, returns a boxed future.
pub type TransactionBody<'c, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

impl Store {
    /// Opens a pool. For SQLite the file (and its folder) is created when
    /// missing, and every connection runs in WAL mode with foreign keys on.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let backend = Backend::from_url(&settings.url)?;
        if backend == Backend::Sqlite {
            create_sqlite_folder(&settings.url)?;
        }
        let mut options = ConnectOptions::new(settings.url.clone());
        options
            .max_connections(settings.max_connections.max(1))
            .min_connections(0)
            .connect_timeout(settings.connect_timeout)
            .acquire_timeout(settings.connect_timeout)
            .sqlx_logging(false);
        // The pool checks each connection (a round trip) every time it
        // hands one out, and every statement outside a transaction takes
        // one. A SQLite connection is a file in this process and cannot be
        // dropped under it; a PostgreSQL one can (a restart, a proxy), and
        // the check replaces it before a statement fails on it.
        if backend == Backend::Sqlite {
            options.test_before_acquire(false);
        }
        let synchronous = settings.sqlite_synchronous;
        options.map_sqlx_sqlite_opts(move |sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous.into())
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // SQLite keeps 2 MB of pages per connection unless told:
                // on a national directory and caseload nearly every read
                // was a system call for a page read moments before.
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
                // Upkeep (`maintenance`) runs ANALYZE itself, table by
                // table, where `PRAGMA optimize` would have set a limit
                // of its own (2,000): the same bound here, so ANALYZE
                // samples rather than gathering every row's histogram.
                .pragma("analysis_limit", SQLITE_ANALYSIS_LIMIT.to_string())
        });
        options.set_application_name("convene");
        let db = Database::connect(options)
            .await
            .map_err(|e| StoreError::Connect(format!("{} ({e})", redact_url(&settings.url))))?;
        Ok(Self {
            db,
            backend,
            settings_synchronous: synchronous,
            writers: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The `synchronous` setting this pool asked SQLite for.
    pub fn requested_sqlite_synchronous(&self) -> SqliteSynchronous {
        self.settings_synchronous
    }

    /// The pool, for repository functions outside a transaction.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Succeeds when the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::from)
    }

    /// Applies every migration the database lacks.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Names of migrations compiled into this binary but not yet applied.
    /// Fails when the database holds a migration this binary does not know
    /// (it was written by a newer Convene).
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        let pending = Migrator::get_pending_migrations(&self.db).await?;
        Ok(pending.iter().map(|m| m.name().to_string()).collect())
    }

    /// Drops every table and applies all migrations again. Only the demo uses
    /// this, and only on a database it has marked as a demo. (PostgreSQL then
    /// needs `convene migrate`-style application too: `fresh` does both.)
    pub async fn reset_schema(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            Migrator::fresh(&self.db).await?;
            return Ok(());
        }
        // SQLite checks foreign keys per connection; dropping every table in
        // one transaction, newest first (children before the parents they
        // refer to), with checks deferred to commit, works whichever pooled
        // connection runs it.
        self.transaction(|txn| {
            Box::pin(async move {
                txn.execute_unprepared("PRAGMA defer_foreign_keys = ON").await?;
                let rows = txn
                    .query_all_raw(sea_orm::Statement::from_string(
                        sea_orm::DatabaseBackend::Sqlite,
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid DESC",
                    ))
                    .await?;
                for row in rows {
                    let name: String = row.try_get_by_index(0)?;
                    txn.execute_unprepared(&format!("DROP TABLE IF EXISTS \"{}\"", name.replace('"', "\"\""))).await?;
                }
                Ok(())
            })
        })
        .await?;
        self.migrate().await
    }

    /// Runs `body` in one transaction: committed when it returns `Ok`, rolled
    /// back otherwise (and if the process dies half-way, nothing is kept).
    /// On SQLite the transaction takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so two writers queue instead of failing when one
    /// upgrades a read lock. SQLite has one writer at a time, so this
    /// process's writers first wait their turn in a queue of their own,
    /// holding no connection: waiting inside SQLite (the busy timeout)
    /// would hold a pooled connection each, leaving readers none under a
    /// burst of writes, and SQLite's busy handler sleeps in growing steps
    /// (up to 100 ms) rather than waking when the lock is free. Writers in
    /// other processes (a backup, an import) still meet the busy timeout.
    pub async fn transaction<T, F>(&self, body: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> TransactionBody<'c, T> + Send,
    {
        // Bounded like the busy timeout, so a writer that could never get
        // its turn (a transaction begun inside another's body) fails as it
        // would have in SQLite, rather than waiting for ever.
        let _turn = match self.backend {
            Backend::Sqlite => Some(
                tokio::time::timeout(SQLITE_BUSY_TIMEOUT, self.writers.lock())
                    .await
                    .map_err(|_| {
                        StoreError::Database(sea_orm::DbErr::Custom(format!(
                            "no turn to write within {} s: the database is busy",
                            SQLITE_BUSY_TIMEOUT.as_secs()
                        )))
                    })?,
            ),
            Backend::Postgres => None,
        };
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend == Backend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = self.db.begin_with_options(options).await?;
        match body(&txn).await {
            Ok(value) => {
                txn.commit().await?;
                Ok(value)
            }
            Err(error) => {
                txn.rollback().await?;
                Err(error)
            }
        }
    }

    /// Closes every connection in the pool.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.map_err(StoreError::from)
    }

    /// Runs a statement that returns one row with one column, as text.
    pub(crate) async fn query_text(&self, sql: &str) -> Result<Option<String>, StoreError> {
        scalar_text(&self.db, sql).await
    }
}

pub(crate) async fn scalar_text<C: ConnectionTrait>(
    conn: &C,
    sql: &str,
) -> Result<Option<String>, StoreError> {
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            // PRAGMAs answer numbers, SHOW answers text: accept both.
            if let Ok(text) = row.try_get_by_index::<String>(0) {
                Ok(Some(text))
            } else {
                let number: i64 = row.try_get_by_index(0)?;
                Ok(Some(number.to_string()))
            }
        }
    }
}

fn create_sqlite_folder(url: &str) -> Result<(), StoreError> {
    let path = sqlite_path(url);
    if let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            StoreError::Connect(format!(
                "cannot create the folder {}: {e}",
                parent.display()
            ))
        })?;
    }
    Ok(())
}

/// The file path inside a `sqlite://` URL (without query parameters).
pub(crate) fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

/// A database URL fit to print: any password is replaced with `*****`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one.
            let _ = parsed.set_password(Some("*****"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/x.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(
            Backend::from_url("mysql://u:secret@h/db")
                .unwrap_err()
                .to_string()
                .contains("*****")
        );
    }

    #[test]
    fn passwords_never_print() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db/convene"),
            "postgres://app:*****@db/convene"
        );
        assert_eq!(
            redact_url("sqlite://data/convene.db"),
            "sqlite://data/convene.db"
        );
    }

    #[test]
    fn sqlite_paths_drop_scheme_and_query() {
        assert_eq!(
            sqlite_path("sqlite://data/convene.db?mode=rwc"),
            "data/convene.db"
        );
        assert_eq!(sqlite_path("sqlite:/tmp/x.db"), "/tmp/x.db");
    }
}
