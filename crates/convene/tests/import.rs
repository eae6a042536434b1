//! `convene import`: from a live ORUK feed (another Convene serving its demo
//! directory), from files, and what happens when a feed misbehaves.

mod common;

use common::{Server, convene, run, stderr, stdout};
use convene_store::directory::services;
use convene_store::{DatabaseSettings, Store};

fn cmd(dir: &std::path::Path, url: &str, args: &[&str]) -> std::process::Output {
    let mut c = convene(dir, url);
    c.args(args);
    run(c)
}

async fn service_count(url: &str) -> u64 {
    let store = Store::connect(&DatabaseSettings::new(url.to_string()))
        .await
        .unwrap();
    let count = services::count(store.conn()).await.unwrap();
    store.close().await.unwrap();
    count
}

both_backends!(
    a_live_feed_imports_once_then_only_changes,
    |db| async move {
        // The feed: a second Convene serving the demo directory.
        let source_dir = tempfile::tempdir().unwrap();
        let source_db = format!("sqlite://{}/source.db", source_dir.path().display());
        assert!(
            cmd(source_dir.path(), &source_db, &["demo", "--no-serve"])
                .status
                .success()
        );
        let mut source = Server::start(source_dir.path(), &source_db, &["serve"]);
        let feed = format!("{}/oruk", source.url);

        let dir = tempfile::tempdir().unwrap();
        assert!(cmd(dir.path(), &db.url, &["migrate"]).status.success());
        let first = cmd(dir.path(), &db.url, &["import", "oruk", &feed]);
        assert!(first.status.success(), "{}", stderr(&first));
        assert!(
            stdout(&first).contains("64 fetched; 64 created"),
            "{}",
            stdout(&first)
        );
        assert_eq!(service_count(&db.url).await, 64);

        let again = cmd(dir.path(), &db.url, &["import", "oruk", &feed]);
        assert!(
            stdout(&again).contains("0 fetched"),
            "only changes are fetched: {}",
            stdout(&again)
        );
        let full = cmd(dir.path(), &db.url, &["import", "oruk", &feed, "--full"]);
        assert!(
            stdout(&full).contains("64 fetched; 0 created, 0 updated, 64 unchanged"),
            "{}",
            stdout(&full)
        );
        assert!(
            stdout(&full).contains("0 no longer listed"),
            "{}",
            stdout(&full)
        );

        // The source closes a service; the next full import closes it here too.
        let source_store = Store::connect(&DatabaseSettings::new(source_db.clone()))
            .await
            .unwrap();
        let closing = services::page(source_store.conn(), &Default::default(), 1, 1)
            .await
            .unwrap()
            .0
            .remove(0);
        let mut closed = closing.clone();
        closed["status"] = serde_json::json!("inactive");
        let record = convene_domain::directory::parse_service(&closed).unwrap();
        let now = convene_domain::clock::Clock::now(&convene_domain::clock::SystemClock);
        services::upsert(source_store.conn(), &record, "local", now)
            .await
            .unwrap();
        source_store.close().await.unwrap();
        let after = cmd(dir.path(), &db.url, &["import", "oruk", &feed, "--full"]);
        assert!(
            stdout(&after).contains("63 fetched") && stdout(&after).contains("1 no longer listed"),
            "{}",
            stdout(&after)
        );
        let here = Store::connect(&DatabaseSettings::new(db.url.clone()))
            .await
            .unwrap();
        let id = uuid::Uuid::parse_str(closing["id"].as_str().unwrap()).unwrap();
        assert_eq!(
            services::document(here.conn(), id).await.unwrap().unwrap()["status"],
            "inactive"
        );
        here.close().await.unwrap();
        assert!(source.terminate().success());
    }
);

#[tokio::test]
async fn a_feed_that_hangs_times_out_and_changes_nothing() {
    // A server that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    assert!(cmd(dir.path(), &url, &["migrate"]).status.success());
    let output = cmd(
        dir.path(),
        &url,
        &[
            "import",
            "oruk",
            &format!("http://{address}/oruk"),
            "--timeout-seconds",
            "1",
        ],
    );
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("timed out") && message.contains("nothing was imported"),
        "{message}"
    );
    assert_eq!(service_count(&url).await, 0);
}

