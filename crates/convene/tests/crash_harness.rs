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

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, Server, convene, run, stderr, stdout};
use convene_domain::people::sharing::PRIVACY_NOTICE_VERSION;
use convene_store::{DatabaseSettings, Store};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value as SqlValue};
use serde_json::{Value, json};
use uuid::Uuid;

const ROUNDS: usize = 20;
const REFERRER: &str = "family.support@northgate-primary.example";
const RECEIVER: &str = "camhs@bch-nhs.example";
const NHS: &str = "Brackenbury Community Health NHS Trust";
const CAMHS: &str = "Children and young people's mental health service";

/// xorshift64*: small, seeded, good enough to pick moments and actions.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn convene_ok(dir: &Path, url: &str, args: &[&str]) -> String {
    let output = run({
        let mut c = convene(dir, url);
        c.args(args);
        c
    });
    assert!(
        output.status.success(),
        "convene {args:?} failed:\n{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

fn token(dir: &Path, url: &str, user: &str) -> String {
    convene_ok(
        dir,
        url,
        &["token", "create", "--user", user, "--scopes", "referrals"],
    )
    .lines()
    .next()
    .unwrap_or_default()
    .trim()
    .to_string()
}

/// A request the client sent; kept, with its key, until it is acknowledged.
#[derive(Clone, Debug)]
enum Op {
    Create {
        key: String,
        body: Value,
    },
    Move {
        referral: Uuid,
        key: String,
        body: Value,
        to: &'static str,
    },
}

#[derive(Clone, Copy, Debug)]
struct Acked {
    state: &'static str,
    version: i64,
}

#[derive(Default)]
struct Shared {
    /// Every referral whose creation was acknowledged, with the state and
    /// version of the last acknowledged answer about it.
    acked: Mutex<HashMap<Uuid, Acked>>,
    /// Acknowledged referrals no request is in flight or pending for, that
    /// can still move on.
    ready: Mutex<Vec<Uuid>>,
    /// Requests without a definite answer, to retry with the same key.
    pending: Mutex<Vec<Op>>,
    creates: AtomicU64,
    moves: AtomicU64,
    failed: AtomicU64,
    replayed: AtomicU64,
    /// Answers other than 2xx (the server was up and said no).
    refused: Mutex<Vec<String>>,
}

struct Client {
    http: reqwest::Client,
    base: String,
    referrer: String,
    receiver: String,
}

impl Client {
    /// Sends `op`; `Ok` with the answer when acknowledged (2xx and a body).
    async fn send(&self, op: &Op, shared: &Shared) -> Result<Value, ()> {
        let (path, token, key, body) = match op {
            Op::Create { key, body } => {
                ("/api/v1/referrals".to_string(), &self.referrer, key, body)
            }
            Op::Move {
                referral,
                key,
                body,
                ..
            } => (
                format!("/api/v1/referrals/{referral}/transitions"),
                &self.receiver,
                key,
                body,
            ),
        };
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .map_err(|_| ())?;
        let status = response.status();
        let replayed = response.headers().contains_key("idempotent-replayed");
        let text = response.text().await.map_err(|_| ())?;
        if !status.is_success() {
            shared
                .refused
                .lock()
                .unwrap()
                .push(format!("{status} for {op:?}: {text}"));
            return Err(());
        }
        if replayed {
            shared.replayed.fetch_add(1, Ordering::Relaxed);
        }
        serde_json::from_str(&text).map_err(|_| ())
    }

    /// Sends `op` and records what came of it.
    async fn perform(&self, op: Op, shared: &Shared) -> bool {
        let Ok(answer) = self.send(&op, shared).await else {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            shared.pending.lock().unwrap().push(op);
            return false;
        };
        let id: Uuid = answer["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no id in {answer}"));
        let state = match answer["state"].as_str() {
            Some("sent") => "sent",
            Some("opened") => "opened",
            Some("accepted") => "accepted",
            other => panic!("unexpected state {other:?} in {answer}"),
        };
        let version = answer["version"].as_i64().expect("a version");
        match op {
            Op::Create { .. } => {
                assert_eq!((state, version), ("sent", 2), "{answer}");
                let first = shared
                    .acked
                    .lock()
                    .unwrap()
                    .insert(id, Acked { state, version });
                assert!(first.is_none(), "two creations answered with {id}");
                shared.creates.fetch_add(1, Ordering::Relaxed);
            }
            Op::Move { referral, to, .. } => {
                assert_eq!((id, state), (referral, to), "{answer}");
                let mut acked = shared.acked.lock().unwrap();
                let known = acked.get_mut(&id).expect("moved an acknowledged referral");
                assert_eq!(version, known.version + 1, "{answer}");
                *known = Acked { state, version };
                shared.moves.fetch_add(1, Ordering::Relaxed);
            }
        }
        if state != "accepted" {
            shared.ready.lock().unwrap().push(id);
        }
        true
    }
}

