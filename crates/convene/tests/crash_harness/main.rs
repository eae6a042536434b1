//! Crash consistency: clients create referrals (sent, so each queues a
//! notice for the receiving organisation) and move them on (open, accept)
//! at full speed while the server is killed with SIGKILL at random moments,
//! twenty times a backend. Requests without a definite answer are retried
//! with the same `Idempotency-Key` after the restart, so in the end every
//! request was acknowledged exactly once. Then, with the server stopped:
//! every acknowledged referral is there in the state the client was told,
//! with its events, people, needs and share; exactly one `referral_received`
//! notice each (none lost, none doubled) and one `referral_accepted` for the
//! accepted ones; no referral more than the acknowledged ones; SQLite's
//! `integrity_check` and `foreign_key_check`, PostgreSQL's index validity,
//! `convene check` and `convene audit verify` all pass.

mod client;
#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Backend, Server};
use convene_store::{DatabaseSettings, Store};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value as SqlValue};
use uuid::Uuid;

use client::*;

const ROUNDS: usize = 20;
const REFERRER: &str = "family.support@northgate-primary.example";
const RECEIVER: &str = "camhs@bch-nhs.example";
const NHS: &str = "Brackenbury Community Health NHS Trust";
const CAMHS: &str = "Children and young people's mental health service";

