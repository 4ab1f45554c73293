//! Partial-order reduction with static ample sets (Peled, "All from one,
//! one for all", CAV 1993; Godefroid's persistent sets). In a state, if
//! the next step of some enabled thread touches nothing that any other
//! unfinished thread may still touch (read/write conflicts over memory
//! cells and RCU reader state, from each thread's current pc onward), that
//! step commutes with everything the others can do, so exploring it
//! alone preserves every terminal state, deadlock and per-thread event
//! (assertion, warning). The search adds the cycle proviso: if the one
//! successor was already visited, the state is expanded fully.

use kvet_ir::*;

/// Read and write sets over resources: memory cells, then one RCU
/// reader resource per thread.
struct Sets {
    words: usize,
    /// Per thread, per pc: [reads | writes] of the instruction itself.
    cur: Vec<Vec<u64>>,
    /// Per thread, per pc: [reads | writes] of everything from pc on.
    fut: Vec<Vec<u64>>,
    /// Per thread, per pc: the instruction's address is not static.
    cur_wild: Vec<Vec<bool>>,
    fut_wild: Vec<Vec<bool>>,
    /// Per thread: [reads | writes] of all its handler code, and whether
    /// any of it is not static.
    hand: Vec<Vec<u64>>,
    hand_wild: Vec<bool>,
}

pub(crate) struct Por {
    sets: Sets,
}

