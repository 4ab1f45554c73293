//! Sets of write sites, for the read-value fixpoint of [`super::search`].
//!
//! [`Derivs`] holds what is known of how a value can come about: the
//! sets of sites of its known derivations (the minimal ones, a few of
//! them).  A write at site `s` whose value needs `s` in every known
//! derivation is a cycle.  One intersection per value was not enough: a
//! value that two different sites can make (a count dropped by either of
//! two `put`s) kept no site, and the next round made it again from itself.
//!
//! A site is the `k`-th write of a thread's path (thread `t`'s sites start
//! at its base).  One execution uses each site at most once along a chain
//! of values, so a value whose derivation would go through the same site
//! twice is a cycle (herd's unsolved values) and is not collected.  Kernel
//! scenarios make dozens of writes per thread (the prelude's task, lock and
//! list code), so the set holds up to [`Sites::CAP`] sites: with fewer,
//! the fixpoint tracked none and a counter's values grew by one per round
//! (a `refcount_t` decremented once per execution took 76 values).

use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign};

const WORDS: usize = 4;

/// A set of write sites (a fixed-size bitset: no allocation per event).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sites([u64; WORDS]);

impl Sites {
    /// How many sites a set can hold.
    pub const CAP: u32 = (WORDS * 64) as u32;
    /// No site.
    pub const EMPTY: Sites = Sites([0; WORDS]);

    /// The set holding `site` alone (empty past [`Sites::CAP`]).
    pub fn one(site: u32) -> Sites {
        let mut s = Sites::EMPTY;
        if site < Sites::CAP {
            s.0[(site / 64) as usize] = 1u64 << (site % 64);
        }
        s
    }

    /// Do the two sets share a site?
    pub fn meets(self, other: Sites) -> bool {
        self.0.iter().zip(other.0).any(|(a, b)| a & b != 0)
    }
}

impl BitOr for Sites {
    type Output = Sites;
    fn bitor(mut self, rhs: Sites) -> Sites {
        self |= rhs;
        self
    }
}

impl BitOrAssign for Sites {
    fn bitor_assign(&mut self, rhs: Sites) {
        for (a, b) in self.0.iter_mut().zip(rhs.0) {
            *a |= b;
        }
    }
}

impl BitAnd for Sites {
    type Output = Sites;
    fn bitand(mut self, rhs: Sites) -> Sites {
        self &= rhs;
        self
    }
}

impl BitAndAssign for Sites {
    fn bitand_assign(&mut self, rhs: Sites) {
        for (a, b) in self.0.iter_mut().zip(rhs.0) {
            *a &= b;
        }
    }
}

/// How many derivations a value keeps; more are merged (intersected),
/// which only keeps more values.  With 4, a counter that two kworkers
/// increment plainly in loops unrolled twice (work-items-race: six sites,
/// so value 2 has 15 minimal derivations) lost every site in the merges
/// and took a new value per round, 17 in 21 rounds, until the path phase
/// spent the work bound; with 8 it takes the 7 values 0..=6 and the value
/// rounds end after 15.
const KEEP: usize = 8;

/// The minimal site sets of a value's known derivations (an antichain,
/// sorted, at most [`KEEP`]); none at all marks a value every derivation
/// of which needs its own site (a cycle: not a value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Derivs {
    n: u8,
    m: [Sites; KEEP],
}

impl Default for Derivs {
    fn default() -> Self {
        Derivs::FREE
    }
}

impl Derivs {
    /// A value made without any write site (an initial value).
    pub const FREE: Derivs = Derivs { n: 1, m: [Sites::EMPTY; KEEP] };
    /// No derivation: a cycle.
    pub const CYCLE: Derivs = Derivs { n: 0, m: [Sites::EMPTY; KEEP] };

    /// Is this the mark of a cycle?
    pub fn is_cycle(&self) -> bool {
        self.n == 0
    }

    fn sets(&self) -> &[Sites] {
        &self.m[..self.n as usize]
    }

