//! Form errors for GOV.UK error summaries and inline messages.

use convene_domain::text::{FieldError, ValidationErrors};

/// The problems with a submitted form, in the order to show them.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn one(field: &'static str, message: impl Into<String>) -> Self {
        Self(vec![FieldError {
            field,
            message: message.into(),
        }])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for `field`, if it has one (for the inline error).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }
}

impl From<ValidationErrors> for FormErrors {
    fn from(errors: ValidationErrors) -> Self {
        Self(errors.0)
    }
}
