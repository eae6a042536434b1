//! Backups taken while a real server keeps writing rows and audit events,
//! restored into a fresh instance and compared with the live database, row
//! by row: `convene backup` on SQLite, and on PostgreSQL the `pg_dump` and
//! `pg_restore` that docs/operations.md tells operators to use instead.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Server, TestDatabase, convene, run, stderr, stdout};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use tempfile::TempDir;

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

/// Loads the demo into `url` and returns an API token for a practitioner
/// who may read referrals.
fn demo_with_token(dir: &Path, url: &str) -> String {
    convene_ok(dir, url, &["demo", "--no-serve"]);
    convene_ok(
        dir,
        url,
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
    .to_string()
}

/// Starts `convene serve` on `url` and finds a referral the token's user
/// may read, so that reading it again and again writes audit events.
async fn serve(dir: &Path, url: &str, token: &str) -> (Server, reqwest::Client, String) {
    let server = Server::start(dir, url, &["serve"]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let list: serde_json::Value = client
        .get(format!("{}/api/v1/referrals", server.url))
        .bearer_auth(token)
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
    (server, client, referral)
}

/// The load: four workers reading one referral through the API as fast as
/// they can. Every successful read writes one audit event (record_viewed).
struct Load {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    succeeded: Arc<AtomicU64>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(client: &reqwest::Client, server: &Server, token: &str, referral: &str) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let succeeded = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let mut workers = Vec::new();
        for _ in 0..4 {
            let (stop, succeeded, sent) = (stop.clone(), succeeded.clone(), sent.clone());
            let (client, token) = (client.clone(), token.to_string());
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
        Load {
            stop,
            sent,
            succeeded,
            workers,
        }
    }

    fn succeeded(&self) -> u64 {
        self.succeeded.load(Ordering::Relaxed)
    }

    /// Stops the workers and returns how many requests they sent and how
    /// many succeeded.
    async fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for worker in self.workers {
            tokio::time::timeout(Duration::from_secs(30), worker)
                .await
                .expect("the load stops")
                .unwrap();
        }
        (
            self.sent.load(Ordering::Relaxed),
            self.succeeded.load(Ordering::Relaxed),
        )
    }
}

/// A command run while the load was going, and how the load fared meanwhile.
struct UnderLoad {
    output: Output,
    took: Duration,
    /// Successful load requests when the command started and when it ended.
    succeeded_at_start: u64,
    succeeded_at_end: u64,
}

/// Lets the load get going, runs `command` (off the runtime, so the workers
/// keep sending), then lets the load run on so the live database moves past
/// whatever the command copied.
async fn run_under_load(load: &Load, command: Command) -> UnderLoad {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let succeeded_at_start = load.succeeded();
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || run(command))
        .await
        .unwrap();
    let took = started.elapsed();
    let succeeded_at_end = load.succeeded();
    tokio::time::sleep(Duration::from_secs(1)).await;
    UnderLoad {
        output,
        took,
        succeeded_at_start,
        succeeded_at_end,
    }
}

/// Stops the load and the server, checks that the load wrote, and returns
/// the requests sent, those that succeeded, and the live database's audit
/// event count at the end.
async fn finish_load(
    mut server: Server,
    load: Load,
    dir: &Path,
    url: &str,
    events_before: u64,
) -> (u64, u64, u64) {
    let (requests, successes) = load.stop().await;
    assert!(server.terminate().success(), "{}", server.log());
    assert!(
        successes > 0,
        "the load wrote nothing ({requests} requests)\n{}",
        server.log()
    );
    let events_after = verified_events(dir, url);
    assert!(events_after >= events_before + successes);
    (requests, successes, events_after)
}

/// A fresh instance's folder holding the live instance's keys file, where
/// `data_keys_file` points by default, as on a new machine after a restore.
fn fresh_instance_with_keys(live: &Path) -> TempDir {
    let fresh = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(fresh.path().join("data")).unwrap();
    std::fs::copy(
        live.join("data/convene-keys.toml"),
        fresh.path().join("data/convene-keys.toml"),
    )
    .unwrap();
    fresh
}

