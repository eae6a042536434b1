//! The keys that seal personal data: created on first start, checked at
//! every start (a wrong or missing key stops Convene with a clear message),
//! hidden from `convene config`, and rotated with `convene keys rotate`.

mod common;

use common::{convene, run, stderr, stdout};

fn cmd(
    dir: &std::path::Path,
    url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut c = convene(dir, url);
    c.args(args);
    for (name, value) in env {
        c.env(name, value);
    }
    run(c)
}

fn new_key(dir: &std::path::Path, url: &str) -> String {
    let output = cmd(dir, url, &["keys", "new"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_string()
}

/// The value of `name = "..."` in the keys file.
fn file_value(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} = \"")))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .to_string()
}

/// A database restored without its keys file: Convene says which keys it
/// needs and where, and does not make new (wrong) ones.
#[test]
fn a_restored_database_without_its_keys_file_is_refused_and_no_keys_are_made() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    assert!(cmd(dir.path(), &url, &["migrate"], &[]).status.success());
    let first = cmd(dir.path(), &url, &["keys", "check"], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let file = dir.path().join("data/convene-keys.toml");
    std::fs::rename(&file, dir.path().join("elsewhere.toml")).unwrap();

    let refused = cmd(dir.path(), &url, &["keys", "check"], &[]);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(
        message.contains("no keys file at") && message.contains("k1"),
        "{message}"
    );
    assert!(!file.exists(), "a new keys file was made");
    let checked = cmd(dir.path(), &url, &["check"], &[]);
    assert!(checked.status.success(), "check does not need the keys");
}

#[test]
fn keys_are_made_once_checked_at_start_and_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    assert!(cmd(dir.path(), &url, &["migrate"], &[]).status.success());

    // First start: a keys file is made, private to its owner.
    let first = cmd(dir.path(), &url, &["keys", "check"], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let file = dir.path().join("data/convene-keys.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the keys file is readable by others: {mode:o}"
        );
    }
    let (k1, index) = (file_value(&text, "k1"), file_value(&text, "blind_index"));
    assert!(
        cmd(dir.path(), &url, &["keys", "check"], &[])
            .status
            .success()
    );

    // The keys never print.
    let shown = cmd(
        dir.path(),
        &url,
        &["config"],
        &[
            ("CONVENE_DATA_KEYS", &format!("k1:{k1}")),
            ("CONVENE_BLIND_INDEX_KEY", &index),
        ],
    );
    assert!(!stdout(&shown).contains(&k1) && !stdout(&shown).contains(&index));

    // A different key under the same id: the server will not start.
    let wrong = new_key(dir.path(), &url);
    let swapped = text.replace(&k1, &wrong);
    std::fs::write(&file, &swapped).unwrap();
    let refused = cmd(dir.path(), &url, &["serve", "--bind", "127.0.0.1:0"], &[]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("not the key this database was sealed with"),
        "{}",
        stderr(&refused)
    );
    std::fs::write(&file, &text).unwrap();

    // Configured keys that leave out the one in use: refused too.
    let k2 = new_key(dir.path(), &url);
    let only_new = [
        ("CONVENE_DATA_KEYS", format!("k2:{k2}")),
        ("CONVENE_BLIND_INDEX_KEY", index.clone()),
    ];
    let only_new: Vec<(&str, &str)> = only_new.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let missing = cmd(dir.path(), &url, &["keys", "check"], &only_new);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("\"k1\", which is not configured"),
        "{}",
        stderr(&missing)
    );

    // Rotation: both keys, the new one current; then the old one can go.
    let both = [
        ("CONVENE_DATA_KEYS", format!("k1:{k1},k2:{k2}")),
        ("CONVENE_DATA_KEY_CURRENT", "k2".to_string()),
        ("CONVENE_BLIND_INDEX_KEY", index.clone()),
    ];
    let both: Vec<(&str, &str)> = both.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rotated = cmd(dir.path(), &url, &["keys", "rotate"], &both);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    assert!(
        stdout(&rotated).contains("Nothing is sealed with k1 any more"),
        "{}",
        stdout(&rotated)
    );
    let after = cmd(dir.path(), &url, &["keys", "check"], &only_new);
    assert!(after.status.success(), "{}", stderr(&after));
}
