//! herd's `-through invalid|all`: the executions failing the model's
//! checks count too.  On every catalogue test and a sample of lock, RMW
//! and RCU tests of the corpus, the native LKMM and the cat interpreter
//! (linux-kernel.cfg) agree under `-through invalid`, every execution
//! allowed without it is still counted, and `all` is `invalid`.  By hand:
//! SB with `smp_mb()` (Never) becomes Sometimes with all four states.

mod common;

use kvet_axiom::gen::{run, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::{CatModel, Model, Through};
use std::path::PathBuf;

fn shared() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

fn interp(t: Through) -> CatModel {
    let lk = shared().join("lkmm");
    let mut m = common::read_cfg(&lk.join("linux-kernel.cfg"), &[lk.join("herd-libdir")]).expect("LKMM");
    m.set_through(t);
    m
}

fn gen(path: &PathBuf, m: &dyn Model, t: Through) -> LitmusResult {
    let src = std::fs::read_to_string(path).expect("read");
    let prog = kvet_ir::compile(&src).expect("compiles");
    let opts = GenOptions { through: t, ..Default::default() };
    run(&prog, m, &opts).expect("decided")
}

fn summary(r: &LitmusResult) -> String {
    format!("{} {} {} {:?}", r.pos, r.neg, r.outcomes.len(), r.flags)
}

#[test]
fn sb_mb_through_invalid_is_sometimes() {
    let f = shared().join("litmus/herd-catalogue/SB+fencembonceonces.litmus");
    let plain = gen(&f, &NativeLkmm::new().allowed_only(), Through::None);
    assert_eq!(summary(&plain), "0 3 3 []");
    for t in [Through::Invalid, Through::All] {
        let r = gen(&f, &NativeLkmm::new().allowed_only().through(t), t);
        assert_eq!(summary(&r), "1 3 4 []");
        assert_eq!(r.outcomes, vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
    }
}

#[test]
fn native_and_interpreter_agree_under_through() {
    let lit = shared().join("litmus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(lit.join("herd-catalogue"))
        .expect("catalogue")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "litmus"))
        .collect();
    for f in [
        "paulmck-manual/locked/self-deadlock.litmus",
        "kernel/memory-model/MP+polocks.litmus",
        "kernel/memory-model/CoRR+poonceonce+Once.litmus",
    ] {
        let p = lit.join(f);
        if p.exists() {
            files.push(p);
        }
    }
    files.sort();
    let cat = interp(Through::Invalid);
    let native = NativeLkmm::new().allowed_only().through(Through::Invalid);
    let mut bad = Vec::new();
    for f in &files {
        let a = gen(f, &native, Through::Invalid);
        let b = gen(f, &cat, Through::Invalid);
        let none = gen(f, &NativeLkmm::new().allowed_only(), Through::None);
        if summary(&a) != summary(&b) || a.outcomes != b.outcomes {
            bad.push(format!("{}: native {} / interpreter {}", f.display(), summary(&a), summary(&b)));
        }
        if a.pos + a.neg < none.pos + none.neg || !none.outcomes.iter().all(|o| a.outcomes.contains(o)) {
            bad.push(format!("{}: through {} < none {}", f.display(), summary(&a), summary(&none)));
        }
    }
    assert!(files.len() > 50);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
