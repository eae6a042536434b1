//! Checking what people type: trimmed, bounded, and told plainly when wrong.

use std::fmt;

/// One problem with one field, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Every problem found in one submission, in field order, so a form can show
/// an error summary that lists them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was wrong, otherwise every error found.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// Trims `value` and checks it is present and at most `max` characters.
pub fn required(
    errors: &mut ValidationErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
) -> String {
    checked(errors, field, label, value, max, |_| false)
}

/// As [`required`], for text that may run over several lines (line breaks
/// and tabs allowed, other control characters not).
pub fn required_multiline(
    errors: &mut ValidationErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
) -> String {
    checked(errors, field, label, value, max, |c| {
        matches!(c, '\n' | '\r' | '\t')
    })
}

fn checked(
    errors: &mut ValidationErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
    allowed_control: fn(char) -> bool,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, format!("Enter {label}"));
    } else if value.chars().count() > max {
        errors.add(
            field,
            format!("{} must be {max} characters or fewer", capitalise(label)),
        );
    } else if value.chars().any(|c| c.is_control() && !allowed_control(c)) {
        errors.add(
            field,
            format!("{} must not contain control characters", capitalise(label)),
        );
    }
    value.to_string()
}

/// Trims `value`; blank becomes `None`. Checks the length when present.
pub fn optional(
    errors: &mut ValidationErrors,
    field: &'static str,
    label: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        errors.add(
            field,
            format!("{} must be {max} characters or fewer", capitalise(label)),
        );
    }
    // Multi-line text (descriptions) may hold newlines and tabs, nothing else.
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(
            field,
            format!("{} must not contain control characters", capitalise(label)),
        );
    }
    Some(value.to_string())
}

fn capitalise(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn required_trims_and_reports_blank_and_long() {
        let mut errors = ValidationErrors::default();
        assert_eq!(
            required(&mut errors, "name", "a name", "  Hub  ", 10),
            "Hub"
        );
        assert!(errors.is_empty());
        required(&mut errors, "name", "a name", "   ", 10);
        required(&mut errors, "name", "a name", "abcdefghijk", 10);
        assert_eq!(errors.0[0].message, "Enter a name");
        assert_eq!(errors.0[1].message, "A name must be 10 characters or fewer");
    }

    #[test]
    fn multiline_text_keeps_its_line_breaks() {
        let mut errors = ValidationErrors::default();
        assert_eq!(
            required_multiline(&mut errors, "d", "a description", "One\r\nTwo", 50),
            "One\r\nTwo"
        );
        assert!(errors.is_empty());
        required_multiline(&mut errors, "d", "a description", "bell\u{7}", 50);
        assert_eq!(errors.0.len(), 1);
    }

    #[test]
    fn optional_blank_is_none() {
        let mut errors = ValidationErrors::default();
        assert_eq!(
            optional(&mut errors, "d", "a description", Some("  "), 5),
            None
        );
        assert_eq!(optional(&mut errors, "d", "a description", None, 5), None);
        assert!(errors.is_empty());
    }

    proptest! {
        #[test]
        fn required_never_panics_and_is_either_clean_or_reported(s in ".{0,300}") {
            let mut errors = ValidationErrors::default();
            let out = required(&mut errors, "name", "a name", &s, 200);
            let ok = !out.is_empty() && out.chars().count() <= 200 && !out.chars().any(char::is_control);
            prop_assert_eq!(errors.is_empty(), ok);
        }
    }
}
