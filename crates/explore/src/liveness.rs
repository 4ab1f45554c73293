//! Register liveness per thread body, used to clear dead registers at the
//! points where a thread stops between steps. Two states that differ only
//! in dead registers have the same future, so clearing them merges states
//! (a classic reduction in explicit-state checkers such as SPIN).

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

/// For each pc of the thread: the registers dead there (only filled at
/// shared instructions and exits, where states are stored).
pub(crate) fn dead_regs(t: &Thread, prog: &Program) -> Vec<Box<[u16]>> {
    let n = t.body.steps.len();
    let words = (t.nregs as usize).div_ceil(64).max(1);
    let mut live = vec![0u64; n * words];
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
            tmp.iter_mut().for_each(|w| *w = 0);
            if matches!(i, Instr::Exit) {
                tmp.copy_from_slice(&exit_live);
            }
            succs(pc, i, &mut sv);
            for &s in &sv {
                if s < n {
                    for w in 0..words {
                        tmp[w] |= live[s * words + w];
                    }
                }
            }
            if let Some(d) = uses_def(i, &mut |_| {}) {
                tmp[d as usize / 64] &= !(1 << (d % 64));
            }
            uses_def(i, &mut |r| tmp[r as usize / 64] |= 1 << (r % 64));
            let cur = &mut live[pc * words..(pc + 1) * words];
            if cur != &tmp[..] {
                cur.copy_from_slice(&tmp);
                changed = true;
            }
        }
    }
    // In a handler's code only its own registers may be cleared: the
    // interrupted context's registers are live, though the handler never
    // reads them.
    let regions = regions(t);
    let own = handler_regs(t);
    (0..n)
        .map(|pc| {
            let i = &t.body.steps[pc].instr;
            if !(i.is_shared() || matches!(i, Instr::Exit)) {
                return Box::default();
            }
            let h = regions.iter().rposition(|&(start, _)| pc >= start as usize);
            (0..t.nregs)
                .filter(|&r| live[pc * words + r as usize / 64] & (1 << (r % 64)) == 0)
                .filter(|r| h.is_none_or(|h| own[h].contains(r)))
                .collect::<Vec<u16>>()
                .into_boxed_slice()
        })
        .collect()
}

/// The pc ranges of the handler bodies: (start, end).
fn regions(t: &Thread) -> Vec<(u32, u32)> {
    let n = t.body.steps.len() as u32;
    let mut starts: Vec<u32> = t.handlers.iter().map(|h| h.entry).collect();
    starts.sort();
    (0..starts.len()).map(|i| (starts[i], starts.get(i + 1).copied().unwrap_or(n))).collect()
}

/// Per handler (in `t.handlers` order): the registers its code uses.
pub(crate) fn handler_regs(t: &Thread) -> Vec<Box<[u16]>> {
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
            regs.into_boxed_slice()
        })
        .collect()
}