#[tokio::test]
async fn an_interrupted_import_can_be_run_again_at_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    assert!(cmd(dir.path(), &url, &["migrate"]).status.success());
    let feed = format!("http://{address}/oruk");
    let mut waiting = convene(dir.path(), &url);
    waiting
        .args(["import", "oruk", &feed, "--timeout-seconds", "60"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = waiting.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("interrupted"),
        "{}",
        stderr(&output)
    );
    // Not "already under way": the run was let go when interrupted.
    let again = cmd(
        dir.path(),
        &url,
        &["import", "oruk", &feed, "--timeout-seconds", "1"],
    );
    let message = stderr(&again);
    assert!(message.contains("timed out"), "{message}");
    assert_eq!(service_count(&url).await, 0);
}

both_backends!(
    a_saved_feed_reports_bad_records_and_imports_the_rest,
    |db| async move {
        let dir = tempfile::tempdir().unwrap();
        assert!(cmd(dir.path(), &db.url, &["migrate"]).status.success());
        let file = dir.path().join("feed.ndjson");
        let good = r#"{"id":"00000000-0000-4000-8000-000000000001","name":"Good","status":"active","organization_id":"10000000-0000-4000-8000-000000000001"}"#;
        let bad = r#"{"id":"00000000-0000-4000-8000-000000000002","name":"Bad","status":"open","organization_id":"10000000-0000-4000-8000-000000000001"}"#;
        std::fs::write(&file, format!("{good}\n{bad}\n")).unwrap();
        let output = cmd(
            dir.path(),
            &db.url,
            &["import", "oruk-file", file.to_str().unwrap()],
        );
        assert_eq!(output.status.code(), Some(2), "some records refused");
        assert!(
            stderr(&output)
                .contains("refused: service 00000000-0000-4000-8000-000000000002: status:"),
            "{}",
            stderr(&output)
        );
        assert!(stdout(&output).contains("1 created"));
        assert_eq!(service_count(&db.url).await, 1);
        std::fs::write(&file, "{ not json").unwrap();
        let broken = cmd(
            dir.path(),
            &db.url,
            &["import", "oruk-file", file.to_str().unwrap()],
        );
        assert!(!broken.status.success());
        assert!(stderr(&broken).contains("nothing was imported"));
        assert_eq!(service_count(&db.url).await, 1);
    }
);

both_backends!(postcodes_load_from_an_onspd_style_csv, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    assert!(cmd(dir.path(), &db.url, &["migrate"]).status.success());
    let file = dir.path().join("onspd.csv");
    std::fs::write(&file, "pcd,pcds,lat,long,lsoa21\nBK1 1AA,BK1 1AA,53.1,-1.8,E01000001\nBK9 9ZZ,BK9 9ZZ,99.999999,0.000000,\nnonsense,nonsense,1,1,\n").unwrap();
    let output = cmd(
        dir.path(),
        &db.url,
        &["import", "postcodes", file.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("Loaded 1 postcodes (2 rows"),
        "{}",
        stdout(&output)
    );
    std::fs::write(&file, "postcode,latitude\nBK1 1AA,53.1\n").unwrap();
    let wrong = cmd(
        dir.path(),
        &db.url,
        &["import", "postcodes", file.to_str().unwrap()],
    );
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("no pcds column"),
        "{}",
        stderr(&wrong)
    );
});

both_backends!(
    a_running_server_finds_what_another_process_imports,
    |db| async move {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(dir.path(), &db.url, &["serve", "--no-worker"]);
        let client = reqwest::Client::new();
        let search = format!("{}/oruk/services?search=allotment", server.url);
        let count = || async {
            let page: serde_json::Value = client
                .get(&search)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            page["total_items"].as_u64().unwrap()
        };
        assert_eq!(count().await, 0);
        let file = dir.path().join("feed.ndjson");
        std::fs::write(
            &file,
            r#"{"id":"00000000-0000-4000-8000-000000000001","name":"Community allotments","status":"active","organization_id":"10000000-0000-4000-8000-000000000001"}"#,
        )
        .unwrap();
        let output = cmd(
            dir.path(),
            &db.url,
            &["import", "oruk-file", file.to_str().unwrap()],
        );
        assert!(output.status.success(), "{}", stderr(&output));
        // The server follows the change sequence about once a second.
        let mut found = 0;
        for _ in 0..100 {
            found = count().await;
            if found == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(found, 1, "log:\n{}", server.log());
    }
);
