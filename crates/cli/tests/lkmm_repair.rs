//! Naming the repair of a weak-memory-only finding (`kvet check`, issue
//! 8): the barrier or stronger access that forbids every failing
//! execution, re-checked under the LKMM, with exact words; and each
//! suggested repair, made by hand in the source, really passes.

mod common;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `kvet check ARGS FILE`: stdout and the exit code.
fn check(args: &[&str], file: &str) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_kvet"))
        .arg("check")
        .args(args)
        .arg(file)
        .current_dir(root())
        .env_remove("KVET_LKMM_UNROLL")
        .output()
        .unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.code().unwrap_or(-1))
}

fn write(name: &str, text: &str) -> String {
    common::write_temp("repair", &format!("{name}.kvet"), text)
}

fn repair_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("repair: ")).collect()
}

/// The first line: the verdict and which models cover it.
fn verdict(out: &str) -> String {
    let l = out.lines().next().unwrap_or_default();
    // drop the timings
    l.split("  ").filter(|w| !w.ends_with('s') || w.starts_with('[')).collect::<Vec<_>>().join("  ")
}

#[test]
fn done_flag_is_repaired_by_an_acquire_load() {
    let (out, code) = check(&[], "examples/kernel/done-flag.kvet");
    assert_eq!(code, 1, "{out}");
    let r = repair_lines(&out);
    // one block per weak-memory finding (BUG, data race), the same repairs
    let want = [
        "repair: READ_ONCE(req.done) [33] as smp_load_acquire() (CPU1) forbids every failing execution (re-checked: lkmm ok)",
        "repair: an smp_mb() after READ_ONCE(req.done) [33] and before BUG_ON(req.result != 42) [35] (CPU1) forbids every failing execution (re-checked: lkmm ok)",
    ];
    assert_eq!(r, [want[0], want[1], want[0], want[1]], "{out}");
    // done-flag-fixed.kvet makes the first repair: it passes both models
    let (out, code) = check(&[], "examples/kernel/done-flag-fixed.kvet");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[sc: ok; lkmm: ok]"), "{out}");
    // and so does the second, made in the source
    let src = std::fs::read_to_string(root().join("examples/kernel/done-flag.kvet")).unwrap();
    let fixed = src.replace("\tBUG_ON(req.result", "\tsmp_mb();\n\tBUG_ON(req.result");
    let (out, code) = check(&[], &write("done-flag-mb", &fixed));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[sc: ok; lkmm: ok]"), "{out}");
}

#[test]
fn set_current_state_is_repaired_by_a_full_barrier_after_the_state() {
    let (out, code) = check(&[], "examples/kernel/set-current-state.kvet");
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        repair_lines(&out),
        ["repair: an smp_mb() after __set_current_state(TASK_UNINTERRUPTIBLE) [30] and before READ_ONCE(done) [31] (CPU0) forbids every failing execution (re-checked: lkmm ok)"],
        "{out}"
    );
    // set_current_state() is that store and an smp_mb()
    let (out, code) = check(&[], "examples/kernel/set-current-state-fixed.kvet");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[sc: ok; lkmm: ok]"), "{out}");
    let src = std::fs::read_to_string(root().join("examples/kernel/set-current-state.kvet")).unwrap();
    let fixed = src.replacen("\t\tif (READ_ONCE(done))", "\t\tsmp_mb();\n\t\tif (READ_ONCE(done))", 1);
    let (out, code) = check(&[], &write("set-current-state-mb", &fixed));
    assert_eq!(code, 0, "{out}");
}

const DEKKER: &str = "C dekker\n{}\n\nint flag0;\nint flag1;\nint counter;\n\n\
P0(void)\n{\n\tWRITE_ONCE(flag0, 1);\n\tif (!READ_ONCE(flag1))\n\t\tcounter++;\n}\n\n\
P1(void)\n{\n\tWRITE_ONCE(flag1, 1);\n\tif (!READ_ONCE(flag0))\n\t\tcounter++;\n}\n";

