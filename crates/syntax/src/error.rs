//! Front-end errors: every error carries the span it is about.

use crate::Span;

/// A user error in the input file: a message, the primary span to
/// underline, and optional notes (hints) printed below it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What is wrong.
    pub message: String,
    /// Where: the span to underline.
    pub span: Span,
    /// A short label printed under the underline (may be empty).
    pub label: String,
    /// Hints printed below the excerpt.
    pub notes: Vec<String>,
    /// The error is a call of a function that is neither a primitive nor
    /// defined: its name (herd7 reports it as an unknown macro).
    pub unknown_function: Option<String>,
}

impl Error {
    /// An error at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Error {
        Error { message: message.into(), span, label: String::new(), notes: Vec::new(), unknown_function: None }
    }

    /// With a label under the underline.
    pub fn with_label(mut self, label: impl Into<String>) -> Error {
        self.label = label.into();
        self
    }

    /// Marked as a call of the unknown function `name`.
    pub fn with_unknown_function(mut self, name: impl Into<String>) -> Error {
        self.unknown_function = Some(name.into());
        self
    }

    /// With one more note.
    pub fn with_note(mut self, note: impl Into<String>) -> Error {
        self.notes.push(note.into());
        self
    }
}
