//! A family's contact details as the opt-out list knows them: one spelling
//! per phone number or address, so "07700 900123", "+44 7700 900123" and a
//! STOP from 447700900123 are the same person. And what counts as asking
//! to stop.

/// One spelling of a UK or international phone number: digits, with a
/// leading `+` for international numbers and UK numbers written `07...`.
pub fn normalise_phone(phone: &str) -> Option<String> {
    let trimmed = phone.trim();
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 || digits.len() > 15 {
        return None;
    }
    // A UK number after 44 is 10 digits, or 11 with its trunk zero
    // ("+44 (0)7700 ..."); anything else is not one, so that a spelling
    // normalised again stays the same.
    let uk = digits
        .strip_prefix("44")
        .filter(|rest| rest.len() == 10 || (rest.len() == 11 && rest.starts_with('0')));
    let national = if let Some(rest) = uk {
        // "+44 (0)7700 ..." keeps its trunk zero once.
        if rest.starts_with('0') {
            rest.to_string()
        } else {
            format!("0{rest}")
        }
    } else if plus || !digits.starts_with('0') {
        // International, whether written with "+" or (as GOV.UK Notify
        // gives a reply's number) without.
        format!("+{digits}")
    } else {
        digits
    };
    Some(national)
}

pub fn normalise_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    email.contains('@').then_some(email)
}

/// A reply that asks for no more messages.
pub fn asks_to_stop(reply: &str) -> bool {
    let first = reply
        .trim()
        .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .next()
        .unwrap_or("")
        .to_uppercase();
    matches!(
        first.as_str(),
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "END" | "QUIT" | "CANCEL" | "OPTOUT"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_of_a_uk_mobile() {
        for spelling in [
            "07700 900123",
            "07700900123",
            "+44 7700 900123",
            "+447700900123",
            "447700900123",
            " (07700) 900-123 ",
        ] {
            assert_eq!(
                normalise_phone(spelling).as_deref(),
                Some("07700900123"),
                "{spelling}"
            );
        }
        assert_eq!(
            normalise_phone("+44 (0)7700 900123").as_deref(),
            Some("07700900123")
        );
        assert_eq!(
            normalise_phone("+33 6 12 34 56 78").as_deref(),
            Some("+33612345678")
        );
        // A reply from abroad, as Notify gives the number.
        assert_eq!(
            normalise_phone("33612345678").as_deref(),
            Some("+33612345678")
        );
        assert_eq!(normalise_phone("123"), None);
        assert_eq!(normalise_phone("not a number"), None);
    }

    #[test]
    fn stop_words() {
        for reply in [
            "STOP",
            "stop",
            " Stop please",
            "STOP.",
            "unsubscribe",
            "End",
        ] {
            assert!(asks_to_stop(reply), "{reply}");
        }
        for reply in [
            "Thanks, see you then",
            "Can I stop by later?",
            "",
            "non-stop",
        ] {
            assert!(!asks_to_stop(reply), "{reply}");
        }
    }

    #[test]
    fn emails_compare_without_case() {
        assert_eq!(
            normalise_email(" Sam.Parent@Example.org "),
            Some("sam.parent@example.org".to_string())
        );
        assert_eq!(normalise_email("nope"), None);
    }
}
