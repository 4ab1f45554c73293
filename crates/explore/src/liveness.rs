//! Register liveness and register allocation per thread body.
//!
//! Liveness (the classic backward data-flow analysis: Aho, Lam, Sethi and
//! Ullman, *Compilers*, §9.2.5) says which registers may still be read.
//! Two states that differ only in dead registers have the same future, so
//! dead registers are cleared where a thread stops between steps (SPIN
//! does the same).
//!
//! Register allocation (Chaitin's interference-graph colouring, "Register
//! allocation and spilling via graph coloring", SIGPLAN 1982, with a
//! greedy colouring in order of first appearance) then gives registers
//! slots in the state vector: two registers that are never live at once
//! share a slot, and a register that no instruction mentions has none.
//! Most registers are temporaries of inlined prelude code, so the state
//! vector shrinks to about the number of registers live at once.
//!
//! Where the code runs decides which registers may share:
//! - the task's code (before the first handler entry) and the handlers'
//!   code are regions; each has a pool of slots of its own, except that
//!   handlers of one level share a pool (a hardirq or IPI handler cannot
//!   start while another runs, nor a softirq or RCU callback while
//!   another runs: kernel/softirq.c, kernel/irq/handle.c);
//! - a register mentioned in several regions, or observed by the final
//!   condition, keeps a slot of its own with exactly the old clearing
//!   rules;
//! - at a storing point a slot is cleared when none of its registers is
//!   live there, which gives the same states as clearing dead registers:
//!   the state count does not change.

use kvet_ir::*;

/// Calls `use_` for every register the instruction reads and returns the
/// register it writes (`kvet_ir`'s exhaustive def/use sets).
fn uses_def(i: &Instr, use_: &mut impl FnMut(Reg)) -> Option<Reg> {
    i.for_each_use(use_);
    i.def()
}

fn succs(pc: usize, i: &Instr, out: &mut Vec<usize>) {
    out.clear();
    match i {
        Instr::Jump(l) => out.push(*l as usize),
        Instr::Branch(_, a, b) => {
            out.push(*a as usize);
            out.push(*b as usize);
        }
        Instr::Exit | Instr::Bound(_) | Instr::IrqReturn => {}
        _ => out.push(pc + 1),
    }
}

/// A register set as a bit set.
#[derive(Clone)]
struct Bits {
    words: usize,
    v: Vec<u64>,
}

impl Bits {
    fn new(rows: usize, nregs: usize) -> Bits {
        let words = nregs.div_ceil(64).max(1);
        Bits { words, v: vec![0; rows * words] }
    }
    fn row(&self, i: usize) -> &[u64] {
        &self.v[i * self.words..(i + 1) * self.words]
    }
    fn has(&self, i: usize, r: usize) -> bool {
        self.v[i * self.words + r / 64] & (1 << (r % 64)) != 0
    }
    fn set(&mut self, i: usize, r: usize) {
        self.v[i * self.words + r / 64] |= 1 << (r % 64);
    }
}

/// The registers live on entry to each pc (live-in), and on exit of the
/// thread (the observed ones).
fn live_in(t: &Thread, prog: &Program) -> (Bits, Vec<u64>) {
    let n = t.body.steps.len();
    let mut live = Bits::new(n, t.nregs as usize);
    let words = live.words;
    let mut exit_live = vec![0u64; words];
    for o in &prog.observed {
        if let Observed::Reg { thread, reg, .. } = o {
            if *thread == t.index {
                exit_live[*reg as usize / 64] |= 1 << (reg % 64);
            }
        }
    }
    let mut tmp = vec![0u64; words];
    let mut sv = Vec::new();
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..n).rev() {
            let i = &t.body.steps[pc].instr;
            live_out(&live, &exit_live, pc, i, &mut sv, &mut tmp);
            if let Some(d) = uses_def(i, &mut |_| {}) {
                tmp[d as usize / 64] &= !(1 << (d % 64));
            }
            uses_def(i, &mut |r| tmp[r as usize / 64] |= 1 << (r % 64));
            let cur = &mut live.v[pc * words..(pc + 1) * words];
            if cur != &tmp[..] {
                cur.copy_from_slice(&tmp);
                changed = true;
            }
        }
    }
    (live, exit_live)
}

/// The registers live after the instruction at `pc`, into `out`.
fn live_out(live: &Bits, exit_live: &[u64], pc: usize, i: &Instr, sv: &mut Vec<usize>, out: &mut [u64]) {
    out.iter_mut().for_each(|w| *w = 0);
    if matches!(i, Instr::Exit) {
        out.copy_from_slice(exit_live);
    }
    succs(pc, i, sv);
    for &s in sv.iter() {
        if s < live.v.len() / live.words {
            for (o, l) in out.iter_mut().zip(live.row(s)) {
                *o |= l;
            }
        }
    }
}

