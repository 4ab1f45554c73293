//! Per-location coherence memo for the search over combinations of paths
//! ([`super::search`]): a combination one of whose locations has no
//! coherent choice of read sources gives no candidate execution, and so
//! does every other combination whose paths access that location alike.
//!
//! Source: the search's own per-location check (`RfInputs::cobase`:
//! `cos-opt.cat`'s coherence base `co0 | ww | rw | wr | rr` and the RMW
//! atomicity of `linux-kernel.cat`).  Soundness: that check on a location
//! `c` reads only, per thread, the sequence of that thread's reads and
//! writes of `c` (their order, kinds, values and RMW pairing) and the
//! initial value of `c`: its write list, `ww`, each read's candidate
//! sources, `rw`/`wr`/`rr` and atomicity are all built from them.  This
//! sequence is the path's *projection* on `c`.  So two combinations whose
//! paths have the same projections on `c`, thread by thread, have the same
//! answer on `c`; once a combination fails on `c`, the others with its key
//! (the projection of each thread's path on `c`) are skipped without
//! building their events.  Exact: it skips only combinations the search
//! would reject after enumerating them.  A read with no candidate source
//! at all (no write of its value on its location that coherence allows)
//! is the simplest such location: its candidates, too, are read from the
//! projections alone (the test `loc_memo` compares the
//! findings and counts with it off, [`super::GenOptions::exhaustive`]).
//!
//! Since the check reads the projections only, it is made on them,
//! before the combination's events are built: each key is decided once,
//! from its projections, and remembered both ways.  And since a key needs
//! only the paths of the threads that access its location, it is checked
//! as soon as those are chosen ([`LocMemo::closed_coherent`]): at the
//! level of the search over combinations after which no thread still to
//! choose has a path accessing the location.  Every completion of that
//! partial combination has the same key, so an incoherent one drops the
//! whole subtree with a few lookups instead of visiting its combinations
//! one by one (each location is closed at some level, so every
//! combination reaching a leaf has passed the check on all its
//! locations).

use super::thread::{ThreadPaths, Trace};
use crate::exec::EventKind;
use kvet_ir::Val;
use rustc_hash::{FxHashMap, FxHashSet};

/// One event of a projection: is it a write, its value, and for the read
/// of an RMW the position of its write in the projection (`u16::MAX`:
/// none).
pub(super) type PEv = (bool, Option<Val>, u16);

/// The memo (kept across the search's passes: projections are interned,
/// so the keys of the deadlock pass's prefixes meet those of the main
/// pass).
#[derive(Default)]
pub(super) struct LocMemo {
    /// Projection -> id (`0` is the empty projection).
    intern: FxHashMap<Vec<PEv>, u32>,
    /// Id -> projection (`table[0]` is the empty one).
    table: Vec<Vec<PEv>>,
    /// Keys (cell, projection id per thread) decided: coherent or not.
    status: FxHashMap<(u32, Vec<u32>), bool>,
    /// Per thread, per path of the current lists: (cell, projection id),
    /// sorted by cell.
    projs: Vec<Vec<Vec<(u32, u32)>>>,
    /// Per level of the search over combinations (threads in the order
    /// given to [`LocMemo::set_order`]): the cells that no path of a
    /// thread of a later level accesses, and some path of this level's
    /// thread does (see [`LocMemo::closed_coherent`]).
    closes: Vec<Vec<u32>>,
}

impl LocMemo {
    /// Project every path of the lists the search is about to combine.
    pub(super) fn set_paths(&mut self, paths: &[ThreadPaths]) {
        let projs = paths.iter().map(|p| p.traces.iter().map(|tr| self.project(tr)).collect()).collect();
        self.projs = projs;
    }

