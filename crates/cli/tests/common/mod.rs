//! Helpers shared by the primitive-by-primitive tests (kernel.rs,
//! kernel_c.rs, sched.rs): a scenario body is wrapped in a litmus header,
//! explored with and without partial-order reduction, and the two
//! searches must agree on the findings and the outcomes.
#![allow(dead_code)]

use kvet_explore::{explore, Exploration, Options};

/// One scenario explored both ways.
pub struct Run {
    /// The sorted kinds found, or "ok".
    pub kinds: String,
    /// States of the reduced search.
    pub states: u64,
    /// States of the unreduced search.
    pub full_states: u64,
    /// Distinct final outcomes.
    pub outcomes: usize,
    /// Both searches were complete.
    pub complete: bool,
}

/// Explore `C t`, the `header` lines, `{}` and `body`.
pub fn run_with(header: &str, body: &str) -> Run {
    let src = format!("C t\n{header}{{}}\n{body}");
    let prog = kvet_ir::compile(&src)
        .unwrap_or_else(|e| panic!("{} at {:?}\n{src}", e.message, kvet_syntax::line_col(&src, e.span.lo)));
    let ex = explore(&prog, &Options::default());
    let full = explore(&prog, &Options { reduce: false, ..Options::default() });
    let names = |e: &Exploration| {
        let mut k: Vec<String> = e.violations.iter().map(|v| v.kind.name().to_string()).collect();
        k.sort();
        k.dedup();
        k
    };
    assert_eq!(names(&ex), names(&full), "reduction changed the findings\n{src}");
    assert_eq!(
        ex.outcomes.keys().collect::<Vec<_>>(),
        full.outcomes.keys().collect::<Vec<_>>(),
        "reduction changed the outcomes\n{src}"
    );
    let k = names(&ex);
    Run {
        kinds: if k.is_empty() { "ok".into() } else { k.join(", ") },
        states: ex.states,
        full_states: full.states,
        outcomes: ex.outcomes.len(),
        complete: ex.complete && full.complete,
    }
}

/// The sorted kinds kvet finds in `body`, or "ok".
pub fn kinds(body: &str) -> String {
    run_with("", body).kinds
}

/// The sorted kinds of a complete search of `body`, or "ok".
pub fn complete_kinds(body: &str) -> String {
    let r = run_with("", body);
    assert!(r.complete, "incomplete search\n{body}");
    r.kinds
}

/// The first finding's message.
pub fn message(body: &str) -> String {
    let src = format!("C t\n{{}}\n{body}");
    let prog = kvet_ir::compile(&src).unwrap_or_else(|e| panic!("{}\n{src}", e.message));
    let ex = explore(&prog, &Options::default());
    ex.violations.first().map(|v| v.message.clone()).unwrap_or_default()
}

/// The front end's error for `body`, with its notes.
pub fn error(body: &str) -> String {
    let src = format!("C t\n{{}}\n{body}");
    match kvet_ir::compile(&src) {
        Ok(_) => panic!("accepted:\n{src}"),
        Err(e) => format!("{} / {}", e.message, e.notes.join(" / ")),
    }
}
