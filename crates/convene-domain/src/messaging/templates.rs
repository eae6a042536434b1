//! The words of every message, as templates coordinators can edit. Each
//! kind of message has a fixed set of variables; a template that uses any
//! other, fails to render, or (for text messages) runs past three SMS
//! fragments is refused when it is saved, so nothing fails at send time.
//!
//! What a message may say is decided here too: staff notices carry a
//! reference and a link, never a family's details; reminders carry the
//! family member's first name, the date, time and a phone number, and the
//! service's name only where the service allows it; a service marked
//! sensitive has its own template with the date, time and phone only.

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value, json};

use super::delivery::Channel;

/// The longest text message Convene sends, in fragments.
pub const MAX_SMS_FRAGMENTS: usize = 3;

/// The longest template text accepted, in characters.
const MAX_SUBJECT: usize = 200;
const MAX_BODY: usize = 4000;

/// Instructions a render may take (a plain message takes a few dozen).
const FUEL: u64 = 50_000;

/// The language of the built-in templates, used when no template is
/// written in the family's preferred language.
pub const DEFAULT_LANGUAGE: &str = "english";

/// Who a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Family,
    Staff,
}

impl Audience {
    pub fn code(self) -> &'static str {
        match self {
            Self::Family => "family",
            Self::Staff => "staff",
        }
    }
}

/// Every kind of message Convene sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Reminder,
    SensitiveReminder,
    ReferralReceived,
    ReferralAccepted,
    ReferralDeclined,
    DidNotAttend,
    FollowUpOverdue,
}

impl MessageKind {
    pub const ALL: [MessageKind; 7] = [
        Self::Reminder,
        Self::SensitiveReminder,
        Self::ReferralReceived,
        Self::ReferralAccepted,
        Self::ReferralDeclined,
        Self::DidNotAttend,
        Self::FollowUpOverdue,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Reminder => "reminder",
            Self::SensitiveReminder => "reminder_sensitive",
            Self::ReferralReceived => "referral_received",
            Self::ReferralAccepted => "referral_accepted",
            Self::ReferralDeclined => "referral_declined",
            Self::DidNotAttend => "did_not_attend",
            Self::FollowUpOverdue => "follow_up_overdue",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Reminder => "Appointment reminder to a family",
            Self::SensitiveReminder => "Appointment reminder for a sensitive service",
            Self::ReferralReceived => "New referral (to the receiving organisation)",
            Self::ReferralAccepted => "Referral accepted (to the referrer)",
            Self::ReferralDeclined => "Referral declined (to the referrer)",
            Self::DidNotAttend => "Appointment missed (to the referrer)",
            Self::FollowUpOverdue => "Follow-up overdue (to the organisation)",
        }
    }

    pub fn audience(self) -> Audience {
        match self {
            Self::Reminder | Self::SensitiveReminder => Audience::Family,
            _ => Audience::Staff,
        }
    }

    /// The variables this kind's templates may use.
    pub fn variables(self) -> &'static [&'static str] {
        match self {
            Self::Reminder => &["first_name", "date", "time", "phone", "service_name"],
            Self::SensitiveReminder => &["date", "time", "phone"],
            _ => &["reference", "link", "service_name"],
        }
    }

    /// Values for the preview and for checking a template when it is
    /// saved: each as long as real values plausibly get, so a template
    /// that fits here fits in practice.
    pub fn sample(self) -> Value {
        let all = json!({
            "first_name": "Alexandra-Louise",
            "date": "Wednesday 30 September",
            "time": "12:30pm",
            "phone": "01632 960 000",
            "service_name": "Brackenbury Family Wellbeing and Parenting Support",
            "reference": "R-7F3A9C21",
            "link": "https://convene.example.org/referrals/0190f2a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6",
        });
        let mut picked = Map::new();
        for name in self.variables() {
            if let Some(value) = all.get(*name) {
                picked.insert((*name).to_string(), value.clone());
            }
        }
        Value::Object(picked)
    }

    /// The built-in English template.
    pub fn default_template(self) -> Template {
        let (subject, body) = match self {
            Self::Reminder => (
                "Appointment reminder",
                "Hello {{ first_name }}, this is a reminder of your appointment{% if service_name %} with {{ service_name }}{% endif %} on {{ date }} at {{ time }}. If you cannot come or need to change it, please call {{ phone }}.",
            ),
            Self::SensitiveReminder => (
                "Appointment reminder",
                "Reminder: you have an appointment on {{ date }} at {{ time }}. To change it, call {{ phone }}.",
            ),
            Self::ReferralReceived => (
                "A new referral for {{ service_name }}",
                "There is a new referral for {{ service_name }} in Convene (reference {{ reference }}).\n\nOpen it here: {{ link }}\n\nNo details about the family are sent by email.",
            ),
            Self::ReferralAccepted => (
                "Referral {{ reference }} was accepted",
                "{{ service_name }} accepted referral {{ reference }}.\n\nSee it here: {{ link }}\n\nNo details about the family are sent by email.",
            ),
            Self::ReferralDeclined => (
                "Referral {{ reference }} was declined",
                "{{ service_name }} declined referral {{ reference }}. Their reason is on the referral.\n\nSee it here: {{ link }}\n\nNo details about the family are sent by email.",
            ),
            Self::DidNotAttend => (
                "An appointment was missed (referral {{ reference }})",
                "An appointment with {{ service_name }} was missed (referral {{ reference }}).\n\nSee it here: {{ link }}\n\nNo details about the family are sent by email.",
            ),
            Self::FollowUpOverdue => (
                "A follow-up is overdue (referral {{ reference }})",
                "A follow-up on referral {{ reference }} to {{ service_name }} is overdue.\n\nSee it here: {{ link }}\n\nNo details about the family are sent by email.",
            ),
        };
        Template {
            subject: subject.to_string(),
            body: body.to_string(),
        }
    }
}