    /// The order in which the search gives the threads a path (`order[l]`
    /// is the thread of level `l`): computes the cells each level closes.
    pub(super) fn set_order(&mut self, order: &[usize]) {
        let touched: Vec<FxHashSet<u32>> =
            self.projs.iter().map(|p| p.iter().flat_map(|tr| tr.iter().map(|x| x.0)).collect()).collect();
        let mut later: FxHashSet<u32> = FxHashSet::default();
        let mut closes = vec![Vec::new(); order.len()];
        for (l, &t) in order.iter().enumerate().rev() {
            let mut c: Vec<u32> = touched[t].iter().copied().filter(|c| !later.contains(c)).collect();
            c.sort_unstable();
            closes[l] = c;
            later.extend(touched[t].iter().copied());
        }
        self.closes = closes;
    }

    /// Are the cells that level `level` closes coherent in the partial
    /// combination `chosen` (per level so far, `(thread, path index)`,
    /// this level's last)?  Such a cell is accessed by no path of a later
    /// level, so its key (the projection of each thread's path on it) is
    /// already that of every completion of `chosen`: if it has no coherent
    /// rf, [`LocMemo::coherent`] rejects every one of them at their leaf.
    /// Checking it here drops them all at once.  Decides new keys with
    /// `decide` and remembers them, as [`LocMemo::coherent`] does.
    pub(super) fn closed_coherent(
        &mut self,
        level: usize,
        chosen: &[(usize, usize)],
        mut decide: impl FnMut(u32, &[&[PEv]]) -> bool,
    ) -> bool {
        let nt = self.projs.len();
        for i in 0..self.closes.get(level).map_or(0, Vec::len) {
            let c = self.closes[level][i];
            let mut key = vec![0u32; nt];
            for &(t, k) in chosen {
                let p = &self.projs[t][k];
                key[t] = p.binary_search_by_key(&c, |x| x.0).map_or(0, |i| p[i].1);
            }
            if !self.decided(c, key, &mut decide) {
                return false;
            }
        }
        true
    }

    /// The status of `(cell, key)`, decided by `decide` if new.
    fn decided(&mut self, c: u32, key: Vec<u32>, decide: &mut impl FnMut(u32, &[&[PEv]]) -> bool) -> bool {
        if let Some(&ok) = self.status.get(&(c, key.clone())) {
            return ok;
        }
        let projs: Vec<&[PEv]> = key.iter().map(|&id| self.table[id as usize].as_slice()).collect();
        let ok = decide(c, &projs);
        self.status.insert((c, key), ok);
        ok
    }

    fn project(&mut self, tr: &Trace) -> Vec<(u32, u32)> {
        let mut per: FxHashMap<u32, Vec<PEv>> = FxHashMap::default();
        // position of each event in its cell's projection
        let mut pos: Vec<u16> = vec![u16::MAX; tr.evs.len()];
        for (j, e) in tr.evs.iter().enumerate() {
            let (Some(c), true) = (e.cell, matches!(e.kind, EventKind::Read | EventKind::Write)) else {
                continue;
            };
            let v = per.entry(c).or_default();
            pos[j] = v.len() as u16;
            v.push((e.kind == EventKind::Write, e.val, u16::MAX));
        }
        for &(r, w) in &tr.rmw {
            let (r, w) = (r as usize, w as usize);
            if let (Some(c), true) = (tr.evs[r].cell, pos[r] != u16::MAX && pos[w] != u16::MAX) {
                if tr.evs[w].cell == Some(c) {
                    if let Some(v) = per.get_mut(&c) {
                        v[pos[r] as usize].2 = pos[w];
                    }
                }
            }
        }
        let mut out: Vec<(u32, u32)> = per
            .into_iter()
            .map(|(c, p)| {
                if self.table.is_empty() {
                    self.table.push(Vec::new());
                }
                let id = match self.intern.get(&p) {
                    Some(&id) => id,
                    None => {
                        let id = self.table.len() as u32;
                        self.table.push(p.clone());
                        self.intern.insert(p, id);
                        id
                    }
                };
                (c, id)
            })
            .collect();
        out.sort_unstable();
        out
    }
}
