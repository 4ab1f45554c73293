//! Helpers shared by the CLI tests: a temporary input file ([`write_temp`]),
//! and for the primitive-by-primitive tests (kernel.rs,
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

/// `actual` must be `expected`, an inline string literal at the caller's
/// line or after it. With `UPDATE_EXPECT=1` a different `actual` is
/// written into the test's source in its place instead (as rust-analyzer's
/// expect-test does), and the test passes: review the diff.
#[track_caller]
pub fn expect(actual: &str, expected: &str) {
    if actual.trim() == expected.trim() {
        return;
    }
    let at = std::panic::Location::caller();
    if std::env::var_os("UPDATE_EXPECT").is_none() {
        panic!(
            "{}:{}: expected\n{expected}\ngot\n{actual}\n(UPDATE_EXPECT=1 writes the new value into the test)",
            at.file(),
            at.line()
        );
    }
    update_literal(at, expected, actual);
}

/// Replace the first string literal `expected` at or after the caller's
/// line by `actual` (both as Rust string literals).
fn update_literal(at: &std::panic::Location, expected: &str, actual: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join(at.file());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let from: usize = text.split_inclusive('\n').take(at.line() as usize - 1).map(str::len).sum();
    let old = format!("{expected:?}");
    let Some(i) = text[from..].find(&old) else {
        panic!("{}:{}: cannot find the literal {old} to update", at.file(), at.line());
    };
    let mut new = text.clone();
    new.replace_range(from + i..from + i + old.len(), &format!("{:?}", actual.trim()));
    std::fs::write(&path, new).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Write `text` to `NAME` in a per-process temporary directory named after
/// `tag`, and return its path (the CLI tests' input files).
pub fn write_temp(tag: &str, name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("kvet-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}
