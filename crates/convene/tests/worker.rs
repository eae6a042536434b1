//! `convene worker` on its own, the real binary: it delivers what the
//! outbox holds through the configured provider (here the log, on standard
//! output) and stops cleanly on SIGTERM; a provider that cannot be built
//! from its settings stops it at start with one line naming the setting.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{convene, run, stderr};
use convene_store::messaging::outbox;
use convene_store::{DatabaseSettings, Store};

async fn queued_staff_messages(url: &str) -> usize {
    let store = Store::connect(&DatabaseSettings::new(url.to_string()))
        .await
        .unwrap();
    let queued = outbox::recent(store.conn(), Some("queued"), 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.audience == "staff")
        .count();
    store.close().await.unwrap();
    queued
}

both_backends!(
    the_worker_alone_delivers_the_outbox_and_stops_on_sigterm,
    |db| async move {
        let dir = tempfile::tempdir().unwrap();
        let mut seed = convene(dir.path(), &db.url);
        seed.args(["demo", "--no-serve"]);
        let seeded = run(seed);
        assert!(seeded.status.success(), "{}", stderr(&seeded));
        let waiting = queued_staff_messages(&db.url).await;
        assert!(waiting > 0, "the demo's referrals queued notices");

        let log = dir.path().join("worker.log");
        let mut command = convene(dir.path(), &db.url);
        command
            .arg("worker")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut child = command.spawn().unwrap();
        let printed = Arc::new(Mutex::new(String::new()));
        let out = child.stdout.take().unwrap();
        let sink = printed.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        let mut left = waiting;
        for _ in 0..120 {
            left = queued_staff_messages(&db.url).await;
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert_eq!(left, 0, "log:\n{}", std::fs::read_to_string(&log).unwrap());
        // Standard output is read on its own thread: let it catch up.
        let delivered = |text: &str| text.matches("(log delivery, reference").count();
        for _ in 0..50 {
            if delivered(&printed.lock().unwrap()) >= waiting {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let text = printed.lock().unwrap().clone();
        // Those queued, and the notices of overdue follow-ups the worker
        // itself queued when it started.
        assert!(delivered(&text) >= waiting, "{text}");
        assert!(text.contains("Subject: A new referral for"), "{text}");

        let signalled = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(signalled.success());
        let mut status = None;
        for _ in 0..300 {
            status = child.try_wait().unwrap();
            if status.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let status = status.expect("the worker stops within 30 seconds of SIGTERM");
        let log = std::fs::read_to_string(&log).unwrap();
        assert!(status.success(), "{status:?}\n{log}");
        assert!(log.contains("background worker stopped"), "{log}");
        // Logs name messages by id only: no addresses or words.
        assert!(!log.contains("@") && !log.contains("referral for"), "{log}");
    }
);

#[test]
fn a_provider_without_its_settings_stops_the_worker_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    let mut command = convene(dir.path(), &url);
    command
        .arg("worker")
        .env("CONVENE_MESSAGES_PROVIDER", "notify");
    let output = run(command);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message
            .trim()
            .starts_with("error: invalid configuration: notify_api_key"),
        "{message}"
    );
}
