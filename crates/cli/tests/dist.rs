//! The parallel and distributed search through the `kvet` binary: the
//! same output, byte for byte but the times, with 1, 2 and 4 worker
//! threads and with 2 processes on localhost (a hostfile of free ports
//! on 127.0.0.1), on every example and seed; swarm search finds the bug
//! of every buggy seed and example, and its replay token replays.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kvet() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kvet"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    c
}

/// stdout with every `1.234s` time replaced by `T`.
fn untimed(o: &Output) -> String {
    let s = String::from_utf8_lossy(&o.stdout);
    let mut out = String::new();
    for word in s.split_inclusive([' ', '\n']) {
        let w = word.trim_end();
        let timed = w.ends_with('s')
            && w.len() > 1
            && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit() || c == '.')
            && w.contains('.');
        if timed {
            out.push('T');
            out.push_str(&word[w.len()..]);
        } else {
            out.push_str(word);
        }
    }
    out
}

fn run(args: &[&str]) -> Output {
    kvet().args(args).output().unwrap()
}

const DIRS: [&str; 3] = ["examples/basics", "examples/kernel", "examples/seeds"];

fn check(extra: &[&str]) -> Output {
    let mut a = vec!["check", "--model", "sc"];
    a.extend_from_slice(extra);
    a.extend_from_slice(&DIRS);
    run(&a)
}

