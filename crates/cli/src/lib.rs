//! The library half of the `kvet` package: what both binaries (`kvet`
//! and the drop-in `herd7`) share. [`input`] reads and compiles one
//! scenario once (source, AST, program, herd7's hash) and walks
//! directories for them; [`axiomatic`] chooses, finds and runs an
//! axiomatic model over a program; [`herd7`] is herd7's command line.
//! I/O lives here and in the binaries, never in the engines.

#![warn(missing_docs)]

pub mod axiomatic;
pub mod herd7;
pub mod input;

pub use input::{walk, Input, LoadError};
