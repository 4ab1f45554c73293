//! Lock snapshots: the relational states of lock-protected data that a
//! critical section reads (check mode's path walk, [`super::thread`]).
//!
//! Sources: tools/memory-model/lock.cat (LKR/LKW/UL, `critical`, the
//! lock's `co` and `rf`) and linux-kernel.cat (`hb`, `prop`,
//! `plain-coherence`).  Per lock `L` (any location with `LKW`/`UL`
//! events: spinlocks, mutexes, the rwlocks' hidden writer locks), the
//! sections of an execution are totally ordered by the `co` of their
//! `LKW`s, and each section's `LKR` reads from the previous section's
//! `UL` (`S1 < S2`).  Say that section `S` of thread `T` *publishes*
//! every event of `T` po-before its `UL` (`U`), and that an event
//! po-after its `LKR` (`A`) *follows* `S`.  For `S1 < S2` of threads
//! `T1 != T2`:
//!
//! 1. a read `r` following `S2` cannot read a write co-before a write
//!    `w1` that `S1` publishes (`r ->fr w1`);
//! 2. a write `w2` following `S2` is not co-before `w1` (`w2 ->co w1`);
//! 3. a read `r` that `S1` publishes cannot read a write `w2` following
//!    `S2`.
//!
//! Take the chain of sections from `S1` to the first section `Sk` of
//! `T2` after it (`Sk` is `S2` or po-before it).  `w1 ->po-rel U1`
//! (`UL` is a release), each hand-over `U ->rfe A'` then `A' ->po-rel
//! U'` is `A-cumul(po-rel)`, and two sections of one thread in a row are
//! `U ->po-rel U'`: so `w1 ->cumul-fence* U(k-1) ->rfe Ak` (every lock
//! event is marked).  (1), marked `r` and `w1`: `r ->fre w1 ->cumul-fence*
//! ; rfe Ak` is `prop`, internal to `T2`, so `r ->hb Ak`, and `Ak
//! ->acq-po r` is `ppo` (`LKR` is an acquire): an `hb` cycle.  (2) is the
//! same with `coe`.  (3): `r ->po-rel U1`, each hand-over is `rfe` then
//! `acq-po`/`po-rel` (`ppo`), `Ak ->acq-po w2`, `w2 ->rfe r`: an `hb`
//! cycle.  With a plain access (`pre-race`, both accesses being of
//! different threads): `w1 ->po-rel U1` is `w-post-bounded`, `U1
//! ->cumul-fence* ; rfe Ak` with `Ak ->(xbstar & int) Ak` is `vis`, and
//! `Ak ->acq-po r` is `r-pre-bounded` (a `nonrw-fence`), so `w1 ->wr-vis
//! r` and (1) is `rw-incoh`; likewise `w1 ->ww-vis w2` (`acq-po` is a
//! `fence`, so `w-pre-bounded`) and (2) is `ww-incoh`; and `r ->po-rel U1`
//! (`r-post-bounded`), `U1 ->hb* Ak ->acq-po w2` (`w-pre-bounded`) is `r
//! ->rw-xbstar w2`, so (3) is `wr-incoh`.  For `T1 = T2` all three are
//! `coherence` (`po-loc`).
//!
//! Hence a read `r` in section `S2` of `T` reads one of: its thread's own
//! last write; a write published by no section before `S2` (an
//! *out-write*: made outside every `L` section, po-after its thread's
//! last `UL` before `S2`, or by a thread with no later section); or the
//! state the sections before `S2` left.  That state, per cell: the last
//! write of the latest section writing it inside (by (2) it is co-after
//! everything earlier sections publish, by (1) `r` reads nothing
//! co-before it, by (3) nothing of a later section); a write that a
//! section publishes from before its `LKR` (an object's initialisation
//! before it is added under the lock) joins that cell's values, as it is
//! unordered with the earlier sections' writes, except where no earlier
//! section published a write to the cell ([`SnapState::fresh`]): the
//! cell then holds the initial write, co-before every other write, so by
//! (1) a read following the section cannot read it any more, and the
//! write replaces it; likewise where every value the cell holds was
//! written by the section's own thread ([`SnapState::owner`]): its
//! earlier sections, and what they published, are po-before the write,
//! so co-before it (CoWW).  So a [`SnapState`] holds
//! per tracked cell a small set of values, and per thread the number of
//! `L` sections it has completed, which tells which out-writes are
//! published already (an out-write is labelled with the section that
//! would publish it: its thread's next), and the steps of those
//! sections' `LKW`s: in an execution, a thread's sections are those of
//! its one path, so an out-write is readable only in the states whose
//! sections of its thread are the first ones of its own path, and a
//! section's candidates are the states whose sections of its thread are
//! the path's before it.  The walk branches once per
//! section over the states (lazily: each read of a tracked cell keeps the
//! candidate states that allow the value it takes, see
//! [`SnapCx::narrow`]), and each section's exit adds its state for the
//! next round: a fixpoint over rounds beside the value domains
//! ([`Fixpoint`]), started from the initial state; a state whose thread
//! count is not the section's own count is not a candidate.
//!
//! Which cells are tracked: the cells read while `L` is held.  The first
//! round (which prunes nothing) finds those it reaches; a later round walk
//! that reads an untracked cell under a tracked lock (a list entry reached
//! only once the domains have grown) stops at once
//! (`ThreadPaths::retrack`), the cell joins, the lock's states start again
//! from the initial state, and the round is walked again: cells only join,
//! so this ends, and the walk that stopped left nothing behind.  When the
//! value rounds start again (more write sites), the states start again
//! from the initial state but the tracked cells stay: which cells are
//! tracked decides only how much is pruned.  Any other cell is read as
//! without snapshots.  The pruning is monotone in the domains, the states
//! and the out-writes, so any fixpoint of the rounds contains the least
//! one, which holds every state an allowed execution's sections see (by
//! induction on the lock order); a run of rounds that stops short of a
//! fixpoint is done again without snapshots.  Interrupt handlers,
//! trylocks and the rwlocks' writer locks need no care: a section is what
//! lies po-between an `LKW` and its `UL` on the thread's path, as in
//! lock.cat.  Off with `Limits::exhaustive` (tests/path_reductions.rs).

