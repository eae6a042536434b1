//! What happens to a message once it leaves Convene: the channel it goes
//! by, and what a provider says about it afterwards. GOV.UK Notify's
//! statuses are mapped here so the worker's polling and the web callback
//! agree on what each one means.

/// How a message reaches someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "sms" => Some(Self::Sms),
            "email" => Some(Self::Email),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Sms => "Text message",
            Self::Email => "Email",
        }
    }
}

/// What a provider reports about a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryReport {
    /// Still on its way.
    Pending,
    Delivered,
    /// It will not arrive, and sending it again will not help (a number
    /// that does not exist, a phone switched off for days). Staff see why.
    Undelivered {
        reason: String,
    },
    /// The provider could not send it because of its own fault: Convene
    /// sends it again.
    SendAgain {
        reason: String,
    },
}

/// GOV.UK Notify's notification statuses.
pub fn from_notify_status(status: &str) -> Option<DeliveryReport> {
    Some(match status {
        "created" | "sending" | "pending" | "accepted" | "received" | "pending-virus-check" => {
            DeliveryReport::Pending
        }
        // "sent" is Notify's final status for international texts, where
        // networks report no delivery.
        "delivered" | "sent" => DeliveryReport::Delivered,
        "permanent-failure" => DeliveryReport::Undelivered {
            reason: "The phone number or email address does not exist or cannot receive messages"
                .into(),
        },
        "temporary-failure" => DeliveryReport::Undelivered {
            reason: "The phone was off or the inbox full for 72 hours, so it was not delivered"
                .into(),
        },
        "technical-failure" => DeliveryReport::SendAgain {
            reason: "GOV.UK Notify had a technical failure".into(),
        },
        "virus-scan-failed" | "validation-failed" => DeliveryReport::Undelivered {
            reason: "GOV.UK Notify refused the message's content".into(),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notify_status_has_a_meaning() {
        for (status, expected) in [
            ("created", "pending"),
            ("sending", "pending"),
            ("pending", "pending"),
            ("delivered", "delivered"),
            ("sent", "delivered"),
            ("permanent-failure", "undelivered"),
            ("temporary-failure", "undelivered"),
            ("technical-failure", "again"),
        ] {
            let got = match from_notify_status(status) {
                Some(DeliveryReport::Pending) => "pending",
                Some(DeliveryReport::Delivered) => "delivered",
                Some(DeliveryReport::Undelivered { .. }) => "undelivered",
                Some(DeliveryReport::SendAgain { .. }) => "again",
                None => "unknown",
            };
            assert_eq!(got, expected, "{status}");
        }
        assert_eq!(from_notify_status("exploded"), None);
    }

    #[test]
    fn channels_round_trip() {
        for channel in [Channel::Sms, Channel::Email] {
            assert_eq!(Channel::parse(channel.code()), Some(channel));
        }
        assert_eq!(Channel::parse("letter"), None);
    }
}