    /// Add the derivation through the sites `s` (in place: this runs for
    /// every write of every explored path).
    pub fn add(&mut self, s: Sites) {
        let mut v = [Sites::EMPTY; KEEP + 1];
        let mut n = 0;
        for m in self.sets() {
            if *m & s == *m {
                return; // a smaller derivation is known
            }
            if *m & s != s {
                v[n] = *m;
                n += 1;
            }
        }
        v[n] = s;
        n += 1;
        v[..n].sort_unstable();
        if n > KEEP {
            // merge the two largest: their intersection stands for both
            let m = v[n - 1] & v[n - 2];
            n -= 2;
            let mut k = 0;
            for i in 0..n {
                if v[i] & m != m {
                    v[k] = v[i];
                    k += 1;
                }
            }
            n = k;
            if !v[..n].iter().any(|x| *x & m == *x) {
                v[n] = m;
                n += 1;
            }
            v[..n].sort_unstable();
        }
        self.n = n as u8;
        self.m = [Sites::EMPTY; KEEP];
        self.m[..n].copy_from_slice(&v[..n]);
    }

    /// Add every derivation of `o`.
    pub fn merge(&mut self, o: &Derivs) {
        for s in o.sets() {
            self.add(*s);
        }
    }

    /// One derivation standing for all: their intersection (litmus mode,
    /// whose counts were matched against herd7 with one set per value).
    pub fn collapse(&self) -> Derivs {
        let mut it = self.sets().iter();
        let Some(first) = it.next() else {
            return *self;
        };
        let mut r = Derivs::CYCLE;
        r.add(it.fold(*first, |a, b| a & *b));
        r
    }

    /// The derivations of a value made from one of `self` and one of `o`.
    pub fn join(&self, o: &Derivs) -> Derivs {
        let mut r = Derivs::CYCLE;
        for a in self.sets() {
            for b in o.sets() {
                r.add(*a | *b);
            }
        }
        r
    }

    /// Those derivations through `site` too, where they do not already
    /// go through it (else a cycle).
    pub fn through(&self, site: Sites) -> Derivs {
        let mut r = Derivs::CYCLE;
        for a in self.sets() {
            if !a.meets(site) {
                r.add(*a | site);
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::{Derivs, Sites};

    #[test]
    fn a_value_two_sites_can_make_is_not_made_again_by_either() {
        // 0 is 1 dropped by site 1 or by site 2
        let mut zero = Derivs::CYCLE;
        zero.add(Sites::one(1));
        zero.add(Sites::one(2));
        // -1: 0 dropped again, by the other site only
        let m1 = {
            let mut d = zero.through(Sites::one(1));
            d.merge(&zero.through(Sites::one(2)));
            d
        };
        assert!(!m1.is_cycle());
        // -2 would need a third drop
        assert!(m1.through(Sites::one(1)).is_cycle());
        assert!(m1.through(Sites::one(2)).is_cycle());
        assert!(!m1.through(Sites::one(3)).is_cycle());
    }

    #[test]
    fn merged_derivations_only_keep_more_values() {
        let mut d = Derivs::CYCLE;
        for i in 0..8 {
            d.add(Sites::one(i) | Sites::one(100));
        }
        // every derivation went through site 100: still a cycle there
        assert!(d.through(Sites::one(100)).is_cycle());
        assert!(!d.through(Sites::one(0)).is_cycle());
        assert_eq!(Derivs::FREE.join(&d), d);
        let mut two = Derivs::CYCLE;
        two.add(Sites::one(1) | Sites::one(2));
        two.add(Sites::one(2) | Sites::one(3));
        let mut want = Derivs::CYCLE;
        want.add(Sites::one(2));
        assert_eq!(two.collapse(), want);
    }

    #[test]
    fn sites_past_the_first_word_are_kept() {
        let a = Sites::one(3) | Sites::one(200);
        assert!(a.meets(Sites::one(200)));
        assert!(!a.meets(Sites::one(199)));
        assert_eq!(a & Sites::one(3), Sites::one(3));
        assert_eq!(Sites::one(Sites::CAP), Sites::EMPTY);
    }
}