/// A message's subject (email only) and body, as template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("The {part} cannot be used: {reason}")]
    DoesNotRender { part: &'static str, reason: String },
    #[error("The text message would be {fragments} messages long; keep it to {MAX_SMS_FRAGMENTS}")]
    TooLong { fragments: usize },
    #[error("The {part} is empty")]
    Empty { part: &'static str },
    #[error("Keep the subject to 200 characters and the message to 4000")]
    TooLongToEdit,
}

/// Renders `template` for `kind` with `values`. A variable the kind does
/// not have is an error, never an empty string.
pub fn render(
    kind: MessageKind,
    template: &Template,
    values: &Value,
) -> Result<Rendered, TemplateError> {
    if template.subject.chars().count() > MAX_SUBJECT || template.body.chars().count() > MAX_BODY {
        return Err(TemplateError::TooLongToEdit);
    }
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // A template is a coordinator's text, not a program: loops that would
    // run long stop here rather than hold a server thread.
    env.set_fuel(Some(FUEL));
    // Plain text: nothing is escaped, and nothing is read from files.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let mut allowed = Map::new();
    for name in kind.variables() {
        if let Some(value) = values.get(*name) {
            allowed.insert((*name).to_string(), value.clone());
        }
    }
    let context = Value::Object(allowed);
    let one = |part: &'static str, text: &str| -> Result<String, TemplateError> {
        if text.trim().is_empty() {
            return Err(TemplateError::Empty { part });
        }
        env.render_str(text, &context)
            .map(|s| s.trim().to_string())
            .map_err(|e| TemplateError::DoesNotRender {
                part,
                reason: describe(&e),
            })
    };
    Ok(Rendered {
        subject: one("subject", &template.subject)?,
        body: one("message", &template.body)?,
    })
}

/// minijinja's own description, without its internal detail.
fn describe(error: &minijinja::Error) -> String {
    match error.kind() {
        minijinja::ErrorKind::UndefinedError => {
            "it uses a name that is not one of the variables listed".to_string()
        }
        minijinja::ErrorKind::OutOfFuel => {
            "it would take too long to fill in; remove loops".to_string()
        }
        minijinja::ErrorKind::SyntaxError => format!(
            "it is not written correctly ({})",
            error.detail().unwrap_or("syntax error")
        ),
        _ => error.detail().unwrap_or("it does not render").to_string(),
    }
}

/// Checks a template when a coordinator saves it: it renders with the
/// longest plausible values, and a family's text message fits in
/// [`MAX_SMS_FRAGMENTS`].
pub fn check(kind: MessageKind, template: &Template) -> Result<Rendered, TemplateError> {
    let rendered = render(kind, template, &kind.sample())?;
    if kind.audience() == Audience::Family {
        let fragments = sms_fragments(&rendered.body);
        if fragments > MAX_SMS_FRAGMENTS {
            return Err(TemplateError::TooLong { fragments });
        }
    }
    Ok(rendered)
}

/// The GSM 03.38 characters a text message can carry at one septet each.
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters that take two septets (an escape and the character).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// How many SMS fragments `text` takes: 160 septets in one, or 153 per
/// fragment when split; any character outside the GSM alphabet makes it
/// Unicode, 70 in one or 67 per fragment.
pub fn sms_fragments(text: &str) -> usize {
    let mut septets = 0usize;
    let mut unicode = false;
    for c in text.chars() {
        if GSM_BASIC.contains(c) {
            septets += 1;
        } else if GSM_EXTENDED.contains(c) {
            septets += 2;
        } else {
            unicode = true;
            break;
        }
    }
    let (units, single, multi) = if unicode {
        (text.encode_utf16().count(), 70, 67)
    } else {
        (septets, 160, 153)
    };
    if units <= single {
        1
    } else {
        units.div_ceil(multi)
    }
}

