//! The machine-readable form of results (`--json`).

use kvet_explore::{Exploration, StopReason, Violation};
use kvet_ir::Program;
use serde::Serialize;

#[derive(Serialize, Debug)]
pub struct ViolationJson {
    pub kind: String,
    pub cpu: u32,
    pub message: String,
    pub replay: String,
    pub trace: Vec<crate::trace::RowJson>,
}

#[derive(Serialize, Debug)]
pub struct CheckJson {
    pub file: String,
    pub test: String,
    pub verdict: String,
    pub states: u64,
    pub transitions: u64,
    pub complete: bool,
    pub stopped: Option<String>,
    pub outcomes: Vec<Vec<String>>,
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
