//! Email through an SMTP relay (the school trust's or a mail service's),
//! for instances that do not use GOV.UK Notify. Email only: SMTP cannot
//! send text messages.
//!
//! SMTP says nothing about a message once the relay has taken it, and a
//! relay cannot be asked whether it took one before, so `find` and
//! `report` keep the trait's answer ("cannot tell"). Instead every message
//! carries the Message-ID `<{reference}@convene>`: if the worker stopped
//! after the relay took a message but before recording it, the copy sent
//! again has the same Message-ID, which mail systems and people can
//! recognise as the same message.

use std::fmt;
use std::time::Duration;

use convene_domain::messaging::delivery::Channel;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use reqwest::Url;

use super::provider::{Accepted, NotSent, Outgoing, Pending, Provider};

/// Where and as whom to send email. `Debug` never shows the password.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The relay: `smtps://user:pass@host:465`, or
    /// `smtp://user:pass@host:587?tls=required` for STARTTLS, or plain
    /// `smtp://host:port` for a relay on the same machine or in tests.
    pub url: String,
    /// The sender, e.g. `Convene <no-reply@example.org>`.
    pub from: String,
    /// For the whole exchange with the relay, connecting included.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &redacted(&self.url))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why an SMTP configuration cannot be used. Never quotes the URL, which
/// may hold a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpConfigError {
    #[error("the SMTP URL is not usable: {0}")]
    Url(String),
    #[error(
        "the sender address {0:?} is not an email address (e.g. Convene <no-reply@example.org>)"
    )]
    From(String),
}

/// Sends email through one SMTP relay, a connection per message.
pub struct SmtpProvider {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
    /// The URL with its password hidden, for `Debug`.
    shown_url: String,
}

impl fmt::Debug for SmtpProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpProvider")
            .field("url", &self.shown_url)
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SmtpProvider {
    /// Checks the relay URL and the sender; connects only when sending.
    pub fn new(config: SmtpConfig) -> Result<Self, SmtpConfigError> {
        let url = Url::parse(config.url.trim())
            .map_err(|e| SmtpConfigError::Url(format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(SmtpConfigError::Url(
                "it must start with smtp:// or smtps://".into(),
            ));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())
            .map_err(|e| SmtpConfigError::Url(e.to_string()))?
            .timeout(Some(config.timeout))
            .build();
        let from = config
            .from
            .trim()
            .parse::<Mailbox>()
            .map_err(|_| SmtpConfigError::From(config.from.clone()))?;
        Ok(Self {
            transport,
            from,
            timeout: config.timeout,
            shown_url: redacted(&config.url),
        })
    }

    /// The email for `message`: plain text, with the reference in its
    /// Message-ID.
    fn email(&self, message: &Outgoing) -> Result<Message, NotSent> {
        // An address alone: a display name in `to` would be text from
        // outside in a header.
        let to = message
            .to
            .trim()
            .parse::<Address>()
            .map_err(|_| NotSent::permanent("the email address is not valid"))?;
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(message.subject.as_str())
            .message_id(Some(format!("<{}@convene>", message.reference)))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| NotSent::permanent(format!("the email could not be put together: {e}")))
    }
}

impl Provider for SmtpProvider {
    fn channels(&self) -> Vec<Channel> {
        vec![Channel::Email]
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted> {
        Box::pin(async move {
            if message.channel != Channel::Email {
                return Err(NotSent::permanent(
                    "this instance sends email only; no text message provider is set up",
                ));
            }
            let email = self.email(message)?;
            match tokio::time::timeout(self.timeout, self.transport.send(email)).await {
                Ok(Ok(_)) => Ok(Accepted { provider_id: None }),
                Ok(Err(error)) => Err(not_sent(&error)),
                Err(_) => Err(NotSent::temporary("the mail server did not answer in time")),
            }
        })
    }
}

/// What a failed exchange means. A 5xx reply is final (a mailbox that does
/// not exist, a refused sender); anything else may pass. The server's own
/// words are left out: they often quote the recipient's address.
fn not_sent(error: &SmtpError) -> NotSent {
    let code = error
        .status()
        .map(|code| format!(" (SMTP {code})"))
        .unwrap_or_default();
    if error.is_permanent() {
        NotSent::permanent(format!("the mail server refused the message{code}"))
    } else if error.is_transient() {
        NotSent::temporary(format!("the mail server cannot take the message now{code}"))
    } else if error.is_timeout() {
        NotSent::temporary("the mail server did not answer in time")
    } else if error.is_tls() {
        NotSent::temporary("could not set up a secure connection with the mail server")
    } else {
        NotSent::temporary("the mail server could not be reached or broke off")
    }
}

/// `url` with any password replaced, or a placeholder if it is not a URL
/// (it may then hold a password anywhere).
fn redacted(url: &str) -> String {
    match Url::parse(url.trim()) {
        Ok(mut url) => {
            if url.password().is_some() && url.set_password(Some("[redacted]")).is_err() {
                return "[redacted]".into();
            }
            url.to_string()
        }
        Err(_) => "[not a URL]".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        let shown = redacted("smtp://mailer:s3cret@relay.example:587?tls=required");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("mailer") && shown.contains("relay.example"),
            "{shown}"
        );
        assert_eq!(redacted("smtp://user:s3cret@"), "[not a URL]");
        assert_eq!(redacted("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
    }
}
