//! Store tests: every test runs on SQLite and, when configured, PostgreSQL.

use chrono::{TimeZone, Utc};
use convene_domain::ids::new_id;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use convene_domain::places::PlaceDetails;
use convene_store::{
    Backend, StoreError, backup, durability, instance, organisations, places, store_test,
};

fn school(name: &str) -> OrganisationDetails {
    OrganisationDetails {
        name: name.to_string(),
        kind: OrganisationKind::School,
        email: Some("office@school.example".into()),
        phone: None,
        website: None,
        address: Some("1 High Street".into()),
    }
}

store_test!(migrations_are_current_after_migrate, |store| async move {
    assert!(store.pending_migrations().await.unwrap().is_empty());
    // Migrating again is harmless.
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
});

store_test!(organisations_round_trip, |store| async move {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let id = new_id();
    let created = organisations::insert(store.conn(), id, &school("Northgate Primary"), t0)
        .await
        .unwrap();
    let read = organisations::get(store.conn(), id).await.unwrap().unwrap();
    assert_eq!(read, created);
    assert_eq!(read.created_at, t0);

    let t1 = t0 + chrono::Duration::hours(2);
    let mut changed = school("Northgate Primary Academy");
    changed.kind = OrganisationKind::Trust;
    organisations::update(store.conn(), id, &changed, t1)
        .await
        .unwrap();
    let read = organisations::get(store.conn(), id).await.unwrap().unwrap();
    assert_eq!(read.details, changed);
    assert_eq!((read.created_at, read.updated_at), (t0, t1));

    assert!(
        organisations::get(store.conn(), new_id())
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        organisations::update(store.conn(), new_id(), &changed, t1).await,
        Err(StoreError::NotFound)
    ));
});

store_test!(lists_are_ordered_by_name, |store| async move {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    for name in ["Zeta Youth Club", "Alpha Hub", "Middleton Food Pantry"] {
        organisations::insert(store.conn(), new_id(), &school(name), now)
            .await
            .unwrap();
    }
    let names: Vec<_> = organisations::list(store.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.details.name)
        .collect();
    assert_eq!(
        names,
        ["Alpha Hub", "Middleton Food Pantry", "Zeta Youth Club"]
    );
    assert_eq!(organisations::count(store.conn()).await.unwrap(), 3);
});

store_test!(
    organisations_are_counted_and_listed_by_kind,
    |store| async move {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for name in ["Zeta Primary", "Alpha Academy", "Beta Primary"] {
            organisations::insert(store.conn(), new_id(), &school(name), now)
                .await
                .unwrap();
        }
        let mut hub = school("Eastfield Hub");
        hub.kind = OrganisationKind::Hub;
        organisations::insert(store.conn(), new_id(), &hub, now)
            .await
            .unwrap();
        let counts = organisations::counts_by_kind(store.conn()).await.unwrap();
        assert_eq!(counts.len(), 2, "kinds with none are absent: {counts:?}");
        assert_eq!(counts[&OrganisationKind::School], 3);
        assert_eq!(counts[&OrganisationKind::Hub], 1);
        let first: Vec<_> = organisations::first_of_kind(store.conn(), OrganisationKind::School, 2)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.details.name)
            .collect();
        assert_eq!(first, ["Alpha Academy", "Beta Primary"]);
    }
);

store_test!(places_round_trip, |store| async move {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let details = PlaceDetails {
        name: "Eastfield".into(),
        description: Some("The estate east of the river".into()),
    };
    let id = new_id();
    places::insert(store.conn(), id, &details, now)
        .await
        .unwrap();
    assert_eq!(
        places::get(store.conn(), id)
            .await
            .unwrap()
            .unwrap()
            .details,
        details
    );
    assert_eq!(places::list(store.conn()).await.unwrap().len(), 1);
});

store_test!(a_failed_transaction_keeps_nothing, |store| async move {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let result: Result<(), StoreError> = store
        .transaction(|txn| {
            Box::pin(async move {
                organisations::insert(txn, new_id(), &school("Kept?"), now).await?;
                Err(StoreError::Refused("changed my mind".into()))
            })
        })
        .await;
    assert!(result.is_err());
    assert_eq!(organisations::count(store.conn()).await.unwrap(), 0);

    let id = store
        .transaction(|txn| {
            Box::pin(async move {
                let id = new_id();
                organisations::insert(txn, id, &school("Kept"), now).await?;
                Ok(id)
            })
        })
        .await
        .unwrap();
    assert!(
        organisations::get(store.conn(), id)
            .await
            .unwrap()
            .is_some()
    );
});

