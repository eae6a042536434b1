//! The SMTP provider against a small mail server on 127.0.0.1 that speaks
//! just enough SMTP to take a message, or refuse a recipient, and records
//! what it was given.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use convene_domain::messaging::delivery::Channel;
use convene_jobs::messaging::smtp::{SmtpConfig, SmtpConfigError, SmtpProvider};
use convene_jobs::messaging::{Accepted, Outgoing, Provider};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;

const FROM: &str = "Convene <no-reply@example.org>";
const BODY: &str = "Your appointment at Riverside Family Hub is at 10:00 on Tuesday.\r\nPlease bring your red book.";

/// What one SMTP session handed over.
#[derive(Debug, Clone, Default)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

#[derive(Debug, Clone)]
struct FakeSmtp {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    sessions: Arc<AtomicUsize>,
}

impl FakeSmtp {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Self {
            addr: listener.local_addr().unwrap(),
            received: Arc::default(),
            sessions: Arc::default(),
        };
        let shared = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.sessions.fetch_add(1, Ordering::SeqCst);
                let received = shared.received.clone();
                tokio::spawn(async move { session(stream, received).await });
            }
        });
        server
    }

    fn provider(&self) -> SmtpProvider {
        SmtpProvider::new(config(&format!("smtp://{}", self.addr))).unwrap()
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// One conversation: a greeting, then a reply to each command. A recipient
/// with "reject" in it does not exist (550); one with "busy" has a full
/// mailbox for now (452).
async fn session(stream: TcpStream, received: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 mail.test ESMTP fake\r\n").await?;
    let mut envelope = Received::default();
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250 mail.test".to_string()
        } else if let Some(from) = upper.strip_prefix("MAIL FROM:") {
            envelope.mail_from = command[command.len() - from.len()..].to_string();
            "250 2.1.0 OK".to_string()
        } else if let Some(to) = upper.strip_prefix("RCPT TO:") {
            let to = command[command.len() - to.len()..].to_string();
            if upper.contains("REJECT") {
                format!("550 5.1.1 {to}: Recipient address rejected: User unknown")
            } else if upper.contains("BUSY") {
                format!("452 4.2.2 {to}: Mailbox full, try again later")
            } else {
                envelope.rcpt_to.push(to);
                "250 2.1.5 OK".to_string()
            }
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            envelope.data = read_data(&mut read).await?;
            received.lock().unwrap().push(std::mem::take(&mut envelope));
            "250 2.0.0 OK queued".to_string()
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            "250 2.0.0 OK".to_string()
        } else {
            "502 5.5.2 Command not recognised".to_string()
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// The message up to the lone dot, with leading dots unstuffed.
async fn read_data(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 || line == ".\r\n" {
            return Ok(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

fn config(url: &str) -> SmtpConfig {
    SmtpConfig {
        url: url.to_string(),
        from: FROM.to_string(),
        timeout: Duration::from_secs(5),
    }
}

fn email(to: &str) -> Outgoing {
    Outgoing {
        reference: Uuid::new_v4(),
        channel: Channel::Email,
        to: to.to_string(),
        subject: "Your appointment on Tuesday".to_string(),
        body: BODY.to_string(),
        family: false,
    }
}

/// The value of `name` among the message's headers.
fn header<'a>(data: &'a str, name: &str) -> Option<&'a str> {
    let (headers, _) = data.split_once("\r\n\r\n")?;
    headers.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn an_email_arrives_as_sent() {
    let server = FakeSmtp::start().await;
    let message = email("parent@example.org");

    let accepted = server.provider().send(&message).await.unwrap();
    assert_eq!(accepted, Accepted { provider_id: None });

    let received = server.received();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.mail_from, "<no-reply@example.org>");
    assert_eq!(got.rcpt_to, ["<parent@example.org>"]);
    let data = got.data.as_str();
    assert_eq!(header(data, "Subject"), Some("Your appointment on Tuesday"));
    assert_eq!(header(data, "From"), Some(FROM));
    assert_eq!(header(data, "To"), Some("parent@example.org"));
    let message_id = format!("<{}@convene>", message.reference);
    assert_eq!(header(data, "Message-ID"), Some(message_id.as_str()));
    let content_type = header(data, "Content-Type").unwrap_or_default();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let (_, body) = data.split_once("\r\n\r\n").unwrap();
    assert_eq!(body.trim_end(), BODY);
}

#[tokio::test]
async fn a_recipient_the_server_refuses_fails_for_good() {
    let server = FakeSmtp::start().await;
    let refused = server
        .provider()
        .send(&email("reject-me@example.org"))
        .await
        .unwrap_err();
    assert!(refused.permanent, "{refused:?}");
    assert!(refused.reason.contains("550"), "{}", refused.reason);
    assert!(!refused.reason.contains("reject-me"), "{}", refused.reason);
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_recipient_the_server_cannot_take_now_is_temporary() {
    let server = FakeSmtp::start().await;
    let refused = server
        .provider()
        .send(&email("busy@example.org"))
        .await
        .unwrap_err();
    assert!(!refused.permanent, "{refused:?}");
    assert!(refused.reason.contains("452"), "{}", refused.reason);
    assert!(!refused.reason.contains("busy@"), "{}", refused.reason);
}

#[tokio::test]
async fn an_invalid_address_fails_for_good_without_a_connection() {
    let server = FakeSmtp::start().await;
    for to in ["not an address", "", "parent@", "Eve <eve@example.org>"] {
        let refused = server.provider().send(&email(to)).await.unwrap_err();
        assert!(refused.permanent, "{to}: {refused:?}");
    }
    assert_eq!(server.sessions.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn text_messages_are_refused_for_good() {
    let server = FakeSmtp::start().await;
    let mut message = email("parent@example.org");
    message.channel = Channel::Sms;
    message.to = "07700900123".into();

    let refused = server.provider().send(&message).await.unwrap_err();
    assert!(refused.permanent);
    assert_eq!(
        refused.reason,
        "this instance sends email only; no text message provider is set up"
    );
    assert_eq!(server.sessions.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn nothing_listening_is_temporary() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let provider = SmtpProvider::new(config(&format!("smtp://{addr}"))).unwrap();

    let refused = provider
        .send(&email("parent@example.org"))
        .await
        .unwrap_err();
    assert!(!refused.permanent, "{refused:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_temporary_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut config = config(&format!("smtp://{addr}"));
    config.timeout = Duration::from_millis(300);
    let provider = SmtpProvider::new(config).unwrap();

    let started = Instant::now();
    let refused = provider
        .send(&email("parent@example.org"))
        .await
        .unwrap_err();
    assert!(!refused.permanent, "{refused:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn debug_output_never_shows_the_password() {
    let config = config("smtp://mailer:hunter2-secret@127.0.0.1:2525?tls=required");
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    assert!(shown.contains("mailer"), "{shown}");
    let provider = SmtpProvider::new(config).unwrap();
    let shown = format!("{provider:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    assert!(shown.contains("127.0.0.1:2525"), "{shown}");
}

#[test]
fn configuration_mistakes_are_refused_without_the_password() {
    let mut bad = config("http://mailer:hunter2-secret@relay.example");
    let refused = SmtpProvider::new(bad.clone()).unwrap_err();
    assert!(matches!(refused, SmtpConfigError::Url(_)), "{refused:?}");
    assert!(!refused.to_string().contains("hunter2-secret"), "{refused}");

    bad.url = "smtp://mailer:hunter2-secret@relay.example?tls=sometimes".into();
    let refused = SmtpProvider::new(bad.clone()).unwrap_err();
    assert!(!refused.to_string().contains("hunter2-secret"), "{refused}");

    bad.url = "smtps://relay.example".into();
    bad.from = "Convene".into();
    assert!(matches!(
        SmtpProvider::new(bad).unwrap_err(),
        SmtpConfigError::From(_)
    ));
}
