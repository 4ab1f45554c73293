//! `kvet check --model sc|lkmm|both`: what each model reports, the
//! verdict line saying which model covers what, and the located error for
//! a construct the LKMM engine does not model (never a silent drop).

use std::process::Command;

fn kvet(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_kvet")).args(args).output().expect("run kvet");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn example(p: &str) -> String {
    format!("{}/../../examples/{p}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn weak_memory_only_hang() {
    let f = example("kernel/set-current-state.kvet");
    let (code, out, _) = kvet(&["check", "--model", "sc", &f]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(": OK  states 53 ") && !out.contains("[sc"), "{out}");
    let (code, out, _) = kvet(&["check", &f]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(": HANG  states 53 ") && out.contains("[sc: ok; lkmm: hang (weak memory only)]"), "{out}");
    assert!(out.contains("hang (weak memory only) in "), "{out}");
    assert!(out.contains("(stale)") && out.contains("weak: [47] CPU1 reads sleeper = 0: CPU0's rcu_assign_pointer(sleeper, current) [28] is not yet visible"), "{out}");
    let (code, out, _) = kvet(&["check", "--model", "lkmm", &f]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(": HANG  executions ") && out.contains("[lkmm: hang]") && out.contains("hang (lkmm) in "),
        "{out}"
    );
    // the fixed version is verified under both
    let (code, out, _) = kvet(&["check", &example("kernel/set-current-state-fixed.kvet")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(": OK  states 53 ") && out.contains("[sc: ok; lkmm: ok]"), "{out}");
}

#[test]
fn json_says_which_model() {
    let (_, out, _) = kvet(&["check", "--json", &example("kernel/set-current-state.kvet")]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let f = &v[0];
    assert_eq!(f["models"], serde_json::json!(["sc", "lkmm"]));
    assert_eq!(f["ok"], serde_json::json!(["sc"]));
    assert_eq!(f["verdict"], "HANG");
    let vs = f["violations"].as_array().expect("violations");
    assert_eq!(vs.len(), 1, "{out}");
    assert_eq!(vs[0]["model"], "lkmm");
    assert_eq!(vs[0]["kind"], "hang");
    assert_eq!(vs[0]["weak_memory_only"], true);
}

#[test]
fn unmodelled_construct_is_named_with_its_location() {
    // bit spinlocks are not modelled under the LKMM yet
    let dir = std::env::temp_dir().join(format!("kvet-unmodelled-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bitlock.kvet");
    let src = "C bitlock\n{}\nunsigned long word;\nint x;\nP0(void)\n{\n\tbit_spin_lock(0, &word);\n\tx = 1;\n\tbit_spin_unlock(0, &word);\n}\nP1(void)\n{\n\tbit_spin_lock(0, &word);\n\tx = 2;\n\tbit_spin_unlock(0, &word);\n}\n";
    std::fs::write(&f, src).unwrap();
    let f = f.to_str().unwrap();
    let (code, out, err) = kvet(&["check", "--model", "lkmm", f]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("not supported by the LKMM engine: Bit(0) locks (`bit_spin_lock(0, &word)`)")
            && err.contains("bitlock.kvet:7:2"),
        "{err}"
    );
    // under both: the SC verdict stands, and the line says why the LKMM was not checked
    let (code, out, _) = kvet(&["check", f]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(": OK  states 13 ")
            && out.contains("lkmm: not checked: bit_spin_lock(0, &word) at ")
            && out.contains("bitlock.kvet:7:2 is not modelled]"),
        "{out}"
    );
}

/// IPIs under the LKMM (crates/axiom/src/gen/thread/ipi.rs): seed 001's
/// three-CPU deadlock through an IPI that CPU0, spinning with interrupts
/// off, never answers; the fix (an RCU walk instead of the read lock) is
/// verified (under `--model both` too, within its work bound).
#[test]
fn seed_001_ipi_deadlock_under_the_lkmm() {
    let f = example("seeds/001-tasklist-ipi/buggy.kvet");
    let (code, out, err) = kvet(&["check", "--model", "lkmm", &f]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(": DEADLOCK  executions 99 ") && out.contains("[lkmm: deadlock]"), "{out}");
    assert!(out.contains("...waits for an IPI's answer forever") && out.contains("...waits for ptl forever"), "{out}");
    let f = example("seeds/001-tasklist-ipi/fixed.kvet");
    let (code, out, err) = kvet(&["check", "--model", "lkmm", &f]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(": OK  executions 68 ") && out.contains("[lkmm: ok]"), "{out}");
}

/// rwlocks under the LKMM (the queued rwlock, crates/axiom/src/gen/
/// thread/rwlock.rs): a nested read_lock() queued behind a waiting
/// writer deadlocks under both models.
#[test]
fn nested_read_lock_deadlocks_under_the_lkmm() {
    let f = example("kernel/read-lock-nested.kvet");
    let (code, out, err) = kvet(&["check", "--model", "lkmm", &f]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("[lkmm: deadlock]") && out.contains("CPU0 waits forever for an rwlock"), "{out}");
}

/// An interrupt handler under the LKMM: its self-deadlock is found (the
/// handler's events are in its CPU's program order).
#[test]
fn handler_self_deadlock_under_the_lkmm() {
    let f = example("kernel/irq-lock.kvet");
    let (code, out, err) = kvet(&["check", "--model", "lkmm", &f]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("[lkmm: deadlock]") && out.contains("CPU0 waits in spin_lock(lock), which CPU0 itself holds"),
        "{out}"
    );
}

#[test]
fn litmus_refuses_handlers() {
    let dir = std::env::temp_dir().join(format!("kvet-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("irq.litmus");
    std::fs::write(&f, "C irq\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1);\n}\n\nIRQ(0) void h(void)\n{\n\tint r0 = READ_ONCE(x);\n}\nexists (x=1)\n").unwrap();
    let (code, out, err) = kvet(&["litmus", f.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("handler h() of P0") && err.contains("irq.litmus:"), "{err}");
}

/// Two tasks of one CPU passing a message without barriers.  The LKMM
/// check runs them as the CPU's scheduler does (a run lock per CPU,
/// crates/axiom/src/gen/thread/cpu_share.rs): each switch is a full
/// barrier, so the message passes under both models, with and without
/// preemption (`Preempt=yes` lets the reader run between the writes, still
/// not see them out of order).  A read-modify-write split by a
/// preemption loses an update only with preemption on, under both
/// models.
#[test]
fn tasks_sharing_a_cpu() {
    let dir = std::env::temp_dir().join(format!("kvet-samecpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let body = "{}\nint x;\nint y;\nP0(void)\n{\n\tWRITE_ONCE(x, 1);\n\tWRITE_ONCE(y, 1);\n}\n\
                TASK(0) void other(void)\n{\n\tint r1 = READ_ONCE(y);\n\tint r2 = READ_ONCE(x);\n\tassert(!(r1 == 1 && r2 == 0));\n}\n";
    for preempt in ["", "Preempt=yes\n"] {
        let f = dir.join("samecpu.kvet");
        std::fs::write(&f, format!("C samecpu\n{preempt}{body}")).expect("write scenario");
        let (code, out, _) = kvet(&["check", f.to_str().expect("utf-8 path")]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("[sc: ok; lkmm: ok]"), "{out}");
    }
    let update = "{}\nint x;\nP0(void)\n{\n\tint r = READ_ONCE(x);\n\tWRITE_ONCE(x, r + 1);\n}\n\
                  TASK(0) void other(void)\n{\n\tint r = READ_ONCE(x);\n\tWRITE_ONCE(x, r + 1);\n}\nexists (x=1)\n";
    for (preempt, sc, lkmm) in [
        ("", "exists: Never (0 of 1 outcomes)", "exists: Never (0 of 2 executions)"),
        ("Preempt=yes\n", "exists: Sometimes (1 of 2 outcomes)", "exists: Sometimes (12 of 20 executions)"),
    ] {
        let f = dir.join("update.kvet");
        std::fs::write(&f, format!("C update\n{preempt}{update}")).expect("write scenario");
        let (code, out, _) = kvet(&["check", f.to_str().expect("utf-8 path")]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(sc) && out.contains(lkmm), "{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A check that finds nothing but is incomplete at the unrolling bound
/// runs again one deeper: seed 001's RCU walk needs three extra loop
/// iterations, one more than the first bound.
#[test]
fn incomplete_check_deepens_the_unrolling_bound() {
    let f = example("seeds/001-tasklist-ipi/rcu-walk.kvet");
    let (code, out, _) = kvet(&["check", "--model", "lkmm", &f]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(": OK  executions 12 ") && out.contains("[lkmm: ok]"), "{out}");
    // a bound the user fixes is not deepened
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kvet"))
        .args(["check", "--model", "lkmm", &f])
        .env("KVET_LKMM_UNROLL", "2")
        .output()
        .expect("run kvet");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(out.contains(": INCOMPLETE  executions 11 ") && out.contains("past the unrolling bound (2)"), "{out}");
}