/// Runs `convene check` and `convene audit verify` on a restored database
/// and checks that the copy holds some, but not all, of the load's events.
fn check_restored(fresh: &Path, restored_url: &str, events_before: u64, events_after: u64) -> u64 {
    convene_ok(fresh, restored_url, &["check"]);
    let events_in_backup = verified_events(fresh, restored_url);
    assert!(
        events_before < events_in_backup && events_in_backup < events_after,
        "the backup caught the load mid-way: before {events_before}, \
         backup {events_in_backup}, after {events_after}"
    );
    events_in_backup
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

/// The first column of every row `sql` returns, as text.
async fn strings(conn: &DatabaseConnection, sql: &str) -> Vec<String> {
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn tables(conn: &DatabaseConnection, schema: &str) -> Vec<String> {
    strings(
        conn,
        &format!(
            "SELECT name FROM {schema}.sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ),
    )
    .await
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

    let token = demo_with_token(dir.path(), &url);
    // A baseline copy, to tell afterwards which tables the load touched.
    let baseline = dir.path().join("baseline.db");
    convene_ok(
        dir.path(),
        &url,
        &["backup", "--to", baseline.to_str().unwrap()],
    );
    let events_before = verified_events(dir.path(), &url);

    let (server, client, referral) = serve(dir.path(), &url, &token).await;
    let load = Load::start(&client, &server, &token, &referral);
    let backup = dir.path().join("backup.db");
    let mut command = convene(dir.path(), &url);
    command.args(["backup", "--to"]).arg(&backup);
    let backed_up = run_under_load(&load, command).await;
    assert!(
        backed_up.output.status.success(),
        "{}",
        stderr(&backed_up.output)
    );
    assert!(stdout(&backed_up.output).contains("Backup written"));
    let (requests, successes, events_after) =
        finish_load(server, load, dir.path(), &url, events_before).await;

    // Restore into a fresh instance: the copy as its database, the keys beside.
    let fresh = fresh_instance_with_keys(dir.path());
    let restored = fresh.path().join("restored.db");
    std::fs::copy(&backup, &restored).unwrap();
    let restored_url = format!("sqlite://{}", restored.display());
    let events_in_backup = check_restored(fresh.path(), &restored_url, events_before, events_after);

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
         {}..{} during the backup); backup took {:?}; tables touched by the load: {touched:?}",
        backed_up.succeeded_at_start, backed_up.succeeded_at_end, backed_up.took
    );
}

/// One connection to a PostgreSQL database, for reading it in comparisons.
async fn connect_postgres(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .expect("connect to PostgreSQL")
}

/// Every row of every table in the public schema, each as PostgreSQL's
/// text for the whole row, sorted. PostgreSQL cannot read two databases in
/// one statement (there is no ATTACH), so two databases are compared here:
/// they hold the same rows exactly when these are equal, duplicates counted.
async fn postgres_rows(conn: &DatabaseConnection) -> BTreeMap<String, Vec<String>> {
    let mut all = BTreeMap::new();
    let tables = strings(
        conn,
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .await;
    for table in tables {
        // Sorted here rather than with ORDER BY so that the order does not
        // depend on either database's collation.
        let mut rows = strings(
            conn,
            &format!("SELECT t::text FROM public.\"{table}\" AS t"),
        )
        .await;
        rows.sort();
        all.insert(table, rows);
    }
    all
}

/// What a restore must bring back besides the rows: columns, constraints,
/// indexes and triggers (the audit trail's append-only guard is a trigger,
/// and a restore without it would let history be changed).
async fn postgres_schema(conn: &DatabaseConnection) -> Vec<String> {
    let mut lines = strings(
        conn,
        "SELECT 'column ' || table_name::text || '.' || column_name::text || ' ' \
                || data_type::text || ' ' || is_nullable::text || ' ' \
                || coalesce(column_default::text, '') \
           FROM information_schema.columns WHERE table_schema = 'public' \
         UNION ALL \
         SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname::text || ' ' \
                || pg_get_constraintdef(oid) \
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
         UNION ALL \
         SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
         UNION ALL \
         SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t \
           JOIN pg_class c ON c.oid = t.tgrelid \
          WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal",
    )
    .await;
    // As for rows: sorted here, whatever the collation.
    lines.sort();
    lines
}

/// Runs a PostgreSQL client tool and fails the test with its stderr when it
/// does not succeed.
fn tool_ok(mut command: Command) {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} failed:\n{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dump_under_write_load_restores_every_row_and_event() {
    // PostgreSQL's own tools, as docs/operations.md advises, since
    // `convene backup` copies SQLite only.
    let Some(live_db) = TestDatabase::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = live_db.url.clone();

    let token = demo_with_token(dir.path(), &url);
    // The rows before the load, to tell afterwards which tables it touched.
    let live = connect_postgres(&url).await;
    let baseline = postgres_rows(&live).await;
    live.close().await.unwrap();
    let events_before = verified_events(dir.path(), &url);

    let (server, client, referral) = serve(dir.path(), &url, &token).await;
    let load = Load::start(&client, &server, &token, &referral);
    let dump = dir.path().join("convene.dump");
    let mut command = Command::new("pg_dump");
    command
        .arg("--format=custom")
        .arg(format!("--file={}", dump.display()))
        .arg(&url);
    let dumped = run_under_load(&load, command).await;
    assert!(
        dumped.output.status.success(),
        "pg_dump failed:\n{}",
        stderr(&dumped.output)
    );
    // A dump that finished before any request landed would prove nothing
    // about consistency under load.
    assert!(
        dumped.succeeded_at_start > 0 && dumped.succeeded_at_end > dumped.succeeded_at_start,
        "no load request succeeded while pg_dump ran ({}..{} in {:?})",
        dumped.succeeded_at_start,
        dumped.succeeded_at_end,
        dumped.took
    );
    let (requests, successes, events_after) =
        finish_load(server, load, dir.path(), &url, events_before).await;

    // Restore into a fresh, empty database, and give the fresh instance the
    // keys file the live server used.
    let restored_db = TestDatabase::postgres()
        .await
        .expect("a second PostgreSQL database to restore into");
    let mut command = Command::new("pg_restore");
    command
        .arg("--no-owner")
        .arg(format!("--dbname={}", restored_db.url))
        .arg(&dump);
    tool_ok(command);
    let fresh = fresh_instance_with_keys(dir.path());
    let events_in_dump =
        check_restored(fresh.path(), &restored_db.url, events_before, events_after);
    // Neither `check` nor `audit verify` reads the personal data; this does,
    // so it shows the restored data opens with the keys that sealed it.
    convene_ok(fresh.path(), &restored_db.url, &["keys", "check"]);

    let live = connect_postgres(&url).await;
    let restored = connect_postgres(&restored_db.url).await;
    let schema = postgres_schema(&live).await;
    assert!(
        schema
            .iter()
            .any(|line| line.contains("audit_events_append_only")),
        "{schema:#?}"
    );
    assert_eq!(postgres_schema(&restored).await, schema);

    // Compare the restored database with the live one, row by row.
    let live_rows = postgres_rows(&live).await;
    let restored_rows = postgres_rows(&restored).await;
    assert!(live_rows.contains_key("audit_events"));
    assert_eq!(
        restored_rows.keys().collect::<Vec<_>>(),
        live_rows.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        baseline.keys().collect::<Vec<_>>(),
        live_rows.keys().collect::<Vec<_>>()
    );
    let mut touched = Vec::new();
    for (table, rows) in &live_rows {
        if baseline[table] == *rows {
            // Nothing changed during the load: the restore is identical.
            assert!(
                restored_rows[table] == *rows,
                "{table}: {} rows restored, {} live",
                restored_rows[table].len(),
                rows.len()
            );
        } else {
            touched.push(table.clone());
        }
    }
    assert!(touched.iter().any(|t| t == "audit_events"), "{touched:?}");

    // Audit events only ever append, and pg_dump reads one snapshot: the
    // restored events are exactly the live events up to the last restored
    // one, hashes and all.
    let last = count(
        &restored,
        "SELECT coalesce(max(seq), 0)::bigint FROM audit_events",
    )
    .await;
    let restored_events = strings(
        &restored,
        "SELECT t::text FROM audit_events AS t ORDER BY seq",
    )
    .await;
    let live_events = strings(
        &live,
        &format!("SELECT t::text FROM audit_events AS t WHERE seq <= {last} ORDER BY seq"),
    )
    .await;
    assert_eq!(restored_events.len() as u64, events_in_dump);
    assert_eq!(live_events.len(), restored_events.len());
    if let Some(at) = (0..live_events.len()).find(|&i| live_events[i] != restored_events[i]) {
        panic!(
            "restored event differs from the live one:\nrestored {}\nlive     {}",
            restored_events[at], live_events[at]
        );
    }
    let live_total = count(&live, "SELECT count(*) FROM audit_events").await;
    assert_eq!(live_total as u64, events_after);
    live.close().await.unwrap();
    restored.close().await.unwrap();
    restored_db.finish().await;
    live_db.finish().await;

    eprintln!(
        "pg_dump under load: events before {events_before}, in dump {events_in_dump}, \
         live at the end {events_after}; {requests} requests ({successes} succeeded, \
         {}..{} during the dump); pg_dump took {:?}; tables touched by the load: {touched:?}",
        dumped.succeeded_at_start, dumped.succeeded_at_end, dumped.took
    );
}