store_test!(duplicate_ids_are_refused, |store| async move {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let id = new_id();
    organisations::insert(store.conn(), id, &school("One"), now)
        .await
        .unwrap();
    assert!(
        organisations::insert(store.conn(), id, &school("Two"), now)
            .await
            .is_err()
    );
    assert_eq!(
        organisations::get(store.conn(), id)
            .await
            .unwrap()
            .unwrap()
            .details
            .name,
        "One"
    );
});

store_test!(instance_facts_are_upserted, |store| async move {
    assert_eq!(
        instance::fact(store.conn(), instance::DEMO_FACT)
            .await
            .unwrap(),
        None
    );
    instance::set_fact(store.conn(), instance::DEMO_FACT, "1")
        .await
        .unwrap();
    instance::set_fact(store.conn(), instance::DEMO_FACT, "2")
        .await
        .unwrap();
    assert_eq!(
        instance::fact(store.conn(), instance::DEMO_FACT)
            .await
            .unwrap()
            .as_deref(),
        Some("2")
    );
});

store_test!(default_settings_are_durable, |store| async move {
    let checks = durability::inspect(&store).await.unwrap();
    assert!(checks.len() >= 3);
    for check in checks {
        assert!(
            check.ok,
            "{} is {} (expected {})",
            check.setting, check.actual, check.expected
        );
    }
});

store_test!(
    backup_copies_sqlite_and_explains_postgres,
    |store| async move {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("copy.db");
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        organisations::insert(store.conn(), new_id(), &school("Backed up"), now)
            .await
            .unwrap();
        match store.backend() {
            Backend::Sqlite => {
                backup::copy_to(&store, &target).await.unwrap();
                let copy = convene_store::Store::connect(&convene_store::DatabaseSettings::new(
                    format!("sqlite://{}", target.display()),
                ))
                .await
                .unwrap();
                assert!(copy.pending_migrations().await.unwrap().is_empty());
                assert_eq!(
                    organisations::list(copy.conn()).await.unwrap()[0]
                        .details
                        .name,
                    "Backed up"
                );
                // Never overwrite an existing file.
                let again = backup::copy_to(&store, &target).await.unwrap_err();
                assert!(again.to_string().contains("already exists"));
            }
            Backend::Postgres => {
                let error = backup::copy_to(&store, &target).await.unwrap_err();
                assert!(error.to_string().contains("pg_dump"));
                assert!(!target.exists());
            }
        }
    }
);

#[tokio::test]
async fn sqlite_synchronous_normal_is_reported_as_not_durable() {
    let db = convene_store::testing::TestDatabase::sqlite();
    let mut settings = db.settings();
    settings.sqlite_synchronous = convene_store::SqliteSynchronous::Normal;
    let store = convene_store::Store::connect(&settings).await.unwrap();
    let checks = durability::inspect(&store).await.unwrap();
    let sync = checks.iter().find(|c| c.setting == "synchronous").unwrap();
    assert!(!sync.ok);
    assert_eq!(sync.actual, "normal (1)");
    assert!(
        checks
            .iter()
            .find(|c| c.setting == "journal_mode")
            .unwrap()
            .ok
    );
}

#[tokio::test]
async fn sqlite_writers_wait_their_turn_without_holding_a_connection() {
    let db = convene_store::testing::TestDatabase::sqlite();
    db.store().await;
    let mut settings = db.settings();
    settings.max_connections = 2;
    settings.connect_timeout = std::time::Duration::from_secs(2);
    let store = convene_store::Store::connect(&settings).await.unwrap();
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let write = |store: convene_store::Store, name: String| async move {
        store
            .transaction(move |txn| {
                Box::pin(async move {
                    organisations::insert(txn, new_id(), &school(&name), at).await?;
                    Ok(())
                })
            })
            .await
    };
    // The first writer holds SQLite's write lock until told to finish.
    let (holding, held) = tokio::sync::oneshot::channel();
    let (finish, finished) = tokio::sync::oneshot::channel::<()>();
    let first = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .transaction(move |txn| {
                    Box::pin(async move {
                        organisations::insert(txn, new_id(), &school("First"), at).await?;
                        holding.send(()).unwrap();
                        finished.await.unwrap();
                        Ok(())
                    })
                })
                .await
        }
    });
    held.await.unwrap();
    // Three more writers arrive; with two connections in the pool, one of
    // them waiting inside SQLite would hold the other connection.
    let queued: Vec<_> = (0..3)
        .map(|n| tokio::spawn(write(store.clone(), format!("Queued {n}"))))
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // A reader still gets a connection while they wait (it would time out
    // after 2 s otherwise), and sees nothing uncommitted.
    assert_eq!(organisations::count(store.conn()).await.unwrap(), 0);
    finish.send(()).unwrap();
    first.await.unwrap().unwrap();
    for writer in queued {
        writer.await.unwrap().unwrap();
    }
    assert_eq!(organisations::count(store.conn()).await.unwrap(), 4);
}

