//! Runs the browser journeys in `tests/browser` (Node + playwright-core +
//! axe-core) against the real binary in the system's headless Chromium.
//!
//! Without Chromium the test says so and passes, unless
//! `CONVENE_TEST_REQUIRE_BROWSER=1` (set by `.ci/run`), which makes a missing
//! browser a failure so CI can never skip this suite silently.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

#[test]
fn browser_journeys_pass_with_no_accessibility_violations() {
    let chromium =
        std::env::var("CONVENE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    let required = std::env::var("CONVENE_TEST_REQUIRE_BROWSER").as_deref() == Ok("1");
    if !Path::new(&chromium).exists() {
        assert!(
            !required,
            "CONVENE_TEST_REQUIRE_BROWSER=1 but there is no Chromium at {chromium}"
        );
        eprintln!(
            "skipping the browser journeys: no Chromium at {chromium} (set CONVENE_CHROMIUM)"
        );
        return;
    }
    let dir = workspace_root().join("tests/browser");
    if !dir.join("node_modules/playwright-core").exists()
        || !dir.join("node_modules/axe-core").exists()
    {
        let status = Command::new("npm")
            .current_dir(&dir)
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .status()
            .expect("run npm (Node.js and npm are needed for the browser tests)");
        assert!(status.success(), "npm ci in tests/browser failed");
    }
    let output = Command::new("node")
        .current_dir(&dir)
        .arg("run.mjs")
        .env("CONVENE_BIN", env!("CARGO_BIN_EXE_convene"))
        .env("CONVENE_CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "browser journeys failed:\n{report}"
    );
    assert!(report.contains("all journeys passed"), "{report}");
}
