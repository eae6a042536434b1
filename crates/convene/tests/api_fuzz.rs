//! The JSON API under schemathesis (from PyPI): against the real binary
//! serving the demo town, signed in with a token for each kind of use -
//! a practitioner (referrals), a coordinator (directory, account) and a
//! safeguarding lead (audit, account) - every operation in
//! `/api/v1/openapi.json` gets generated valid and invalid requests, and
//! every check runs: no 5xx, every response matches the document, invalid
//! input is refused with 4xx. `positive_data_acceptance` is left out:
//! schema-valid requests may still be refused on Convene's own rules (the
//! organisation must be the token's, the service must exist), with a
//! documented 4xx.
//!
//! Bounded: a fixed seed and `CONVENE_API_FUZZ_EXAMPLES` examples an
//! operation (default 25). Skipped when schemathesis is not installed,
//! unless `CONVENE_TEST_REQUIRE_SCHEMATHESIS=1` (as `.ci/run` sets).

mod common;

use std::process::Command;

use common::{Server, convene, run, stderr, stdout};

fn schemathesis() -> Option<String> {
    let found = Command::new("schemathesis").arg("--version").output();
    match found {
        Ok(output) if output.status.success() => Some("schemathesis".to_string()),
        _ => {
            assert!(
                std::env::var("CONVENE_TEST_REQUIRE_SCHEMATHESIS").as_deref() != Ok("1"),
                "CONVENE_TEST_REQUIRE_SCHEMATHESIS=1 but schemathesis is not installed (pip install schemathesis)"
            );
            None
        }
    }
}

#[test]
fn every_api_operation_survives_schemathesis() {
    let Some(tool) = schemathesis() else {
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis)");
        return;
    };
    let examples = std::env::var("CONVENE_API_FUZZ_EXAMPLES").unwrap_or_else(|_| "25".to_string());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/demo.db", dir.path().display());
    let mut seed = convene(dir.path(), &url);
    seed.args(["demo", "--no-serve"]);
    let seeded = run(seed);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let server = Server::start(dir.path(), &url, &["serve"]);
    let document = format!("{}/api/v1/openapi.json", server.url);
    for (user, scopes) in [
        ("camhs@bch-nhs.example", "referrals"),
        ("coordinator@brackenbury.example", "account,directory"),
        ("safeguarding@bch-nhs.example", "audit:read,account"),
    ] {
        let mut create = convene(dir.path(), &url);
        create.args(["token", "create", "--user", user, "--scopes", scopes]);
        let created = run(create);
        assert!(created.status.success(), "{}", stderr(&created));
        let token = stdout(&created)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let output = Command::new(&tool)
            .args([
                "run",
                &document,
                "--header",
                &format!("Authorization: Bearer {token}"),
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--max-examples",
                &examples,
                "--seed",
                "20261123",
                "--request-timeout",
                "10",
                "--no-color",
            ])
            .current_dir(dir.path())
            .output()
            .expect("run schemathesis");
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "schemathesis found problems as {user}:\n{report}\n{}\nserver log:\n{}",
            String::from_utf8_lossy(&output.stderr),
            server.log()
        );
        assert!(report.contains("passed"), "{report}");
    }
}
