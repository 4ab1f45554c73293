//! Symmetry reduction over interchangeable threads (Emerson and Sistla,
//! "Symmetry and model checking", FMSD 1996; Ip and Dill, "Better
//! verification through symmetry", FMSD 1996).
//!
//! A class of interchangeable threads (symmetry/detect.rs: the same code,
//! handlers and initial state up to swapping the threads and their own
//! objects, e.g. the waiters P1..PN of the scaled seed 002, beside a P0
//! that differs) is permuted as a whole: any permutation π of a class maps
//! a reachable state to a reachable state with the same findings up to
//! the thread names. The visited set stores the fingerprint of one member
//! of each state's orbit, obtained by applying one permutation to the
//! whole state vector:
//! - the per-thread block of the state vector (pc, CPU block, registers)
//!   of thread t moves to π(t)'s place, and so does the memory block of
//!   t's own objects (their cells at the same offsets in π(t)'s block: the
//!   relocated layout of symmetry/relocate.rs makes it one translation);
//! - every word that is a pointer into a thread's memory block (in memory
//!   and registers) is renamed to the same offset in π(t)'s block;
//! - the thread numbers that memory holds are renamed: lock words' holder
//!   and queued writer, and the freeing thread in lifetime cells;
//! - pid and tgid (t + 1), which no step reads (the machine watches them),
//!   take the values of their new place.
//!
//! The permutation sorts the threads of each class by their blocks with
//! pointers into class blocks abstracted to (own block or not, offset),
//! then by number: equal orbits mostly give equal members, and where they
//! do not (two threads alike in that view but not in their links), the
//! member is still in the orbit, which only costs reduction. The search keeps expanding the actual states it reached,
//! so every schedule it records, and every printed trace, is a real one;
//! the permuted state is only hashed.
//!
//! Without own objects (only static memory) no relocation is needed, as
//! for the scaled seed 004 whose CPUs are all alike.

use crate::state::{Layout, NONE};
use crate::visited::{fingerprint, fingerprint_runs};
use kvet_ir::{freed_by, freed_status, Program, PTR_TAG};

pub(crate) mod detect;
pub(crate) mod relocate;

/// `p` relocated for the symmetric search when a class has own objects
/// that are not yet laid out in blocks (None: search `p` itself).
pub(crate) fn prepare(p: &Program) -> Option<Program> {
    let cls = detect::classes(p);
    if cls.classes.is_empty() || geometry(p, &cls).is_some() {
        return None;
    }
    relocate::relocate(p, &cls)
}

/// One class: its threads, and where each one's blocks are.
struct Class {
    threads: Vec<usize>,
    /// Per thread of the class: the start of its block in the state vector.
    tblock: Vec<usize>,
    tlen: usize,
    /// Per thread of the class: the start of its memory block (its own
    /// objects, with the guards), and the block's length (0: none).
    mblock: Vec<usize>,
    mlen: usize,
    /// Offsets of the memory block left out of the key (pid and tgid).
    skip: Vec<bool>,
}

/// The memory blocks of the class threads: per class, per thread, the
/// first cell of its block and the block's length; None when the own
/// objects are not laid out as relocate.rs does.
fn geometry(p: &Program, cls: &detect::Classes) -> Option<Vec<(Vec<usize>, usize)>> {
    let g =
        if cls.classes.iter().flatten().any(|&t| !cls.owned[t].is_empty()) { relocate::guard(p)? as usize } else { 0 };
    let n = p.ncells as usize;
    let mut used = vec![false; n];
    for o in &p.objects {
        used[o.base as usize..(o.base + o.size) as usize].fill(true);
        if let Some(s) = o.status {
            used[s as usize] = true;
        }
    }
    let mut out = Vec::new();
    for class in &cls.classes {
        let mut starts = Vec::new();
        let mut shape: Option<Vec<usize>> = None;
        let mut len = 0;
        for &t in class {
            let objs = &cls.owned[t];
            if objs.is_empty() {
                starts.push(0);
                continue;
            }
            let mut cells: Vec<usize> = Vec::new();
            for &o in objs {
                let ob = &p.objects[o];
                cells.extend(ob.status.map(|s| s as usize));
                cells.extend(ob.base as usize..(ob.base + ob.size) as usize);
            }
            let first = *cells.iter().min()?;
            let last = *cells.iter().max()?;
            // contiguous, in object order
            if cells.iter().enumerate().any(|(k, &c)| c != first + k) || first < 2 * g || last >= n {
                return None;
            }
            // free margins of two guards on each side
            if (first - 2 * g..first).chain(last + 1..(last + 1 + 2 * g).min(n)).any(|c| used[c]) {
                return None;
            }
            let rel: Vec<usize> = objs.iter().map(|&o| p.objects[o].base as usize - first).collect();
            if shape.get_or_insert_with(|| rel.clone()) != &rel {
                return None;
            }
            starts.push(first - g);
            len = last + 1 + g - (first - g);
        }
        out.push((starts, len));
    }
    Some(out)
}