use kvet_ir::Val;
use rustc_hash::FxHashSet;
use std::rc::Rc;

/// A lock's tracked cells past this many reachable states are not
/// tracked (no pruning for that lock: sound, only slower).
const MAX_STATES: usize = 4096;

/// One reachable state of a lock's tracked cells, before a section.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SnapState {
    /// Per tracked cell, the values a read may take from the state
    /// (sorted, duplicate-free; one value unless an initialisation before
    /// a section joined it).
    pub vals: Vec<Vec<Val>>,
    /// Per thread (by position), the sections of the lock it completed.
    pub counts: Vec<u32>,
    /// Per tracked cell: no section before has published a write to it
    /// (inside or from before its `LKR`), so its value is the initial
    /// write's, which is co-first: a write a section publishes from
    /// before its `LKR` then replaces it instead of joining it.
    pub fresh: Vec<bool>,
    /// Per tracked cell: the thread (by position) that made every write
    /// its values come from, or [`NONE`] (the initial write, or several
    /// threads): a write that thread publishes from before a later
    /// section's `LKR` is po-after them, so co-after them (CoWW), and
    /// replaces them instead of joining them.
    pub owner: Vec<u32>,
    /// Per thread: the steps of the `LKW`s of its completed sections of
    /// the lock, in order: an out-write whose path made other sections
    /// before it is of another path of that thread (see
    /// [`SnapCx::allowed`]).
    pub hist: Vec<Vec<u32>>,
}

/// No thread (see [`SnapState::owner`]).
pub const NONE: u32 = u32::MAX;

impl SnapState {
    /// The state before any section: every tracked cell at its initial
    /// value.
    fn initial(vals: Vec<Vec<Val>>, nthreads: usize) -> Self {
        let fresh = vec![true; vals.len()];
        let owner = vec![NONE; vals.len()];
        SnapState { vals, counts: vec![0; nthreads], fresh, owner, hist: vec![Vec::new(); nthreads] }
    }
}

/// An out-write of a [`LockTable`]: (value, thread, label, the steps of
/// the `LKW`s of the sections before it on its path).
pub type OutWrite = (Val, u32, u32, Vec<u32>);

/// One lock's snapshot table, the input of a walk.
#[derive(Clone, Debug, PartialEq)]
pub struct LockTable {
    /// The lock's cell.
    pub lock: u32,
    /// The tracked cells, sorted.
    pub cells: Vec<u32>,
    /// The reachable states, sorted.
    pub states: Vec<SnapState>,
    /// Per tracked cell, its out-writes: (value, thread, label: the count
    /// of completed sections of that thread from which it is published,
    /// the steps of the `LKW`s of the sections before it on its path).
    pub out: Vec<Vec<OutWrite>>,
}

