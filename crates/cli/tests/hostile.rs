//! Hostile input and resource limits, end to end through the `kvet`
//! binary: every bad input is a located error with exit code 2 and no
//! panic, within bounded time and memory; exit codes a script can trust;
//! memory bounds that hold for both search orders.
//!
//! `tests/bad/NAME.kvet` is a bad input and `tests/bad/NAME.err` its
//! expected error: `at: LINE:COL` and `message: TEXT`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KVET: &str = env!("CARGO_BIN_EXE_kvet");

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Run kvet with at most 4 GiB of address space and 60 s of CPU, so
/// that a runaway allocation or loop fails the test instead of the
/// machine.
fn kvet(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4194304; ulimit -t 60; exec \"$0\" \"$@\"")
        .arg(KVET)
        .args(args)
        .output()
        .expect("run kvet")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A clean, located refusal: exit 2, no panic, the message at `at`.
fn assert_refused(out: &Output, file: &str, at: &str, message: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{file}: expected exit 2, got {:?}\n{err}", out.status);
    assert!(!err.contains("panicked"), "{file}: panic\n{err}");
    assert!(err.contains(message), "{file}: expected `{message}` in\n{err}");
    assert!(err.contains(&format!("{file}:{at}")), "{file}: expected location {file}:{at} in\n{err}");
}

#[test]
fn bad_corpus_gives_located_errors() {
    let mut n = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(bad_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "kvet")) {
        let want = std::fs::read_to_string(f.with_extension("err")).expect("every bad input has a .err file");
        let field = |k: &str| {
            want.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(str::trim)
                .unwrap_or_else(|| panic!("{}: no `{k}` line", f.display()))
                .to_string()
        };
        let name = f.file_name().unwrap().to_str().unwrap();
        let out = Command::new("sh")
            .current_dir(bad_dir())
            .arg("-c")
            .arg("ulimit -v 4194304; ulimit -t 60; exec \"$0\" \"$@\"")
            .arg(KVET)
            .args(["check", name])
            .output()
            .unwrap();
        assert_refused(&out, name, &field("at:"), &field("message:"));
        n += 1;
    }
    assert!(n >= 10, "the bad-input corpus went missing");
}

