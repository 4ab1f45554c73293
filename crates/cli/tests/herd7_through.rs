//! `herd7 -through invalid|all`: the executions failing the model's checks
//! are counted (see `kvet_axiom::Through`).

use std::process::Command;

fn herd7(args: &[&str]) -> (String, String, i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_herd7")).args(args).output().expect("run herd7");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

fn strip(s: &str) -> String {
    s.lines().filter(|l| !l.starts_with("Time ") && !l.starts_with("Hash=")).map(|l| format!("{l}\n")).collect()
}

#[test]
fn through_lets_sb_with_mb_through() {
    let f = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/litmus/herd-catalogue/SB+fencembonceonces.litmus");
    let want = "Test SB+fencembonceonces Allowed\nStates 4\n0:r0=0; 1:r0=0;\n0:r0=0; 1:r0=1;\n\
                0:r0=1; 1:r0=0;\n0:r0=1; 1:r0=1;\nOk\nWitnesses\nPositive: 1 Negative: 3\n\
                Condition exists (0:r0=0 /\\ 1:r0=0)\nObservation SB+fencembonceonces Sometimes 1 3\n\n";
    for t in ["invalid", "all", "INVALID"] {
        let (out, err, code) = herd7(&["-through", t, f]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(strip(&out), want);
    }
    let (out, _, _) = herd7(&["-through", "none", f]);
    assert!(out.contains("Observation SB+fencembonceonces Never 0 3\n"), "{out}");
    let (_, err, code) = herd7(&["-through", "some", f]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("herd7: wrong argument 'some'; option '-through' expects one of: all invalid none."),
        "{err}"
    );
}
