//! The `herd7` binary and `kvet herd7`/`kvet litmus` against herd7's own
//! expected outputs (herdtools7's catalogue `.expected` files): every
//! line of herd7's block is reproduced, `Hash=` included, except `Time`
//! (machine dependent).

use std::path::PathBuf;
use std::process::Command;

fn shared() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

fn herd7(args: &[&str]) -> (String, String, i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_herd7")).args(args).output().expect("run herd7");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

fn kvet(args: &[&str]) -> (String, String, i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_kvet")).args(args).output().expect("run kvet");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

fn strip(s: &str) -> String {
    s.lines().filter(|l| !l.starts_with("Time ")).map(|l| format!("{l}\n")).collect()
}

#[test]
fn catalogue_outputs_are_herd7s() {
    let dir = shared().join("litmus/herd-catalogue");
    let cfg = shared().join("lkmm/linux-kernel.cfg");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("catalogue")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "litmus"))
        .collect();
    files.sort();
    assert!(files.len() > 50);
    let mut args: Vec<String> = vec!["-conf".into(), cfg.display().to_string()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let (out, err, code) = herd7(&args);
    assert_eq!(code, 0, "{err}");
    let blocks: Vec<&str> = out.split("\n\n").filter(|b| !b.trim().is_empty()).collect();
    assert_eq!(blocks.len(), files.len());
    let mut bad = Vec::new();
    for (f, b) in files.iter().zip(&blocks) {
        let want = std::fs::read_to_string(format!("{}.expected", f.display())).expect("expected output");
        if strip(&want).trim_end() != strip(b).trim_end() {
            bad.push(format!("{}:\n--- herd7\n{}--- kvet\n{}", f.display(), strip(&want), strip(b)));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn kvet_herd7_is_the_herd7_binary() {
    let f = shared().join("litmus/herd-catalogue/SB+fencembonceonces.litmus");
    let f = f.display().to_string();
    let (a, _, ca) = herd7(&["-conf", "linux-kernel.cfg", &f]);
    let (b, _, cb) = kvet(&["herd7", "-conf", "linux-kernel.cfg", &f]);
    assert_eq!((strip(&a), ca), (strip(&b), cb));
    assert!(a.contains("Observation SB+fencembonceonces Never 0 3"), "{a}");
}

#[test]
fn herd7_flag_errors() {
    let (_, err, code) = herd7(&["-foo"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("herd7: unknown option '-foo'."), "{err}");
    let (_, err, code) = herd7(&["-unroll", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("option '-unroll' expects an integer"), "{err}");
    // herd.ml: opening a missing file raises Sys_error, which herd7 does
    // not catch: "Adios", then OCaml's uncaught-exception line, exit 2
    let (_, err, code) = herd7(&["no-such-file.litmus"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "\nFatal: File \"no-such-file.litmus\" Adios\nFatal error: exception Sys_error(\"no-such-file.litmus: No such file or directory\")\n"
    );
    // -show takes one of PrettyConf.tags_show (ArgUtils.do_tag)
    let (_, err, code) = herd7(&["-show", "nonsense"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("herd7: bad tag for -show, allowed tag are prop,all,neg,cond,none,wit.\n"), "{err}");
    let (_, _, code) = herd7(&["-show", "PROP", "-version"]);
    assert_eq!(code, 0);
    let (out, _, code) = herd7(&["-version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("7.58"));
}

#[test]
fn herd7_models_and_options() {
    let lk = shared().join("lkmm");
    let f = shared().join("litmus/herd-catalogue/SB+poonceonces.litmus").display().to_string();
    // the native SC model, and the interpreter on the cat files
    let (out, _, _) = herd7(&["-conf", &lk.join("sc-kernel.cfg").display().to_string(), &f]);
    assert!(out.contains("Observation SB+poonceonces Never 0 3"), "{out}");
    let (out, err, _) = herd7(&[
        "-model",
        &lk.join("linux-kernel.cat").display().to_string(),
        "-bell",
        &lk.join("linux-kernel.bell").display().to_string(),
        "-variant",
        "lkmmv2",
        &f,
    ]);
    assert!(out.contains("Observation SB+poonceonces Sometimes 1 3"), "{out}{err}");
    let (out, _, _) = herd7(&["-speedcheck", "fast", &f]);
    assert!(out.contains("\nOk\n"), "{out}");
    let dir = std::env::temp_dir().join(format!("kvet-herd7-dot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_, err, code) = herd7(&["-o", &dir.display().to_string(), &f]);
    assert_eq!(code, 0, "{err}");
    let dot = std::fs::read_to_string(dir.join("SB+poonceonces.dot")).expect("dot file");
    assert!(dot.starts_with("digraph"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn litmus_lkmm_extras() {
    let lit = shared().join("litmus");
    // a self-deadlock: herd's block (nothing allowed), then kvet's line
    let f = lit.join("paulmck-manual/locked/self-deadlock.litmus").display().to_string();
    let (out, _, code) = kvet(&["litmus", &f]);
    assert_eq!(code, 0, "Result: DEADLOCK is met");
    assert!(out.contains("Observation self-deadlock Never 0 0\n"), "{out}");
    assert!(out.contains("\nDeadlock self-deadlock CPU0 waits in spin_lock(sl), which CPU0 itself holds\n"), "{out}");
    // old-style `{ spinlock_t l; }` init blocks, which herd7 rejects
    let f = lit.join("kernel/memory-model/MP+polocks.litmus").display().to_string();
    let (out, err, _) = kvet(&["litmus", &f]);
    assert!(out.contains("Observation MP+polocks Never 0 3"), "{out}{err}");
    // --model sc, --dot
    let f = lit.join("herd-catalogue/MP+poonceonces.litmus").display().to_string();
    let (out, _, _) = kvet(&["litmus", "--model", "sc", &f]);
    assert!(out.contains("Observation MP+poonceonces Never 0 3"), "{out}");
    let (out, _, _) = kvet(&["litmus", "--dot", &f]);
    assert!(out.contains("digraph \"MP+poonceonces\"") && out.contains("[label=rf"), "{out}");
}

/// An unknown primitive is herd7's `Unknown macro` user error: a warning
/// for the file, exit 0, which the kernel's judgelitmus.sh turns into its
/// "Current LKMM version does not know" line.
#[test]
fn herd7_unknown_macro() {
    let dir = std::env::temp_dir().join(format!("kvet-unknown-macro-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("U.litmus");
    std::fs::write(&f, "C U\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); smp_memb(); }\nexists (x=1)\n").unwrap();
    let name = f.display().to_string();
    let (out, err, code) = herd7(&[&name]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert_eq!(err, format!("Warning: File \"{name}\": Unknown macro smp_memb (User error)\n"));
    // judgelitmus.sh's extraction of the name
    let bad = err.split(": Unknown macro ").nth(1).unwrap().split(" (User error)").next().unwrap();
    assert_eq!(bad, "smp_memb");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without test arguments herd7 reads file names from standard input.
#[test]
fn herd7_reads_names_from_stdin() {
    use std::io::Write;
    let f = shared().join("litmus/herd-catalogue/SB+poonceonces.litmus").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_herd7"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run herd7");
    writeln!(child.stdin.take().unwrap(), "{f}").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("Observation SB+poonceonces Sometimes 1 3"));
}
