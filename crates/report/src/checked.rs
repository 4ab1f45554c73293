//! The results of `kvet check` on a set of files, as the file-level
//! reports (SARIF, HTML) read them: each file's source, program, verdict
//! and findings with their traces and replay tokens.

use kvet_explore::{TraceRecord, Violation};
use kvet_ir::Program;

/// One finding: the violation, its replay token and its trace.
#[derive(Clone, Debug)]
pub struct Finding {
    /// What was found.
    pub violation: Violation,
    /// Its replay token.
    pub replay: String,
    /// The replayed trace.
    pub trace: TraceRecord,
}

/// One checked file.
#[derive(Clone, Debug)]
pub struct CheckedFile {
    /// The path as given on the command line.
    pub path: String,
    /// Its source text.
    pub src: String,
    /// The lowered program.
    pub prog: Program,
    /// `OK`, `DEADLOCK`, `INCOMPLETE`, ...
    pub verdict: String,
    /// States of the SC search.
    pub states: u64,
    /// The SC findings, with their traces.
    pub findings: Vec<Finding>,
}
