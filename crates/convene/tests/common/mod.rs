//! Running the real `convene` binary from tests.

#![allow(dead_code, unused_imports)] // each test file uses a different part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub use convene_store::Backend;
pub use convene_store::testing::TestDatabase;

pub const BIN: &str = env!("CARGO_BIN_EXE_convene");

/// A command for the binary, run in `dir` (so no stray convene.toml is read)
/// against `database_url`, with every other CONVENE_ setting cleared.
pub fn convene(dir: &Path, database_url: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env("CONVENE_DATABASE_URL", database_url)
        .env("RUST_BACKTRACE", "1");
    for (name, _) in std::env::vars() {
        if name.starts_with("CONVENE_")
            && !name.starts_with("CONVENE_TEST_")
            && name != "CONVENE_DATABASE_URL"
        {
            command.env_remove(name);
        }
    }
    command
}

pub fn run(mut command: Command) -> Output {
    command.output().expect("run convene")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A `convene serve` process on a free port; killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Server {
    /// Starts `convene <args>` with `--bind 127.0.0.1:0` and waits for it to
    /// say where it listens.
    pub fn start(dir: &Path, database_url: &str, args: &[&str]) -> Server {
        let log = dir.join(format!("server-{}.log", uuid::Uuid::new_v4().simple()));
        let mut command = convene(dir, database_url);
        command
            .args(args)
            .args(["--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("create the log file"));
        let mut child = command.spawn().expect("start convene");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (found, receive) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Convene is listening on ") {
                    let _ = found.send(rest.trim_end_matches('/').to_string());
                }
            }
        });
        let url = match receive.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the server did not start:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        Server { child, url, log }
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("wait for convene") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("convene did not stop within 30 seconds of SIGTERM");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Declares one test per backend, each given a fresh database:
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$db:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($db: &common::TestDatabase) {
                $body.await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = common::TestDatabase::sqlite();
                body(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = common::TestDatabase::postgres().await else {
                    return;
                };
                body(&db).await;
                db.finish().await;
            }
        }
    };
}
