//! The one error type of the domain layer: a value failed a rule.

/// A value that breaks a domain rule, with the field it came from and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct CoreError {
    pub field: &'static str,
    pub reason: String,
}

impl CoreError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}
