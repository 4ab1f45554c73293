//! kvet's front end: the lexer, the `#define` expander and the
//! recursive-descent parser for herd7's C litmus format and kvet's
//! scenario extensions (see `docs/language.md`).
//!
//! Parsing never panics: every failure is an [`Error`] with a [`Span`].

#![warn(missing_docs)]

mod ast;
mod error;
mod expand;
mod herd_hash;
mod lexer;
mod md5;
mod parser;
mod span;
mod verdicts;

pub use ast::*;
pub use error::Error;
pub use herd_hash::herd_hash;
pub use parser::{parse, parse_with_prelude, MAX_CPUS};
pub use span::{line_byte_col, line_col, Span, PRELUDE_BASE};
pub use verdicts::{herd_verdicts, HerdRow};