#[test]
fn threads_give_the_sequential_output() {
    let seq = check(&["--no-reduce"]);
    assert_eq!(seq.status.code(), Some(1));
    for w in ["1", "2", "4"] {
        let par = check(&["--no-reduce", "--workers", w]);
        assert_eq!(untimed(&seq), untimed(&par), "--workers {w}");
        assert_eq!(seq.status.code(), par.status.code());
    }
    // with reduction (both searches' level-based cycle proviso, ample
    // sets of several moves): the sequential output too
    let seq = check(&[]);
    for w in ["1", "2", "4"] {
        assert_eq!(untimed(&seq), untimed(&check(&["--workers", w])), "--workers {w} with reduction");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Run the same check as 2 processes of a cluster on localhost.
fn cluster(extra: &[&str]) -> [Output; 2] {
    let dir = std::env::temp_dir().join(format!("kvet-dist-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let hosts: PathBuf = dir.join("hosts.txt");
    std::fs::write(&hosts, format!("127.0.0.1:{}\n127.0.0.1:{}\n", free_port(), free_port())).unwrap();
    let h = hosts.display().to_string();
    let spawn = |i: &str| {
        let mut a = vec!["check", "--model", "sc", "--processes", "2", "--process", i, "--hostfile", &h];
        a.extend_from_slice(extra);
        a.extend_from_slice(&DIRS);
        kvet().args(&a).stdout(std::process::Stdio::piped()).spawn().unwrap()
    };
    let p0 = spawn("0");
    let p1 = spawn("1");
    let out = [p0.wait_with_output().unwrap(), p1.wait_with_output().unwrap()];
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn two_processes_give_the_sequential_output() {
    let seq = check(&["--no-reduce"]);
    for (i, o) in cluster(&["--no-reduce"]).iter().enumerate() {
        assert_eq!(untimed(&seq), untimed(o), "process {i}");
        assert_eq!(seq.status.code(), o.status.code());
    }
    let seq = check(&[]);
    for (i, o) in cluster(&["--workers", "2"]).iter().enumerate() {
        assert_eq!(untimed(&seq), untimed(o), "process {i} with reduction, 2 workers each");
    }
}

#[test]
fn bad_hostfiles_are_located_errors() {
    let dir = std::env::temp_dir().join(format!("kvet-dist-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("hosts.txt");
    std::fs::write(&f, "127.0.0.1:2101\nlocalhost\n").unwrap();
    let h = f.display().to_string();
    let o = run(&["check", "--processes", "2", "--process", "0", "--hostfile", &h, "examples/basics/abba.kvet"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("hosts.txt:2:1: expected `host:port`"), "{err}");
    let o = run(&["check", "--processes", "3", "--process", "0", "--hostfile", &h, "examples/basics/abba.kvet"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["check", "--processes", "2", "--process", "2", "--hostfile", &h, "examples/basics/abba.kvet"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["check", "--workers", "0", "examples/basics/abba.kvet"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["check", "--workers", "2", "--dfs", "examples/basics/abba.kvet"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A process whose peers never come (nobody listens on their ports) ends
/// with a clear error and exit code 2 once its connect timeout passes,
/// instead of waiting for ever: the connecting side and the accepting
/// side.
#[test]
fn missing_processes_are_errors_not_hangs() {
    let dir = std::env::temp_dir().join(format!("kvet-dist-gone-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("hosts.txt");
    let (p0, p1) = (free_port(), free_port());
    std::fs::write(&f, format!("127.0.0.1:{p0}\n127.0.0.1:{p1}\n")).unwrap();
    let h = f.display().to_string();
    let alone = |i: &str| {
        let t = std::time::Instant::now();
        let o = run(&[
            "check",
            "--processes",
            "2",
            "--process",
            i,
            "--hostfile",
            &h,
            "--connect-timeout",
            "1",
            "examples/basics/abba.kvet",
        ]);
        assert!(t.elapsed().as_secs() < 60, "process {i} waited {:?}", t.elapsed());
        o
    };
    let o = alone("1");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("cannot reach process 0 at 127.0.0.1:{p0} within 1s")), "{err}");
    let o = alone("0");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("1 process(es) did not connect to process 0 at 127.0.0.1:{p0} within 1s")), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A process of a running cluster dies: the other one ends with a clear
/// error and exit code 2, without panic messages, instead of hanging.
/// (Should the kill come before the two connect, the survivor's connect
/// timeout ends it the same way.)
#[test]
fn a_dead_peer_is_an_error_not_a_hang() {
    let dir = std::env::temp_dir().join(format!("kvet-dist-dead-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("hosts.txt");
    std::fs::write(&f, format!("127.0.0.1:{}\n127.0.0.1:{}\n", free_port(), free_port())).unwrap();
    let h = f.display().to_string();
    // (a search far too large to end before the kill: with counter-6's 3
    // loops an idle machine finished it within the 2 s and exited 0)
    let big = dir.join("counter-6-long.litmus");
    let src =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bench/counter-6.litmus"))
            .unwrap();
    std::fs::write(&big, src.replace("#define LOOPS 3", "#define LOOPS 30")).unwrap();
    let big = big.display().to_string();
    let spawn = |i: &str| {
        let a = [
            "check",
            "--model",
            "sc",
            "--no-reduce",
            "--processes",
            "2",
            "--process",
            i,
            "--hostfile",
            &h,
            "--connect-timeout",
            "20",
            &big,
        ];
        kvet().args(a).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let p0 = spawn("0");
    let mut p1 = spawn("1");
    std::thread::sleep(std::time::Duration::from_secs(2));
    p1.kill().unwrap();
    let _ = p1.wait();
    let t = std::time::Instant::now();
    let o = p0.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(t.elapsed().as_secs() < 60);
    assert!(
        err.contains("the connection to another process of the cluster broke") || err.contains("did not connect"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `FILE: VERDICT  states ...` lines of a check's output.
fn verdicts(o: &Output) -> Vec<(String, String)> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let (f, rest) = l.split_once(": ")?;
            let (v, _) = rest.split_once("  states ")?;
            (f.ends_with(".kvet") || f.ends_with(".litmus")).then(|| (f.to_string(), v.to_string()))
        })
        .collect()
}

#[test]
fn swarm_finds_every_bug_and_its_token_replays() {
    let seq = check(&[]);
    let buggy: Vec<(String, String)> = verdicts(&seq).into_iter().filter(|(_, v)| v != "OK").collect();
    assert!(buggy.len() > 20, "{buggy:?}");
    for (file, _) in &buggy {
        let o = run(&["check", "--model", "sc", "--swarm", "4", "--workers", "2", file]);
        assert_eq!(o.status.code(), Some(1), "{file}: {}", String::from_utf8_lossy(&o.stdout));
        let out = String::from_utf8_lossy(&o.stdout);
        let token = out
            .lines()
            .find_map(|l| l.strip_prefix("replay: kvet replay "))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_else(|| panic!("{file}: no replay token in\n{out}"));
        let r = run(&["replay", file, token]);
        // replay re-runs the steps: a data race is a property of the
        // state reached (two enabled conflicting accesses), not a step's
        // failure, so its replay ends in that state without a verdict
        let race = out.contains(&format!("data race in {file}"));
        let want = if race { [Some(0), Some(0)] } else { [Some(1), Some(1)] };
        assert!(want.contains(&r.status.code()), "{file}: the token {token} does not replay its finding");
    }
}

#[test]
fn bounds_stop_cleanly_and_say_what_was_covered() {
    let o = run(&[
        "check",
        "--model",
        "sc",
        "--no-reduce",
        "--workers",
        "2",
        "--max-states",
        "500",
        "examples/bench/counter-4.litmus",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stdout));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("INCOMPLETE") && out.contains("stopped at the state bound 500"), "{out}");
    let o = run(&["check", "--model", "sc", "--workers", "2", "--timeout", "0.001", "examples/bench/counter-4.litmus"]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("stopped at the time bound"));
}