fn create_op(service: Uuid, rng: &mut Rng) -> Op {
    let key = format!("crash-create-{}", Uuid::new_v4().simple());
    let body = json!({
        "service_id": service,
        "child": { "given_name": "Robin", "family_name": format!("Crash{}", rng.below(100_000)),
                   "date_of_birth": "2015-05-01" },
        "parent": { "given_name": "Alex", "family_name": "Crash", "relationship": "mother",
                    "phone": "07700 900982" },
        "needs": ["mental-health"],
        "reason": format!("Crash harness referral {key}"),
        "urgency": "soon",
        "sharing": { "basis": "consent", "items": ["name", "contact_details", "reason"],
                     "purpose": "So the service can offer an appointment",
                     "privacy_notice_version": PRIVACY_NOTICE_VERSION },
        "send": true
    });
    Op::Create { key, body }
}

fn move_op(referral: Uuid, acked: Acked) -> Op {
    let (transition, to) = match acked.state {
        "sent" => ("open", "opened"),
        "opened" => ("accept", "accepted"),
        other => panic!("{referral} cannot move on from {other}"),
    };
    Op::Move {
        referral,
        key: format!("crash-move-{}", Uuid::new_v4().simple()),
        body: json!({ "transition": transition, "version": acked.version }),
        to,
    }
}

/// One client: retries what is pending, else moves a referral on (one in
/// three) or creates one, until told to stop.
async fn client_loop(
    client: Arc<Client>,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    seed: u64,
    service: Uuid,
) {
    let mut rng = Rng::new(seed);
    while !stop.load(Ordering::Relaxed) {
        let retry = shared.pending.lock().unwrap().pop();
        let op = match retry {
            Some(op) => op,
            None => {
                let picked = if rng.below(3) == 0 {
                    let mut ready = shared.ready.lock().unwrap();
                    if ready.is_empty() {
                        None
                    } else {
                        let at = rng.below(ready.len() as u64) as usize;
                        Some(ready.swap_remove(at))
                    }
                } else {
                    None
                };
                match picked {
                    Some(referral) => {
                        let acked = shared.acked.lock().unwrap()[&referral];
                        move_op(referral, acked)
                    }
                    None => create_op(service, &mut rng),
                }
            }
        };
        if !client.perform(op, &shared).await {
            // The server is probably down; do not spin.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

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

/// One last attempt at an unanswered request.
async fn settle(client: &Client, op: Op, shared: &Shared) -> Result<(), ()> {
    let before = shared.pending.lock().unwrap().len();
    if client.perform(op, shared).await {
        Ok(())
    } else {
        // `perform` queued it again; this loop retries it itself.
        let mut pending = shared.pending.lock().unwrap();
        if pending.len() > before {
            pending.pop();
        }
        Err(())
    }
}

both_backends!(acknowledged_writes_survive_sigkill, |db| async {
    crash_and_check(&db.url, db.backend).await
});
