//! Explorer throughput: N CPUs incrementing a lock-protected counter
//! (examples/bench/counter-N.litmus), N = 2..6, with and without
//! partial-order reduction. Each prints its state count and the states
//! per second of one untimed warm-up run (divan's median time gives the
//! same rate more precisely: states / median).

use kvet_explore::{explore, Options};

fn program(n: usize) -> kvet_ir::Program {
    let path = format!("{}/../../examples/bench/counter-{n}.litmus", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).expect("benchmark scenario");
    kvet_ir::compile(&src).expect("benchmark scenario compiles")
}

/// One run: its states, and states per second of wall time.
fn warm_up(p: &kvet_ir::Program, opts: &Options) -> (u64, f64) {
    let t0 = std::time::Instant::now();
    let states = explore(p, opts).states;
    (states, states as f64 / t0.elapsed().as_secs_f64().max(1e-9))
}

#[divan::bench(args = [2, 3, 4, 5, 6], sample_count = 5)]
fn counter_full(bencher: divan::Bencher, n: usize) {
    let p = program(n);
    let opts = Options { reduce: false, ..Options::default() };
    let (states, rate) = warm_up(&p, &opts);
    eprintln!("counter-{n} unreduced: {states} states, {rate:.0} states/s");
    bencher.bench(|| explore(&p, &opts).states);
}

#[divan::bench(args = [2, 3, 4, 5, 6], sample_count = 5)]
fn counter_reduced(bencher: divan::Bencher, n: usize) {
    let p = program(n);
    let opts = Options::default();
    let (states, rate) = warm_up(&p, &opts);
    eprintln!("counter-{n} reduced: {states} states, {rate:.0} states/s");
    bencher.bench(|| explore(&p, &opts).states);
}

fn main() {
    divan::main();
}
