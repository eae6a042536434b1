//! `convene backup` on SQLite while a real server keeps writing rows and
//! audit events; the copy is restored into a fresh instance and compared
//! with the live database, row by row.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Server, convene, run, stderr, stdout};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

/// Runs `convene <args>` in `dir` against `url` and returns its stdout,
/// failing the test with its stderr when it does not succeed.
fn convene_ok(dir: &Path, url: &str, args: &[&str]) -> String {
    let output = run({
        let mut c = convene(dir, url);
        c.args(args);
        c
    });
    assert!(
        output.status.success(),
        "convene {args:?} failed:\n{}",
        stderr(&output)
    );
    stdout(&output)
}

/// The number of events `convene audit verify` checked.
fn verified_events(dir: &Path, url: &str) -> u64 {
    let out = convene_ok(dir, url, &["audit", "verify"]);
    let rest = out
        .split("intact: ")
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected audit verify output: {out}"));
    rest.split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected audit verify output: {out}"))
}

/// One connection (so ATTACH holds for every statement), read-only.
async fn open_read_only(path: &Path) -> DatabaseConnection {
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode=ro", path.display()));
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options).await.expect("open read-only")
}

async fn count(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

async fn tables(conn: &DatabaseConnection, schema: &str) -> Vec<String> {
    let sql = format!(
        "SELECT name FROM {schema}.sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' ORDER BY name"
    );
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// Rows of `table` in schema `a` that are not, identically, in schema `b`.
async fn missing(conn: &DatabaseConnection, table: &str, a: &str, b: &str) -> i64 {
    count(
        conn,
        &format!(
            "SELECT count(*) FROM (SELECT * FROM {a}.\"{table}\" \
             EXCEPT SELECT * FROM {b}.\"{table}\")"
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_write_load_restores_every_row_and_event() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let url = format!("sqlite://{}", live.display());

    convene_ok(dir.path(), &url, &["demo", "--no-serve"]);
    let token = convene_ok(
        dir.path(),
        &url,
        &[
            "token",
            "create",
            "--user",
            "camhs@bch-nhs.example",
            "--scopes",
            "referrals",
        ],
    )
    .trim()
    .to_string();
    // A baseline copy, to tell afterwards which tables the load touched.
    let baseline = dir.path().join("baseline.db");
    convene_ok(
        dir.path(),
        &url,
        &["backup", "--to", baseline.to_str().unwrap()],
    );
    let events_before = verified_events(dir.path(), &url);

    let mut server = Server::start(dir.path(), &url, &["serve"]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let list: serde_json::Value = client
        .get(format!("{}/api/v1/referrals", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let referral = list["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| {
            let received = o["received"].as_array().cloned().unwrap_or_default();
            let sent = o["sent"].as_array().cloned().unwrap_or_default();
            received.into_iter().chain(sent)
        })
        .find_map(|r| r["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("the demo practitioner sees no referrals: {list}"));

    // The load: every successful read of a referral through the API writes
    // one audit event (record_viewed).
    let stop = Arc::new(AtomicBool::new(false));
    let succeeded = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (stop, succeeded, sent) = (stop.clone(), succeeded.clone(), sent.clone());
        let (client, token) = (client.clone(), token.clone());
        let address = format!("{}/api/v1/referrals/{referral}", server.url);
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                sent.fetch_add(1, Ordering::Relaxed);
                let response = client.get(&address).bearer_auth(&token).send().await;
                if response.is_ok_and(|r| r.status() == 200) {
                    succeeded.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let succeeded_at_backup_start = succeeded.load(Ordering::Relaxed);

    let backup = dir.path().join("backup.db");
    let started = Instant::now();
    let backup_output = tokio::task::spawn_blocking({
        let (dir, url, backup) = (dir.path().to_path_buf(), url.clone(), backup.clone());
        move || {
            run({
                let mut c = convene(&dir, &url);
                c.args(["backup", "--to"]).arg(&backup);
                c
            })
        }
    })
    .await
    .unwrap();
    let backup_took = started.elapsed();
    assert!(backup_output.status.success(), "{}", stderr(&backup_output));
    assert!(stdout(&backup_output).contains("Backup written"));
    let succeeded_at_backup_end = succeeded.load(Ordering::Relaxed);

    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        tokio::time::timeout(Duration::from_secs(30), worker)
            .await
            .expect("the load stops")
            .unwrap();
    }
    assert!(server.terminate().success(), "{}", server.log());
    let requests = sent.load(Ordering::Relaxed);
    let successes = succeeded.load(Ordering::Relaxed);
    assert!(
        successes > 0,
        "the load wrote nothing ({requests} requests)\n{}",
        server.log()
    );
    let events_after = verified_events(dir.path(), &url);
    assert!(events_after >= events_before + successes);

    // Restore into a fresh instance: the copy as its database, the keys beside.
    let fresh = tempfile::tempdir().unwrap();
    let restored = fresh.path().join("restored.db");
    std::fs::copy(&backup, &restored).unwrap();
    std::fs::create_dir_all(fresh.path().join("data")).unwrap();
    std::fs::copy(
        dir.path().join("data/convene-keys.toml"),
        fresh.path().join("data/convene-keys.toml"),
    )
    .unwrap();
    let restored_url = format!("sqlite://{}", restored.display());
    convene_ok(fresh.path(), &restored_url, &["check"]);
    let events_in_backup = verified_events(fresh.path(), &restored_url);
    assert!(
        events_before < events_in_backup && events_in_backup < events_after,
        "the backup caught the load mid-way: before {events_before}, \
         backup {events_in_backup}, after {events_after}"
    );

    // Compare the backup with the live database, row by row.
    let conn = open_read_only(&live).await;
    for (schema, path) in [("backup", &backup), ("baseline", &baseline)] {
        conn.execute_unprepared(&format!(
            "ATTACH DATABASE 'file:{}?mode=ro' AS {schema}",
            path.display()
        ))
        .await
        .unwrap();
    }
    let check = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA backup.integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");

    let backup_tables = tables(&conn, "backup").await;
    assert_eq!(backup_tables, tables(&conn, "main").await);
    assert!(backup_tables.iter().any(|t| t == "audit_events"));
    let mut touched = Vec::new();
    for table in &backup_tables {
        let untouched = missing(&conn, table, "baseline", "main").await == 0
            && missing(&conn, table, "main", "baseline").await == 0;
        if untouched {
            // Nothing changed during the load: the backup is identical.
            assert_eq!(missing(&conn, table, "backup", "main").await, 0, "{table}");
            assert_eq!(missing(&conn, table, "main", "backup").await, 0, "{table}");
        } else {
            touched.push(table.clone());
        }
    }
    assert!(touched.iter().any(|t| t == "audit_events"), "{touched:?}");

    // Audit events only ever append: the backup's events are exactly the
    // live events up to its last one, hashes and all.
    assert_eq!(
        missing(&conn, "audit_events", "backup", "main").await,
        0,
        "every backed-up event is in the live database unchanged"
    );
    let last = count(&conn, "SELECT max(seq) FROM backup.audit_events").await;
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) FROM main.audit_events WHERE seq <= {last}")
        )
        .await,
        events_in_backup as i64
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM backup.audit_events b JOIN main.audit_events m \
             ON m.seq = b.seq AND m.hash = b.hash"
        )
        .await,
        events_in_backup as i64
    );
    conn.close().await.unwrap();

    eprintln!(
        "backup under load: events before {events_before}, in backup {events_in_backup}, \
         after {events_after}; {requests} requests ({successes} succeeded, \
         {succeeded_at_backup_start}..{succeeded_at_backup_end} during the backup); \
         backup took {backup_took:?}; tables touched by the load: {touched:?}"
    );
}