pub(crate) struct Symmetry {
    classes: Vec<Class>,
    /// Per thread, the thread it is renamed to by the current permutation.
    perm: Vec<usize>,
    /// Per thread: the first cell of its memory block, or NONE.
    mstart: Vec<usize>,
    /// Per thread: whether it is in a class.
    member: Vec<bool>,
    /// Per class thread: the place in its class its blocks move to.
    dest: Vec<usize>,
    /// Per memory cell: the class thread whose block holds it and its
    /// offset there, or (u32::MAX, 0).
    owner: Vec<(u32, u32)>,
    /// Cells that may hold a lock word (holder and queued writer are
    /// thread numbers + 1).
    locks: Vec<usize>,
    /// Lifetime cells (a freed object's records its freeing thread).
    statuses: Vec<usize>,
    /// pid and tgid cells, with their initial values.
    ids: Vec<(usize, i64)>,
    /// The guard cells of the class threads' memory blocks (no object's:
    /// 0 in every state, as the machine watches).
    guards: Vec<u32>,
    /// The runs of words the fingerprint hashes: the layout's
    /// (`Layout::hashed`) without the guards.
    runs: Vec<(usize, usize)>,
    buf: Vec<i64>,
    /// The hashed words of `buf`, gathered.
    hashed: Vec<i64>,
    keys: Vec<usize>,
}

impl Symmetry {
    /// The symmetry of the program's threads, if some are
    /// interchangeable and laid out in blocks; and the cells no step may
    /// touch for it to hold (pid and tgid: `Machine::watch`).
    pub(crate) fn new(p: &Program, l: &Layout) -> Option<(Symmetry, Vec<u32>)> {
        let cls = detect::classes(p);
        if cls.classes.is_empty() {
            return None;
        }
        let geo = geometry(p, &cls)?;
        let n = p.threads.len();
        let idc = detect::id_cells(p);
        let mut mstart = vec![NONE; n];
        let mut owner = vec![(u32::MAX, 0u32); p.ncells as usize];
        let mut classes = Vec::new();
        for (class, (starts, mlen)) in cls.classes.iter().zip(geo) {
            let tblock: Vec<usize> = class.iter().map(|&t| l.thread_base[t]).collect();
            let tlen = l.reg_base[class[0]] + l.nslots(class[0]) - l.thread_base[class[0]];
            let same = class.iter().all(|&t| {
                l.reg_base[t] + l.nslots(t) - l.thread_base[t] == tlen
                    && l.curr[t] == NONE
                    && l.pcount[t] == NONE
                    && l.rcu[t] == NONE
                    && l.gp[t] == NONE
            });
            if !same {
                return None;
            }
            for (&t, &m) in class.iter().zip(&starts) {
                for off in 0..mlen {
                    owner[m + off] = (t as u32, off as u32);
                }
            }
            if mlen > 0 {
                for (&t, &m) in class.iter().zip(&starts) {
                    mstart[t] = m;
                }
            }
            let skip = (0..mlen).map(|off| idc.contains(&((starts[0] + off) as u32))).collect();
            classes.push(Class { threads: class.clone(), tblock, tlen, mblock: starts, mlen, skip });
        }
        let mut locks: Vec<usize> = Vec::new();
        let mut statuses = Vec::new();
        let mut used = vec![false; p.ncells as usize];
        for o in &p.objects {
            locks.extend(o.lock_cells.iter().map(|&(c, _)| (o.base + c) as usize));
            statuses.extend(o.status.map(|s| s as usize));
            used[o.base as usize..(o.base + o.size) as usize].fill(true);
            if let Some(st) = o.status {
                used[st as usize] = true;
            }
        }
        // the guards: cells of the memory blocks that are no object's
        let guards: Vec<u32> =
            (0..p.ncells as usize).filter(|&c| owner[c].0 != u32::MAX && !used[c]).map(|c| c as u32).collect();
        for c in &mut classes {
            for off in 0..c.mlen {
                c.skip[off] |= !used[c.mblock[0] + off];
            }
        }
        let mut fixed = vec![true; l.len];
        for &(a, b) in &l.hashed {
            fixed[a..b].fill(false);
        }
        for &g in &guards {
            fixed[g as usize] = true;
        }
        let ids = idc.iter().map(|&c| (c as usize, p.init_mem[c as usize])).collect();
        let sym = Symmetry {
            classes,
            perm: (0..n).collect(),
            dest: vec![0; n],
            member: (0..n).map(|t| cls.classes.iter().flatten().any(|&u| u == t)).collect(),
            mstart,
            owner,
            locks,
            statuses,
            ids,
            guards,
            runs: crate::state::runs(&fixed),
            buf: vec![0; l.len],
            hashed: Vec::new(),
            keys: Vec::new(),
        };
        Some((sym, idc))
    }

