//! Fresh databases for tests, on SQLite always and on PostgreSQL when
//! `CONVENE_TEST_POSTGRES_URL` names a server (CI sets it). Each test gets its
//! own database, so tests run in parallel without seeing each other.
//!
//! When `CONVENE_TEST_REQUIRE_POSTGRES=1` (set by `.ci/run`), a missing
//! PostgreSQL URL fails the test instead of skipping it, so CI can never
//! silently test one backend only.

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, Database, Statement};
use tempfile::TempDir;

use crate::{Backend, DatabaseSettings, Store};

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    /// Keeps a SQLite test database's folder alive until the test ends.
    _dir: Option<TempDir>,
    postgres_name: Option<String>,
}

impl TestDatabase {
    /// A fresh, empty SQLite database in its own temporary folder.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        let path: PathBuf = dir.path().join("convene.db");
        Self {
            url: format!("sqlite://{}", path.display()),
            backend: Backend::Sqlite,
            _dir: Some(dir),
            postgres_name: None,
        }
    }

    /// A fresh, empty PostgreSQL database, or `None` when no server is
    /// configured and none is required.
    pub async fn postgres() -> Option<Self> {
        let admin_url = match std::env::var("CONVENE_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("CONVENE_TEST_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "CONVENE_TEST_REQUIRE_POSTGRES=1 but CONVENE_TEST_POSTGRES_URL is not set"
                );
                eprintln!("skipping the PostgreSQL variant: CONVENE_TEST_POSTGRES_URL is not set");
                return None;
            }
        };
        let name = format!("convene_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url.as_str())
            .await
            .expect("connect to CONVENE_TEST_POSTGRES_URL");
        admin
            .execute_raw(Statement::from_string(
                admin.get_database_backend(),
                format!("CREATE DATABASE {name}"),
            ))
            .await
            .expect("create a test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("CONVENE_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            backend: Backend::Postgres,
            _dir: None,
            postgres_name: Some(name),
        })
    }

    /// The database for `backend`, or `None` when that backend is skipped.
    pub async fn for_backend(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite()),
            Backend::Postgres => Self::postgres().await,
        }
    }

    pub fn settings(&self) -> DatabaseSettings {
        DatabaseSettings::new(self.url.clone())
    }

    /// Connects and applies all migrations.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.settings())
            .await
            .expect("connect to the test database");
        store.migrate().await.expect("migrate the test database");
        store
    }

    /// Drops a PostgreSQL test database (SQLite's folder goes on drop).
    /// Tests call this at the end; a failed test leaves its database behind
    /// for inspection.
    pub async fn finish(self) {
        let (Some(name), Ok(admin_url)) = (
            self.postgres_name.as_ref(),
            std::env::var("CONVENE_TEST_POSTGRES_URL"),
        ) else {
            return;
        };
        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
            let _ = admin
                .execute_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ))
                .await;
            admin.close().await.ok();
        }
    }
}

/// Declares one async test per backend: `name::sqlite` and `name::postgres`.
/// The body receives a migrated [`Store`] on a fresh database.
///
/// ```text
/// store_test!(creates_things, |store| async move { ... });
/// ```
#[macro_export]
macro_rules! store_test {
    ($name:ident, |$store:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($store: $crate::Store) {
                $body.await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::testing::TestDatabase::sqlite();
                run(db.store().await).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::testing::TestDatabase::postgres().await else {
                    return;
                };
                run(db.store().await).await;
                db.finish().await;
            }
        }
    };
}
