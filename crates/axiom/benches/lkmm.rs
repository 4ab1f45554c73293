//! Native LKMM vs. the cat interpreter on small litmus executions.

use kvet_axiom::native::NativeLkmm;
use kvet_axiom::{CatModel, CatOptions, Execution, Model, Tag};
use std::path::PathBuf;

fn main() {
    divan::main();
}

fn lkmm_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/lkmm"))
}

fn sb(fence: bool) -> Execution {
    let mut e = Execution::new();
    let x = e.location("x");
    let y = e.location("y");
    let ix = e.init_write(x, 0);
    let iy = e.init_write(y, 0);
    let w0 = e.write(0, x, 1, &[Tag::ONCE]);
    if fence {
        e.fence(0, &[Tag::MB]);
    }
    let r0 = e.read(0, y, 0, &[Tag::ONCE]);
    let w1 = e.write(1, y, 1, &[Tag::ONCE]);
    if fence {
        e.fence(1, &[Tag::MB]);
    }
    let r1 = e.read(1, x, 0, &[Tag::ONCE]);
    e.add_rf(iy, r0);
    e.add_rf(ix, r1);
    e.add_final(w0);
    e.add_final(w1);
    e
}

#[divan::bench(args = [false, true])]
fn native_sb(b: divan::Bencher, fence: bool) {
    let m = NativeLkmm::new();
    let ex = sb(fence);
    let mut out = Vec::with_capacity(4);
    b.bench_local(|| {
        out.clear();
        m.check_into(divan::black_box(&ex), &mut out).unwrap();
        out.len()
    });
}

#[divan::bench(args = [false, true])]
fn interpreter_sb(b: divan::Bencher, fence: bool) {
    let m = interpreter();
    let ex = sb(fence);
    b.bench_local(|| m.check(divan::black_box(&ex)).unwrap().len());
}

/// The LKMM through the cat interpreter, its files read here (the engine
/// does no I/O).
fn interpreter() -> CatModel {
    let dirs = [lkmm_dir(), lkmm_dir().join("herd-libdir")];
    let read = |n: &str| dirs.iter().find_map(|d| std::fs::read_to_string(d.join(n)).ok());
    let opts =
        CatOptions { bell: Some("linux-kernel.bell".into()), variants: vec!["lkmmv2".into()], ..Default::default() };
    CatModel::from_source_with("linux-kernel.cat", &read("linux-kernel.cat").unwrap(), &read, &opts).unwrap()
}