fn set(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

impl Por {
    pub(crate) fn new(p: &Program) -> Por {
        let ncells = p.ncells as usize;
        let n = p.threads.len();
        let words = (ncells + 2 * n).div_ceil(64).max(1);
        let stride = 2 * words;
        let mut sets = Sets {
            words,
            cur: vec![],
            fut: vec![],
            cur_wild: vec![],
            fut_wild: vec![],
            hand: vec![],
            hand_wild: vec![],
        };
        for (t, th) in p.threads.iter().enumerate() {
            let len = th.body.steps.len();
            let mut cur = vec![0u64; len * stride];
            let mut wild = vec![false; len];
            for (pc, st) in th.body.steps.iter().enumerate() {
                let (r, w) = cur[pc * stride..(pc + 1) * stride].split_at_mut(words);
                wild[pc] = !footprint(&st.instr, t, n, ncells, r, w, p, th);
            }
            // future = own ∪ futures of successors, to a fixpoint
            let mut fut = cur.clone();
            let mut fwild = wild.clone();
            let mut changed = true;
            while changed {
                changed = false;
                for pc in (0..len).rev() {
                    let succ: &[usize] = &match th.body.steps[pc].instr {
                        Instr::Jump(l) => vec![l as usize],
                        Instr::Branch(_, a, b) => vec![a as usize, b as usize],
                        Instr::Exit | Instr::Bound(_) | Instr::IrqReturn => vec![],
                        _ => vec![pc + 1],
                    };
                    for &s in succ {
                        if s >= len {
                            continue;
                        }
                        if fwild[s] && !fwild[pc] {
                            fwild[pc] = true;
                            changed = true;
                        }
                        for k in 0..stride {
                            let v = fut[s * stride + k];
                            if fut[pc * stride + k] | v != fut[pc * stride + k] {
                                fut[pc * stride + k] |= v;
                                changed = true;
                            }
                        }
                    }
                }
            }
            let first_handler = th.handlers.iter().map(|h| h.entry as usize).min().unwrap_or(len);
            let mut hand = vec![0u64; stride];
            let mut hwild = false;
            for pc in first_handler..len {
                for k in 0..stride {
                    hand[k] |= cur[pc * stride + k];
                }
                hwild |= wild[pc];
            }
            sets.hand.push(hand);
            sets.hand_wild.push(hwild);
            sets.cur.push(cur);
            sets.fut.push(fut);
            sets.cur_wild.push(wild);
            sets.fut_wild.push(fwild);
        }
        Por { sets }
    }

    /// Can thread `t` at `pc` step alone? `others` gives, for every other
    /// CPU, the pcs of its contexts (the running one and those it
    /// interrupted, whose code resumes later) and whether its handlers'
    /// code must be counted too (interrupts or IPIs may still come).
    #[inline]
    pub(crate) fn independent(&self, t: usize, pc: u32, others: impl Iterator<Item = (usize, [u32; 3], bool)>) -> bool {
        let s = &self.sets;
        let w = s.words;
        let stride = 2 * w;
        if s.cur_wild[t][pc as usize] {
            return false;
        }
        let c = &s.cur[t][pc as usize * stride..(pc as usize + 1) * stride];
        let (cr, cw) = c.split_at(w);
        let clash = |f: &[u64]| {
            let (fr, fw) = f.split_at(w);
            (0..w).any(|k| cw[k] & (fr[k] | fw[k]) != 0 || cr[k] & fw[k] != 0)
        };
        for (u, pcs, handlers) in others {
            for &upc in pcs.iter().filter(|&&p| p != u32::MAX) {
                if s.fut_wild[u][upc as usize] || clash(&s.fut[u][upc as usize * stride..(upc as usize + 1) * stride]) {
                    return false;
                }
            }
            if handlers && (s.hand_wild[u] || clash(&s.hand[u])) {
                return false;
            }
        }
        true
    }
}

fn has_callbacks(p: &Program) -> bool {
    !p.rcu_funcs.is_empty()
}

fn deferred_frees(p: &Program) -> bool {
    p.threads.iter().any(|t| t.body.steps.iter().any(|s| matches!(s.instr, Instr::FreeRcu { .. } | Instr::TaskExit)))
}

/// Fill the read and write sets of one instruction; false if its
/// address is not static. Resources: memory cells, then each thread's
/// RCU reader state, then each CPU's interrupt state. lockdep's state is
/// left out: its updates only set bits, so they commute, and whether a
/// warning fires on some path does not depend on their order.
#[allow(clippy::too_many_arguments)]
fn footprint(
    i: &Instr,
    t: usize,
    n: usize,
    ncells: usize,
    r: &mut [u64],
    w: &mut [u64],
    p: &Program,
    th: &Thread,
) -> bool {
    let object_cells = |o: &Object, w: &mut [u64]| {
        if let Some(st) = o.status {
            set(w, st as usize);
        }
        (o.base..o.base + o.size).for_each(|c| set(w, c as usize));
    };
    let cell = |a: &Opd| match a {
        Opd::Imm(v) => ptr_cell(*v).map(|c| c as usize).filter(|&c| c < ncells),
        Opd::Reg(_) => None,
    };
    let srcu_slots = |a: &Opd| cell(a).filter(|c| c + 2 * n < ncells).map(|c| c + 1..c + 1 + 2 * n);
    match i {
        Instr::Load { addr, .. } | Instr::IsLocked { addr, .. } => match cell(addr) {
            Some(c) => set(r, c),
            None => return false,
        },
        Instr::Store { addr, .. }
        | Instr::Rmw { addr, .. }
        | Instr::Lock { addr, .. }
        | Instr::Unlock { addr, .. }
        | Instr::Trylock { addr, .. } => match cell(addr) {
            Some(c) => set(w, c),
            None => return false,
        },
        Instr::RcuLock => set(w, ncells + t),
        // leaving a read-side section may make callbacks ready, which
        // other CPUs' handler moves depend on
        Instr::RcuUnlock if has_callbacks(p) => return false,
        Instr::RcuUnlock => {
            set(w, ncells + t);
            // leaving a read-side section may complete RCU-deferred frees
            if deferred_frees(p) {
                for o in p.objects.iter().filter(|o| matches!(o.kind, ObjKind::Heap(_) | ObjKind::Task(_))) {
                    object_cells(o, w);
                }
            }
        }
        Instr::SyncRcu => {
            for j in 0..n {
                set(r, ncells + j);
            }
        }
        // A lock takes one of the task's own two slots; an unlock may name
        // any slot (the index can come from another task).
        Instr::SrcuLock { ss, .. } => match srcu_slots(ss) {
            Some(range) => (range.start + 2 * t..range.start + 2 * t + 2).for_each(|c| set(w, c)),
            None => return false,
        },
        Instr::SrcuUnlock { ss, .. } => match srcu_slots(ss) {
            Some(range) => range.for_each(|c| set(w, c)),
            None => return false,
        },
        Instr::SyncSrcu { ss } => match srcu_slots(ss) {
            Some(range) => range.for_each(|c| set(r, c)),
            None => return false,
        },
        // the kernel model's instructions
        Instr::IrqDisable
        | Instr::IrqEnable
        | Instr::IrqSave { .. }
        | Instr::IrqRestore { .. }
        | Instr::IrqsDisabled { .. }
        | Instr::BhDisable
        | Instr::BhEnable => set(w, ncells + n + t),
        Instr::TaskExit => {
            // the grace period it may wait for reads every reader's state
            (0..n).for_each(|j| set(r, ncells + j));
            if let Some(o) = th.task.and_then(|task| p.object_of(task)) {
                object_cells(o, w);
            }
        }
        Instr::Schedule | Instr::ScheduleTimeout { .. } => {
            if let Some(task) = th.task {
                match p.object_of(task) {
                    Some(o) => object_cells(o, w),
                    None => return false,
                }
            }
        }
        Instr::ScopeEnter { obj } | Instr::ScopeExit { obj } => object_cells(&p.objects[*obj as usize], w),
        Instr::Alloc { pool, .. } => {
            for &o in &p.pools[*pool as usize].slots {
                object_cells(&p.objects[o as usize], w);
            }
        }
        Instr::SeqBegin { addr, .. } => match cell(addr) {
            Some(c) => set(r, c),
            None => return false,
        },
        Instr::WaitCompletion { addr } | Instr::WaitCompletionTimeout { addr, .. } => match cell(addr) {
            Some(c) => set(w, c),
            None => return false,
        },
        i if i.is_shared() => return false,
        _ => {}
    }
    true
}
