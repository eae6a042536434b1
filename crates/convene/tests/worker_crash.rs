//! `convene worker`, the real binary, killed with SIGKILL between GOV.UK
//! Notify accepting an email and the outbox recording it: a stand-in for
//! Notify's API keeps the email and never answers, the worker dies
//! waiting, and a restarted worker asks Notify for the outbox id before
//! sending, so the member of staff gets one email. On both backends.

mod common;

#[path = "../../convene-jobs/tests/support/fake_notify.rs"]
mod fake_notify;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{convene, run, stderr};
use convene_domain::clock::{Clock, SystemClock};
use convene_store::messaging::outbox::{self, Message};
use convene_store::{DatabaseSettings, Store};
use fake_notify::{EMAIL_TEMPLATE, FakeNotify, Recorded, SECRET, SERVICE_ID, SMS_TEMPLATE};
use sea_orm::sea_query::{Alias, Expr, Query, UpdateStatement};
use sea_orm::{ConnectionTrait, ExprTrait};
use uuid::Uuid;

/// Every wait in this test gives up after this long.
const PATIENCE: Duration = Duration::from_secs(30);

async fn store(url: &str) -> Store {
    Store::connect(&DatabaseSettings::new(url.to_string()))
        .await
        .unwrap()
}

/// Runs one update against the database, values bound (so ids and times
/// are stored as each backend stores them).
async fn update(url: &str, statement: UpdateStatement) -> u64 {
    let store = store(url).await;
    let done = store.conn().execute(&statement).await.unwrap();
    store.close().await.unwrap();
    done.rows_affected()
}

async fn message(url: &str, id: Uuid) -> Message {
    let store = store(url).await;
    let found = outbox::get(store.conn(), id).await.unwrap();
    store.close().await.unwrap();
    found.expect("the outbox row")
}

/// The demo's staff notices, due now, still queued.
async fn due_staff_notices(url: &str) -> Vec<Message> {
    let store = store(url).await;
    let now = SystemClock.now();
    let found = outbox::recent(store.conn(), Some("queued"), 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.audience == "staff" && m.next_attempt_at <= now)
        .collect();
    store.close().await.unwrap();
    found
}

/// A running `convene worker` sending through the stand-in, its output in
/// files.
struct Worker {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Worker {
    fn start(dir: &Path, url: &str, notify: &FakeNotify, name: &str) -> Worker {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.log"));
        let mut command = convene(dir, url);
        command
            .arg("worker")
            .env("CONVENE_MESSAGES_PROVIDER", "notify")
            .env(
                "CONVENE_NOTIFY_API_KEY",
                format!("convene_test-{SERVICE_ID}-{SECRET}"),
            )
            .env("CONVENE_NOTIFY_BASE_URL", notify.url())
            .env("CONVENE_NOTIFY_SMS_TEMPLATE_ID", SMS_TEMPLATE)
            .env("CONVENE_NOTIFY_EMAIL_TEMPLATE_ID", EMAIL_TEMPLATE)
            .env("CONVENE_BASE_URL", "https://convene.example.org")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap());
        let child = command.spawn().expect("start convene worker");
        Worker {
            child,
            stdout,
            stderr,
        }
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the process to exit, failing with its logs if it does not.
    fn wait(&mut self) -> ExitStatus {
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the worker did not exit:\n{}", self.logs());
    }

