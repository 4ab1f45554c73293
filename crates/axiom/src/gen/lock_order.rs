//! Lock orders first: the candidate executions of one combination of
//! paths, partitioned by the coherence order of each lock location's lock
//! writes, before any read is given its source.
//!
//! Source: `lock.cat` (with herd's `cos-opt.cat`).  The coherence order of
//! a lock location is a linearisation of its writes `W | LKW` (the unlocks
//! `UL` are merged after it: `co = (co | critical | critical^-1 ; co)+`),
//! which contains `co0`: the initial write first and every lock write
//! before the location's one unmatched lock write (`UNMATCHED-LKW`, a lock
//! never released, which `unmatched-locks` allows once per location),
//! and `ww`, the program order of the lock writes of one thread.  The
//! read-from of the lock reads then follows from it (`rf` of `LKR` is the
//! immediate `co` predecessor, an `UL` or the initial write, of its
//! `LKW`).
//!
//! The partition.  Call the *lock order* of a location the restriction of
//! its coherence order to its lock writes: a total order of them.  Every
//! coherence order of the execution has exactly one lock order per
//! location, and each is a linear extension of the thread chains of the
//! lock writes with the unmatched one (if any) last: [`orders`] lists
//! exactly those, so the candidates of a combination (a read-from, final
//! writes and a coherence order) split into disjoint classes, one per
//! choice of lock orders, none lost and none in two classes.  The search
//! ([`super::search`]) runs its read-from enumeration once per choice with
//! the choice fixed on the execution ([`crate::Execution::set_lock_order`]),
//! and a model that honours it ([`crate::Model::fixes_lock_orders`], the
//! native LKMM) evaluates only the coherence orders of that class (the
//! chains added to `cobase` before the linearisations).  So each allowed
//! execution is evaluated once, under the lock orders it has: the counts,
//! states, flags and findings are those of the whole enumeration.  What
//! changes is the pruning: every partial check of the read-from
//! ([`crate::Model::partial_ok`]) is made under the one fixed order, a
//! superset of the coherence edges of every completion in the class,
//! instead of trying each lock order (up to 64) for one that admits the
//! partial read-from; and a choice that no read-from completes is dropped
//! by one partial check before its read-from is enumerated.
//!
//! Blocked prefixes (the deadlock pass) stop before their `spin_lock()`,
//! so they have no lock write there; the lock a thread holds at the end of
//! its trace is its unmatched lock write, placed last.  Trylocks: a
//! successful one is an `LKR`/`LKW` pair like `spin_lock()`, a failed one
//! an `LF`, whose read-from the model still chooses (`rfe-lf`), as it does
//! for `spin_is_locked()`'s `RU` (`rf-ru`); `RL` counts as `LF`.  The
//! rwlocks' writers take a hidden lock with the same events
//! (`thread/rwlock.rs`).  A location whose lock writes break `lock.cat`
//! (two unmatched ones, `unmatched-locks`, or a lock write po-after an
//! unmatched one, `lock-nest`: checks, so the model rejects every
//! execution) makes the combination have no choice: it is skipped.  The
//! locations past the bound [`MAX_CHOICES`] on the choices are left
//! unfixed (the model enumerates their orders as before); the partition is
//! exact either way.
//!
//! The run locks of CPUs that tasks share (`thread/cpu_share.rs`): an
//! order where a task's switch out (`UL`) is followed by its own next
//! take of the CPU (`LKR`, `LKW`), with no event of the task between and
//! no other task's run between, is dropped when the switch was optional
//! (a preemption, `cond_resched()`): the path that did not switch has
//! the same events and values without the `F[mb]; UL; LKR; LKW; F[mb]`,
//! and removing events that only order (a fence, an uncontended lock
//! hand-over to itself, consecutive in the lock's `co`) leaves every
//! allowed execution allowed, with the same outcome and findings.  A
//! switch that sleeps has events between its `UL` and `LKR` (the wait's
//! reads), so it is kept.  Off with
//! [`super::GenOptions::exhaustive`]; the tests `cand_reductions` and
//! `shortcuts` compare the answers with it on and off.

use crate::exec::{EventKind, Execution, LocId};

/// Most choices of lock orders one combination of paths is split into:
/// past it, the locations with the most orders are left to the model.
pub(super) const MAX_CHOICES: usize = 256;

