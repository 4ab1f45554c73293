//! Property test: the native LKMM gives exactly the same verdicts (allowed
//! and flags, one per alternative) as the cat interpreter running
//! linux-kernel.cat / sc-kernel.cat, on random small executions.

mod common;
use common::*;
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::{CatModel, EventId, EventKind, Execution, Tag};
use proptest::prelude::*;
use std::sync::OnceLock;

fn interp() -> &'static CatModel {
    static M: OnceLock<CatModel> = OnceLock::new();
    M.get_or_init(lkmm)
}
fn interp_sc() -> &'static CatModel {
    static M: OnceLock<CatModel> = OnceLock::new();
    M.get_or_init(sc_kernel)
}

struct Tape<'a>(&'a [u32], usize);
impl Tape<'_> {
    fn next(&mut self, k: u32) -> u32 {
        let v = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        if k == 0 {
            0
        } else {
            v % k
        }
    }
    fn chance(&mut self, pct: u32) -> bool {
        self.next(100) < pct
    }
}

const ACC_TAGS: &[&[Tag]] = &[&[], &[Tag::ONCE], &[Tag::ONCE], &[Tag::ACQUIRE], &[Tag::RELEASE], &[Tag::MB]];
const FENCES: &[Tag] = &[
    Tag::MB,
    Tag::WMB,
    Tag::RMB,
    Tag::BARRIER,
    Tag::RCU_LOCK,
    Tag::RCU_UNLOCK,
    Tag::SYNC_RCU,
    Tag::BEFORE_ATOMIC,
    Tag::AFTER_ATOMIC,
    Tag::AFTER_SPINLOCK,
    Tag::AFTER_UNLOCK_LOCK,
    Tag::AFTER_SRCU_READ_UNLOCK,
];

/// Build a random well-formed execution from a tape of random numbers.
fn build(tape: &[u32]) -> Execution {
    let mut t = Tape(tape, 0);
    let mut e = Execution::new();
    let nloc = 1 + t.next(2);
    let locs: Vec<_> = (0..nloc).map(|i| e.location(&format!("x{i}"))).collect();
    let s = e.location("s");
    let ss = e.location("ss");
    let mut inits = Vec::new();
    for &l in &locs {
        inits.push(e.init_write(l, 0));
    }
    let use_locks = t.chance(30);
    let use_srcu = t.chance(15);
    if use_locks {
        e.init_write(s, 0);
    }
    if use_srcu {
        e.init_write(ss, 0);
    }
    let nthreads = 1 + t.next(3);
    let mut reads = Vec::new(); // (event, loc)
    let mut writes: Vec<Vec<usize>> = vec![Vec::new(); nloc as usize];
    for (i, &w) in inits.iter().enumerate() {
        writes[i].push(w);
    }
    let mut by_thread: Vec<Vec<usize>> = Vec::new();
    let mut total = 0;
    for th in 0..nthreads {
        let mut evs = Vec::new();
        let k = 1 + t.next(4);
        for _ in 0..k {
            if total >= 13 {
                break;
            }
            let li = t.next(nloc) as usize;
            let l = locs[li];
            let tags = ACC_TAGS[t.next(ACC_TAGS.len() as u32) as usize];
            match t.next(16) {
                0..=3 => {
                    let r = e.read(th, l, 0, tags);
                    reads.push((r, li));
                    evs.push(r);
                    total += 1;
                }
                4..=7 => {
                    let w = e.write(th, l, 1 + t.next(2) as i64, tags);
                    writes[li].push(w);
                    evs.push(w);
                    total += 1;
                }
                8 | 9 => {
                    let f = e.fence(th, &[FENCES[t.next(FENCES.len() as u32) as usize]]);
                    evs.push(f);
                    total += 1;
                }
                10 => {
                    let (r, w) = e.rmw_op(th, l, 0, 2, tags);
                    reads.push((r, li));
                    writes[li].push(w);
                    evs.push(r);
                    evs.push(w);
                    total += 2;
                }
                11 => {
                    // failed cmpxchg (MB) or read of a non-returning op: an
                    // atomic read without rmw partner
                    let tag = if t.chance(50) { Tag::MB } else { Tag::NORETURN };
                    let r = e.add_event(kvet_axiom::Event {
                        thread: Some(th),
                        kind: EventKind::Read,
                        loc: Some(l),
                        value: Some(0),
                        tags: kvet_axiom::TagSet::of(&[tag]),
                        atomic: true,
                    });
                    reads.push((r, li));
                    evs.push(r);
                    total += 1;
                }
                12 if use_locks => {
                    let (a, b) = e.spin_lock(th, s);
                    evs.push(a);
                    evs.push(b);
                    total += 2;
                }
                13 if use_locks => {
                    let kind = match t.next(4) {
                        0 | 1 => EventKind::Unlock,
                        2 => EventKind::LockFail,
                        _ => {
                            if t.chance(50) {
                                EventKind::ReadLocked
                            } else {
                                EventKind::ReadUnlocked
                            }
                        }
                    };
                    evs.push(e.lock_event(th, kind, s));
                    total += 1;
                }
                14 if use_srcu => {
                    let x = match t.next(3) {
                        0 => e.read(th, ss, 0, &[Tag::SRCU_LOCK]),
                        1 => e.write(th, ss, 0, &[Tag::SRCU_UNLOCK]),
                        _ => e.srcu_sync(th, ss),
                    };
                    evs.push(x);
                    total += 1;
                }
                _ => {
                    let f = e.fence(th, &[Tag::MB]);
                    evs.push(f);
                    total += 1;
                }
            }
        }
        by_thread.push(evs);
    }
    relations(&mut e, &mut t, &reads, &writes, &by_thread);
    e
}