    fn logs(&self) -> String {
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        format!(
            "--- stdout\n{}--- stderr\n{}",
            read(&self.stdout),
            read(&self.stderr)
        )
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The emails posted to the stand-in with `reference`.
fn posts_for(notify: &FakeNotify, reference: Uuid) -> Vec<Recorded> {
    notify
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/notifications/email")
        .filter(|r| r.body["reference"] == reference.to_string())
        .collect()
}

/// The lookups the stand-in was asked for `reference`.
fn lookups_for(notify: &FakeNotify, reference: Uuid) -> Vec<Recorded> {
    notify
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/v2/notifications")
        .filter(|r| r.query.as_deref() == Some(&*format!("reference={reference}")))
        .collect()
}

both_backends!(
    a_worker_killed_while_notify_answers_sends_one_email,
    |db| async move {
        // The demo: staff notices due now, family reminders due later.
        let dir = tempfile::tempdir().unwrap();
        let mut seed = convene(dir.path(), &db.url);
        seed.args(["demo", "--no-serve"]);
        let seeded = run(seed);
        assert!(seeded.status.success(), "{}", stderr(&seeded));

        // One staff notice stays queued; nothing else is to be sent. Staff
        // emails, not family texts: texts wait out the night, and this
        // runs on the real clock.
        let notices = due_staff_notices(&db.url).await;
        let chosen = notices.first().expect("the demo queued staff notices").id;
        let mut skip = Query::update();
        skip.table(Alias::new("outbox"))
            .value(Alias::new("status"), "skipped")
            .and_where(Expr::col(Alias::new("status")).eq("queued"))
            .and_where(Expr::col(Alias::new("id")).ne(chosen));
        update(&db.url, skip).await;
        // Overdue follow-ups count as told already, so the worker queues
        // no notices of its own.
        let mut told = Query::update();
        told.table(Alias::new("follow_ups"))
            .value(Alias::new("notified_at"), SystemClock.now())
            .and_where(Expr::col(Alias::new("notified_at")).is_null());
        update(&db.url, told).await;
        let queued = message(&db.url, chosen).await;
        assert_eq!(
            (queued.status.as_str(), queued.claims, queued.attempts),
            ("queued", 0, 0)
        );

        // Notify takes the email and never answers; the worker is killed
        // while it waits.
        let notify = FakeNotify::start().await;
        notify.hold_next_send();
        let mut first = Worker::start(dir.path(), &db.url, &notify, "first");
        if tokio::time::timeout(PATIENCE, notify.taken())
            .await
            .is_err()
        {
            panic!("Notify was sent nothing:\n{}", first.logs());
        }
        first.signal("-KILL");
        let killed = first.wait();
        assert!(!killed.success(), "{killed:?}");
        let stored = notify.stored();
        assert_eq!(stored.len(), 1, "Notify took one email");
        assert_eq!(stored[0].reference, chosen.to_string());
        assert_eq!(posts_for(&notify, chosen).len(), 1);
        let unrecorded = message(&db.url, chosen).await;
        assert_eq!(
            (
                unrecorded.status.as_str(),
                unrecorded.claims,
                unrecorded.attempts
            ),
            ("queued", 1, 0),
            "the outbox does not know Notify took it\n{}",
            first.logs()
        );
        assert_eq!(unrecorded.provider_id, None);

        // The dead worker's lease (5 minutes) lapses: this stands for that
        // time passing, and nothing else; claims and attempts are as the
        // crash left them.
        let mut lapse = Query::update();
        lapse
            .table(Alias::new("outbox"))
            .value(
                Alias::new("lease_until"),
                SystemClock.now() - chrono::Duration::minutes(1),
            )
            .and_where(Expr::col(Alias::new("id")).eq(chosen));
        assert_eq!(update(&db.url, lapse).await, 1);

        // A restarted worker; Notify now answers as it always does (the
        // hold was for one email only).
        let mut second = Worker::start(dir.path(), &db.url, &notify, "second");
        let started = Instant::now();
        let mut recorded = message(&db.url, chosen).await;
        while recorded.status != "sent" && started.elapsed() < PATIENCE {
            tokio::time::sleep(Duration::from_millis(250)).await;
            recorded = message(&db.url, chosen).await;
        }
        assert_eq!(recorded.status, "sent", "{}", second.logs());
        second.signal("-TERM");
        let stopped = second.wait();
        assert!(stopped.success(), "{stopped:?}\n{}", second.logs());

        // One email, found by its reference rather than sent again.
        let posts = posts_for(&notify, chosen);
        assert_eq!(posts.len(), 1, "the recipient gets one email");
        assert_eq!(posts[0].body["template_id"], EMAIL_TEMPLATE);
        assert!(
            !lookups_for(&notify, chosen).is_empty(),
            "the restarted worker asked Notify"
        );
        let taken: Vec<String> = notify
            .stored()
            .into_iter()
            .filter(|n| n.reference == chosen.to_string())
            .map(|n| n.id.to_string())
            .collect();
        assert_eq!(taken.len(), 1);
        assert_eq!(recorded.provider_id.as_deref(), Some(&*taken[0]));

        // Logs name messages by id only: no addresses.
        for worker in [&first, &second] {
            let log = std::fs::read_to_string(&worker.stderr).unwrap();
            assert!(!log.contains('@'), "{log}");
        }
    }
);
