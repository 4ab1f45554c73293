//! herd's `-speedcheck` (top_herd.ml): `true` discards the executions
//! whose final state cannot settle the condition (for `exists` and
//! `~exists` the ones that do not satisfy it, for `forall` the ones that
//! do), so the Observation is Never/Sometimes (exists) or
//! Always/Sometimes (forall); `fast` also stops at the first execution
//! that settles it.  In `kvet herd7` and in `kvet litmus --speedcheck`.

mod common;
use std::process::Command;

fn run(bin: &str, args: &[&str]) -> String {
    let o = Command::new(bin).args(args).output().expect("run");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(name: &str, text: &str) -> String {
    common::write_temp("speedcheck", &format!("{name}.litmus"), text)
}

fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines().find(|l| l.starts_with(key)).unwrap_or_default()
}

/// Store buffering: 4 executions, 1 with both reads 0.
const SB: &str = "C SB\n\n{}\n\nP0(int *x, int *y)\n{\n\tint r0;\n\n\tWRITE_ONCE(*x, 1);\n\tr0 = READ_ONCE(*y);\n}\n\n\
P1(int *x, int *y)\n{\n\tint r0;\n\n\tWRITE_ONCE(*y, 1);\n\tr0 = READ_ONCE(*x);\n}\n\nexists (0:r0=0 /\\ 1:r0=0)\n";

#[test]
fn speedcheck_discards_and_stops() {
    let herd7 = env!("CARGO_BIN_EXE_herd7");
    let f = write("SB", SB);
    let out = run(herd7, &[&f]);
    assert_eq!(line(&out, "Observation"), "Observation SB Sometimes 1 3", "{out}");
    for mode in ["true", "fast"] {
        let out = run(herd7, &["-speedcheck", mode, &f]);
        assert_eq!(line(&out, "Observation"), "Observation SB Sometimes 1 0", "{mode}: {out}");
        assert_eq!(line(&out, "States"), "States 1", "{mode}: {out}");
        assert!(out.contains("\nOk\n"), "{out}");
    }
    // ~exists: the same discarding; No
    let g = write("SB-not", &SB.replace("exists (", "~exists (").replace("C SB", "C SBnot"));
    let out = run(herd7, &["-speedcheck", "true", &g]);
    assert_eq!(line(&out, "Observation"), "Observation SBnot Sometimes 1 0", "{out}");
    assert!(out.contains("\nNo\n"), "{out}");
    // forall: the executions satisfying it are discarded
    let h = write(
        "SB-all",
        &SB.replace("exists (0:r0=0 /\\ 1:r0=0)", "forall (0:r0=1 \\/ 1:r0=1)").replace("C SB", "C SBall"),
    );
    let out = run(herd7, &[&h]);
    assert_eq!(line(&out, "Observation"), "Observation SBall Sometimes 3 1", "{out}");
    let out = run(herd7, &["-speedcheck", "true", &h]);
    assert_eq!(line(&out, "Observation"), "Observation SBall Sometimes 0 1", "{out}");
    assert!(out.contains("\nNo\n"), "{out}");
    // a condition no execution satisfies: everything is discarded
    let n =
        write("SB-never", &SB.replace("exists (0:r0=0 /\\ 1:r0=0)", "exists (0:r0=2)").replace("C SB", "C SBnever"));
    let out = run(herd7, &["-speedcheck", "fast", &n]);
    assert_eq!(line(&out, "Observation"), "Observation SBnever Never 0 0", "{out}");
    assert_eq!(line(&out, "States"), "States 0", "{out}");
    // kvet litmus --speedcheck
    let kvet = env!("CARGO_BIN_EXE_kvet");
    let out = run(kvet, &["litmus", "--speedcheck", "fast", &f]);
    assert_eq!(line(&out, "Observation"), "Observation SB Sometimes 1 0", "{out}");
    let out = run(kvet, &["litmus", &f]);
    assert_eq!(line(&out, "Observation"), "Observation SB Sometimes 1 3", "{out}");
}