#[test]
fn store_buffering_needs_a_barrier_on_both_sides() {
    let (out, code) = check(&[], &write("dekker", DEKKER));
    assert_eq!(code, 1, "{out}");
    assert_eq!(verdict(&out).split(": ").nth(1).unwrap_or_default().split("  ").next(), Some("DATA RACE"), "{out}");
    assert_eq!(
        repair_lines(&out),
        ["repair: an smp_mb() after WRITE_ONCE(flag0, 1) [10] and before READ_ONCE(flag1) [11] (CPU0), with an smp_mb() after WRITE_ONCE(flag1, 1) [17] and before READ_ONCE(flag0) [18] (CPU1) forbid every failing execution (re-checked: lkmm ok)"],
        "{out}"
    );
    let fixed = DEKKER.replace("\tif (!READ_ONCE", "\tsmp_mb();\n\tif (!READ_ONCE");
    let (out, code) = check(&[], &write("dekker-mb", &fixed));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[sc: ok; lkmm: ok]"), "{out}");
    // one barrier alone is not enough
    let half = DEKKER.replacen("\tif (!READ_ONCE", "\tsmp_mb();\n\tif (!READ_ONCE", 1);
    let (out, code) = check(&[], &write("dekker-half", &half));
    assert_eq!(code, 1, "{out}");
}

const INC: &str = "C inc-then-read\n{}\n\natomic_t pending;\nint waiting;\nint counter;\n\n\
P0(void)\n{\n\tatomic_inc(&pending);\n\tif (!READ_ONCE(waiting))\n\t\tcounter++;\n}\n\n\
P1(void)\n{\n\tWRITE_ONCE(waiting, 1);\n\tsmp_mb();\n\tif (!atomic_read(&pending))\n\t\tcounter++;\n}\n";

#[test]
fn a_void_atomic_is_repaired_by_smp_mb_after_atomic() {
    let (out, code) = check(&[], &write("inc", INC));
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        repair_lines(&out),
        [
            "repair: an smp_mb__after_atomic() after atomic_inc(&pending) [10] (CPU0) forbids every failing execution (re-checked: lkmm ok)",
            "repair: an smp_mb() after atomic_inc(&pending) [10] and before READ_ONCE(waiting) [11] (CPU0) forbids every failing execution (re-checked: lkmm ok)",
        ],
        "{out}"
    );
    let fixed = INC.replace("\tatomic_inc(&pending);", "\tatomic_inc(&pending);\n\tsmp_mb__after_atomic();");
    let (out, code) = check(&[], &write("inc-fixed", &fixed));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn json_carries_the_repair() {
    let (out, _) = check(&["--json"], "examples/kernel/set-current-state.kvet");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let w = v[0]["violations"].as_array().unwrap().iter().find(|x| x["model"] == "lkmm").unwrap().clone();
    assert_eq!(
        w["repair"],
        serde_json::json!([{
            "fixes": ["an smp_mb() after __set_current_state(TASK_UNINTERRUPTIBLE) [30] and before READ_ONCE(done) [31] (CPU0)"],
            "rechecked": "lkmm ok"
        }])
    );
}

#[test]
fn message_passing_is_repaired_by_a_writer_side_barrier_and_an_acquire() {
    // the lighter pair (memory-barriers.txt's pairing) is named before
    // any pair of full barriers, with the kernel's names for the accesses
    let (out, code) = check(&[], "examples/basics/locked-update.kvet");
    assert_eq!(code, 1, "{out}");
    let want = "repair: an smp_mb__before_atomic() before atomic_inc(&done) [26] (CPU0), with atomic_read(&done) [37] as atomic_read_acquire() (CPU1) forbid every failing execution (re-checked: lkmm ok)";
    // one block per weak-memory finding (assertion failure, data race)
    assert_eq!(repair_lines(&out), [want, want], "{out}");
    let src = std::fs::read_to_string(root().join("examples/basics/locked-update.kvet")).unwrap();
    let fixed = src
        .replace("\tatomic_inc(&done);", "\tsmp_mb__before_atomic();\n\tatomic_inc(&done);")
        .replace("atomic_read(&done) == 2", "atomic_read_acquire(&done) == 2");
    let (out, code) = check(&[], &write("locked-update-fixed", &fixed));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[sc: ok; lkmm: ok]"), "{out}");
    // either half alone is not enough
    let half = src.replace("atomic_read(&done) == 2", "atomic_read_acquire(&done) == 2");
    assert_eq!(check(&[], &write("locked-update-half", &half)).1, 1);
}
