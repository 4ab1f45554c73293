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
//! The thread's first access to `x` is no exception: the initial write
//! `i` is co-first, so with `w0 = i` (of no thread) `w0 = w'` or `w0
//! ->co w'`, and no write of the thread lies co-between: none is po-before
//! the read, and one po-after it co-before `w'` closes the `coherence`
//! cycle `r ->po-loc s ->co w' ->rf r`.  So the first read takes a value
//! reachable from the initial one (a bit only this thread changes has its
//! initial value until the thread writes it).
//!
//! **Held bits.**  Say a path *holds* bit `b` of `x` after an atomic RMW
//! of `x` that read `b` clear and wrote it set (an *acquire*: a
//! `test_and_set_bit_lock()`, but any RMW turning the bit on), until its
//! first later write to `x` that leaves `b` clear (its *release*).  Say
//! `x`'s bit `b` is *disciplined* if on every thread's explored paths
//! every write to `x` leaving `b` clear either is an RMW whose read read
//! `b` clear or is made while its thread holds `b` ([`Holds::write`]:
//! the others are [`Flips::wild`]).  Then a read `r` of `x` made while its
//! thread `T` holds a disciplined `b` (acquire `a`, write `Wa`) reads `b`
//! set.  Proof: `r` reads `w'` with `Wa = w'` or `Wa ->co w'` (as above);
//! suppose some write in `(Wa, w']` (by `co`) leaves `b` clear, and let
//! `z` be the co-first.  `z` is not `T`'s (its writes po-between `a` and
//! `r` leave `b` set, those po-before `a` are co-before `Wa`, those
//! po-after `r` co-after `w'`), and its co-predecessor `p` has `b` set
//! (it is `Wa` or after it).  An RMW reads its write's co-immediate
//! predecessor (`atomic`, and `coherence` for its own thread's writes),
//! so `z` is no RMW reading `b` clear: by discipline its thread `U` holds
//! `b`, from an acquire `c` whose write `Wc ->co z` (CoWW) read the
//! co-predecessor of `Wc`, with `b` clear.  `Wc` in `(Wa, z)` would put
//! that predecessor, with `b` clear, in `[Wa, z)`: so `Wc ->co Wa`.  Then
//! `Wa`'s co-predecessor, with `b` clear, lies in `[Wc, Wa)`, so some
//! write in `(Wc, Wa)` leaves `b` clear; the co-first such `y` has a
//! predecessor with `b` set, is not `U`'s (its writes po-between `c` and
//! `z` leave `b` set, and the others are co-before `Wc` or co-after `z`),
//! and the same argument gives an acquire co-before `Wc` whose own
//! interval holds a first clear, and so on: an infinite co-descending
//! chain of acquires, impossible in a finite execution.  The rule asks
//! nothing of plain accesses: `__clear_bit()` of another bit by a holder
//! writes the word back with `b` set (it read `b` set, by this rule), so
//! it keeps the discipline; a plain store clearing `b` outside a holding
//! (an initialisation) breaks it, and the bit is then not pruned.
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
    /// Bits some write leaves clear that its thread does not hold (see
    /// [`Holds`]): an RMW turning the bit off, or any other write with it
    /// off, outside the thread's holding of it.  In [`Others::flips`]
    /// these are of every thread, the walked one included.
    pub wild: u64,
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
        self.wild |= o.wild;
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
    // (the bit-holding rule needs the discipline of every thread: see
    // [`Holds`])
    if let Some(w) = written.get(t) {
        for (c, f) in &w.flips {
            d.flips[*c as usize].wild |= f.wild;
        }
    }
    d
}

/// Check mode: per cell, the bits a path holds (see the module doc's
/// last part): bits its atomic RMWs turned on (read clear, written set)
/// that none of its later writes to the cell left clear.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holds(Vec<(u32, u64)>);

impl Holds {
    /// The bits held of `cell`.
    pub fn of(&self, cell: u32) -> u64 {
        self.0.binary_search_by_key(&cell, |h| h.0).map_or(0, |i| self.0[i].1)
    }

    /// A write of `new` to `cell`, the write of an atomic RMW that read
    /// `old` if `old` is given: the bits it leaves clear outside the
    /// holding of them (for [`Flips::wild`]); the holding goes on.
    /// Unsolved values hold nothing and leave every bit wild.
    pub fn write(&mut self, cell: u32, old: Option<Val>, new: Val, unsolved: bool) -> u64 {
        let held = self.of(cell);
        let (wild, now) = if unsolved {
            (u64::MAX, 0)
        } else {
            let n = new as u64;
            let (acquired, excused) = match old {
                Some(o) => (!(o as u64) & n, !(o as u64) | held),
                None => (0, held),
            };
            (!n & !excused, (held & n) | acquired)
        };
        match self.0.binary_search_by_key(&cell, |h| h.0) {
            Ok(i) if now == 0 => {
                self.0.remove(i);
            }
            Ok(i) => self.0[i].1 = now,
            Err(i) if now != 0 => self.0.insert(i, (cell, now)),
            Err(_) => {}
        }
        wild
    }
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