/// Every tracked lock's table, sorted by lock cell.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Snapshots {
    pub locks: Vec<LockTable>,
    /// Locks no longer tracked (too many states), sorted: a cell read
    /// under one of them does not join its tracked cells.
    pub dropped: Vec<u32>,
}

/// What one walk reports for the next round.
#[derive(Clone, Debug, Default)]
pub struct SnapOut {
    /// (lock, cell) read while the lock was held (first round).
    pub read_in: FxHashSet<(u32, u32)>,
    /// The sections' exits: (lock index, the candidate states, the
    /// section's writes, the path's earlier out-writes it publishes, the
    /// thread's count of completed sections after it); the states they
    /// leave are made by [`Fixpoint::update`].
    pub exits: FxHashSet<Exit>,
    /// (lock index, cell index, value, label, steps of the `LKW`s of the
    /// path's sections before it) of the out-writes.
    pub out: FxHashSet<(u32, u32, Val, u32, Vec<u32>)>,
}

/// The thread's own last write `own` to tracked cell `k`, where a
/// section's read may take it besides the state's values: a write of
/// this section, or one since the thread's last `UL` of the lock (an
/// out-write this section publishes, unordered with the state's).  Any
/// earlier own write is published by one of the thread's earlier
/// sections, and the candidate states (those after exactly its completed
/// sections) hold its value unless a later section of another thread
/// wrote the cell, which by (2) is co-after it, so that by (1) the read
/// cannot take it: it is then no exception (`None`).
fn own_outside(p: &SnapPath, k: u32, own: Option<Val>) -> Option<Val> {
    own.filter(|_| get(&p.sec, k).is_some() || get(&p.epoch, k).is_some())
}

/// A section's exit, see [`SnapOut::exits`]; its last field is the step
/// of the section's `LKW`.
pub type Exit = (u32, Vec<u32>, Vec<(u32, Val)>, Vec<(u32, Val)>, u32, u32);

/// The state `s` leaves after a section (its `LKW` at step `pc`) that
/// wrote `sec` inside and published `epoch` from before it, its thread
/// `th` then having completed `uls` sections.
fn after(s: &SnapState, sec: &[(u32, Val)], epoch: &[(u32, Val)], th: usize, uls: u32, pc: u32) -> SnapState {
    let mut n = s.clone();
    let me = th as u32;
    for (k, ((vals, fresh), owner)) in n.vals.iter_mut().zip(n.fresh.iter_mut()).zip(n.owner.iter_mut()).enumerate() {
        if let Some(v) = get(sec, k as u32) {
            *vals = vec![v];
            *fresh = false;
            *owner = me;
        } else if let Some(v) = get(epoch, k as u32) {
            if *fresh || *owner == me {
                // (the initial write, or this thread's own earlier ones,
                // are co-before it: see the module doc)
                *vals = vec![v];
                *owner = me;
            } else if let Err(j) = vals.binary_search(&v) {
                vals.insert(j, v);
                *owner = NONE;
            }
            *fresh = false;
        }
    }
    if let Some(c) = n.counts.get_mut(th) {
        *c = uls;
    }
    if let Some(h) = n.hist.get_mut(th) {
        h.push(pc);
    }
    n
}

/// One path's view of one tracked lock.
#[derive(Clone, Debug, Default)]
pub struct SnapPath {
    /// Inside a section (between its `LKW` and `UL`).
    held: bool,
    /// Inside a section: the candidate states (indices into the table).
    cands: Option<Rc<[u32]>>,
    /// This section's last write to each tracked cell (cell index, value).
    sec: Vec<(u32, Val)>,
    /// The last out-of-section writes since the path's last `UL` of the
    /// lock, which its next section publishes.
    epoch: Vec<(u32, Val)>,
    /// The sections of the lock completed on the path.
    uls: u32,
    /// The steps of the `LKW`s of the sections of the lock completed on
    /// the path, then of the one it is in.
    hist: Vec<u32>,
}

fn upsert(v: &mut Vec<(u32, Val)>, k: u32, val: Val) {
    match v.binary_search_by_key(&k, |e| e.0) {
        Ok(i) => v[i].1 = val,
        Err(i) => v.insert(i, (k, val)),
    }
}

