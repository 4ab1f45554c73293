//! The generator's bounds stop it cleanly: a time limit reached inside
//! one model evaluation, while the coherence orders of a location written
//! by many events are being built, is a timeout (no verdict), and the
//! evaluation stops there instead of building orders up to the memory
//! bound first.

use kvet_axiom::gen::{run, GenError, GenOptions};
use kvet_axiom::native::NativeLkmm;

/// `n` CPUs, each writing `x` twice: (2n)! / 2^n coherence orders for
/// one execution with no reads (so one candidate, one evaluation).
fn many_writers(n: usize) -> String {
    let mut s = String::from("C many-writers\n{}\n");
    for t in 0..n {
        s += &format!("P{t}(int *x)\n{{\n\tWRITE_ONCE(*x, {});\n\tWRITE_ONCE(*x, {});\n}}\n", 2 * t + 1, 2 * t + 2);
    }
    s + "exists (x=1)\n"
}

#[test]
fn a_time_limit_inside_the_coherence_enumeration_is_a_timeout() {
    let prog = kvet_ir::compile(&many_writers(8)).expect("compiles");
    let model = NativeLkmm::new();
    // a deadline that has passed by the first look at the clock
    let opts = GenOptions { max_seconds: Some(1e-9), ..Default::default() };
    assert_eq!(run(&prog, &model, &opts).err(), Some(GenError::Timeout));
    // without a time limit the same evaluation meets the memory bound
    let opts = GenOptions { max_memory: Some(1 << 20), ..Default::default() };
    assert!(matches!(run(&prog, &model, &opts), Err(GenError::TooLarge(_))));
}
