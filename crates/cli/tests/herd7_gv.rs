//! `herd7 -gv` without `-o`: herd7 writes the graph to a temporary `.dot`
//! file and runs gv on it; kvet runs no viewer, keeps the file and prints
//! its path on stderr.  herd's block on stdout is unchanged.

use std::process::Command;

#[test]
fn gv_without_o_writes_a_temp_dot_file() {
    let f = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/litmus/herd-catalogue/SB+poonceonces.litmus");
    let o = Command::new(env!("CARGO_BIN_EXE_herd7")).args(["-gv", f]).output().expect("run");
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(out.contains("Observation SB+poonceonces Sometimes 1 3\n"), "{out}");
    let path = err.split(" is in ").nth(1).and_then(|s| s.split(" (view it").next()).unwrap_or_else(|| panic!("{err}"));
    let dot = std::fs::read_to_string(path).expect("dot file");
    assert!(dot.starts_with("digraph \"SB+poonceonces\""), "{dot}");
    let _ = std::fs::remove_file(path);
}
