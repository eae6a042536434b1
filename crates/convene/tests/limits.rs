//! Limits on what clients may send, against the real binary: bodies over
//! `max_body_bytes` are refused, and clients that send their headers or body
//! too slowly (slowloris) are cut off without blocking anyone else.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::Server;

/// The bounds the tests configure (short, so the tests are quick).
const HEADER_TIMEOUT_SECONDS: u64 = 2;
const BODY_TIMEOUT_SECONDS: u64 = 2;
/// Allowance for scheduling, on top of the configured bound.
const MARGIN: Duration = Duration::from_secs(3);

fn start(dir: &Path, database_url: &str) -> Server {
    std::fs::write(
        dir.join("convene.toml"),
        format!(
            "max_body_bytes = 2048\n\
             header_timeout_seconds = {HEADER_TIMEOUT_SECONDS}\n\
             body_timeout_seconds = {BODY_TIMEOUT_SECONDS}\n"
        ),
    )
    .unwrap();
    Server::start(dir, database_url, &["serve"])
}

/// What happened to a slow client.
#[derive(Debug)]
struct Outcome {
    /// From the first bytes sent until the server answered or closed.
    after: Duration,
    /// The status line the server sent, if it answered.
    reply: String,
    /// How many of the dripped bytes went out before that.
    dripped: usize,
}

/// Connects to `url`, sends `head` at once, then one byte of `drip` a
/// second, until the server answers or closes the connection.
fn slow_client(url: &str, head: &str, drip: &[u8]) -> Outcome {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut reader = stream.try_clone().unwrap();
    let (done, ended) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reply = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    reply.extend_from_slice(&buffer[..n]);
                    // A whole response head is an answer.
                    if reply.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
        // The status line is enough.
        let reply = String::from_utf8_lossy(&reply);
        let status = reply.lines().next().unwrap_or_default().to_string();
        let _ = done.send((started.elapsed(), status));
    });
    let mut dripped = 0;
    for byte in drip {
        match ended.recv_timeout(Duration::from_secs(1)) {
            Ok((after, reply)) => {
                return Outcome {
                    after,
                    reply,
                    dripped,
                };
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => unreachable!(),
        }
        if stream.write_all(&[*byte]).is_err() {
            break;
        }
        dripped += 1;
    }
    let (after, reply) = ended
        .recv_timeout(Duration::from_secs(5))
        .expect("the server neither answered nor closed the connection");
    Outcome {
        after,
        reply,
        dripped,
    }
}

async fn assert_healthy(client: &reqwest::Client, url: &str) {
    let health = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let home = client.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
}

both_backends!(slow_headers_are_cut_off, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &db.url);
    let client = reqwest::Client::new();
    assert_healthy(&client, &server.url).await;

    let url = server.url.clone();
    let slow = tokio::task::spawn_blocking(move || {
        slow_client(
            &url,
            "GET / HTTP/1.1\r\nHost: x\r\n",
            b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        )
    });
    // Meanwhile everyone else is served.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_healthy(&client, &server.url).await;
    let outcome = slow.await.unwrap();
    eprintln!("a client sending its headers slowly was cut off after {outcome:?}");

    let bound = Duration::from_secs(HEADER_TIMEOUT_SECONDS);
    assert!(
        outcome.after >= bound - Duration::from_millis(500) && outcome.after <= bound + MARGIN,
        "{outcome:?}"
    );
    // No page was served for the unfinished request.
    assert!(!outcome.reply.contains(" 200 "), "{outcome:?}");
    assert!(outcome.dripped <= 6, "{outcome:?}");
    assert_healthy(&client, &server.url).await;

    // A connection that sends nothing at all is closed too.
    let url = server.url.clone();
    let silent = tokio::task::spawn_blocking(move || slow_client(&url, "", b""))
        .await
        .unwrap();
    eprintln!("a silent connection was closed after {silent:?}");
    assert!(silent.after <= bound + MARGIN, "{silent:?}");
    assert!(silent.reply.is_empty(), "{silent:?}");
});

both_backends!(large_bodies_are_refused, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &db.url);
    let client = reqwest::Client::new();

    // Declared too large.
    let refused = client
        .post(format!("{}/sign-in", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={}", "a".repeat(4096)))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 413);
    assert_healthy(&client, &server.url).await;

    // Too large without saying so in advance (chunked).
    let url = server.url.clone();
    let reply = tokio::task::spawn_blocking(move || {
        let host = url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).unwrap();
        let mut request = format!(
            "POST /sign-in HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        for _ in 0..4 {
            request.push_str(&format!("400\r\n{}\r\n", "a".repeat(1024)));
        }
        request.push_str("0\r\n\r\n");
        // The server may answer and close before reading it all.
        let _ = stream.write_all(request.as_bytes());
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        String::from_utf8_lossy(&reply).into_owned()
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 413 "), "{reply}");
    assert_healthy(&client, &server.url).await;
});

both_backends!(slow_bodies_are_refused, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &db.url);
    let client = reqwest::Client::new();
    let host = server.url.trim_start_matches("http://").to_string();

    let url = server.url.clone();
    let slow = tokio::task::spawn_blocking(move || {
        slow_client(
            &url,
            &format!(
                "POST /sign-in HTTP/1.1\r\nHost: {host}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: 1000\r\n\r\nemail="
            ),
            &[b'a'; 60],
        )
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_healthy(&client, &server.url).await;
    let outcome = slow.await.unwrap();
    eprintln!("a client sending its body slowly was cut off after {outcome:?}");

    let bound = Duration::from_secs(BODY_TIMEOUT_SECONDS);
    assert!(
        outcome.after >= bound - Duration::from_millis(500) && outcome.after <= bound + MARGIN,
        "{outcome:?}"
    );
    // Refused with an error if answered at all; never accepted.
    if !outcome.reply.is_empty() {
        let status = outcome.reply.split(' ').nth(1).unwrap_or_default();
        assert!(status.starts_with('4'), "{outcome:?}");
    }
    assert!(outcome.dripped <= 6, "{outcome:?}");
    assert_healthy(&client, &server.url).await;
});