fn get(v: &[(u32, Val)], k: u32) -> Option<Val> {
    v.binary_search_by_key(&k, |e| e.0).ok().map(|i| v[i].1)
}

/// A walk's snapshot context: the tables and the walked thread.
pub struct SnapCx<'a> {
    tables: &'a Snapshots,
    /// The thread's position in the program.
    thread: u32,
    /// Per (lock index, cell index) looked up: per state, the values it
    /// lets this thread read, outside its own section writes and inside
    /// them (sorted).
    allowed: std::cell::RefCell<AllowedCache>,
    /// Every tracked cell, and every tracked lock.
    cells: FxHashSet<u32>,
    locks: FxHashSet<u32>,
}

/// Per state, the values a read may take (see [`SnapCx::allowed`]).
type Allowed = Vec<Vec<Val>>;

/// [`SnapCx::allowed`]'s tables by (lock index, cell index).
type AllowedCache = rustc_hash::FxHashMap<(u32, u32), Rc<[Allowed; 2]>>;

impl<'a> SnapCx<'a> {
    /// The context of a walk of thread `thread` (its position).
    pub fn new(tables: &'a Snapshots, thread: u32) -> Self {
        let cells = tables.locks.iter().flat_map(|t| t.cells.iter().copied()).collect();
        let locks = tables.locks.iter().map(|t| t.lock).collect();
        SnapCx { tables, thread, allowed: Default::default(), cells, locks }
    }

    /// Does some lock track `cell`?
    pub fn tracks(&self, cell: u32) -> bool {
        self.cells.contains(&cell)
    }

    /// Is `lock` tracked?
    pub fn is_lock(&self, lock: u32) -> bool {
        self.locks.contains(&lock)
    }

    /// Does `lock` track `cell`?
    pub fn tracks_under(&self, lock: u32, cell: u32) -> bool {
        self.lock_ix(lock).is_some_and(|i| self.tables.locks[i].cells.binary_search(&cell).is_ok())
    }

    /// Would a read of `cell` under `lock` make `cell` one of `lock`'s
    /// tracked cells at the next [`Fixpoint::update`] (it is not tracked
    /// yet, and `lock` was not dropped)?
    pub fn joins(&self, lock: u32, cell: u32) -> bool {
        !self.tracks_under(lock, cell) && self.tables.dropped.binary_search(&lock).is_err()
    }

    /// Is a lock tracking `cell` held on the path (so a read of it may
    /// narrow the candidates)?
    pub fn would_narrow(&self, paths: &[SnapPath], cell: u32) -> bool {
        paths.iter().zip(&self.tables.locks).any(|(p, t)| p.held && t.cells.binary_search(&cell).is_ok())
    }
    /// The per-path state of a new path.
    pub fn start(&self) -> Vec<SnapPath> {
        vec![SnapPath::default(); self.tables.locks.len()]
    }

    fn lock_ix(&self, lock: u32) -> Option<usize> {
        self.tables.locks.binary_search_by_key(&lock, |t| t.lock).ok()
    }

    /// Per state of lock `i`, the values it lets a read of tracked cell
    /// `k` take besides the thread's own last write: the out-writes of
    /// other threads that the state's sections have not published yet,
    /// and (in the first table, for a thread that has not written the
    /// cell in this section) the state's values.
    fn allowed(&self, i: usize, k: usize) -> Rc<[Allowed; 2]> {
        let key = (i as u32, k as u32);
        if let Some(a) = self.allowed.borrow().get(&key) {
            return a.clone();
        }
        let t = &self.tables.locks[i];
        let per = |with_state: bool| -> Allowed {
            t.states
                .iter()
                .map(|s| {
                    let mut acc: Vec<Val> = if with_state { s.vals[k].clone() } else { Vec::new() };
                    for (v, th, label, before) in &t.out[k] {
                        // (an out-write that this state's sections have not
                        // published, and whose path made the state's
                        // sections of its thread first: in an execution
                        // holding it, that thread's sections are its path's)
                        let c = s.counts.get(*th as usize).copied().unwrap_or(0);
                        let same_path = s.hist.get(*th as usize).is_some_and(|h| before.starts_with(h));
                        if *th != self.thread && c < *label && same_path {
                            acc.push(*v);
                        }
                    }
                    acc.sort_unstable();
                    acc.dedup();
                    acc
                })
                .collect()
        };
        let a: Rc<[Allowed; 2]> = Rc::new([per(true), per(false)]);
        self.allowed.borrow_mut().insert(key, a.clone());
        a
    }

