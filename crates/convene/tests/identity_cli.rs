//! `convene invite`, `convene token create` and `convene audit verify`
//! against the real binary, on both backends.

mod common;

use common::{Backend, Server, convene, run, stderr, stdout};
use convene_store::ConnectionTrait;

both_backends!(invite_bootstraps_the_first_administrator, |db| async move {
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
    let missing = run({
        let mut c = convene(dir.path(), &db.url);
        c.args([
            "invite",
            "--email",
            "admin@trust.example",
            "--name",
            "Priya Shah",
            "--organisation",
            "Brackenbury Trust",
            "--role",
            "platform_admin",
        ]);
        c
    });
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("--create-organisation"),
        "{}",
        stderr(&missing)
    );
    let invited = run({
        let mut c = convene(dir.path(), &db.url);
        c.args([
            "invite",
            "--email",
            "Admin@Trust.example",
            "--name",
            "Priya Shah",
            "--organisation",
            "Brackenbury Trust",
            "--create-organisation",
            "trust",
            "--role",
            "platform_admin",
        ]);
        c
    });
    assert!(invited.status.success(), "{}", stderr(&invited));
    let link = stdout(&invited).trim().to_string();
    assert!(
        link.starts_with("http://127.0.0.1:8080/invitations/"),
        "{link}"
    );

    // The link works on a running server.
    let mut server = Server::start(dir.path(), &db.url, &["serve"]);
    let path = &link[link.find("/invitations/").unwrap()..];
    let page = reqwest::get(format!("{}{path}", server.url)).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Priya Shah"));
    assert!(server.terminate().success());

    let bad_role = run({
        let mut c = convene(dir.path(), &db.url);
        c.args([
            "invite",
            "--email",
            "x@trust.example",
            "--name",
            "X",
            "--organisation",
            "Brackenbury Trust",
            "--role",
            "emperor",
        ]);
        c
    });
    assert!(!bad_role.status.success());
    assert!(stderr(&bad_role).contains("role"), "{}", stderr(&bad_role));
});

