//! The machine-readable form of results (`--json`).

use kvet_explore::{Exploration, StopReason, Violation};
use kvet_ir::Program;
use serde::Serialize;

/// One SC finding in `--json` (docs/json.md).
#[derive(Serialize, Debug)]
pub struct ViolationJson {
    /// The finding's kind (`deadlock`, `data race`, ...).
    pub kind: String,
    /// The CPU it happened on.
    pub cpu: u32,
    /// Its message.
    pub message: String,
    /// Its replay token.
    pub replay: String,
    /// The trace's rows.
    pub trace: Vec<crate::trace::RowJson>,
}

/// One file's SC check in `--json` (docs/json.md).
#[derive(Serialize, Debug)]
pub struct CheckJson {
    /// The file as given.
    pub file: String,
    /// The test's name.
    pub test: String,
    /// The verdict word (`OK`, `DEADLOCK`, `INCOMPLETE`, ...).
    pub verdict: String,
    /// States stored.
    pub states: u64,
    /// Transitions taken.
    pub transitions: u64,
    /// The search covered every state.
    pub complete: bool,
    /// The bound that stopped the search, if one did.
    pub stopped: Option<String>,
    /// The final outcomes, as herd7 prints the observed values.
    pub outcomes: Vec<Vec<String>>,
    /// The findings.
    pub violations: Vec<ViolationJson>,
}

/// Build the JSON form of a check. `traces` holds, for each violation,
/// its rendered rows and replay token.
pub fn check_json(
    file: &str,
    p: &Program,
    ex: &Exploration,
    verdict: &str,
    traces: Vec<(Violation, String, Vec<crate::RowText>)>,
) -> CheckJson {
    CheckJson {
        file: file.to_string(),
        test: p.name.clone(),
        verdict: verdict.to_string(),
        states: ex.states,
        transitions: ex.transitions,
        complete: ex.complete,
        stopped: ex.stopped.map(|s| match s {
            StopReason::States(n) => format!("state bound {n}"),
            StopReason::Time(t) => format!("time bound {t}s"),
            StopReason::Memory(m) => format!("memory bound {m} bytes"),
        }),
        outcomes: ex
            .outcomes
            .keys()
            .map(|o| {
                o.iter()
                    .enumerate()
                    .map(|(i, v)| format!("{}={}", p.observed_name(&p.observed[i]), p.show_val(*v, true)))
                    .collect()
            })
            .collect(),
        violations: traces
            .into_iter()
            .map(|(v, replay, rows)| ViolationJson {
                kind: v.kind.name().to_string(),
                cpu: v.thread,
                message: v.message,
                replay,
                trace: rows
                    .into_iter()
                    .map(|r| crate::trace::RowJson { cpu: r.cpu, text: r.text, line: r.line })
                    .collect(),
            })
            .collect(),
    }
}
