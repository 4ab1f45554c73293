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

use super::thread::{ThreadPaths, Trace};
use crate::exec::EventKind;
use kvet_ir::Val;
use rustc_hash::{FxHashMap, FxHashSet};

/// One event of a projection: is it a write, its value, and for the read
/// of an RMW the position of its write in the projection.
type PEv = (bool, Option<Val>, u16);

/// The memo (kept across the search's passes: projections are interned,
/// so the keys of the deadlock pass's prefixes meet those of the main
/// pass).
#[derive(Default)]
pub(super) struct LocMemo {
    /// Projection -> id (`0` is the empty projection).
    intern: FxHashMap<Vec<PEv>, u32>,
    /// Per thread, per path of the current lists: (cell, projection id),
    /// sorted by cell.
    projs: Vec<Vec<Vec<(u32, u32)>>>,
    /// Keys (cell, projection id per thread) with no coherent rf.
    dead: FxHashSet<(u32, Vec<u32>)>,
    /// Cells with at least one dead key.
    dead_cells: FxHashSet<u32>,
}

impl LocMemo {
    /// Project every path of the lists the search is about to combine.
    pub(super) fn set_paths(&mut self, paths: &[ThreadPaths]) {
        let projs = paths.iter().map(|p| p.traces.iter().map(|tr| self.project(tr)).collect()).collect();
        self.projs = projs;
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
                let n = self.intern.len() as u32 + 1;
                (c, *self.intern.entry(p).or_insert(n))
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// The key of `cell` in the combination `idx` (a path index per thread).
    fn key(&self, idx: &[usize], cell: u32) -> Vec<u32> {
        idx.iter()
            .enumerate()
            .map(|(t, &k)| {
                let p = &self.projs[t][k];
                p.binary_search_by_key(&cell, |x| x.0).map_or(0, |i| p[i].1)
            })
            .collect()
    }

    /// Does some location of the combination `idx` have a key already
    /// found without a coherent rf?
    pub(super) fn known_dead(&self, idx: &[usize]) -> bool {
        if self.dead_cells.is_empty() {
            return false;
        }
        let mut seen: Vec<u32> = Vec::new();
        for (t, &k) in idx.iter().enumerate() {
            for &(c, _) in &self.projs[t][k] {
                if self.dead_cells.contains(&c) && !seen.contains(&c) {
                    seen.push(c);
                    if self.dead.contains(&(c, self.key(idx, c))) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Record that `cell` has no coherent rf in the combination `idx`.
    pub(super) fn mark_dead(&mut self, idx: &[usize], cell: u32) {
        let key = self.key(idx, cell);
        self.dead.insert((cell, key));
        self.dead_cells.insert(cell);
    }
}