#[tokio::test]
async fn every_sqlite_connection_keeps_a_larger_page_cache_and_bounds_analyze() {
    use convene_store::ConnectionTrait;
    let db = convene_store::testing::TestDatabase::sqlite();
    let store = db.store().await;
    // Negative: a size in KiB rather than a number of pages.
    assert_eq!(
        pragma(&store, "cache_size").await,
        -convene_store::SQLITE_CACHE_KIB
    );
    assert_eq!(
        pragma(&store, "analysis_limit").await,
        convene_store::SQLITE_ANALYSIS_LIMIT
    );
    // Upkeep gives the planner statistics for each table that lacks them,
    // one table at a time; afterwards they are no longer proposed.
    organisations::insert(
        store.conn(),
        new_id(),
        &school("Analysed"),
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    )
    .await
    .unwrap();
    let proposed = |store: convene_store::Store| async move {
        let conn = store.conn();
        conn.query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA optimize(-1)",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect::<Vec<_>>()
    };
    let organisations_analysed = "ANALYZE \"main\".\"organisations\"".to_string();
    assert!(
        proposed(store.clone())
            .await
            .contains(&organisations_analysed)
    );
    let analysed = convene_store::maintenance::refresh_statistics(&store)
        .await
        .unwrap();
    assert!(analysed >= 1);
    let conn = store.conn();
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'organisations'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(row.try_get_by_index::<i64>(0).unwrap() > 0);
    // (Tables without an index of their own are proposed every time:
    // counting their rows is all ANALYZE does for them.)
    assert!(
        !proposed(store.clone())
            .await
            .contains(&organisations_analysed)
    );
}

/// The one value `sql` answers with.
async fn scalar<T: sea_orm::TryGetable>(store: &convene_store::Store, sql: &str) -> T {
    use convene_store::ConnectionTrait;
    let conn = store.conn();
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

async fn pragma(store: &convene_store::Store, name: &str) -> i64 {
    scalar(store, &format!("PRAGMA {name}")).await
}

#[tokio::test]
async fn postgres_synchronous_commit_off_is_reported() {
    let Some(db) = convene_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let store = db.store().await;
    let name = db.url.rsplit('/').next().unwrap().to_string();
    use convene_store::ConnectionTrait;
    store
        .conn()
        .execute_unprepared(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        ))
        .await
        .unwrap();
    store.close().await.unwrap();
    let store = convene_store::Store::connect(&db.settings()).await.unwrap();
    let checks = durability::inspect(&store).await.unwrap();
    let sync = checks
        .iter()
        .find(|c| c.setting == "synchronous_commit")
        .unwrap();
    assert!(!sync.ok);
    assert_eq!(sync.actual, "off");
    store.close().await.unwrap();
    db.finish().await;
}

#[tokio::test]
async fn a_sqlite_connection_is_not_checked_each_time_it_leaves_the_pool() {
    let db = convene_store::testing::TestDatabase::sqlite();
    let store = db.store().await;
    let pool = store.conn().get_sqlite_connection_pool();
    assert!(!pool.options().get_test_before_acquire());
}

async fn backend_pid(store: &convene_store::Store) -> i32 {
    scalar(store, "SELECT pg_backend_pid()").await
}

/// Ends a PostgreSQL connection from the server's side, as a restart or a
/// firewall would.
async fn end_connection(other: &convene_store::Store, pid: i32) {
    use convene_store::ConnectionTrait;
    other
        .conn()
        .execute_unprepared(&format!("SELECT pg_terminate_backend({pid})"))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_dropped_postgres_connection_is_replaced_before_a_statement_meets_it() {
    let Some(db) = convene_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let other = db.store().await;
    let mut settings = db.settings();
    settings.max_connections = 1;
    let store = convene_store::Store::connect(&settings).await.unwrap();
    let first = backend_pid(&store).await;
    end_connection(&other, first).await;
    assert_eq!(organisations::count(store.conn()).await.unwrap(), 0);
    assert_ne!(backend_pid(&store).await, first);
    store.close().await.unwrap();
    other.close().await.unwrap();
    db.finish().await;
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error() {
    let mut settings =
        convene_store::DatabaseSettings::new("postgres://convene:secret@127.0.0.1:9/convene");
    settings.connect_timeout = std::time::Duration::from_secs(2);
    let error = convene_store::Store::connect(&settings)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("cannot connect to the database"),
        "{error}"
    );
    assert!(!error.contains("secret"), "{error}");
    assert!(!error.contains('\n'), "{error}");
}