    fn cands<'b>(&'b self, i: usize, p: &'b SnapPath) -> Box<dyn Iterator<Item = usize> + 'b> {
        match &p.cands {
            Some(c) => Box::new(c.iter().map(|x| *x as usize)),
            None => Box::new(0..self.tables.locks[i].states.len()),
        }
    }

    /// Keep of `vals` (a read of `cell`) the values some candidate state
    /// of every held tracked lock allows, or `own` (the thread's last
    /// write to the cell) where that lock's state does not hold it (see
    /// [`own_outside`]).
    pub fn filter(&self, paths: &[SnapPath], cell: u32, own: Option<Val>, vals: &mut Vec<Val>) {
        for (i, p) in paths.iter().enumerate() {
            let t = &self.tables.locks[i];
            let Ok(k) = t.cells.binary_search(&cell) else { continue };
            if !p.held {
                continue;
            }
            let own = own_outside(p, k as u32, own);
            let a = self.allowed(i, k);
            let a = &a[get(&p.sec, k as u32).is_some() as usize];
            vals.retain(|v| own == Some(*v) || self.cands(i, p).any(|s| a[s].binary_search(v).is_ok()));
        }
    }

    /// A read of `cell` took `v`: keep the candidate states allowing it
    /// (all of them if `v` is the thread's own last write outside the
    /// states, see [`own_outside`], or if none does: a read whose values
    /// were not filtered).
    pub fn narrow(&self, paths: &mut [SnapPath], cell: u32, v: Val, own: Option<Val>) {
        for i in 0..paths.len() {
            let t = &self.tables.locks[i];
            let Ok(k) = t.cells.binary_search(&cell) else { continue };
            if !paths[i].held || own_outside(&paths[i], k as u32, own) == Some(v) {
                continue;
            }
            let a = self.allowed(i, k);
            let a = &a[get(&paths[i].sec, k as u32).is_some() as usize];
            let keep: Vec<u32> =
                self.cands(i, &paths[i]).filter(|&s| a[s].binary_search(&v).is_ok()).map(|s| s as u32).collect();
            if !keep.is_empty() {
                paths[i].cands = Some(keep.into());
            }
        }
    }

    /// The path takes `lock` (its `LKW`, at step `pc`): the candidates are
    /// the states in which this thread completed exactly the path's
    /// sections (the same steps, in the same order).
    pub fn enter(&self, paths: &mut [SnapPath], lock: u32, pc: u32) {
        let Some(i) = self.lock_ix(lock) else { return };
        let p = &mut paths[i];
        let states = &self.tables.locks[i].states;
        let th = self.thread as usize;
        let c: Vec<u32> = (0..states.len() as u32)
            .filter(|&s| {
                let s = &states[s as usize];
                s.counts.get(th) == Some(&p.uls) && s.hist.get(th) == Some(&p.hist)
            })
            .collect();
        p.hist.push(pc);
        p.held = true;
        p.cands = Some(c.into());
        p.sec.clear();
    }

    /// The path releases `lock` (its `UL`): every candidate's state after
    /// this section goes to `out`.
    pub fn exit(&self, paths: &mut [SnapPath], lock: u32, out: &mut SnapOut) {
        let Some(i) = self.lock_ix(lock) else { return };
        if !paths[i].held {
            return;
        }
        let p = &paths[i];
        let cands: Vec<u32> = self.cands(i, p).map(|s| s as u32).collect();
        let pc = p.hist.last().copied().unwrap_or(NONE);
        out.exits.insert((i as u32, cands, p.sec.clone(), p.epoch.clone(), p.uls + 1, pc));
        let p = &mut paths[i];
        p.held = false;
        p.cands = None;
        p.sec.clear();
        p.epoch.clear();
        p.uls += 1;
    }

