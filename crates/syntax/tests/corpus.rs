//! Every C litmus test of the shared corpus parses; every other one is
//! refused with the "not a C litmus test" error.

use std::path::Path;

mod common;
use common::{litmus_files, CORPUS};

#[test]
fn corpus() {
    let files = litmus_files(Path::new(CORPUS));
    assert_eq!(files.len(), 1057, "corpus not found or changed at {CORPUS}");
    let (mut c_ok, mut other_ok, mut with_quant) = (0, 0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable corpus file");
        let is_c = text.split_whitespace().next() == Some("C");
        let res = kvet_syntax::parse(&text);
        let name = f.strip_prefix(CORPUS).unwrap_or(f).display().to_string();
        match (is_c, res) {
            (true, Ok(file)) => {
                c_ok += 1;
                if !file.items.iter().any(|i| matches!(i, kvet_syntax::Item::Proc(_))) {
                    failures.push(format!("{name}: no process parsed"));
                }
                if file.fin.quant.is_some() {
                    with_quant += 1;
                }
            }
            (true, Err(e)) => {
                let (l, c) = kvet_syntax::line_col(&text, e.span.lo);
                failures.push(format!("{name}:{l}:{c}: {} [{}] {:?}", e.message, e.label, e.notes));
            }
            (false, Err(e)) if e.message.starts_with("not a C litmus test") => other_ok += 1,
            (false, Err(e)) => failures.push(format!("{name}: wrong error for a non-C test: {}", e.message)),
            (false, Ok(_)) => failures.push(format!("{name}: a non-C test parsed")),
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    eprintln!("parsed {c_ok} C tests, refused {other_ok} others, {} failures", failures.len());
    assert!(failures.is_empty(), "{} corpus failures", failures.len());
    assert_eq!(c_ok, 878);
    assert_eq!(other_ok, 179);
    // Only paulmck-manual/locked/self-deadlock.litmus has no final condition.
    assert_eq!(with_quant, 877);
}
