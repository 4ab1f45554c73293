//! The deadlock pass's lock waits that no combination can complete: a
//! prefix blocked at a `spin_lock()` is a partner of that pass only if
//! some thread may hold the lock it waits for.
//!
//! Source: the pass itself ([`super::search`], `Search::deadlock_cores`):
//! a combination holding a prefix of thread `t` blocked at lock `c` is
//! dropped (nothing is checked, counted or found) unless some trace of the
//! combination holds `c` at its end: that prefix itself (it already holds
//! `c`), or the trace of another thread.  So a blocked prefix whose lock
//! no trace of another thread holds can only be in combinations the pass
//! drops, and removing it from its thread's list changes nothing but the
//! work.  Removing it may leave another blocked prefix without a
//! possible holder (the removed prefix was the only one of its thread to
//! hold that lock while it waited): repeated to a fixpoint.  Exact by
//! induction on the order of removal: the first prefix removed has no
//! holder in any combination; a later one has, in any combination, only
//! holders removed before it, whose presence already makes the pass drop
//! the combination.  The test `shortcuts` compares the findings and
//! counts with it off ([`super::GenOptions::exhaustive`]).

use super::thread::ThreadPaths;

/// Remove, to a fixpoint, the prefixes blocked at a lock that no trace of
/// another thread (still listed) holds at its end, unless the prefix
/// holds it itself.
pub(super) fn drop_holderless(lists: &mut [ThreadPaths]) {
    loop {
        // per thread, the locks some listed trace holds at its end
        let held: Vec<Vec<u32>> = lists
            .iter()
            .map(|p| {
                let mut h: Vec<u32> = p.traces.iter().flat_map(|t| t.held.iter().copied()).collect();
                h.sort_unstable();
                h.dedup();
                h
            })
            .collect();
        let mut changed = false;
        for (t, p) in lists.iter_mut().enumerate() {
            let before = p.traces.len();
            p.traces.retain(|tr| match tr.blocked {
                None => true,
                Some(c) => {
                    tr.held.contains(&c) || held.iter().enumerate().any(|(u, h)| u != t && h.binary_search(&c).is_ok())
                }
            });
            changed |= p.traces.len() != before;
        }
        if !changed {
            return;
        }
    }
}