/// A thread's register allocation: where each register lives in the
/// thread's register block, and which slots to clear where.
#[derive(Clone, Debug, Default)]
pub struct RegAlloc {
    /// Per register: its slot, or `u32::MAX` when no instruction,
    /// handler, initial value or final condition mentions it.
    pub slot: Box<[u32]>,
    /// The number of slots.
    pub nslots: usize,
    /// Per pc: the slots to clear when the thread stops there (none of
    /// their registers is live). Filled only at shared instructions and
    /// exits, where states are stored.
    pub dead: Vec<Box<[u16]>>,
    /// Per handler (in `t.handlers` order): the slots to clear when it
    /// returns (its registers are dead then).
    pub handler: Vec<Box<[u16]>>,
}

/// The pc ranges of the handler bodies: (start, end).
fn regions(t: &Thread) -> Vec<(u32, u32)> {
    let n = t.body.steps.len() as u32;
    let mut starts: Vec<u32> = t.handlers.iter().map(|h| h.entry).collect();
    starts.sort();
    starts.dedup();
    (0..starts.len()).map(|i| (starts[i], starts.get(i + 1).copied().unwrap_or(n))).collect()
}

/// Per handler (in `t.handlers` order): the registers its code uses.
fn handler_regs(t: &Thread) -> Vec<Vec<u16>> {
    let regions = regions(t);
    t.handlers
        .iter()
        .map(|h| {
            let &(a, b) = regions.iter().find(|r| r.0 == h.entry).unwrap_or(&(h.entry, h.entry));
            let mut regs: Vec<u16> = h.arg.into_iter().collect();
            for st in &t.body.steps[a as usize..b as usize] {
                let d = uses_def(&st.instr, &mut |r| regs.push(r));
                regs.extend(d);
            }
            regs.sort();
            regs.dedup();
            regs
        })
        .collect()
}

const UNSEEN: u32 = u32::MAX;
const MANY: u32 = u32::MAX - 1;

/// The region of a pc: 0 = the task's code, 1 + k = handler region k.
fn region_of(regions: &[(u32, u32)], pc: usize) -> usize {
    regions.iter().rposition(|&(start, _)| pc >= start as usize).map_or(0, |k| k + 1)
}

/// The pool of each region: 0 = task, 1 = hard handlers, 2 = soft
/// handlers, 3 + k = a region both kinds of handler enter.
fn pools(t: &Thread, regions: &[(u32, u32)]) -> Vec<usize> {
    let mut pool_of = vec![0usize; regions.len() + 1];
    for (k, &(start, _)) in regions.iter().enumerate() {
        let hard =
            t.handlers.iter().any(|h| h.entry == start && matches!(h.kind, HandlerKind::Hardirq | HandlerKind::Ipi));
        let soft = t
            .handlers
            .iter()
            .any(|h| h.entry == start && matches!(h.kind, HandlerKind::Softirq | HandlerKind::RcuCallback));
        pool_of[k + 1] = match (hard, soft) {
            (true, false) => 1,
            (false, true) => 2,
            _ => 3 + k,
        };
    }
    pool_of
}

/// Where each register is mentioned.
struct Homes {
    /// The region each register is mentioned in (UNSEEN, or MANY).
    home: Vec<u32>,
    /// The first pc that mentions it.
    first: Vec<usize>,
    /// Registers that keep a slot of their own: observed by the final
    /// condition, or mentioned in several regions.
    special: Vec<bool>,
}

impl Homes {
    fn new(t: &Thread, prog: &Program, regions: &[(u32, u32)]) -> Homes {
        let nregs = t.nregs as usize;
        let mut home = vec![UNSEEN; nregs];
        let mut first = vec![usize::MAX; nregs];
        let mut mention = |r: Reg, region: usize, at: usize| {
            let h = &mut home[r as usize];
            if *h == UNSEEN {
                *h = region as u32;
            } else if *h != region as u32 {
                *h = MANY;
            }
            first[r as usize] = first[r as usize].min(at);
        };
        for &(r, _) in &t.init_regs {
            mention(r, 0, 0);
        }
        for (pc, st) in t.body.steps.iter().enumerate() {
            let g = region_of(regions, pc);
            let d = uses_def(&st.instr, &mut |r| mention(r, g, pc));
            if let Some(d) = d {
                mention(d, g, pc);
            }
        }
        for h in &t.handlers {
            if let Some(r) = h.arg {
                mention(r, region_of(regions, h.entry as usize), h.entry as usize);
            }
        }
        let mut special = vec![false; nregs];
        for o in &prog.observed {
            if let Observed::Reg { thread, reg, .. } = o {
                if *thread == t.index {
                    special[*reg as usize] = true;
                }
            }
        }
        for r in 0..nregs {
            special[r] |= home[r] == MANY;
        }
        Homes { home, first, special }
    }

