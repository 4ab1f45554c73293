//! kvet's intermediate representation: the lowered program that both the
//! explicit-state explorer and the axiomatic LKMM engine consume, and the
//! lowering from the syntax tree.
//!
//! Invariant: each [`Instr`] does at most one shared-memory or
//! synchronization action, and every [`Step`] carries its source span.

#![warn(missing_docs)]

mod ctypes;
mod defuse;
mod eval;
mod kernel;
mod kthread_bind;
mod kworkers;
mod lower;
mod observation;
mod opt;
pub mod patch;
mod prims;
mod program;
mod scan;
mod sched;
mod suggest;
mod time;
mod types;

pub use eval::{eval_bin, eval_un};
pub use lower::{lower, MAX_INLINE_DEPTH};
pub use observation::Observation;
pub use program::*;
pub use types::{LockTy, Ty};

/// The kernel-like C every scenario sees (its definitions are weak).
pub const PRELUDE: &str = concat!(include_str!("../prelude/kernel.h"), include_str!("../prelude/sched.h"));

/// Parse (with the prelude) and lower a source text in one go.
pub fn compile(src: &str) -> Result<Program, kvet_syntax::Error> {
    let file = kvet_syntax::parse_with_prelude(PRELUDE, src)?;
    lower(&file, src, PRELUDE)
}
