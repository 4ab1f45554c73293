//! The report layer: it owns all formatting. Diagnostics with the source
//! line underlined, herd7's output block, CPU-column counterexample
//! traces in the style of kernel mailing-list race diagrams, and the
//! `--json` form of every result.

mod diag;
mod herd;
mod json;
mod lkmm_trace;
mod trace;

pub use diag::render_error;
pub use herd::{hash_line, herd_block, Counts};
pub use json::{check_json, CheckJson, ViolationJson};
pub use lkmm_trace::{display_order, lkmm_finding_json, lkmm_rows, render_lkmm_trace, LkmmFindingJson};
pub use trace::{render_trace, trace_rows, RowText};