    /// Does the register share its region's pool of slots?
    fn pooled(&self, r: usize) -> bool {
        self.home[r] != UNSEEN && !self.special[r]
    }
}

/// The interference graph of the pooled registers: a definition
/// interferes with what is live after it; registers live at the same
/// point interfere (this also covers a register read on a path where
/// nothing defined it); what is live on entry to a region (with the
/// initial values and a handler's argument) interferes pairwise.
fn interference(t: &Thread, live: &Bits, exit_live: &[u64], homes: &Homes) -> Bits {
    let (n, nregs) = (t.body.steps.len(), t.nregs as usize);
    let pooled = |r: usize| homes.pooled(r);
    let mut adj = Bits::new(nregs, nregs);
    let mut out = vec![0u64; live.words];
    let mut sv = Vec::new();
    for pc in 0..n {
        let i = &t.body.steps[pc].instr;
        let Some(d) = i.def() else { continue };
        let d = d as usize;
        if !pooled(d) {
            continue;
        }
        live_out(live, exit_live, pc, i, &mut sv, &mut out);
        for r in (0..nregs).filter(|&r| r != d && out[r / 64] & (1 << (r % 64)) != 0 && pooled(r)) {
            adj.set(d, r);
            adj.set(r, d);
        }
    }
    let mut at_pc: Vec<usize> = Vec::new();
    for pc in 0..n {
        at_pc.clear();
        at_pc.extend((0..nregs).filter(|&r| live.has(pc, r) && pooled(r)));
        for (k, &a) in at_pc.iter().enumerate() {
            for &b in &at_pc[k + 1..] {
                adj.set(a, b);
                adj.set(b, a);
            }
        }
    }
    let mut entries: Vec<(usize, Vec<usize>)> = vec![(0, t.init_regs.iter().map(|&(r, _)| r as usize).collect())];
    for h in &t.handlers {
        entries.push((h.entry as usize, h.arg.map(|r| r as usize).into_iter().collect()));
    }
    for (pc, extra) in entries {
        if pc >= n {
            continue;
        }
        let mut clique: Vec<usize> = (0..nregs).filter(|&r| live.has(pc, r)).collect();
        clique.extend(extra);
        clique.retain(|&r| pooled(r));
        for &a in &clique {
            for &b in &clique {
                if a != b {
                    adj.set(a, b);
                }
            }
        }
    }
    adj
}

/// Each register's slot (UNSEEN: none) and the number of slots: the
/// special registers first, then each pool's colours, registers taken in
/// order of first appearance.
fn colour(homes: &Homes, pool_of: &[usize], adj: &Bits, npools: usize) -> (Vec<u32>, usize) {
    let nregs = homes.home.len();
    let mut slot = vec![UNSEEN; nregs];
    let mut next = 0u32;
    for r in (0..nregs).filter(|&r| homes.special[r]) {
        slot[r] = next;
        next += 1;
    }
    let mut pool_slots: Vec<Vec<u32>> = vec![Vec::new(); npools];
    let mut order: Vec<usize> = (0..nregs).filter(|&r| homes.pooled(r)).collect();
    order.sort_by_key(|&r| (homes.first[r], r));
    let mut colour = vec![usize::MAX; nregs];
    for &r in &order {
        let p = pool_of[homes.home[r] as usize];
        let mut taken = vec![false; pool_slots[p].len() + 1];
        for q in (0..nregs).filter(|&q| adj.has(r, q) && colour[q] != usize::MAX) {
            if colour[q] < taken.len() {
                taken[colour[q]] = true;
            }
        }
        let c = taken.iter().position(|&x| !x).expect("one colour is free");
        if c == pool_slots[p].len() {
            pool_slots[p].push(next);
            next += 1;
        }
        colour[r] = c;
        slot[r] = pool_slots[p][c];
    }
    (slot, next as usize)
}

