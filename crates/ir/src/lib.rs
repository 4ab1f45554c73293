//! kvet's intermediate representation: the lowered program that both the
//! explicit-state explorer and the axiomatic LKMM engine consume, and the
//! lowering from the syntax tree.
//!
//! Invariant: each [`Instr`] does at most one shared-memory or
//! synchronization action, and every [`Step`] carries its source span.

mod cond;
mod kernel;
mod lower;
mod opt;
mod prims;
mod program;
mod types;

pub use lower::{eval_bin, eval_un, lower, MAX_INLINE_DEPTH};
pub use program::*;
pub use types::{LockTy, Ty};

/// Parse and lower a source text in one go.
pub fn compile(src: &str) -> Result<Program, kvet_syntax::Error> {
    let file = kvet_syntax::parse(src)?;
    lower(&file, src, "")
}
