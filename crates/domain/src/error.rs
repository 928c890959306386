//! Errors about input: what a clerk typed, or what a client sent.

use serde::Serialize;

/// Why a single value was refused, in Chinese, without naming the field
/// ("校验位不正确，请核对最后一位"). Attach the field with [`Invalid::at`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    /// A reason in Chinese.
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }

    /// Names the field the reason is about.
    pub fn at(self, field: &str, label: &str) -> FieldError {
        FieldError::new(field, label, self.0)
    }
}

/// A refused value with the field it belongs to: the message a user sees names the field (by its
/// Chinese label) and the reason, e.g. "来电人身份证号码：校验位不正确，请核对最后一位".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{label}：{reason}")]
pub struct FieldError {
    /// The machine name of the field (`caller_idcard`).
    pub field: String,
    /// The Chinese label shown next to the field (`来电人身份证号码`).
    pub label: String,
    /// Why it was refused (`校验位不正确，请核对最后一位`).
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, label: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), label: label.into(), reason: reason.into() }
    }

    /// The full message, field label first.
    pub fn message(&self) -> String {
        self.to_string()
    }
}
