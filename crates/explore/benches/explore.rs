//! Explorer throughput: N CPUs incrementing a lock-protected counter
//! (examples/bench/counter-N.litmus), N = 2..6, with and without
//! partial-order reduction. States per second = the printed state count
//! divided by divan's median time.

use kvet_explore::{explore, Options};

fn program(n: usize) -> kvet_ir::Program {
    let path = format!("{}/../../examples/bench/counter-{n}.litmus", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).expect("benchmark scenario");
    kvet_ir::compile(&src).expect("benchmark scenario compiles")
}

#[divan::bench(args = [2, 3, 4, 5, 6], sample_count = 5)]
fn counter_full(bencher: divan::Bencher, n: usize) {
    let p = program(n);
    let opts = Options { reduce: false, ..Options::default() };
    let states = explore(&p, &opts).states;
    eprintln!("counter-{n} unreduced: {states} states");
    bencher.bench(|| explore(&p, &opts).states);
}

#[divan::bench(args = [2, 3, 4, 5, 6], sample_count = 5)]
fn counter_reduced(bencher: divan::Bencher, n: usize) {
    let p = program(n);
    let opts = Options::default();
    let states = explore(&p, &opts).states;
    eprintln!("counter-{n} reduced: {states} states");
    bencher.bench(|| explore(&p, &opts).states);
}

fn main() {
    divan::main();
}