/// The random execution's relations: each read's rf (a write of its
/// location), dependencies from reads to po-later events of the same
/// thread, and maybe a final write per location.
fn relations(
    e: &mut Execution,
    t: &mut Tape,
    reads: &[(EventId, usize)],
    writes: &[Vec<EventId>],
    by_thread: &[Vec<EventId>],
) {
    // rf: each read picks a write of its location; value follows.
    for &(r, li) in reads {
        let ws = &writes[li];
        let w = ws[t.next(ws.len() as u32) as usize];
        e.add_rf(w, r);
    }
    // dependencies from reads to po-later events of the same thread
    for evs in by_thread {
        for (a, &x) in evs.iter().enumerate() {
            if e.event(x).kind != EventKind::Read {
                continue;
            }
            for &y in &evs[a + 1..] {
                match t.next(10) {
                    0 => e.add_addr(x, y),
                    1 => e.add_data(x, y),
                    2 => e.add_ctrl(x, y),
                    _ => {}
                }
            }
        }
    }
    // final writes: for each location, maybe the last write of some thread
    for ws in writes {
        if t.chance(50) {
            e.add_final(ws[t.next(ws.len() as u32) as usize]);
        }
    }
}

/// Fix read values to the value of the write they read from.
fn fix_values(ex: &Execution) -> Execution {
    let mut out = Execution::new();
    for l in ex.locations() {
        out.location(l);
    }
    let mut evs: Vec<_> = ex.events().to_vec();
    for &(w, r) in ex.rf() {
        evs[r].value = evs[w].value;
    }
    for ev in evs {
        out.add_event(ev);
    }
    for &(a, b) in ex.rf() {
        out.add_rf(a, b);
    }
    for &(a, b) in ex.rmw() {
        out.add_rmw(a, b);
    }
    for &(a, b) in ex.addr() {
        out.add_addr(a, b);
    }
    for &(a, b) in ex.data() {
        out.add_data(a, b);
    }
    for &(a, b) in ex.ctrl() {
        out.add_ctrl(a, b);
    }
    for &w in ex.finals() {
        out.add_final(w);
    }
    out
}

fn compare(ex: &Execution) -> Result<(), TestCaseError> {
    prop_assert!(ex.validate().is_ok(), "invalid execution: {:?}", ex.validate());
    for (sc, im, nm) in [(false, interp(), NativeLkmm::new()), (true, interp_sc(), NativeLkmm::sc())] {
        let a = verdicts(im, ex);
        let b = verdicts(&nm, ex);
        prop_assert_eq!(&a, &b, "sc={} execution:\n{}", sc, ex);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]
    #[test]
    fn native_equals_interpreter(tape in proptest::collection::vec(any::<u32>(), 120)) {
        let ex = fix_values(&build(&tape));
        compare(&ex)?;
    }
}

#[test]
fn fixed_examples_agree() {
    for ex in [sb(None), sb(Some(Tag::MB)), lb(true), lock_mp(1, 0, true), rcu_gp(1, 0, true), race(false, 1)] {
        compare(&ex).unwrap();
    }
}
