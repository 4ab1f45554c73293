//! `kvet check --preempt`: the command-line form of a scenario's
//! `Preempt=yes` line. It gives the same states, findings, traces and
//! replay tokens as the line, and its tokens replay with preemption on.

use std::path::{Path, PathBuf};
use std::process::Command;

const KVET: &str = env!("CARGO_BIN_EXE_kvet");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs kvet; (stdout with the times blanked, exit code).
fn kvet(args: &[&str]) -> (String, i32) {
    let out = Command::new(KVET).args(args).current_dir(root()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let blank = |w: &str| {
        let is_time = w.strip_suffix('s').is_some_and(|n| n.contains('.') && n.parse::<f64>().is_ok());
        if is_time {
            "T".to_string()
        } else {
            w.to_string()
        }
    };
    let text = text.lines().map(|l| l.split(' ').map(blank).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>();
    (text.join("\n"), out.status.code().unwrap_or(-1))
}

/// The example, written to a scratch directory twice under one name:
/// with its `Preempt=yes` line, and with that line blanked (same length,
/// so source positions and program ids stay the same).
fn variants(example: &str, tag: &str) -> (PathBuf, PathBuf) {
    let src = std::fs::read_to_string(root().join("examples/kernel").join(example)).unwrap();
    assert!(src.contains("\nPreempt=yes\n"), "{example} has no Preempt=yes line");
    let dir = std::env::temp_dir().join(format!("kvet-preempt-flag-{}-{tag}", std::process::id()));
    let (with, without) = (dir.join("line"), dir.join("flag"));
    std::fs::create_dir_all(&with).unwrap();
    std::fs::create_dir_all(&without).unwrap();
    std::fs::write(with.join(example), &src).unwrap();
    std::fs::write(without.join(example), src.replace("\nPreempt=yes\n", "\n           \n")).unwrap();
    (with.join(example), without.join(example))
}

fn same_as_line(example: &str, tag: &str, verdict: &str, replayed: &str) {
    let (line, flag) = variants(example, tag);
    let (line, flag) = (line.to_str().unwrap(), flag.to_str().unwrap());
    let (a, ca) = kvet(&["check", "--model", "sc", line]);
    let (b, cb) = kvet(&["check", "--model", "sc", "--preempt", flag]);
    assert_eq!((ca, cb), (1, 1), "{a}\n{b}");
    assert!(a.starts_with(&format!("{line}: {verdict}")), "{a}");
    assert_eq!(a.replace(line, flag), b, "--preempt differs from Preempt=yes");
    // the token says preemption was on, and `kvet replay` reproduces the
    // finding on the file without the line (the last token is the
    // verdict's: a data race's trace has no verdict line)
    let tok = b.split_whitespace().rfind(|w| w.starts_with("kv1.")).expect("a replay token");
    assert!(tok.contains("+preempt."), "{tok}");
    let (r, code) = kvet(&["replay", flag, tok]);
    assert_eq!(code, 1, "{r}");
    assert!(r.lines().last().unwrap().starts_with(replayed), "{r}");
    let (r2, code2) = kvet(&["check", "--replay", tok, flag]);
    assert_eq!((r2, code2), (r, 1));
    std::fs::remove_dir_all(Path::new(flag).parent().unwrap().parent().unwrap()).unwrap();
}

#[test]
fn preempt_flag_is_the_preempt_line() {
    same_as_line("percpu-preempt.kvet", "percpu", "DATA RACE  states 30", "ASSERTION FAILURE");
    same_as_line("kthread-lost-wakeup.kvet", "lost", "HANG  states 98", "HANG");
}

#[test]
fn without_the_flag_or_the_line_no_preemption() {
    let (_, flag) = variants("percpu-preempt.kvet", "off");
    let flag = flag.to_str().unwrap();
    let (out, code) = kvet(&["check", "--model", "sc", flag]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with(&format!("{flag}: OK  states 16")), "{out}");
    std::fs::remove_dir_all(Path::new(flag).parent().unwrap().parent().unwrap()).unwrap();
}

#[test]
fn preempt_tokens_need_preemption() {
    // a token made with preemption on names it; tokens of runs without it
    // are as before
    let (out, _) = kvet(&["check", "--model", "sc", "examples/basics/abba.kvet"]);
    let tok = out.split_whitespace().find(|w| w.starts_with("kv1.")).expect("a replay token");
    assert!(!tok.contains("+preempt"), "{tok}");
}

#[test]
fn a_preempt_token_on_a_program_without_preemption_is_refused() {
    let mut prog = kvet_ir::compile("C t\n{}\nint x;\nP0(void) { WRITE_ONCE(x, 1); }\n").unwrap();
    prog.preempt = true;
    let tok = kvet_explore::encode_token(&prog, &[0]);
    assert!(kvet_explore::token_preempts(&tok), "{tok}");
    assert_eq!(kvet_explore::decode_token(&prog, &tok).unwrap(), vec![0]);
    prog.preempt = false;
    assert!(!kvet_explore::token_preempts(&kvet_explore::encode_token(&prog, &[0])));
    assert!(matches!(kvet_explore::decode_token(&prog, &tok), Err(kvet_explore::ReplayError::NeedsPreempt)));
}