/// The choices of lock orders of the events of `ex`: each choice fixes,
/// for some lock locations (those with at least two lock writes, fewest
/// orders first, while the number of choices stays within
/// [`MAX_CHOICES`]), the order of all their lock writes (event ids).
/// Empty when no location is fixed.
/// `None` when a location's lock writes break `lock.cat` (two unmatched
/// ones, `unmatched-locks`, or a lock write po-after an unmatched one,
/// `lock-nest`): the model rejects every execution of the combination;
/// also when every order of a run lock switches straight back (the
/// combination without those switches has the same executions).
/// `run_locs`: the run locks of shared CPUs, whose orders with an
/// optional switch straight back to the same task are dropped (see the
/// module doc).
pub(super) fn choices(ex: &Execution, run_locs: &[LocId]) -> Option<Vec<Vec<Vec<usize>>>> {
    let mut per_loc: Vec<Vec<Vec<usize>>> = Vec::new();
    for (loc, (chains, last)) in lock_chains(ex)? {
        let mut out = Vec::new();
        let mut cur = Vec::new();
        let mut pos = vec![0usize; chains.len()];
        if !interleave(&chains, last, &mut pos, &mut cur, &mut out) {
            continue; // too many: left to the model
        }
        if run_locs.contains(&loc) {
            let back = switches_back(ex, &chains);
            if !back.is_empty() {
                out.retain(|o| !o.windows(2).any(|w| back.contains(&(w[0], w[1]))));
                if out.is_empty() {
                    return None; // every order switches back: the combination is dominated
                }
            }
        }
        per_loc.push(out);
    }
    per_loc.sort_by_key(|os| os.len());
    let mut total = 1usize;
    let mut fixed: Vec<Vec<Vec<usize>>> = Vec::new();
    for os in per_loc {
        match total.checked_mul(os.len()) {
            Some(t) if t <= MAX_CHOICES => {
                total = t;
                fixed.push(os);
            }
            _ => break,
        }
    }
    if fixed.is_empty() {
        return Some(Vec::new());
    }
    // the cross product
    let mut res = Vec::with_capacity(total);
    let mut idx = vec![0usize; fixed.len()];
    loop {
        res.push(fixed.iter().zip(&idx).map(|(os, &i)| os[i].clone()).collect());
        if !crate::bits::next_index(&mut idx, |k| fixed[k].len()) {
            return Some(res);
        }
    }
}

/// One lock location's lock writes: per thread, its chain (po order), and
/// the unmatched one, if any.
type Chains = (Vec<Vec<usize>>, Option<usize>);

/// The pairs of consecutive lock writes of one thread's chain on a run
/// lock whose section ends in a switch straight back: the `UL` after
/// the first is followed in the thread's program order by the `LKR` and
/// then the `LKW` (the second), with no other event between (an optional
/// switch, see the module doc).
fn switches_back(ex: &Execution, chains: &[Vec<usize>]) -> Vec<(usize, usize)> {
    let evs = ex.events();
    let next_of = |i: usize| (i + 1..evs.len()).find(|&j| evs[j].thread == evs[i].thread);
    let mut out = Vec::new();
    for chain in chains {
        for w in chain.windows(2) {
            let (a, b) = (w[0], w[1]);
            let Some(u) = (a + 1..b).find(|&j| {
                evs[j].thread == evs[a].thread && evs[j].kind == EventKind::Unlock && evs[j].loc == evs[a].loc
            }) else {
                continue;
            };
            let Some(r) = next_of(u) else { continue };
            if evs[r].kind == EventKind::LockRead && evs[r].loc == evs[u].loc && next_of(r) == Some(b) {
                out.push((a, b));
            }
        }
    }
    out
}