    /// The path writes `v` to `cell`: a section write of each tracked
    /// lock held, else an out-write (published by the path's next section
    /// of the lock).
    pub fn write(&self, paths: &mut [SnapPath], cell: u32, v: Val, out: &mut SnapOut) {
        for (i, p) in paths.iter_mut().enumerate() {
            let Ok(k) = self.tables.locks[i].cells.binary_search(&cell) else { continue };
            if p.held {
                upsert(&mut p.sec, k as u32, v);
            } else {
                upsert(&mut p.epoch, k as u32, v);
                out.out.insert((i as u32, k as u32, v, p.uls + 1, p.hist.clone()));
            }
        }
    }
}

/// The snapshot fixpoint across the value rounds.
#[derive(Default)]
pub struct Fixpoint {
    tables: Option<Snapshots>,
}

impl Fixpoint {
    /// The tables of the next round (`None`: the first round, which
    /// prunes nothing and picks the tracked cells).
    pub fn tables(&self) -> Option<&Snapshots> {
        self.tables.as_ref()
    }

    /// Start the states again from the initial one (the value fixpoint
    /// starts again), keeping the tracked cells and the dropped locks:
    /// which cells are tracked only decides how much is pruned, and the
    /// states' fixpoint is sound from the initial state with any of them.
    pub fn restart(&mut self, init: impl Fn(u32) -> Val, nthreads: usize) {
        let Some(tables) = &mut self.tables else { return };
        for t in &mut tables.locks {
            let vals = t.cells.iter().map(|c| vec![init(*c)]).collect();
            t.states = vec![SnapState::initial(vals, nthreads)];
            t.out = vec![Vec::new(); t.cells.len()];
        }
    }

    /// Fold a round's walks (one [`SnapOut`] per thread, by position) into
    /// the tables; `true` if they changed.  A cell newly read under a lock
    /// joins its tracked cells, and that lock's states start again from
    /// the initial state (cells only join: finitely many restarts).
    pub fn update(&mut self, init: impl Fn(u32) -> Val, outs: &[&SnapOut]) -> bool {
        let nthreads = outs.len();
        let tables = self.tables.get_or_insert_with(Snapshots::default);
        let mut changed = false;
        for (i, t) in tables.locks.iter_mut().enumerate() {
            let mut states = t.states.clone();
            let mut out = t.out.clone();
            for (th, o) in outs.iter().enumerate() {
                for (_, cands, sec, epoch, uls, pc) in o.exits.iter().filter(|e| e.0 as usize == i) {
                    states.extend(cands.iter().map(|&s| after(&t.states[s as usize], sec, epoch, th, *uls, *pc)));
                }
                for (l, k, v, label, before) in &o.out {
                    if *l as usize == i {
                        out[*k as usize].push((*v, th as u32, *label, before.clone()));
                    }
                }
            }
            states.sort_unstable();
            states.dedup();
            for o in &mut out {
                o.sort_unstable();
                o.dedup();
            }
            if states != t.states || out != t.out {
                changed = true;
                t.states = states;
                t.out = out;
            }
        }
        // new cells read under a lock
        let mut pairs: Vec<(u32, u32)> = outs.iter().flat_map(|o| o.read_in.iter().copied()).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut dirty: Vec<u32> = Vec::new();
        for (l, c) in pairs.into_iter().filter(|p| tables.dropped.binary_search(&p.0).is_err()) {
            let i = match tables.locks.binary_search_by_key(&l, |t| t.lock) {
                Ok(i) => i,
                Err(i) => {
                    let t = LockTable { lock: l, cells: Vec::new(), states: Vec::new(), out: Vec::new() };
                    tables.locks.insert(i, t);
                    i
                }
            };
            let t = &mut tables.locks[i];
            if let Err(k) = t.cells.binary_search(&c) {
                t.cells.insert(k, c);
                if dirty.last() != Some(&l) {
                    dirty.push(l);
                }
            }
        }
        for t in tables.locks.iter_mut().filter(|t| dirty.contains(&t.lock)) {
            changed = true;
            let vals = t.cells.iter().map(|c| vec![init(*c)]).collect();
            t.states = vec![SnapState::initial(vals, nthreads)];
            t.out = vec![Vec::new(); t.cells.len()];
        }
        // (a lock with too many states is no longer tracked; its cells
        // are read as without snapshots from then on)
        for t in tables.locks.iter().filter(|t| t.states.len() > MAX_STATES) {
            changed = true;
            if let Err(j) = tables.dropped.binary_search(&t.lock) {
                tables.dropped.insert(j, t.lock);
            }
        }
        tables.locks.retain(|t| t.states.len() <= MAX_STATES);
        changed
    }
}
