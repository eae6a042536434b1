//! `convene import oruk-csv`, `convene export oruk-csv` and `convene export
//! oruk`: the ORUK example tables, a round trip of the demo directory
//! through tables into a fresh database, and sets too broken to import.

mod common;

use std::path::{Path, PathBuf};

use common::{convene, run, stderr, stdout};
use convene_store::directory::services;
use convene_store::{DatabaseSettings, Store};

fn cmd(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    let mut c = convene(dir, url);
    c.args(args);
    run(c)
}

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/oruk/examples/csv")
}

async fn connect(url: &str) -> Store {
    Store::connect(&DatabaseSettings::new(url.to_string()))
        .await
        .unwrap()
}

async fn service_count(url: &str) -> u64 {
    let store = connect(url).await;
    let count = services::count(store.conn()).await.unwrap();
    store.close().await.unwrap();
    count
}

/// Every service's document, by id.
async fn all_documents(url: &str) -> std::collections::BTreeMap<String, serde_json::Value> {
    let store = connect(url).await;
    let (documents, _) = services::page(store.conn(), &Default::default(), 1, 1000)
        .await
        .unwrap();
    store.close().await.unwrap();
    documents
        .into_iter()
        .map(|d| (d["id"].as_str().unwrap().to_string(), d))
        .collect()
}

both_backends!(the_oruk_example_tables_import_once, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    assert!(cmd(dir.path(), &db.url, &["migrate"]).status.success());
    let set = examples();
    let first = cmd(
        dir.path(),
        &db.url,
        &["import", "oruk-csv", set.to_str().unwrap()],
    );
    // The example's one attribute links to an id the set does not hold: that
    // row is reported (exit code 2) and the service goes in without it.
    assert_eq!(first.status.code(), Some(2), "{}", stderr(&first));
    assert!(
        stderr(&first).contains(
            "refused: attribute.csv row 2, column link_id: nothing in the set has the id f28dd44b"
        ),
        "{}",
        stderr(&first)
    );
    assert!(
        stdout(&first).contains("1 services read, 1 bad rows; 1 created"),
        "{}",
        stdout(&first)
    );
    let documents = all_documents(&db.url).await;
    let counselling = &documents["ac148810-d857-441c-9679-408f346de14b"];
    assert_eq!(counselling["name"], "Community Counselling");
    assert_eq!(
        counselling["service_at_locations"][0]["location"]["addresses"][0]["address_2"],
        "MyVillage"
    );

    let again = cmd(
        dir.path(),
        &db.url,
        &["import", "oruk-csv", set.to_str().unwrap()],
    );
    assert!(
        stdout(&again).contains("0 created, 0 updated, 1 unchanged"),
        "{}",
        stdout(&again)
    );
    assert_eq!(service_count(&db.url).await, 1);
});