/// Per lock location with at least two lock writes: the chain of its
/// lock writes in each thread (po order) and the unmatched one, if any
/// (last of its chain); `None` if a location breaks `lock.cat`.
fn lock_chains(ex: &Execution) -> Option<Vec<(LocId, Chains)>> {
    // (location, thread) -> lock writes; per lock write: matched?
    let evs = ex.events();
    let mut locs: Vec<u32> = evs.iter().filter(|e| e.kind == EventKind::LockWrite).filter_map(|e| e.loc).collect();
    locs.sort_unstable();
    locs.dedup();
    let mut out = Vec::new();
    for l in locs {
        let mut chains: Vec<Vec<usize>> = Vec::new();
        let mut unmatched: Vec<usize> = Vec::new();
        let mut broken = false;
        let mut by_thread: Vec<(u32, Vec<usize>)> = Vec::new();
        for (i, e) in evs.iter().enumerate() {
            if e.loc != Some(l) || !matches!(e.kind, EventKind::LockWrite | EventKind::Unlock) {
                continue;
            }
            let Some(t) = e.thread else { continue };
            match by_thread.iter_mut().find(|(u, _)| *u == t) {
                Some((_, v)) => v.push(i),
                None => by_thread.push((t, vec![i])),
            }
        }
        for (_, seq) in by_thread {
            // a lock write is matched iff the next LKW|UL of its location
            // in its thread is an unlock (lock.cat's `critical`)
            let mut chain = Vec::new();
            for (k, &i) in seq.iter().enumerate() {
                if evs[i].kind != EventKind::LockWrite {
                    continue;
                }
                if let Some(&u) = unmatched.last() {
                    if evs[u].thread == evs[i].thread {
                        broken = true; // a lock write po-after an unmatched one
                    }
                }
                chain.push(i);
                if !seq.get(k + 1).is_some_and(|&j| evs[j].kind == EventKind::Unlock) {
                    unmatched.push(i);
                }
            }
            if !chain.is_empty() {
                chains.push(chain);
            }
        }
        if broken || unmatched.len() > 1 {
            return None;
        }
        if chains.iter().map(Vec::len).sum::<usize>() >= 2 {
            out.push((l, (chains, unmatched.first().copied())));
        }
    }
    Some(out)
}

/// The interleavings of `chains` (each kept in order) with `last` last,
/// appended to `out`; `false` if there are more than [`MAX_CHOICES`].
fn interleave(
    chains: &[Vec<usize>],
    last: Option<usize>,
    pos: &mut [usize],
    cur: &mut Vec<usize>,
    out: &mut Vec<Vec<usize>>,
) -> bool {
    let total: usize = chains.iter().map(Vec::len).sum();
    if cur.len() == total {
        if out.len() == MAX_CHOICES {
            return false;
        }
        out.push(cur.clone());
        return true;
    }
    for t in 0..chains.len() {
        let Some(&e) = chains[t].get(pos[t]) else { continue };
        if Some(e) == last && cur.len() + 1 != total {
            continue;
        }
        pos[t] += 1;
        cur.push(e);
        let ok = interleave(chains, last, pos, cur, out);
        cur.pop();
        pos[t] -= 1;
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two threads, one taking the lock twice and one once (the second
    /// keeping it): the unmatched lock write is last, the others in any
    /// po-consistent order.
    #[test]
    fn orders_of_one_location() {
        let mut ex = Execution::new();
        let l = ex.location("a");
        ex.init_write(l, 0);
        let (_, w1) = ex.spin_lock(0, l);
        ex.spin_unlock(0, l);
        let (_, w2) = ex.spin_lock(0, l);
        ex.spin_unlock(0, l);
        let (_, w3) = ex.spin_lock(1, l);
        let c = choices(&ex, &[]);
        assert_eq!(c, Some(vec![vec![vec![w1, w2, w3]]]));
        let (_, w4) = ex.spin_lock(2, l);
        ex.spin_unlock(2, l);
        let c = choices(&ex, &[]).expect("well-formed");
        let mut got: Vec<Vec<usize>> = c.into_iter().map(|mut x| x.remove(0)).collect();
        got.sort();
        assert_eq!(got, vec![vec![w1, w2, w4, w3], vec![w1, w4, w2, w3], vec![w4, w1, w2, w3]]);
    }

    /// Two unmatched lock writes, or a lock taken again by its holder:
    /// the model rejects every execution.
    #[test]
    fn two_holders_have_no_order() {
        let mut ex = Execution::new();
        let l = ex.location("a");
        ex.init_write(l, 0);
        ex.spin_lock(0, l);
        ex.spin_lock(1, l);
        assert_eq!(choices(&ex, &[]), None);
        let mut ex = Execution::new();
        let l = ex.location("a");
        ex.init_write(l, 0);
        ex.spin_lock(0, l);
        ex.spin_lock(0, l);
        ex.spin_unlock(0, l);
        assert_eq!(choices(&ex, &[]), None);
    }
}