both_backends!(
    tokens_are_printed_once_and_work_on_the_api,
    |db| async move {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            run({
                let mut c = convene(dir.path(), &db.url);
                c.args(["demo", "--no-serve"]);
                c
            })
            .status
            .success()
        );
        let created = run({
            let mut c = convene(dir.path(), &db.url);
            c.args([
                "token",
                "create",
                "--user",
                "dsl@northgate-primary.example",
                "--scopes",
                "account,audit:read",
                "--expires-days",
                "30",
                "--name",
                "reports",
            ]);
            c
        });
        assert!(created.status.success(), "{}", stderr(&created));
        let token = stdout(&created).trim().to_string();
        assert!(token.starts_with("cvn_") && token.len() > 40, "{token}");
        assert!(stderr(&created).contains("shown only once"));

        let mut server = Server::start(dir.path(), &db.url, &["serve"]);
        let client = reqwest::Client::new();
        let me = client
            .get(format!("{}/api/v1/me", server.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);
        assert_eq!(
            me.json::<serde_json::Value>().await.unwrap()["email"],
            "dsl@northgate-primary.example"
        );
        let audit = client
            .get(format!("{}/api/v1/audit?action=token_created", server.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(audit.status(), 200);
        let refused = client
            .get(format!("{}/api/v1/me", server.url))
            .bearer_auth("cvn_nope")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        assert!(server.terminate().success());

        for bad in [
            &["--scopes", "everything"][..],
            &["--scopes", "account", "--expires-days", "0"][..],
        ] {
            let output = run({
                let mut c = convene(dir.path(), &db.url);
                c.args(["token", "create", "--user", "dsl@northgate-primary.example"])
                    .args(bad);
                c
            });
            assert!(!output.status.success());
            assert!(stdout(&output).is_empty(), "no token printed on error");
        }
        let nobody = run({
            let mut c = convene(dir.path(), &db.url);
            c.args([
                "token",
                "create",
                "--user",
                "nobody@x.example",
                "--scopes",
                "account",
            ]);
            c
        });
        assert!(!nobody.status.success());
        assert!(stderr(&nobody).contains("no active account"));
    }
);

both_backends!(audit_verify_names_the_tampered_event, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run({
            let mut c = convene(dir.path(), &db.url);
            c.args(["demo", "--no-serve"]);
            c
        })
        .status
        .success()
    );
    for _ in 0..3 {
        run({
            let mut c = convene(dir.path(), &db.url);
            c.args([
                "token",
                "create",
                "--user",
                "dsl@northgate-primary.example",
                "--scopes",
                "account",
            ]);
            c
        });
    }
    let intact = run({
        let mut c = convene(dir.path(), &db.url);
        c.args(["audit", "verify"]);
        c
    });
    assert!(intact.status.success(), "{}", stderr(&intact));
    assert!(
        stdout(&intact).contains("intact: 3 events"),
        "{}",
        stdout(&intact)
    );

    // The application's own connection cannot change an event...
    let store = db.store().await;
    let refused = store
        .conn()
        .execute_unprepared("UPDATE audit_events SET purpose = 'edited' WHERE seq = 2")
        .await;
    assert!(refused.is_err());
    // ...but someone with the database's keys can, if they switch the guard off.
    match db.backend {
        Backend::Sqlite => {
            store
                .conn()
                .execute_unprepared("DROP TRIGGER audit_events_no_update")
                .await
                .unwrap();
        }
        Backend::Postgres => {
            store
                .conn()
                .execute_unprepared("ALTER TABLE audit_events DISABLE TRIGGER USER")
                .await
                .unwrap();
        }
    }
    store
        .conn()
        .execute_unprepared("UPDATE audit_events SET purpose = 'edited' WHERE seq = 2")
        .await
        .unwrap();
    store.close().await.unwrap();
    let broken = run({
        let mut c = convene(dir.path(), &db.url);
        c.args(["audit", "verify"]);
        c
    });
    assert!(!broken.status.success());
    let message = stderr(&broken);
    assert!(message.contains("audit event #2 ("), "{message}");
    assert!(
        message.contains("changed after it was written"),
        "{message}"
    );
});

both_backends!(
    oidc_settings_take_the_secret_from_standard_input,
    |db| async move {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        assert!(
            run({
                let mut c = convene(dir.path(), &db.url);
                c.args(["demo", "--no-serve"]);
                c
            })
            .status
            .success()
        );
        let set = |secret: &'static str| {
            let mut c = convene(dir.path(), &db.url);
            c.args([
                "oidc",
                "set",
                "--organisation",
                "Northgate Primary School",
                "--issuer",
                "https://login.northgate.example/",
                "--client-id",
                "convene",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
            let mut child = c.spawn().unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(secret.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        };
        let empty = set("");
        assert!(!empty.status.success());
        assert!(stderr(&empty).contains("standard input"));
        let ok = set("s3cret-value\n");
        assert!(ok.status.success(), "{}", stderr(&ok));
        let listed = run({
            let mut c = convene(dir.path(), &db.url);
            c.args(["oidc", "list"]);
            c
        });
        let text = stdout(&listed);
        assert!(
            text.contains(
                "Northgate Primary School\thttps://login.northgate.example\tclient convene"
            ),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "the secret is never printed");
        let removed = run({
            let mut c = convene(dir.path(), &db.url);
            c.args([
                "oidc",
                "remove",
                "--organisation",
                "Northgate Primary School",
            ]);
            c
        });
        assert!(stdout(&removed).contains("removed"));
        let http = run({
            let mut c = convene(dir.path(), &db.url);
            c.args([
                "oidc",
                "set",
                "--organisation",
                "Northgate Primary School",
                "--issuer",
                "http://login.example",
                "--client-id",
                "x",
            ]);
            c
        });
        assert!(!http.status.success());
        assert!(stderr(&http).contains("https"));
    }
);