#[test]
fn generated_monsters_are_refused_cleanly() {
    let dir = std::env::temp_dir().join(format!("kvet-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 20,000 operands in one chain: once a stack overflow
    let chain = dir.join("chain.kvet");
    std::fs::write(
        &chain,
        format!("C chain\n{{}}\nint x;\nP0(void) {{ int r = 0{}; WRITE_ONCE(x, r); }}\n", " + 1".repeat(20_000)),
    )
    .unwrap();
    let out = kvet(&["check", chain.to_str().unwrap()]);
    assert_refused(&out, "chain.kvet", "4:", "this expression is too long");
    // 10 MB on one line: refused, and the excerpt is a window, not the line
    let long = dir.join("long.kvet");
    std::fs::write(
        &long,
        format!("C long\n{{}}\nint x;\nP0(void) {{ int r = 0;{} WRITE_ONCE(x, r); }}\n", " r = r + 1;".repeat(900_000)),
    )
    .unwrap();
    let out = kvet(&["check", long.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stderr.len() < 4096, "a 10 MB line was printed whole ({} bytes)", out.stderr.len());
    assert!(text(&out.stderr).contains("long.kvet:4:"), "{}", text(&out.stderr));
    // old Mac line ends are line ends
    let cr = dir.join("cr.kvet");
    std::fs::write(&cr, "C cr\r{}\rint x;\rP0(void) { WRITE_ONCE(x, 1); }\r").unwrap();
    let out = kvet(&["check", cr.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn command_line_mistakes_are_refused() {
    let ok = examples().join("basics/locked-update.kvet");
    let ok = ok.to_str().unwrap();
    for t in ["NaN", "inf", "-1", "0", "soon"] {
        let out = kvet(&["check", "--timeout", t, ok]);
        assert_eq!(out.status.code(), Some(2), "--timeout {t}: {}", text(&out.stderr));
    }
    let out = kvet(&["check", ok, "--replay", "kv1.0.-1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let empty = std::env::temp_dir().join(format!("kvet-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = kvet(&["check", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "an empty directory: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no .kvet or .litmus file"));
    std::fs::remove_dir_all(&empty).ok();
}

#[test]
fn a_bad_file_does_not_stop_the_others() {
    let bad = bad_dir().join("goto-no-label.kvet");
    let good = examples().join("basics/locked-update.kvet");
    let out = kvet(&["check", "--model", "sc", bad.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("locked-update.kvet: OK"), "{}", text(&out.stdout));
}

#[test]
fn exit_codes_a_script_can_trust() {
    let ok = examples().join("basics/locked-update.kvet");
    let bug = examples().join("basics/abba.kvet");
    let big = examples().join("bench/counter-4.litmus");
    let bad = bad_dir().join("goto-no-label.kvet");
    let [ok, bug, big, bad] = [&ok, &bug, &big, &bad].map(|p| p.to_str().unwrap().to_string());
    // the SC explorer's codes (the LKMM adds findings of its own to
    // these examples)
    let code = |args: &[&str]| kvet(&[&["check", "--model", "sc"], &args[1..]].concat()).status.code();
    assert_eq!(code(&["check", &ok]), Some(0));
    assert_eq!(code(&["check", &bug]), Some(1));
    assert_eq!(code(&["check", &bad]), Some(2));
    // incomplete, nothing found: 3, and no verdict printed
    let out = kvet(&["check", "--model", "sc", "--max-states", "10", &big]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    let o = text(&out.stdout);
    assert!(
        o.contains("INCOMPLETE") && o.contains("not yet expanded") && !o.contains("Never") && !o.contains("Always"),
        "{o}"
    );
    // a finding beats an incomplete search, bad input beats both
    assert_eq!(code(&["check", "--max-states", "10", &big, &bug]), Some(1));
    assert_eq!(code(&["check", "--max-states", "10", &big, &bug, &bad]), Some(2));
    // the SC explorer's herd block: no Observation from a partial search
    let out = kvet(&["litmus", "--model", "explore", "--max-states", "10", &big]);
    assert_eq!(out.status.code(), Some(3));
    assert!(!text(&out.stdout).contains("Observation"), "{}", text(&out.stdout));
}

/// Peak RSS in MiB, as `--stats` prints it.
fn peak_mib(out: &Output) -> f64 {
    let err = text(&out.stderr);
    let line =
        err.lines().find(|l| l.contains("peak resident memory")).unwrap_or_else(|| panic!("no --stats line in\n{err}"));
    line.split_whitespace().rev().nth(1).unwrap().parse().unwrap()
}

#[test]
fn memory_bounds_hold_for_both_orders() {
    // many small states: the visited table and the frontier dominate
    let counter = examples().join("bench/counter-6.litmus");
    for order in [None, Some("--dfs")] {
        let mut args = vec!["check", "--model", "sc", "--stats", "--max-memory", "40", counter.to_str().unwrap()];
        args.extend(order);
        let out = kvet(&args);
        let peak = peak_mib(&out);
        assert!(peak <= 40.0 * 1.1, "{order:?}: peak RSS {peak} MiB over the 40 MiB bound");
        assert!(matches!(out.status.code(), Some(0 | 3)), "{}", text(&out.stdout));
    }
    // few huge states (about 1 MiB each): the program's memory dominates
    let dir = std::env::temp_dir().join(format!("kvet-mem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.kvet");
    std::fs::write(
        &big,
        "C big\n{}\nint a[60000];\nint b[60000];\nint x;\nint y;\n\
         P0(void) { int i; for (i = 0; i < 3; i++) { WRITE_ONCE(x, READ_ONCE(x) + 1); } }\n\
         P1(void) { int i; for (i = 0; i < 3; i++) { WRITE_ONCE(y, READ_ONCE(x) + READ_ONCE(y)); } }\n\
         P2(void) { int i; for (i = 0; i < 3; i++) { WRITE_ONCE(x, READ_ONCE(y) + 2); } }\n",
    )
    .unwrap();
    // (the SC search's bound; the LKMM engine's: both_models_stay_under_max_memory)
    let out = kvet(&["check", "--model", "sc", "--stats", "--max-memory", "100", big.to_str().unwrap()]);
    let peak = peak_mib(&out);
    assert!(peak <= 100.0 * 1.1, "BFS: peak RSS {peak} MiB over the 100 MiB bound");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    let out = kvet(&[
        "check",
        "--model",
        "sc",
        "--stats",
        "--dfs",
        "--max-memory",
        "100",
        "--max-states",
        "300",
        big.to_str().unwrap(),
    ]);
    let peak = peak_mib(&out);
    assert!(peak <= 100.0 * 1.1, "DFS: peak RSS {peak} MiB over the 100 MiB bound");
    // a bound smaller than the program itself stops at once, cleanly
    let out = kvet(&["check", "--model", "sc", "--stats", "--max-memory", "2", big.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    std::fs::remove_dir_all(&dir).ok();
}

/// A litmus test whose one location is written by `n` threads: `n!`
/// coherence orders for the LKMM engine to enumerate.
fn many_writers(n: usize) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("kvet-writers-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut src = String::from("C writers\n{}\n");
    for t in 0..n {
        src.push_str(&format!("P{t}(int *x) {{ WRITE_ONCE(*x, {}); }}\n", t + 1));
    }
    src.push_str("exists (x=1)\n");
    let f = dir.join("writers.litmus");
    std::fs::write(&f, src).unwrap();
    (dir, f)
}

#[test]
fn litmus_and_herd7_obey_max_memory() {
    // 10 writers: 3,628,800 coherence orders, far over 8 MiB
    let (dir, f) = many_writers(10);
    let f = f.to_str().unwrap();
    let out = kvet(&["litmus", "--max-memory", "8", f]);
    assert_eq!(out.status.code(), Some(2), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stderr).contains("too many coherence orders"), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("Observation"), "{}", text(&out.stdout));
    let out = kvet(&["herd7", "-max-memory", "8", f]);
    assert_eq!(out.status.code(), Some(2), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stderr).contains("too many coherence orders"), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("Observation"), "{}", text(&out.stdout));
    // a small test is unaffected by the bound
    let (dir2, g) = many_writers(3);
    let out = kvet(&["litmus", "--max-memory", "8", g.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("Observation writers Sometimes 2 4"), "{}", text(&out.stdout));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&dir2).ok();
}

#[test]
fn both_models_stay_under_max_memory() {
    // the LKMM part of `--model both` charges its coherence orders to the
    // bound: the process's peak RSS stays under it
    // 12 writers: 479,001,600 orders
    let (dir, f) = many_writers(12);
    let out = kvet(&["check", "--model", "both", "--stats", "--max-memory", "64", f.to_str().unwrap()]);
    let peak = peak_mib(&out);
    assert!(peak <= 64.0 * 1.1, "peak RSS {peak} MiB over the 64 MiB bound");
    assert!(text(&out.stdout).contains("too many coherence orders"), "{}", text(&out.stdout));
    std::fs::remove_dir_all(&dir).ok();
}