both_backends!(
    the_demo_directory_goes_through_tables_into_a_fresh_database_unchanged,
    |db| async move {
        let source_dir = tempfile::tempdir().unwrap();
        let source = format!("sqlite://{}/source.db", source_dir.path().display());
        assert!(
            cmd(source_dir.path(), &source, &["demo", "--no-serve"])
                .status
                .success()
        );
        let tables = source_dir.path().join("tables");
        let exported = cmd(
            source_dir.path(),
            &source,
            &["export", "oruk-csv", tables.to_str().unwrap()],
        );
        assert!(exported.status.success(), "{}", stderr(&exported));
        assert!(
            stdout(&exported).contains("Wrote 64 services as 17 tables"),
            "{}",
            stdout(&exported)
        );
        assert!(
            !stderr(&exported).contains("note:"),
            "everything in the demo has a column: {}",
            stderr(&exported)
        );

        // Written files are never overwritten unless asked.
        let before = std::fs::read_to_string(tables.join("services.csv")).unwrap();
        std::fs::write(tables.join("services.csv"), "kept").unwrap();
        let refused = cmd(
            source_dir.path(),
            &source,
            &["export", "oruk-csv", tables.to_str().unwrap()],
        );
        assert!(!refused.status.success());
        assert!(
            stderr(&refused).contains("already exists"),
            "{}",
            stderr(&refused)
        );
        assert_eq!(
            std::fs::read_to_string(tables.join("services.csv")).unwrap(),
            "kept"
        );
        let forced = cmd(
            source_dir.path(),
            &source,
            &["export", "oruk-csv", tables.to_str().unwrap(), "--force"],
        );
        assert!(forced.status.success(), "{}", stderr(&forced));
        assert_eq!(
            std::fs::read_to_string(tables.join("services.csv")).unwrap(),
            before
        );

        let dir = tempfile::tempdir().unwrap();
        assert!(cmd(dir.path(), &db.url, &["migrate"]).status.success());
        let imported = cmd(
            dir.path(),
            &db.url,
            &["import", "oruk-csv", tables.to_str().unwrap()],
        );
        assert!(imported.status.success(), "{}", stderr(&imported));
        assert!(
            stdout(&imported).contains("64 created"),
            "{}",
            stdout(&imported)
        );
        let (here, there) = (all_documents(&db.url).await, all_documents(&source).await);
        assert_eq!(here.len(), 64);
        assert_eq!(here, there);

        // The same services as a feed file: importing it changes nothing.
        let feed = source_dir.path().join("feed.ndjson");
        let written = cmd(
            source_dir.path(),
            &source,
            &["export", "oruk", feed.to_str().unwrap()],
        );
        assert!(written.status.success(), "{}", stderr(&written));
        assert_eq!(std::fs::read_to_string(&feed).unwrap().lines().count(), 64);
        let again = cmd(
            source_dir.path(),
            &source,
            &["export", "oruk", feed.to_str().unwrap()],
        );
        assert!(
            stderr(&again).contains("already exists"),
            "{}",
            stderr(&again)
        );
        let from_feed = cmd(
            dir.path(),
            &db.url,
            &["import", "oruk-file", feed.to_str().unwrap()],
        );
        assert!(
            stdout(&from_feed).contains("0 created, 0 updated, 64 unchanged"),
            "{}",
            stdout(&from_feed)
        );
    }
);

/// A copy of the example set with `change` applied.
fn broken_set(change: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    change(dir.path());
    dir
}

both_backends!(a_broken_set_changes_nothing, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    assert!(cmd(dir.path(), &db.url, &["migrate"]).status.success());
    let cases: Vec<(tempfile::TempDir, &str)> = vec![
        (
            broken_set(|d| std::fs::remove_file(d.join("services.csv")).unwrap()),
            "there is no services.csv",
        ),
        (
            broken_set(|d| {
                std::fs::write(d.join("services.csv"), "id,organization_id,name\nac148810-d857-441c-9679-408f346de14b,d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610,Counselling\n").unwrap()
            }),
            "services.csv has no status column",
        ),
        (
            broken_set(|d| {
                std::fs::write(d.join("locations.csv"), b"id,name\n\xff\xfe,Hall\n").unwrap()
            }),
            "as UTF-8 text",
        ),
        (
            broken_set(|d| {
                // Sparse: says it is large without taking the space.
                let file = std::fs::File::create(d.join("extra.csv")).unwrap();
                file.set_len(300 * 1024 * 1024).unwrap();
            }),
            "the limit for one table is",
        ),
    ];
    for (set, message) in cases {
        let output = cmd(
            dir.path(),
            &db.url,
            &["import", "oruk-csv", set.path().to_str().unwrap()],
        );
        assert!(!output.status.success(), "{message}: {}", stdout(&output));
        assert!(
            stderr(&output).contains(message) && stderr(&output).contains("nothing was imported"),
            "{message}: {}",
            stderr(&output)
        );
        assert_eq!(service_count(&db.url).await, 0, "{message}");
    }
    // An unclosed quote swallows the rest of the file into one cell: a bad
    // row, reported, and its service not imported.
    let set = broken_set(|d| {
        std::fs::write(
            d.join("services.csv"),
            "id,organization_id,name,status\n\"ac148810-d857-441c-9679-408f346de14b,d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610,Counselling,active\n",
        )
        .unwrap()
    });
    let output = cmd(
        dir.path(),
        &db.url,
        &["import", "oruk-csv", set.path().to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("refused: services.csv row 2: has 1 cells where the header has 4"),
        "{}",
        stderr(&output)
    );
    assert_eq!(service_count(&db.url).await, 0);
    let missing = cmd(
        dir.path(),
        &db.url,
        &["import", "oruk-csv", "no-such-folder"],
    );
    assert!(
        stderr(&missing).contains("cannot read the folder no-such-folder"),
        "{}",
        stderr(&missing)
    );
});
