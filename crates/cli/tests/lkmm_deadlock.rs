//! Lock deadlocks in LKMM mode (`kvet litmus`, `kvet herd7`): herd's block
//! stays as herd prints it (the deadlocking executions are not counted),
//! then one `Deadlock` line per deadlock the LKMM allows, including one
//! that sequential consistency cannot reach.

mod common;
use std::process::Command;

const ABBA: &str = "C abba\n\n{}\n\n\
P0(spinlock_t *a, spinlock_t *b, int *x)\n{\n\tspin_lock(a);\n\tspin_lock(b);\n\tWRITE_ONCE(*x, 1);\n\tspin_unlock(b);\n\tspin_unlock(a);\n}\n\n\
P1(spinlock_t *a, spinlock_t *b, int *x)\n{\n\tspin_lock(b);\n\tspin_lock(a);\n\tWRITE_ONCE(*x, 2);\n\tspin_unlock(a);\n\tspin_unlock(b);\n}\n\n\
exists (x=1)\n";

/// Both threads take the locks in the same order.
fn ordered() -> String {
    ABBA.replace("C abba", "C ordered").replace(
        "\tspin_lock(b);\n\tspin_lock(a);\n\tWRITE_ONCE(*x, 2);\n\tspin_unlock(a);\n\tspin_unlock(b);",
        "\tspin_lock(a);\n\tspin_lock(b);\n\tWRITE_ONCE(*x, 2);\n\tspin_unlock(b);\n\tspin_unlock(a);",
    )
}

/// Store buffering inside two critical sections: each thread takes the
/// other's lock when it misses the other's write.  Under SC one of them
/// sees the other's write; the LKMM lets both miss it, and they deadlock.
/// `smp_mb()` between the write and the read forbids that.
const SBLOCK: &str = "C sblock\n\n{}\n\n\
P0(spinlock_t *a, spinlock_t *b, int *x, int *y)\n{\n\tint r0;\n\n\tspin_lock(a);\n\tWRITE_ONCE(*x, 1);\n\tr0 = READ_ONCE(*y);\n\tif (r0 == 0) {\n\t\tspin_lock(b);\n\t\tspin_unlock(b);\n\t}\n\tspin_unlock(a);\n}\n\n\
P1(spinlock_t *a, spinlock_t *b, int *x, int *y)\n{\n\tint r1;\n\n\tspin_lock(b);\n\tWRITE_ONCE(*y, 1);\n\tr1 = READ_ONCE(*x);\n\tif (r1 == 0) {\n\t\tspin_lock(a);\n\t\tspin_unlock(a);\n\t}\n\tspin_unlock(b);\n}\n\n\
exists (0:r0=0 /\\ 1:r1=0)\n";

fn sblock_mb() -> String {
    SBLOCK
        .replace("C sblock", "C sblock-mb")
        .replace("\tr0 = READ_ONCE", "\tsmp_mb();\n\tr0 = READ_ONCE")
        .replace("\tr1 = READ_ONCE", "\tsmp_mb();\n\tr1 = READ_ONCE")
}

fn write(name: &str, text: &str) -> String {
    common::write_temp("deadlock", &format!("{name}.litmus"), text)
}

fn run(bin: &str, args: &[&str]) -> String {
    let o = Command::new(bin).args(args).output().expect("run");
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The output without the machine-dependent `Time` line and the `Hash=`
/// line (checked by herd7_cli.rs).
fn strip(s: &str) -> String {
    s.lines().filter(|l| !l.starts_with("Time ") && !l.starts_with("Hash=")).map(|l| format!("{l}\n")).collect()
}

fn both(name: &str, text: &str) -> String {
    let f = write(name, text);
    let a = strip(&run(env!("CARGO_BIN_EXE_kvet"), &["litmus", &f]));
    let b = strip(&run(env!("CARGO_BIN_EXE_kvet"), &["herd7", &f]));
    let c = strip(&run(env!("CARGO_BIN_EXE_herd7"), &[&f]));
    assert_eq!(a, b);
    assert_eq!(b, c);
    a
}

#[test]
fn abba_deadlock_is_reported_after_herds_block() {
    assert_eq!(
        both("abba", ABBA),
        "Test abba Allowed\nStates 2\n[x]=1;\n[x]=2;\nOk\nWitnesses\nPositive: 1 Negative: 1\n\
         Condition exists ([x]=1)\nObservation abba Sometimes 1 1\n\n\
         Deadlock abba CPU0 waits for b (held by CPU1), CPU1 waits for a (held by CPU0)\n\n"
    );
}

#[test]
fn ordered_locking_has_no_deadlock() {
    assert_eq!(
        both("ordered", &ordered()),
        "Test ordered Allowed\nStates 2\n[x]=1;\n[x]=2;\nOk\nWitnesses\nPositive: 1 Negative: 1\n\
         Condition exists ([x]=1)\nObservation ordered Sometimes 1 1\n\n"
    );
}

#[test]
fn lkmm_only_deadlock() {
    let block = |name: &str| {
        format!(
            "Test {name} Allowed\nStates 3\n0:r0=0; 1:r1=1;\n0:r0=1; 1:r1=0;\n0:r0=1; 1:r1=1;\nNo\n\
             Witnesses\nPositive: 0 Negative: 5\nCondition exists (0:r0=0 /\\ 1:r1=0)\n\
             Observation {name} Never 0 5\n\n"
        )
    };
    assert_eq!(
        both("sblock", SBLOCK),
        format!(
            "{}Deadlock sblock CPU0 waits for b (held by CPU1), CPU1 waits for a (held by CPU0)\n\n",
            block("sblock")
        )
    );
    assert_eq!(both("sblock-mb", &sblock_mb()), block("sblock-mb"));
    // The SC explorer cannot reach it; `kvet check` finds it under the
    // LKMM (the default checks both), as weak memory only.
    let f = write("sblock", SBLOCK);
    let out = run(env!("CARGO_BIN_EXE_kvet"), &["check", "--model", "sc", &f]);
    assert!(out.contains(": OK "), "{out}");
    let out = run(env!("CARGO_BIN_EXE_kvet"), &["check", &f]);
    assert!(out.contains(": DEADLOCK ") && out.contains("[sc: ok; lkmm: deadlock (weak memory only)]"), "{out}");
    assert!(out.contains("deadlock (weak memory only) in "), "{out}");
}

/// A CPU that polls with the lock held, while the other CPU waits for
/// that lock to set what it polls for, is one deadlock under the LKMM as
/// under SC (examples/kernel/poll-under-lock.kvet): the poller is not a
/// separate "weak memory only" hang, and the message says what the holder
/// does instead of calling it exited.
#[test]
fn a_lock_holder_that_polls_forever_is_part_of_the_deadlock() {
    let o = Command::new(env!("CARGO_BIN_EXE_kvet"))
        .args(["check", "--model", "lkmm", "examples/kernel/poll-under-lock.kvet"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("run");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("[lkmm: deadlock]"), "{out}");
    assert!(
        out.contains(
            "DEADLOCK: CPU1 waits in spin_lock(dev.lock) (held by CPU0, which spins forever in a polling loop)"
        ),
        "{out}"
    );
    assert!(!out.contains("HANG"), "{out}");
}
