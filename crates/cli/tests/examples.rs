//! Every scenario under `examples/` states its expected verdict in its
//! header (`Expect: ok`, `Expect: deadlock`, ...); kvet must give exactly
//! that. Adding an example means adding a file.

use kvet_explore::{explore, Options};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "kvet") {
            out.push(p);
        }
    }
}

/// The first-found bug kind, or "ok".
fn verdict(src: &str) -> String {
    let prog = kvet_ir::compile(src).unwrap_or_else(|e| panic!("{} at {:?}", e.message, kvet_syntax::line_col(src, e.span.lo)));
    let ex = explore(&prog, &Options::default());
    assert!(ex.complete, "search incomplete");
    // partial-order reduction must not change what is found, nor the outcomes
    let full = explore(&prog, &Options { reduce: false, ..Options::default() });
    let names = |e: &kvet_explore::Exploration| {
        let mut k: Vec<_> = e.violations.iter().map(|v| v.kind).collect();
        k.sort();
        k
    };
    assert_eq!(names(&ex), names(&full), "reduction changed the findings");
    assert_eq!(ex.outcomes.keys().collect::<Vec<_>>(), full.outcomes.keys().collect::<Vec<_>>(), "reduction changed the outcomes");
    let mut kinds: Vec<_> = ex.violations.iter().filter(|v| v.kind.is_bug()).map(|v| v.kind.name().to_lowercase()).collect();
    kinds.sort();
    kinds.dedup();
    if kinds.is_empty() {
        "ok".to_string()
    } else {
        kinds.join(", ")
    }
}

#[test]
fn examples_give_their_expected_verdicts() {
    let mut all = Vec::new();
    files(&PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")), &mut all);
    all.sort();
    assert!(!all.is_empty());
    let mut bad = Vec::new();
    for f in &all {
        let src = std::fs::read_to_string(f).unwrap();
        let Some(line) = src.lines().find(|l| l.contains("Expect:")) else {
            bad.push(format!("{}: no `Expect:` line in the header", f.display()));
            continue;
        };
        // `Expect: kind[, kind...]`: exactly the kinds found, in any order
        let raw = line.split("Expect:").nth(1).unwrap().trim().trim_end_matches("*)").trim().to_lowercase();
        let mut kinds: Vec<&str> = raw.split(',').map(str::trim).collect();
        kinds.sort();
        let want = kinds.join(", ");
        let got = verdict(&src);
        if got != want {
            bad.push(format!("{}: expected {want}, kvet says {got}", f.display()));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