/// Allocate thread `t`'s registers to slots (see the module doc).
pub fn allocate(t: &Thread, prog: &Program) -> RegAlloc {
    let n = t.body.steps.len();
    let nregs = t.nregs as usize;
    let (live, exit_live) = live_in(t, prog);
    let regions = regions(t);
    let pool_of = pools(t, &regions);
    let homes = Homes::new(t, prog, &regions);
    let adj = interference(t, &live, &exit_live, &homes);
    let (slot, nslots) = colour(&homes, &pool_of, &adj, 3 + regions.len());
    let (home, special) = (&homes.home, &homes.special);
    // what each slot holds: its registers
    let mut holders: Vec<Vec<usize>> = vec![Vec::new(); nslots];
    for r in 0..nregs {
        if slot[r] != UNSEEN {
            holders[slot[r] as usize].push(r);
        }
    }
    let own = handler_regs(t);
    let dead = (0..n)
        .map(|pc| {
            let i = &t.body.steps[pc].instr;
            if !(i.is_shared() || matches!(i, Instr::Exit)) {
                return Box::default();
            }
            let g = region_of(&regions, pc);
            // in a handler's code only its own registers may be cleared:
            // the interrupted context's registers are live, though the
            // handler never reads them
            let handler = (g > 0).then(|| t.handlers.iter().position(|h| h.entry == regions[g - 1].0)).flatten();
            let clearable = |r: usize| {
                if special[r] {
                    g == 0 || handler.is_none_or(|h| own[h].contains(&(r as u16)))
                } else {
                    pool_of[home[r] as usize] == pool_of[g]
                }
            };
            (0..nslots)
                .filter(|&k| {
                    let hs = &holders[k];
                    hs.iter().all(|&r| !live.has(pc, r)) && hs.iter().all(|&r| clearable(r))
                })
                .map(|k| k as u16)
                .collect::<Vec<u16>>()
                .into_boxed_slice()
        })
        .collect();
    let handler = t
        .handlers
        .iter()
        .enumerate()
        .map(|(h, hd)| {
            let g = regions.iter().position(|r| r.0 == hd.entry).map_or(usize::MAX, |k| k + 1);
            let mut v: Vec<u16> = (0..nslots)
                .filter(|&k| {
                    holders[k].iter().any(|&r| {
                        if special[r] {
                            own[h].contains(&(r as u16))
                        } else {
                            g != usize::MAX && pool_of[home[r] as usize] == pool_of[g]
                        }
                    })
                })
                .map(|k| k as u16)
                .collect();
            v.sort();
            v.into_boxed_slice()
        })
        .collect();
    RegAlloc { slot: slot.into_boxed_slice(), nslots, dead, handler }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two registers that share a slot are never live at once, and a
    /// definition never lands in the slot of a register live after it:
    /// on every example and seed. Prints the state vector's words with
    /// and without the allocation (`--nocapture`).
    #[test]
    fn registers_that_share_a_slot_are_never_live_at_once() {
        let paths = crate::example_files(&["kvet"]);
        assert!(paths.len() > 20, "the examples are there");
        for path in paths {
            let src = std::fs::read_to_string(&path).unwrap();
            let Ok(p) = kvet_ir::compile(&src) else { continue };
            let l = crate::state::Layout::new(&p);
            let nregs: usize = p.threads.iter().map(|t| t.nregs as usize).sum();
            let nslots: usize = (0..p.threads.len()).map(|t| l.nslots(t)).sum();
            eprintln!("{}: {} words, {} without the allocation", path.display(), l.len, l.len + nregs - nslots);
            for (ti, t) in p.threads.iter().enumerate() {
                let a = &l.regs[ti];
                assert!(a.nslots <= t.nregs as usize);
                let (live, exit_live) = live_in(t, &p);
                let mut out = vec![0u64; live.words];
                let mut sv = Vec::new();
                for pc in 0..t.body.steps.len() {
                    let i = &t.body.steps[pc].instr;
                    let mut seen = std::collections::HashMap::new();
                    for r in (0..t.nregs as usize).filter(|&r| live.has(pc, r)) {
                        assert_ne!(a.slot[r], UNSEEN, "{}: live register without a slot", path.display());
                        if let Some(q) = seen.insert(a.slot[r], r) {
                            panic!("{}: thread {ti} pc {pc}: r{q} and r{r} share a slot", path.display());
                        }
                    }
                    if let Some(d) = i.def() {
                        live_out(&live, &exit_live, pc, i, &mut sv, &mut out);
                        for r in
                            (0..t.nregs as usize).filter(|&r| r != d as usize && out[r / 64] & (1 << (r % 64)) != 0)
                        {
                            assert_ne!(a.slot[r], a.slot[d as usize], "{}: pc {pc} clobbers r{r}", path.display());
                        }
                    }
                }
            }
        }
    }
}
