//! The visited set: 128-bit xxh3 fingerprints of state vectors in an
//! open-addressing table. Storing fingerprints instead of states is hash
//! compaction (Wolper & Leroy, "Reliable hashing without collision
//! detection", CAV 1993); with 128 bits the chance that two of even 10^12
//! states collide is below 10^-14. The [`VisitedSet`] trait lets a
//! parallel or disk-backed set replace this one.

/// A set of state fingerprints.
pub trait VisitedSet {
    /// Insert; true if the fingerprint was not there before.
    fn insert(&mut self, fp: u128) -> bool;
    /// How many fingerprints the set holds.
    fn len(&self) -> usize;
    /// Whether the set holds no fingerprint.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes of memory held.
    fn bytes(&self) -> usize;
    /// Bytes held at the peak of the next insertion (a table that must
    /// grow holds its old and its new slots at once).
    fn peak_bytes(&self) -> usize {
        self.bytes()
    }
}

/// Fingerprint of a state vector.
#[inline]
pub fn fingerprint(s: &[i64]) -> u128 {
    // SAFETY: i64 has no padding and u8 has alignment 1, so viewing the
    // initialised i64 slice as bytes is sound.
    let bytes = unsafe { std::slice::from_raw_parts(s.as_ptr() as *const u8, std::mem::size_of_val(s)) };
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// Fingerprint of the words of `s` in `runs` (`Layout::hashed`: the words
/// that may differ between reachable states), gathered into `buf`; the
/// words left out hold the same value in every state, so two states have
/// the same fingerprint input exactly when they are equal.
#[inline]
pub(crate) fn fingerprint_runs(s: &[i64], runs: &[(usize, usize)], buf: &mut Vec<i64>) -> u128 {
    if let [(0, end)] = runs {
        if *end == s.len() {
            return fingerprint(s);
        }
    }
    buf.clear();
    for &(a, b) in runs {
        buf.extend_from_slice(&s[a..b]);
    }
    fingerprint(buf)
}

/// Linear-probing table of non-zero u128 keys (0 marks an empty slot),
/// filled to at most three quarters (16 to 43 bytes per key; a probe
/// sequence mostly stays within the first slot's cache line, which holds
/// four slots), on huge pages when it is large (`crate::hugepages`).
pub struct FpTable {
    slots: Vec<u128>,
    len: usize,
    /// The slots filled since the table was last empty, while they are
    /// few (at most one in [`LOG_PART`] of the slots, and the table has
    /// not grown since): `clear` then empties just those instead of
    /// every slot (a breadth-first search clears its next-level table at
    /// every level, most of which are small).
    log: Vec<u32>,
    /// Whether `log` holds every filled slot.
    logged: bool,
}

/// The clear log holds at most `slots / LOG_PART` slots.
const LOG_PART: usize = 16;

impl Default for FpTable {
    fn default() -> Self {
        FpTable { slots: crate::hugepages::zeroed_slots(1 << 12), len: 0, log: Vec::new(), logged: true }
    }
}

impl FpTable {
    /// Is the fingerprint there?
    #[inline]
    pub fn contains(&self, fp: u128) -> bool {
        let k = if fp == 0 { 1 } else { fp };
        let mask = self.slots.len() - 1;
        let mut i = (k as usize) & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return false;
            }
            if s == k {
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// Start loading the slot where `fp` would be probed first into the
    /// cache (a hint: the lookup that follows misses less).
    #[inline]
    pub fn prefetch(&self, fp: u128) {
        let k = if fp == 0 { 1 } else { fp };
        let i = (k as usize) & (self.slots.len() - 1);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `i` is within the table, and a prefetch has no
        // architectural effect (it never faults).
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch(self.slots.as_ptr().add(i) as *const i8, _MM_HINT_T0);
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = i;
    }

    /// Empty the table, keeping its slots.
    pub fn clear(&mut self) {
        if self.len > 0 {
            if self.logged {
                for &i in &self.log {
                    self.slots[i as usize] = 0;
                }
            } else {
                self.slots.iter_mut().for_each(|x| *x = 0);
            }
            self.len = 0;
        }
        self.log.clear();
        self.logged = true;
    }

    /// Note that slot `i` was filled (the clear log).
    #[inline]
    fn filled(&mut self, i: usize) {
        if self.logged {
            if self.log.len() < self.slots.len() / LOG_PART {
                self.log.push(i as u32);
            } else {
                self.logged = false;
            }
        }
    }

    /// Must the table grow before the next insertion (it would be more
    /// than three quarters full)?
    #[inline]
    fn full(&self) -> bool {
        (self.len + 1) * 4 > self.slots.len() * 3
    }

    fn grow(&mut self) {
        let n = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, crate::hugepages::zeroed_slots(n));
        // (the filled slots move: the log no longer names them)
        self.logged = false;
        self.log = Vec::new();
        let mask = self.slots.len() - 1;
        for k in old.into_iter().filter(|&k| k != 0) {
            let mut i = (k as usize) & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = k;
        }
    }
}

impl VisitedSet for FpTable {
    #[inline]
    fn insert(&mut self, fp: u128) -> bool {
        let k = if fp == 0 { 1 } else { fp };
        if self.full() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = (k as usize) & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                self.slots[i] = k;
                self.len += 1;
                self.filled(i);
                return true;
            }
            if s == k {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn bytes(&self) -> usize {
        self.slots.len() * 16 + self.log.capacity() * 4
    }

    fn peak_bytes(&self) -> usize {
        if self.full() {
            self.slots.len() * 16 * 3
        } else {
            self.slots.len() * 16
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clearing by the log empties the table as clearing every slot
    /// does: below and above the log's size, and after growth.
    #[test]
    fn clear_empties_every_slot() {
        let mut t = FpTable::default();
        let mut x = 0x9e37_79b9_7f4a_7c15_u128;
        for n in [0usize, 1, 10, 255, 256, 257, 3000, 5000, 20000, 3] {
            for _ in 0..n {
                x = x.wrapping_mul(0x2545_f491_4f6c_dd1d_u128 | 1).wrapping_add(12345);
                assert!(t.insert(x));
            }
            assert_eq!(t.len(), n);
            t.clear();
            assert_eq!(t.len(), 0);
            assert!(t.slots.iter().all(|&k| k == 0), "after {n} insertions");
        }
    }
}
