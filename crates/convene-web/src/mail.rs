//! Sending account email (invitations, password resets). The web layer
//! names what to send; the binary sends it through the configured message
//! provider (`convene::mail::ProviderMailer`). The console mailer remains
//! for tools, and the memory mailer for tests.

use std::sync::Mutex;

/// One email to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub trait Mailer: Send + Sync + std::fmt::Debug {
    fn send(&self, email: Email);
}

/// Prints each email on standard output, where the operator sees it.
#[derive(Debug, Default)]
pub struct ConsoleMailer;

impl Mailer for ConsoleMailer {
    #[allow(clippy::print_stdout)] // the console is this mailer's delivery
    fn send(&self, email: Email) {
        println!(
            "----- email (console delivery) -----\nTo: {}\nSubject: {}\n\n{}\n------------------------------------",
            email.to, email.subject, email.body
        );
    }
}

/// Keeps emails in memory; for tests.
#[derive(Debug, Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Email>>,
}

impl MemoryMailer {
    pub fn sent(&self) -> Vec<Email> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Mailer for MemoryMailer {
    fn send(&self, email: Email) {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(email);
        }
    }
}
