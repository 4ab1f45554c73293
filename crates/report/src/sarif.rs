//! SARIF 2.1.0 output (OASIS Static Analysis Results Interchange Format,
//! <https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>):
//! one run of the `kvet` tool, one rule per finding kind, one result per
//! finding with its location (the step the finding points at) and a
//! codeFlow holding the trace: one threadFlow per CPU, whose locations
//! carry the global step order in `executionOrder`.

use crate::checked::CheckedFile;
use crate::trace::{level_rows, LevelRow, TraceLevel};
use kvet_syntax::{line_col, PRELUDE_BASE};
use serde_json::{json, Value};

/// The prelude's path in kvet's source tree, for trace steps inside it.
pub const PRELUDE_URI: &str = "crates/ir/src/prelude/kernel.h";

/// The rule id of a finding kind: `use-after-free`, `deadlock`, ...
pub fn rule_id(kind: kvet_explore::ViolationKind) -> String {
    kind.name().to_lowercase().replace(' ', "-")
}

fn location(file: &CheckedFile, row: &LevelRow, prelude: &str) -> Value {
    let (uri, text, off) = if row.offset >= PRELUDE_BASE {
        (PRELUDE_URI, prelude, row.offset - PRELUDE_BASE)
    } else {
        (file.path.as_str(), file.src.as_str(), row.offset)
    };
    let (line, col) = line_col(text, off);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri.replace('\\', "/") },
            "region": { "startLine": line, "startColumn": col }
        },
        "message": { "text": format!("CPU{}: {}", row.cpu, row.text()) }
    })
}

/// The SARIF log of a check.
pub fn sarif_log(files: &[CheckedFile], prelude: &str, version: &str) -> Value {
    let mut kinds: Vec<kvet_explore::ViolationKind> =
        files.iter().flat_map(|f| f.findings.iter().map(|x| x.violation.kind)).collect();
    kinds.sort();
    kinds.dedup();
    let rules: Vec<Value> = kinds
        .iter()
        .map(|k| {
            json!({
                "id": rule_id(*k),
                "name": k.name(),
                "shortDescription": { "text": format!("kvet finding: {}", k.name()) },
                "defaultConfiguration": { "level": if k.is_bug() { "error" } else { "note" } }
            })
        })
        .collect();
    let mut results = Vec::new();
    for f in files {
        for x in &f.findings {
            let rows = level_rows(&f.prog, &x.trace, &f.src, prelude, TraceLevel::Scenario);
            let ncpu = f.prog.threads.len();
            let mut flows: Vec<Vec<Value>> = vec![Vec::new(); ncpu];
            for (k, r) in rows.iter().enumerate() {
                let mut loc = json!({
                    "location": location(f, r, prelude),
                    "executionOrder": k + 1,
                    "nestingLevel": if r.inner { 1 } else { 0 },
                });
                if r.suffix.contains("<-- here") || r.suffix.contains("...waits") {
                    loc["importance"] = json!("essential");
                }
                if let Some(v) = flows.get_mut(r.cpu as usize) {
                    v.push(loc);
                }
            }
            let thread_flows: Vec<Value> = flows
                .into_iter()
                .enumerate()
                .filter(|(_, l)| !l.is_empty())
                .map(|(c, l)| json!({ "id": format!("CPU{c}"), "message": { "text": format!("CPU{c}") }, "locations": l }))
                .collect();
            // the finding's own location: the step it points at
            let at = rows
                .iter()
                .rev()
                .find(|r| r.suffix.contains("<-- here") || r.suffix.contains("...waits"))
                .or(rows.last());
            let locations: Vec<Value> = at.map(|r| vec![location(f, r, prelude)]).unwrap_or_default();
            results.push(json!({
                "ruleId": rule_id(x.violation.kind),
                "level": if x.violation.kind.is_bug() { "error" } else { "note" },
                "message": { "text": format!("{}: {}", x.violation.kind.name(), x.violation.message) },
                "locations": locations,
                "codeFlows": [{
                    "message": { "text": format!("replay: kvet replay {} {}", f.path, x.replay) },
                    "threadFlows": thread_flows
                }],
                "properties": { "replay": x.replay }
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "kvet", "version": version, "rules": rules } },
            "results": results
        }]
    })
}
