//! Small checks of the explorer's public API, each on a scenario small
//! enough to reason about by hand: the search is deterministic, every
//! finding's schedule survives the replay token and replays to the same
//! finding, malformed tokens are refused, and partial-order reduction
//! keeps the outcomes while storing no more states.

use kvet_explore::{decode_token, encode_token, explore, replay, Options, ViolationKind};

const ABBA: &str = "C abba\n{}\nspinlock_t a;\nspinlock_t b;\nint x;\n\
    P0(void) { spin_lock(&a); spin_lock(&b); x = 1; spin_unlock(&b); spin_unlock(&a); }\n\
    P1(void) { spin_lock(&b); spin_lock(&a); x = 2; spin_unlock(&a); spin_unlock(&b); }\n";

const SB: &str = "C SB\n{}\nP0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); }\n\
    P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); }\nexists (0:r0=0 /\\ 1:r0=0)";

fn compile(src: &str) -> kvet_ir::Program {
    kvet_ir::compile(src).unwrap_or_else(|e| panic!("{}", e.message))
}

#[test]
fn the_search_is_deterministic() {
    let prog = compile(ABBA);
    let a = explore(&prog, &Options::default());
    let b = explore(&prog, &Options::default());
    assert_eq!(a.states, b.states);
    assert_eq!(a.outcomes, b.outcomes);
    let kinds =
        |e: &kvet_explore::Exploration| e.violations.iter().map(|v| (v.kind, v.path.clone())).collect::<Vec<_>>();
    assert_eq!(kinds(&a), kinds(&b));
}

#[test]
fn tokens_round_trip_and_replay_the_finding() {
    let prog = compile(ABBA);
    let ex = explore(&prog, &Options::default());
    assert!(ex.violations.iter().any(|v| v.kind == ViolationKind::Deadlock));
    for v in &ex.violations {
        let tok = encode_token(&prog, &v.path);
        assert!(tok.starts_with("kv1."), "{tok}");
        assert_eq!(decode_token(&prog, &tok).expect("decodes"), v.path);
        let tr = replay(&prog, &v.path).expect("replays");
        assert_eq!(tr.violation.as_ref().map(|t| t.kind), Some(v.kind));
    }
}

#[test]
fn malformed_tokens_are_refused() {
    let prog = compile(ABBA);
    for tok in ["", "kv1", "kv2.00000000.0", "kv1.00000000.0", "kv1.zz.0-1"] {
        assert!(decode_token(&prog, tok).is_err(), "{tok:?} accepted");
    }
    let ex = explore(&prog, &Options::default());
    let good = encode_token(&prog, &ex.violations[0].path);
    let id = good.split('.').nth(1).unwrap();
    assert!(decode_token(&prog, &format!("kv1.{id}.-1")).is_err());
}

#[test]
fn reduction_keeps_outcomes_with_fewer_states() {
    let prog = compile(SB);
    let red = explore(&prog, &Options::default());
    let full = explore(&prog, &Options { reduce: false, ..Options::default() });
    assert!(red.complete && full.complete);
    assert_eq!(red.outcomes.keys().collect::<Vec<_>>(), full.outcomes.keys().collect::<Vec<_>>());
    assert!(red.states <= full.states, "{} > {}", red.states, full.states);
    // SB under SC: three outcomes, never both zero
    assert_eq!(full.outcomes.len(), 3);
}