    /// The cells whose lock words the symmetry renames (a lock taken
    /// elsewhere, e.g. in a heap object, breaks it: `Machine::watch`).
    pub(crate) fn lock_cells(&self) -> &[usize] {
        &self.locks
    }

    /// The guard cells of the class threads' memory blocks, which no step
    /// may touch (`Machine::watch`) and the fingerprint leaves out.
    pub(crate) fn guard_cells(&self) -> Vec<u32> {
        self.guards.clone()
    }

    /// The cells of the class threads' memory blocks.
    pub(crate) fn owned_cells(&self) -> Vec<usize> {
        (0..self.owner.len()).filter(|&c| self.owner[c].0 != u32::MAX).collect()
    }

    /// Whether `v` is a pointer into a class thread's memory block: that
    /// thread and the offset.
    #[inline]
    fn owned(&self, v: i64) -> Option<(usize, usize)> {
        if v & (PTR_TAG | PTR_TAG << 1) != PTR_TAG || v >> 42 != 0 {
            return None;
        }
        let (t, off) = *self.owner.get((v & (PTR_TAG - 1)) as usize)?;
        (t != u32::MAX).then_some((t as usize, off as usize))
    }

    /// Word `v` of class thread `t`'s blocks as no permutation changes
    /// it: a pointer into a class block as (own block or not, offset), a
    /// freeing class thread as (itself or not).
    #[inline]
    fn abs(&self, t: usize, v: i64) -> i64 {
        if v >= 0 {
            match self.owned(v) {
                Some((u, off)) => PTR_TAG | (((u == t) as i64) << 30) | off as i64,
                None => v,
            }
        } else {
            match freed_by(v) {
                Some((u, pc)) if self.member.get(u as usize).copied().unwrap_or(false) => {
                    freed_status(255 - (u as usize == t) as u32, pc)
                }
                _ => v,
            }
        }
    }

    /// The order of class threads `a` and `b` (positions in class `c`) by
    /// their blocks as no permutation changes them, then by number.
    fn cmp(&self, s: &[i64], c: &Class, a: usize, b: usize) -> std::cmp::Ordering {
        let (ta, tb) = (c.threads[a], c.threads[b]);
        let (xa, xb) = (&s[c.tblock[a]..c.tblock[a] + c.tlen], &s[c.tblock[b]..c.tblock[b] + c.tlen]);
        // (equal plain words compare equal; a pointer or a freeing thread
        // may not, e.g. one into a's own block and b's other block)
        let plain = |v: i64| v >= 0 && v & PTR_TAG == 0;
        for (&v, &w) in xa.iter().zip(xb) {
            if v != w || !plain(v) {
                let o = self.abs(ta, v).cmp(&self.abs(tb, w));
                if o.is_ne() {
                    return o;
                }
            }
        }
        let (ma, mb) = (&s[c.mblock[a]..c.mblock[a] + c.mlen], &s[c.mblock[b]..c.mblock[b] + c.mlen]);
        for (off, (&v, &w)) in ma.iter().zip(mb).enumerate() {
            if (v != w || !plain(v)) && !c.skip[off] {
                let o = self.abs(ta, v).cmp(&self.abs(tb, w));
                if o.is_ne() {
                    return o;
                }
            }
        }
        a.cmp(&b)
    }

