//! End to end: the real binary, a real port, a real database (SQLite, and
//! PostgreSQL when CONVENE_TEST_POSTGRES_URL is set).

mod common;

use common::{Server, convene, run, stderr, stdout};

both_backends!(serves_pages_health_and_security_headers, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &db.url, &["serve"]);
    let client = reqwest::Client::new();

    let home = client.get(format!("{}/", server.url)).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let headers = home.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    assert!(headers.contains_key("x-request-id"));
    let body = home.text().await.unwrap();
    assert!(body.contains("Convene"));
    assert!(body.contains("No organisations have joined yet."));

    let health = client
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );
    let ready = client
        .get(format!("{}/readyz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap()["database"],
        "ok"
    );
    let missing = client
        .get(format!("{}/nowhere", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // SIGTERM stops it cleanly.
    let status = server.terminate();
    assert!(status.success(), "exit {status:?}; log:\n{}", server.log());
    assert!(server.log().contains("stopped"), "{}", server.log());
});

both_backends!(
    a_request_in_flight_finishes_during_shutdown,
    |db| async move {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Server::start(dir.path(), &db.url, &["serve"]);
        // A slow client: the request is accepted, the signal arrives, the
        // response still comes back whole.
        let url = server.url.clone();
        let pending = tokio::spawn(async move {
            let client = reqwest::Client::new();
            client
                .get(format!("{url}/"))
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let status = server.terminate();
        assert!(status.success());
        // Either the request finished before the signal or during the drain; it
        // never fails with a reset connection.
        assert_eq!(pending.await.unwrap().unwrap(), 200);
    }
);

both_backends!(
    check_passes_when_migrated_and_says_what_is_missing_otherwise,
    |db| async move {
        let dir = tempfile::tempdir().unwrap();
        let before = run({
            let mut c = convene(dir.path(), &db.url);
            c.arg("check");
            c
        });
        assert!(!before.status.success());
        assert!(
            stdout(&before).contains("FAIL  migrations"),
            "{}",
            stdout(&before)
        );
        assert!(stdout(&before).contains("convene migrate"));

        let migrate = run({
            let mut c = convene(dir.path(), &db.url);
            c.arg("migrate");
            c
        });
        assert!(migrate.status.success(), "{}", stderr(&migrate));

        let after = run({
            let mut c = convene(dir.path(), &db.url);
            c.arg("check");
            c
        });
        assert!(
            after.status.success(),
            "{}\n{}",
            stdout(&after),
            stderr(&after)
        );
        assert!(stdout(&after).contains("All checks passed."));
    }
);

#[tokio::test]
async fn check_names_sqlite_synchronous_when_not_durable() {
    let db = common::TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run({
            let mut c = convene(dir.path(), &db.url);
            c.arg("migrate");
            c
        })
        .status
        .success()
    );
    let output = run({
        let mut c = convene(dir.path(), &db.url);
        c.arg("check").env("CONVENE_SQLITE_SYNCHRONOUS", "normal");
        c
    });
    assert!(!output.status.success());
    assert!(
        stdout(&output).contains("FAIL  synchronous: normal (1)"),
        "{}",
        stdout(&output)
    );
    assert_eq!(stderr(&output).trim(), "error: check failed: synchronous");
}

#[tokio::test]
async fn check_names_postgres_synchronous_commit_when_not_durable() {
    let Some(db) = common::TestDatabase::postgres().await else {
        return;
    };
    let store = db.store().await;
    let name = db.url.rsplit('/').next().unwrap();
    use convene_store::ConnectionTrait;
    store
        .conn()
        .execute_unprepared(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        ))
        .await
        .unwrap();
    store.close().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = run({
        let mut c = convene(dir.path(), &db.url);
        c.arg("check");
        c
    });
    assert!(!output.status.success());
    assert!(
        stdout(&output).contains("FAIL  synchronous_commit: off"),
        "{}",
        stdout(&output)
    );
    assert!(stderr(&output).contains("synchronous_commit"));
    db.finish().await;
}

fn assert_one_line_error(output: &std::process::Output, expected: &str) {
    assert!(!output.status.success());
    let err = stderr(output);
    let lines: Vec<_> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got:\n{err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains(expected), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn bad_configuration_is_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    let output = run({
        let mut c = convene(dir.path(), &url);
        c.arg("serve").env("CONVENE_BIND", "nonsense");
        c
    });
    assert_one_line_error(&output, "bind");
    assert!(stderr(&output).contains("CONVENE_BIND"));

    std::fs::write(
        dir.path().join("convene.toml"),
        "bind = \"127.0.0.1:8080\"\ncolour = \"red\"\n",
    )
    .unwrap();
    let output = run({
        let mut c = convene(dir.path(), &url);
        c.arg("config");
        c
    });
    assert_one_line_error(&output, "colour");

    let output = run({
        let mut c = convene(dir.path(), "mysql://db/convene");
        c.args(["--config", "missing.toml", "config"]);
        c
    });
    assert_one_line_error(&output, "missing.toml");

    let output = run({
        let mut c = convene(dir.path(), "mysql://db/convene");
        c.arg("config");
        std::fs::remove_file(dir.path().join("convene.toml")).unwrap();
        c
    });
    assert_one_line_error(&output, "database_url");
}

#[test]
fn an_unreachable_database_is_one_line_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = run({
        let mut c = convene(dir.path(), "postgres://convene:hunter2@127.0.0.1:9/convene");
        c.arg("serve");
        c
    });
    assert_one_line_error(&output, "cannot connect to the database");
    assert!(!stderr(&output).contains("hunter2"));
}

#[test]
fn config_prints_the_effective_settings_with_secrets_hidden() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("convene.toml"),
        "instance_name = \"From the file\"\nbind = \"127.0.0.1:9000\"\n",
    )
    .unwrap();
    let output = run({
        let mut c = convene(dir.path(), "postgres://convene:hunter2@db.internal/convene");
        c.arg("config").env("CONVENE_BIND", "127.0.0.1:9100");
        c
    });
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("postgres://convene:*****@db.internal/convene"),
        "{text}"
    );
    assert!(!text.contains("hunter2"));
    assert!(text.contains("instance_name = \"From the file\""), "{text}");
    // The environment wins over the file.
    assert!(text.contains("bind = \"127.0.0.1:9100\""), "{text}");
}

#[test]
fn plain_http_on_a_public_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    let output = run({
        let mut c = convene(dir.path(), &url);
        c.args(["serve", "--bind", "127.0.0.1:0"])
            .env("CONVENE_BASE_URL", "http://convene.example.org");
        c
    });
    assert_one_line_error(&output, "https://");
}