fn sigkill(server: &mut Server) {
    let status = Command::new("kill")
        .args(["-KILL", &server.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -KILL failed");
    let exit = server.child.wait().expect("wait for the killed server");
    assert!(!exit.success(), "the server survived SIGKILL: {exit:?}");
}

/// Binds `?` placeholders as `$n` on PostgreSQL.
fn statement(conn: &DatabaseConnection, sql: &str, values: Vec<SqlValue>) -> Statement {
    let backend = conn.get_database_backend();
    let sql = if backend == sea_orm::DatabaseBackend::Postgres {
        let mut out = String::new();
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_string()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

async fn count(conn: &DatabaseConnection, sql: &str, values: Vec<SqlValue>) -> i64 {
    conn.query_one_raw(statement(conn, sql, values))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn service_id(url: &str) -> Uuid {
    let store = Store::connect(&DatabaseSettings::new(url)).await.unwrap();
    let conn = store.conn();
    let row = conn
        .query_one_raw(statement(
            conn,
            "SELECT s.id FROM services s JOIN organisations o ON o.id = s.organisation_id \
             WHERE o.name = ? AND s.name = ? AND s.status = 'active'",
            vec![NHS.into(), CAMHS.into()],
        ))
        .await
        .unwrap()
        .expect("the demo's CAMHS service");
    let id = row.try_get_by_index::<Uuid>(0).unwrap();
    conn.clone().close().await.ok();
    id
}

/// Counts that the run must change only by what was acknowledged.
async fn totals(url: &str) -> (i64, i64, i64) {
    let store = Store::connect(&DatabaseSettings::new(url)).await.unwrap();
    let conn = store.conn();
    let referrals = count(conn, "SELECT count(*) FROM referrals", vec![]).await;
    let received = count(
        conn,
        "SELECT count(*) FROM outbox WHERE kind = 'referral_received'",
        vec![],
    )
    .await;
    let accepted = count(
        conn,
        "SELECT count(*) FROM outbox WHERE kind = 'referral_accepted'",
        vec![],
    )
    .await;
    conn.clone().close().await.ok();
    (referrals, received, accepted)
}

async fn crash_and_check(url: &str, backend: Backend) {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    convene_ok(dir.path(), url, &["demo", "--no-serve"]);
    let referrer = token(dir.path(), url, REFERRER);
    let receiver = token(dir.path(), url, RECEIVER);
    let service = service_id(url).await;
    let (referrals_before, received_before, accepted_before) = totals(url).await;

    let shared = Arc::new(Shared::default());
    let seed = match backend {
        Backend::Sqlite => 0x5EED_0001,
        Backend::Postgres => 0x5EED_0002,
    };
    let mut rng = Rng::new(seed);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut kills = 0;
    for round in 0..ROUNDS {
        let mut server = Server::start(dir.path(), url, &["serve"]);
        let client = Arc::new(Client {
            http: http.clone(),
            base: server.url.clone(),
            referrer: referrer.clone(),
            receiver: receiver.clone(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = 2 + rng.below(3);
        let workers: Vec<_> = (0..tasks)
            .map(|i| {
                tokio::spawn(client_loop(
                    client.clone(),
                    shared.clone(),
                    stop.clone(),
                    rng.next() ^ (i + 1),
                    service,
                ))
            })
            .collect();
        let run_for = Duration::from_millis(200 + rng.below(1301));
        tokio::time::sleep(run_for).await;
        sigkill(&mut server);
        kills += 1;
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            tokio::time::timeout(Duration::from_secs(30), worker)
                .await
                .unwrap_or_else(|_| panic!("round {round}: a client did not stop"))
                .unwrap();
        }
        drop(server);
    }

    // Once more, to settle what had no answer: the same keys again.
    let mut server = Server::start(dir.path(), url, &["serve"]);
    let client = Client {
        http: http.clone(),
        base: server.url.clone(),
        referrer: referrer.clone(),
        receiver: receiver.clone(),
    };
    let unanswered = std::mem::take(&mut *shared.pending.lock().unwrap());
    let settled = unanswered.len();
    for op in unanswered {
        let mut done = false;
        for _ in 0..10 {
            if let Ok(()) = settle(&client, op.clone(), &shared).await {
                done = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            done,
            "{op:?} was never acknowledged after the crashes: {:?}\n{}",
            shared.refused.lock().unwrap(),
            server.log()
        );
    }
    assert!(server.terminate().success(), "{}", server.log());
    drop(server);

    let acked = shared.acked.lock().unwrap().clone();
    let creates = shared.creates.load(Ordering::Relaxed);
    let moves = shared.moves.load(Ordering::Relaxed);
    let failed = shared.failed.load(Ordering::Relaxed);
    let replayed = shared.replayed.load(Ordering::Relaxed);
    let refused = shared.refused.lock().unwrap().clone();
    eprintln!(
        "{backend:?}: {kills} SIGKILLs in {ROUNDS} rounds; acknowledged {creates} creations and \
         {moves} transitions; {failed} requests without an answer ({settled} still unanswered \
         after the last kill, all settled by retrying the same key; {replayed} replays); \
         {} refusals; {:.1}s",
        refused.len(),
        started.elapsed().as_secs_f64()
    );
    for line in refused.iter().take(5) {
        eprintln!("  refused: {line}");
    }
    assert!(creates > 0, "no referral was created");
    assert_eq!(kills, ROUNDS);
    // A refusal (4xx) would be the server contradicting itself after a crash
    // (for example a retried key whose first attempt half happened).
    let client_errors: Vec<_> = refused
        .iter()
        .filter(|line| line.starts_with('4'))
        .collect();
    assert!(client_errors.is_empty(), "{client_errors:#?}");

    // Nothing lost, nothing doubled, nothing half written.
    let store = Store::connect(&DatabaseSettings::new(url)).await.unwrap();
    let conn = store.conn();
    let accepted = acked.values().filter(|a| a.state == "accepted").count() as i64;
    let (referrals_after, received_after, accepted_after) = totals(url).await;
    assert_eq!(
        referrals_after - referrals_before,
        creates as i64,
        "referrals made beyond the acknowledged ones"
    );
    assert_eq!(received_after - received_before, creates as i64);
    assert_eq!(accepted_after - accepted_before, accepted);
    let mut problems = Vec::new();
    for (id, expected) in &acked {
        let v = || vec![SqlValue::from(*id)];
        let row = conn
            .query_one_raw(statement(
                conn,
                "SELECT state, version, sent_at IS NOT NULL FROM referrals WHERE id = ?",
                v(),
            ))
            .await
            .unwrap();
        let Some(row) = row else {
            problems.push(format!("{id}: acknowledged but missing"));
            continue;
        };
        let state: String = row.try_get_by_index(0).unwrap();
        let version: i64 = row.try_get_by_index(1).unwrap();
        let sent: bool = row.try_get_by_index(2).unwrap();
        if (state.as_str(), version) != (expected.state, expected.version) || !sent {
            problems.push(format!(
                "{id}: {state} v{version} (sent_at set: {sent}), the client was told {} v{}",
                expected.state, expected.version
            ));
        }
        let checks: [(&str, i64); 8] = [
            (
                "SELECT count(*) FROM referral_events WHERE referral_id = ?",
                expected.version,
            ),
            (
                "SELECT count(*) FROM referral_events WHERE referral_id = ? AND transition = 'send'",
                1,
            ),
            (
                "SELECT count(*) FROM referral_people WHERE referral_id = ? AND role = 'subject'",
                1,
            ),
            (
                "SELECT count(*) FROM referral_people WHERE referral_id = ? \
                 AND role = 'parent_or_carer'",
                1,
            ),
            (
                "SELECT count(*) FROM referral_needs WHERE referral_id = ?",
                1,
            ),
            ("SELECT count(*) FROM shares WHERE referral_id = ?", 1),
            (
                "SELECT count(*) FROM outbox WHERE referral_id = ? AND kind = 'referral_received'",
                1,
            ),
            (
                "SELECT count(*) FROM outbox WHERE referral_id = ? AND kind = 'referral_accepted'",
                i64::from(expected.state == "accepted"),
            ),
        ];
        for (sql, want) in checks {
            let got = count(conn, sql, v()).await;
            if got != want {
                problems.push(format!("{id}: {sql} = {got}, expected {want}"));
            }
        }
    }
    // Across every referral, demo ones included.
    for sql in [
        "SELECT count(*) FROM referrals r WHERE NOT EXISTS \
         (SELECT 1 FROM referral_people p WHERE p.referral_id = r.id AND p.role = 'subject')",
        "SELECT count(*) FROM referrals r WHERE NOT EXISTS \
         (SELECT 1 FROM referral_events e WHERE e.referral_id = r.id AND e.transition = 'create')",
        "SELECT count(*) FROM referrals r WHERE r.state <> 'draft' AND r.sent_at IS NULL",
        "SELECT count(*) FROM referral_events e WHERE NOT EXISTS \
         (SELECT 1 FROM referrals r WHERE r.id = e.referral_id)",
        "SELECT count(*) FROM outbox o WHERE o.referral_id IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM referrals r WHERE r.id = o.referral_id)",
        "SELECT count(*) FROM referrals r WHERE r.state <> 'draft' AND NOT EXISTS \
         (SELECT 1 FROM outbox o WHERE o.referral_id = r.id AND o.kind = 'referral_received') \
         AND r.redirected_from IS NULL",
    ] {
        let got = count(conn, sql, vec![]).await;
        if got != 0 {
            problems.push(format!("{sql} = {got}"));
        }
    }
    match backend {
        Backend::Sqlite => {
            let rows = conn
                .query_all_raw(statement(conn, "PRAGMA integrity_check", vec![]))
                .await
                .unwrap();
            let said: Vec<String> = rows
                .iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap())
                .collect();
            if said != ["ok"] {
                problems.push(format!("PRAGMA integrity_check: {said:?}"));
            }
            let rows = conn
                .query_all_raw(statement(conn, "PRAGMA foreign_key_check", vec![]))
                .await
                .unwrap();
            if !rows.is_empty() {
                problems.push(format!("PRAGMA foreign_key_check: {} rows", rows.len()));
            }
        }
        Backend::Postgres => {
            let invalid = count(
                conn,
                "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public' AND NOT (i.indisvalid AND i.indisready)",
                vec![],
            )
            .await;
            if invalid != 0 {
                problems.push(format!("{invalid} invalid indexes"));
            }
            let prepared = count(conn, "SELECT count(*) FROM pg_prepared_xacts", vec![]).await;
            if prepared != 0 {
                problems.push(format!("{prepared} prepared transactions left behind"));
            }
        }
    }
    conn.clone().close().await.ok();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );

    convene_ok(dir.path(), url, &["check"]);
    let verified = convene_ok(dir.path(), url, &["audit", "verify"]);
    eprintln!("{backend:?}: {}", verified.trim());
}

both_backends!(acknowledged_writes_survive_sigkill, |db| async {
    crash_and_check(&db.url, db.backend).await
});
