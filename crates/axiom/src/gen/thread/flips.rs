//! Coherence successors: the values a read can take after the thread's
//! own last access to its location, from how the other threads' writes
//! can change it (check mode's path walk, [`super::Walker::values`]).
//!
//! Sources: tools/memory-model/linux-kernel.cat (`coherence`: `acyclic
//! po-loc | com`, over every access, marked or plain; `atomic`: `empty
//! rmw & (fre ; coe)`) and linux-kernel.def (an atomic RMW is an `R`/`W`
//! pair linked by `rmw`: `set_bit()`, `clear_bit()`, `test_and_set_bit*()`,
//! `clear_bit_unlock*()`, `atomic_*()`, `xchg()`, a successful `cmpxchg()`).
//!
//! Let `a` be thread `T`'s last access to location `x` po-before a read
//! `r` of `x`: a write `W` (then `w0 = W`) or a read reading from `w0`.
//! Let `r` read from `w'`.  Then `w0 = w'` or `w0 ->co w'`: otherwise
//! `w' ->co w0` and `r ->fr w0`, and `a ->po-loc r` closes a `coherence`
//! cycle (`W ->po-loc r ->fr W`, or `w0 ->rf a ->po-loc r ->fr w0`).
//! Every write `z` with `w0 ->co z ->co w'` is of another thread: an own
//! write po-before `a` is co-before `w0` or is `w0` (CoWW, CoWR), none lies
//! po-between `a` and `r` (`a` is the last access), and one po-after `r`
//! is co-after `w'` (CoRW).  So `w'`'s value is reached from `w0`'s by the
//! co-chain `w0 = z0 ->co z1 ->co ... ->co zk = w'` of other threads'
//! writes, each `zi` immediately co-after `z(i-1)` among them (any write
//! co-between two of the chain is of another thread as well, so the chain
//! may be taken as all of them).  An atomic RMW's write `zi` has its read
//! reading from `z(i-1)`: a write `y` co-between its source and `zi` is
//! `fre ; coe` from its read if `y` is of another thread (`atomic`), and
//! if of its own thread, po-before its read (CoWW), a `coherence` cycle
//! (CoWR).  So `zi`'s value is `z(i-1)`'s with the bit changes of that
//! RMW's transition (old value to new) on its explored path; any other
//! write (a store, plain or marked, a plain read-modify-write such as
//! `__clear_bit()`, the poison of a free) sets the value to one it writes.
//!
//! Hence, with per location the union `S` (bits turned on) and `C` (bits
//! turned off) of the other threads' RMW transitions and the set `V` of
//! values their other writes store, `r` reads a value `u` reachable from
//! `a`'s value `v` or from some `s` in `V` by bit changes: every bit set
//! in `u` and clear in the start is in `S`, every bit clear in `u` and set
//! in the start is in `C` (each bit on its own: an over-approximation).
//! A read taking any other value has no allowed execution, so the path is
//! not walked.  The transitions and stores are collected like the values
//! other threads write (the value rounds' previous round, a fixpoint with
//! them: see `value_rounds` in [`super::super::search`]); the pruning is
//! monotone in them.  After `test_and_set_bit_lock()` of a bit no other
//! thread clears, later reads of the word see it set; a bit only this
//! thread changes keeps its value between its own accesses.
//!
//! Off with [`super::Limits::exhaustive`] (tests/path_reductions.rs).

use kvet_ir::Val;

/// How the writes of some threads may change one location's value:
/// bits atomic RMWs turn on and off, and the values other writes store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flips {
    /// Bits some atomic RMW turns on (from 0 to 1).
    pub set: u64,
    /// Bits some atomic RMW turns off.
    pub clr: u64,
    /// The values the other writes store (sorted, duplicate-free).
    pub stores: Vec<Val>,
}

impl Flips {
    /// Note an atomic RMW's transition from `old` to `new`.
    pub fn transition(&mut self, old: Val, new: Val) {
        let (o, n) = (old as u64, new as u64);
        self.set |= !o & n;
        self.clr |= o & !n;
    }

    /// Note a write (not an RMW's) of `v`.
    pub fn store(&mut self, v: Val) {
        if let Err(i) = self.stores.binary_search(&v) {
            self.stores.insert(i, v);
        }
    }

    /// Add everything `o` holds.
    pub fn merge(&mut self, o: &Flips) {
        self.set |= o.set;
        self.clr |= o.clr;
        for &v in &o.stores {
            self.store(v);
        }
    }

    /// Can the bit changes turn `from` into `to`?
    fn changes(&self, from: Val, to: Val) -> bool {
        let (f, t) = (from as u64, to as u64);
        !f & t & !self.set == 0 && f & !t & !self.clr == 0
    }

    /// Can a read whose thread last saw `last` at this location read
    /// `u` (see the module doc)?
    pub fn reachable(&self, last: Val, u: Val) -> bool {
        self.changes(last, u) || self.stores.iter().any(|s| self.changes(*s, u))
    }
}

/// Per cell, what the other threads write there: the values (sorted) and
/// how they change it ([`Flips`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Others {
    /// Per cell, the values other threads write there, sorted.
    pub vals: Vec<Vec<Val>>,
    /// Per cell, how their writes change it.
    pub flips: Vec<Flips>,
}

impl std::ops::Deref for Others {
    type Target = Vec<Vec<Val>>;
    fn deref(&self) -> &Self::Target {
        &self.vals
    }
}

/// What one thread's walk wrote: (cell, value, derivations) as in
/// [`super::ThreadPaths::written`], and per cell its [`Flips`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wrote {
    pub vals: Vec<(u32, Val, super::Derivs)>,
    pub flips: Vec<(u32, Flips)>,
}

impl Wrote {
    /// The same cells and values (derivations aside) and flips as `o`?
    pub fn same_as(&self, o: &Wrote) -> bool {
        self.flips == o.flips
            && self.vals.len() == o.vals.len()
            && self.vals.iter().zip(&o.vals).all(|(a, b)| a.0 == b.0 && a.1 == b.1)
    }
}

/// What every thread but `t` writes, per cell (of `ncells`).
pub fn others(written: &[Wrote], t: usize, ncells: usize) -> Others {
    let mut d = Others { vals: vec![Vec::new(); ncells], flips: vec![Flips::default(); ncells] };
    for (u, w) in written.iter().enumerate() {
        if u != t {
            for &(c, v, _) in &w.vals {
                d.vals[c as usize].push(v);
            }
            for (c, f) in &w.flips {
                d.flips[*c as usize].merge(f);
            }
        }
    }
    for v in &mut d.vals {
        v.sort_unstable();
        v.dedup();
    }
    d
}

#[cfg(test)]
mod tests {
    use super::Flips;

    #[test]
    fn a_bit_nobody_else_clears_stays_set() {
        let mut f = Flips::default();
        // another thread sets and clears bit 7 only
        f.transition(0b0001, 0b1000_0001);
        f.transition(0b1000_0001, 0b0001);
        assert!(f.reachable(0b0001, 0b1000_0001));
        assert!(!f.reachable(0b0001, 0b0000));
        // a store brings any value it stores, and its bit changes
        f.store(0);
        assert!(f.reachable(0b0001, 0b0000));
        assert!(f.reachable(0b0001, 0b1000_0000));
        assert!(!f.reachable(0b0001, 0b10));
    }
}
