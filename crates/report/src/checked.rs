//! The results of `kvet check` on a set of files, as the file-level
//! reports (SARIF, HTML) read them: each file's source, program, verdict
//! and findings with their traces and replay tokens.

use kvet_explore::{Trace, Violation};
use kvet_ir::Program;

/// One finding: the violation, its replay token and its trace.
#[derive(Clone, Debug)]
pub struct Finding {
    pub violation: Violation,
    pub replay: String,
    pub trace: Trace,
}

/// One checked file.
#[derive(Clone, Debug)]
pub struct CheckedFile {
    /// The path as given on the command line.
    pub path: String,
    pub src: String,
    pub prog: Program,
    /// `OK`, `DEADLOCK`, `INCOMPLETE`, ...
    pub verdict: String,
    pub states: u64,
    pub findings: Vec<Finding>,
}