/// The channel a reminder takes for the family's contact details and
/// preference, or why there is none.
pub fn reminder_channel(
    has_phone: bool,
    has_email: bool,
    preference: Option<crate::people::ContactPreference>,
    can_send: &[Channel],
) -> Result<Channel, &'static str> {
    use crate::people::ContactPreference as P;
    // What this instance cannot send counts as not known.
    let has_phone = has_phone && can_send.contains(&Channel::Sms);
    let has_email = has_email && can_send.contains(&Channel::Email);
    match preference {
        Some(P::ThroughReferrer) => Err("the family is contacted only through the referrer"),
        Some(P::Letter) => Err("the family asked for letters"),
        Some(P::Email) if has_email => Ok(Channel::Email),
        _ if has_phone => Ok(Channel::Sms),
        _ if has_email => Ok(Channel::Email),
        _ => Err(
            "there is no phone number or email address for the family that this instance can send to",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_passes_its_own_check() {
        for kind in MessageKind::ALL {
            check(kind, &kind.default_template()).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(MessageKind::parse(kind.code()), Some(kind));
        }
    }

    #[test]
    fn an_unknown_variable_is_refused() {
        let template = Template {
            subject: "Reminder".into(),
            body: "Hello {{ first_name }}, born {{ date_of_birth }}".into(),
        };
        let error = check(MessageKind::Reminder, &template).unwrap_err();
        assert!(
            matches!(error, TemplateError::DoesNotRender { .. }),
            "{error}"
        );
        // A sensitive service's reminder may not even use the first name.
        let named = Template {
            subject: "Reminder".into(),
            body: "Hello {{ first_name }}, {{ date }}".into(),
        };
        assert!(check(MessageKind::SensitiveReminder, &named).is_err());
        // A variable the caller passes but the kind does not have is not
        // visible either.
        let values =
            json!({ "date": "today", "time": "9am", "phone": "1", "service_name": "CAMHS" });
        let leaky = Template {
            subject: "x".into(),
            body: "{{ service_name }}".into(),
        };
        assert!(render(MessageKind::SensitiveReminder, &leaky, &values).is_err());
    }

    #[test]
    fn loops_that_would_run_long_are_stopped() {
        let endless = Template {
            subject: "x".into(),
            body:
                "{% for a in range(100000) %}{% for b in range(100000) %}.{% endfor %}{% endfor %}"
                    .into(),
        };
        let error = check(MessageKind::ReferralAccepted, &endless).unwrap_err();
        assert!(error.to_string().contains("too long to fill in"), "{error}");
        let huge = Template {
            subject: "x".into(),
            body: "a".repeat(4001),
        };
        assert_eq!(
            check(MessageKind::ReferralAccepted, &huge),
            Err(TemplateError::TooLongToEdit)
        );
    }

    #[test]
    fn broken_syntax_and_empty_parts_are_refused() {
        let broken = Template {
            subject: "x".into(),
            body: "Hello {{ first_name ".into(),
        };
        assert!(check(MessageKind::Reminder, &broken).is_err());
        let empty = Template {
            subject: " ".into(),
            body: "Hello".into(),
        };
        assert_eq!(
            check(MessageKind::Reminder, &empty),
            Err(TemplateError::Empty { part: "subject" })
        );
    }

    #[test]
    fn a_reminder_longer_than_three_fragments_is_refused() {
        let long = Template {
            subject: "x".into(),
            body: format!("{} {{{{ date }}}}", "word ".repeat(95)),
        };
        assert!(matches!(
            check(MessageKind::Reminder, &long),
            Err(TemplateError::TooLong { fragments: 4 })
        ));
        // Staff emails have no such limit.
        let long_email = Template {
            subject: "x".into(),
            body: "word ".repeat(200),
        };
        assert!(check(MessageKind::ReferralAccepted, &long_email).is_ok());
    }

    #[test]
    fn fragments_follow_the_gsm_and_unicode_limits() {
        assert_eq!(sms_fragments(&"a".repeat(160)), 1);
        assert_eq!(sms_fragments(&"a".repeat(161)), 2);
        assert_eq!(sms_fragments(&"a".repeat(306)), 2);
        assert_eq!(sms_fragments(&"a".repeat(307)), 3);
        // Extended characters count twice.
        assert_eq!(sms_fragments(&"€".repeat(80)), 1);
        assert_eq!(sms_fragments(&"€".repeat(81)), 2);
        // One character outside the alphabet makes the whole text Unicode.
        assert_eq!(sms_fragments(&format!("ł{}", "a".repeat(69))), 1);
        assert_eq!(sms_fragments(&format!("ł{}", "a".repeat(70))), 2);
        assert_eq!(sms_fragments(""), 1);
    }

    #[test]
    fn reminders_go_the_way_the_family_can_be_reached() {
        use crate::people::ContactPreference as P;
        let both = [Channel::Sms, Channel::Email];
        let way = |phone, email, preference| reminder_channel(phone, email, preference, &both);
        assert_eq!(way(true, true, None), Ok(Channel::Sms));
        assert_eq!(way(true, true, Some(P::Email)), Ok(Channel::Email));
        assert_eq!(way(false, true, Some(P::Text)), Ok(Channel::Email));
        assert!(way(true, true, Some(P::ThroughReferrer)).is_err());
        assert!(way(true, true, Some(P::Letter)).is_err());
        assert!(way(false, false, None).is_err());
        // An instance that sends email only reaches a family by email.
        let email = [Channel::Email];
        assert_eq!(
            reminder_channel(true, true, None, &email),
            Ok(Channel::Email)
        );
        assert!(reminder_channel(true, false, None, &email).is_err());
    }
}
