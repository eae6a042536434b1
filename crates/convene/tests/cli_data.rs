//! The demo and backup commands against the real binary.

mod common;

use common::{Backend, convene, run, stderr, stdout};
use convene_store::{DatabaseSettings, Store, organisations};

both_backends!(demo_seeds_once_reuses_and_resets, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    let demo = |args: &[&str]| {
        let mut c = convene(dir.path(), &db.url);
        c.arg("demo").args(args);
        run(c)
    };
    let first = demo(&["--no-serve"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("Seeded the demo town of Brackenbury"));
    let again = demo(&["--no-serve"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains("Using the existing demo database"));
    let reset = demo(&["--no-serve", "--reset"]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    assert!(stdout(&reset).contains("Seeded"));
    let store = Store::connect(&DatabaseSettings::new(db.url.clone()))
        .await
        .unwrap();
    assert_eq!(organisations::count(store.conn()).await.unwrap(), 21);
    store.close().await.unwrap();
});

both_backends!(demo_refuses_a_database_with_real_data, |db| async move {
    let store = db.store().await;
    let details = convene_domain::organisations::OrganisationDetails {
        name: "A real school".into(),
        kind: convene_domain::organisations::OrganisationKind::School,
        email: None,
        phone: None,
        website: None,
        address: None,
    };
    organisations::insert(
        store.conn(),
        convene_domain::ids::new_id(),
        &details,
        convene_domain::clock::Clock::now(&convene_domain::clock::SystemClock),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--no-serve"][..], &["--no-serve", "--reset"][..]] {
        let output = run({
            let mut c = convene(dir.path(), &db.url);
            c.arg("demo").args(args);
            c
        });
        assert!(!output.status.success());
        assert!(
            stderr(&output).contains("not demo data"),
            "{}",
            stderr(&output)
        );
    }
    let names: Vec<_> = organisations::list(store.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.details.name)
        .collect();
    assert_eq!(names, ["A real school"]);
    store.close().await.unwrap();
});

both_backends!(backup_copies_sqlite_and_explains_pg_dump, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    let seeded = run({
        let mut c = convene(dir.path(), &db.url);
        c.args(["demo", "--no-serve"]);
        c
    });
    assert!(seeded.status.success());
    let target = dir.path().join("backup.db");
    let output = run({
        let mut c = convene(dir.path(), &db.url);
        c.args(["backup", "--to"]).arg(&target);
        c
    });
    match db.backend {
        Backend::Sqlite => {
            assert!(output.status.success(), "{}", stderr(&output));
            assert!(stdout(&output).contains("Backup written"));
            let copy = Store::connect(&DatabaseSettings::new(format!(
                "sqlite://{}",
                target.display()
            )))
            .await
            .unwrap();
            assert_eq!(organisations::count(copy.conn()).await.unwrap(), 21);
            copy.close().await.unwrap();
        }
        Backend::Postgres => {
            assert!(!output.status.success());
            assert!(stderr(&output).contains("pg_dump"), "{}", stderr(&output));
            assert!(!target.exists());
        }
    }
});
