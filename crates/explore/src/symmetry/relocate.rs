//! The block layout that makes renaming by a thread permutation well
//! defined: the objects each interchangeable thread owns (symmetry/detect.rs)
//! are moved, in order, into one block per thread, all blocks of one class
//! alike, each with `guard` free cells on both sides (and `guard` more
//! before the first block), so that a pointer computed from a thread's
//! objects by container_of() or a field offset stays inside its block and
//! is renamed as "same offset in the image's block" (the `guard` is twice
//! the largest constant the program adds to a register). Every other cell
//! keeps its relative order, first. The relocated program is the same
//! program under another placement of its objects: code, objects, names
//! and the final clause follow the cells. Only the explorer's symmetric
//! search uses it (its schedules are the same moves, replayed on the
//! original program for traces).

use super::detect::Classes;
use kvet_ir::{BinOp, Cond, Instr, Observed, Opd, Program, Val};

/// The largest pointer offset a block's guard must absorb: twice the
/// largest constant added to or subtracted from a register (field offsets
/// and container_of()), or None when it is over 64 (the layout would cost
/// too much; symmetry over own objects is then not used).
pub(crate) fn guard(p: &Program) -> Option<u32> {
    let mut k: i64 = 1;
    for t in &p.threads {
        for s in &t.body.steps {
            if let Instr::Bin(_, BinOp::Add | BinOp::Sub, a, b) = &s.instr {
                for o in [a, b] {
                    if let Opd::Imm(v) = o {
                        if !kvet_ir::is_pointer(*v) {
                            k = k.max(v.saturating_abs());
                        }
                    }
                }
            }
        }
    }
    (k <= 64).then_some(2 * k as u32)
}

/// `p` with the own objects of every class thread in blocks, or None when
/// no class has own objects (nothing to move) or the guard is too large.
pub(crate) fn relocate(p: &Program, cls: &Classes) -> Option<Program> {
    let movers: Vec<usize> = cls.classes.iter().flatten().copied().filter(|&t| !cls.owned[t].is_empty()).collect();
    if movers.is_empty() {
        return None;
    }
    let g = guard(p)?;
    let n = p.ncells as usize;
    let mut moved = vec![false; n];
    let cells_of = |o: usize| {
        let ob = &p.objects[o];
        ob.status.into_iter().chain(ob.base..ob.base + ob.size).collect::<Vec<u32>>()
    };
    for &t in &movers {
        for &o in &cls.owned[t] {
            for c in cells_of(o) {
                moved[c as usize] = true;
            }
        }
    }
    let mut new_of = vec![0u32; n];
    let mut next = 0u32;
    for c in 0..n {
        if !moved[c] {
            new_of[c] = next;
            next += 1;
        }
    }
    next += g;
    for &t in &movers {
        next += g;
        for &o in &cls.owned[t] {
            for c in cells_of(o) {
                new_of[c as usize] = next;
                next += 1;
            }
        }
        next += g;
    }
    Some(renumber(p, &new_of, next))
}

/// `p` with cell `c` moved to `new_of[c]`, in a memory of `ncells` cells.
fn renumber(p: &Program, new_of: &[u32], ncells: u32) -> Program {
    let val = |v: Val| match kvet_ir::ptr_cell(v) {
        Some(c) if kvet_ir::is_pointer(v) && (c as usize) < new_of.len() => kvet_ir::ptr_to(new_of[c as usize]),
        _ => v,
    };
    let mut q = p.clone();
    q.ncells = ncells;
    q.init_mem = vec![0; ncells as usize];
    for (c, &v) in p.init_mem.iter().enumerate() {
        q.init_mem[new_of[c] as usize] = val(v);
    }
    for o in &mut q.objects {
        o.base = if o.size > 0 { new_of[o.base as usize] } else { o.base };
        o.status = o.status.map(|s| new_of[s as usize]);
    }
    for t in &mut q.threads {
        t.task = t.task.map(|c| new_of[c as usize]);
        for r in &mut t.init_regs {
            r.1 = val(r.1);
        }
        for h in &mut t.handlers {
            h.gate = h.gate.map(|c| new_of[c as usize]);
        }
        for s in &mut t.body.steps {
            s.instr.for_each_operand_mut(|o| {
                if let Opd::Imm(v) = o {
                    *v = val(*v);
                }
            });
            if let Instr::KthreadCreate { task, data_cell, .. } = &mut s.instr {
                *task = new_of[*task as usize];
                *data_cell = new_of[*data_cell as usize];
            }
        }
    }
    for o in &mut q.observed {
        if let Observed::Cell { cell, .. } = o {
            *cell = new_of[*cell as usize];
        }
    }
    let fix = |c: &mut Cond| cond_vals(c, &val);
    if let Some(f) = q.filter.as_mut() {
        fix(f);
    }
    if let Some((_, c)) = q.quant.as_mut() {
        fix(c);
    }
    q
}

fn cond_vals(c: &mut Cond, val: &dyn Fn(Val) -> Val) {
    match c {
        Cond::Not(a) => cond_vals(a, val),
        Cond::And(a, b) | Cond::Or(a, b) | Cond::Implies(a, b) => {
            cond_vals(a, val);
            cond_vals(b, val);
        }
        Cond::Eq { value, .. } => *value = val(*value),
        Cond::True | Cond::False | Cond::EqLoc { .. } => {}
    }
}
