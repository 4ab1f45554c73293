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
//! Since the check reads the projections only, it is made on them
//! ([`LocMemo::coherent`]), before the combination's events are built:
//! each key is decided once, from its projections, and remembered both
//! ways, so a combination one of whose locations is incoherent costs a
//! few lookups instead of its events, reads and candidate sources.

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

    /// Has every location of the combination `idx` a coherent choice of
    /// sources for its reads?  A key not decided yet is decided by
    /// `decide(cell, projection per thread)` and remembered.
    pub(super) fn coherent(&mut self, idx: &[usize], mut decide: impl FnMut(u32, &[&[PEv]]) -> bool) -> bool {
        let mut cells: Vec<u32> =
            idx.iter().enumerate().flat_map(|(t, &k)| self.projs[t][k].iter().map(|x| x.0)).collect();
        cells.sort_unstable();
        cells.dedup();
        for c in cells {
            let key = self.key(idx, c);
            let ok = match self.status.get(&(c, key)) {
                Some(&ok) => ok,
                None => {
                    let key = self.key(idx, c);
                    let projs: Vec<&[PEv]> = key.iter().map(|&id| self.table[id as usize].as_slice()).collect();
                    let ok = decide(c, &projs);
                    if !ok {
                        self.dead.insert((c, key.clone()));
                        self.dead_cells.insert(c);
                    }
                    self.status.insert((c, key), ok);
                    ok
                }
            };
            if !ok {
                return false;
            }
        }
        true
    }
}
