//! Invitations and password resets by email, through the configured
//! message provider (the log, GOV.UK Notify or SMTP). They go straight to
//! the provider rather than through the outbox: each carries a one-time
//! sign-in link, which the outbox would keep at rest. One that fails is
//! logged (without its address) and not retried; the person asks again.

use std::sync::Arc;

use convene_domain::ids::new_id;
use convene_domain::messaging::delivery::Channel;
use convene_jobs::messaging::{Outgoing, Provider};
use convene_web::mail::{Email, Mailer};

#[derive(Debug)]
pub struct ProviderMailer {
    provider: Arc<dyn Provider>,
    runtime: tokio::runtime::Handle,
}

impl ProviderMailer {
    /// Sends on the current Tokio runtime.
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        Self {
            provider,
            runtime: tokio::runtime::Handle::current(),
        }
    }
}

impl Mailer for ProviderMailer {
    fn send(&self, email: Email) {
        let provider = self.provider.clone();
        self.runtime.spawn(async move {
            let outgoing = Outgoing {
                reference: new_id(),
                channel: Channel::Email,
                to: email.to,
                subject: email.subject,
                body: email.body,
                family: false,
            };
            match provider.send(&outgoing).await {
                Ok(_) => tracing::info!(message = %outgoing.reference, "account email sent"),
                Err(not_sent) => tracing::warn!(
                    message = %outgoing.reference,
                    reason = %not_sent.reason,
                    "an account email could not be sent"
                ),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use convene_jobs::messaging::{Accepted, Pending};

    use super::*;

    #[derive(Debug, Default)]
    struct Kept(Mutex<Vec<Outgoing>>);

    impl Provider for Kept {
        fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted> {
            Box::pin(async move {
                self.0.lock().map(|mut k| k.push(message.clone())).ok();
                Ok(Accepted::default())
            })
        }
    }

    #[tokio::test]
    async fn an_invitation_goes_to_the_provider_as_an_email() {
        let kept = Arc::new(Kept::default());
        let mailer = ProviderMailer::new(kept.clone());
        mailer.send(Email {
            to: "new.starter@northgate.example".into(),
            subject: "You are invited to Convene".into(),
            body: "Choose a password: https://convene.example.org/invitations/abc".into(),
        });
        for _ in 0..100 {
            if !kept.0.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let sent = kept.0.lock().unwrap().clone();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].channel, Channel::Email);
        assert_eq!(sent[0].to, "new.starter@northgate.example");
        assert!(!sent[0].family);
        assert!(sent[0].body.contains("/invitations/abc"));
    }
}
