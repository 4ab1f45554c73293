//! Known LKMM verdicts on hand-built executions, for the interpreter
//! (linux-kernel.cat run by the cat interpreter) and the native model.

mod common;
use common::*;
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::{Model, Tag};

fn both() -> Vec<(String, Box<dyn Model>)> {
    vec![
        ("interp".into(), Box::new(lkmm()) as Box<dyn Model>),
        ("native".into(), Box::new(NativeLkmm::new()) as Box<dyn Model>),
    ]
}

#[test]
fn sb_tests() {
    for (name, m) in both() {
        assert!(allowed(&*m, &sb(None)), "{name}: SB+poonceonces allowed");
        assert!(!allowed(&*m, &sb(Some(Tag::MB))), "{name}: SB+mbonceonces forbidden");
        assert!(allowed(&*m, &sb(Some(Tag::WMB))), "{name}: SB+wmbonceonces allowed");
    }
}

#[test]
fn mp_tests() {
    for (name, m) in both() {
        assert!(allowed(&*m, &mp(ONCE, ONCE, None, None)), "{name}: MP+poonceonces allowed");
        assert!(
            !allowed(&*m, &mp(&[Tag::RELEASE], &[Tag::ACQUIRE], None, None)),
            "{name}: MP+pooncerelease+poacquireonce forbidden"
        );
        assert!(
            !allowed(&*m, &mp(ONCE, ONCE, Some(Tag::WMB), Some(Tag::RMB))),
            "{name}: MP+fencewmbonceonce+fencermbonceonce forbidden"
        );
        assert!(allowed(&*m, &mp(ONCE, ONCE, Some(Tag::WMB), None)), "{name}: MP+fencewmbonceonce+poonceonce allowed");
    }
}

#[test]
fn lb_tests() {
    for (name, m) in both() {
        assert!(allowed(&*m, &lb(false)), "{name}: LB+poonceonces allowed");
        assert!(!allowed(&*m, &lb(true)), "{name}: LB+ctrlonceonces forbidden");
    }
}

#[test]
fn spinlock() {
    for (name, m) in both() {
        assert!(!allowed(&*m, &lock_mp(1, 0, true)), "{name}: locked MP forbidden");
        assert!(allowed(&*m, &lock_mp(1, 1, true)), "{name}: locked MP, r=1,1 allowed");
        assert!(allowed(&*m, &lock_mp(0, 0, true)), "{name}: locked MP, r=0,0 allowed");
        assert!(allowed(&*m, &lock_mp(1, 0, false)), "{name}: unlocked MP allowed");
        let v = verdicts(&*m, &lock_mp(1, 1, true));
        assert_eq!(v.len(), 2, "{name}: two lock orders");
    }
}

#[test]
fn rcu() {
    for (name, m) in both() {
        assert!(!allowed(&*m, &rcu_gp(1, 0, true)), "{name}: RCU grace period forbids r0=1,r1=0");
        assert!(allowed(&*m, &rcu_gp(1, 0, false)), "{name}: without synchronize_rcu allowed");
        assert!(allowed(&*m, &rcu_gp(1, 1, true)), "{name}: r0=1,r1=1 allowed");
        assert!(allowed(&*m, &rcu_gp(0, 0, true)), "{name}: r0=0,r1=0 allowed");
    }
}

#[test]
fn data_race() {
    for (name, m) in both() {
        assert_eq!(flags_of_allowed(&*m, &race(false, 1)), vec!["data-race"], "{name}");
        assert_eq!(flags_of_allowed(&*m, &race(false, 0)), vec!["data-race"], "{name}");
        assert!(flags_of_allowed(&*m, &race(true, 1)).is_empty(), "{name}");
    }
}

#[test]
fn sc_kernel_forbids_sb() {
    let models: Vec<Box<dyn Model>> = vec![Box::new(sc_kernel()), Box::new(NativeLkmm::sc())];
    for m in models {
        assert!(!allowed(&*m, &sb(None)));
        assert!(!allowed(&*m, &mp(ONCE, ONCE, None, None)));
        assert!(!allowed(&*m, &mp(ONCE, ONCE, Some(Tag::WMB), None)));
        assert!(!allowed(&*m, &lb(false)));
        assert!(allowed(&*m, &rcu_gp(0, 0, true)));
    }
}