    #[inline]
    fn thread(&self, x: i64) -> i64 {
        if (1..=self.perm.len() as i64).contains(&x) {
            self.perm[(x - 1) as usize] as i64 + 1
        } else {
            x
        }
    }

    /// The fingerprint of the member of `s`'s orbit that the permutation
    /// sorting each class's blocks gives.
    pub(crate) fn fingerprint(&mut self, s: &[i64]) -> u128 {
        let mut moved = false;
        for ci in 0..self.classes.len() {
            let c = &self.classes[ci];
            let mut keys = std::mem::take(&mut self.keys);
            keys.clear();
            keys.extend(0..c.threads.len());
            keys.sort_unstable_by(|&a, &b| self.cmp(s, c, a, b));
            for (pos, &k) in keys.iter().enumerate() {
                // thread k's blocks go to the place of thread number pos
                self.perm[c.threads[k]] = c.threads[pos];
                self.dest[c.threads[k]] = pos;
                moved |= k != pos;
            }
            self.keys = keys;
        }
        if !moved {
            // the identity: nothing to move or rename (pid and tgid hold
            // their own values, or the search is to be run again)
            return fingerprint_runs(s, &self.runs, &mut self.hashed);
        }
        self.buf.copy_from_slice(s);
        for c in &self.classes {
            for (k, &t) in c.threads.iter().enumerate() {
                let pos = self.dest[t];
                if pos != k {
                    self.buf[c.tblock[pos]..c.tblock[pos] + c.tlen]
                        .copy_from_slice(&s[c.tblock[k]..c.tblock[k] + c.tlen]);
                    self.buf[c.mblock[pos]..c.mblock[pos] + c.mlen]
                        .copy_from_slice(&s[c.mblock[k]..c.mblock[k] + c.mlen]);
                }
            }
        }
        self.rename();
        self.hashed.clear();
        for &(a, b) in &self.runs {
            self.hashed.extend_from_slice(&self.buf[a..b]);
        }
        let fp = fingerprint(&self.hashed);
        for c in &self.classes {
            for &t in &c.threads {
                self.perm[t] = t;
            }
        }
        fp
    }

    /// Rename pointers and thread numbers in the permuted `buf`.
    fn rename(&mut self) {
        if self.classes.iter().any(|c| c.mlen > 0) {
            let (owner, perm, mstart) = (&self.owner, &self.perm, &self.mstart);
            let rename = |w: &mut i64| {
                // a data pointer: the tag and nothing above it
                if *w >> 40 == 1 {
                    if let Some(&(t, off)) = owner.get((*w & (PTR_TAG - 1)) as usize) {
                        if t != u32::MAX {
                            *w = PTR_TAG | (mstart[perm[t as usize]] + off as usize) as i64;
                        }
                    }
                }
            };
            // most words hold no pointer: a branch-free test of eight words
            // at a time finds the few chunks that do. `w >> 40 == 1` as
            // SSE2's 64-bit lanes can compute it (logical shift, xor,
            // subtract, or): x = (w as u64 >> 40) ^ 1 is below 2^24, and
            // zero exactly when x - 1 (wrapping) has its top bit set.
            // (only the hashed words: the others hold no pointer)
            for &(a, b) in &self.runs {
                let mut chunks = self.buf[a..b].chunks_exact_mut(8);
                for c in &mut chunks {
                    let top = c.iter().fold(0u64, |acc, &w| acc | (((w as u64) >> 40) ^ 1).wrapping_sub(1));
                    if top >> 63 != 0 {
                        c.iter_mut().for_each(rename);
                    }
                }
                chunks.into_remainder().iter_mut().for_each(rename);
            }
        }
        for &c in &self.locks {
            let v = self.buf[c];
            let holder = self.thread(v & 0xff);
            let waiter = self.thread((v >> 32) & 0xff);
            self.buf[c] = (v & !0xff & !(0xff << 32)) | holder | (waiter << 32);
        }
        for &c in &self.statuses {
            match freed_by(self.buf[c]) {
                Some((t, pc)) if (t as usize) < self.perm.len() => {
                    self.buf[c] = freed_status(self.perm[t as usize] as u32, pc)
                }
                _ => {}
            }
        }
        for &(c, v) in &self.ids {
            self.buf[c] = v;
        }
    }
}
