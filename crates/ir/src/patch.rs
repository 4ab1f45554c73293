//! Small edits of a lowered program, as a kernel developer would make them
//! to repair an ordering bug: insert a fence (`smp_mb()`,
//! `smp_mb__after_atomic()`) before a step, or strengthen one access
//! (`READ_ONCE()` to `smp_load_acquire()`, `WRITE_ONCE()` to
//! `smp_store_release()`).  The repair search of kvet-axiom tries them and
//! re-checks the program under the LKMM.
//!
//! Source of the fences and orderings: tools/memory-model/linux-kernel.def
//! (the `F[Mb]`, `F[After-atomic]`, `Acquire` and `Release` tags).

use crate::program::{FenceKind, Instr, Order, Program, Step};

/// Insert `Fence(kind)` in thread `t` before the step at `pc`.  Every
/// jump or branch to `pc` (and a handler entry at `pc`) now lands on the
/// fence, as when the fence is written in the source before that
/// statement; later pcs move up by one.  `None` when `t` or `pc` is out
/// of range.
pub fn insert_fence(prog: &Program, t: usize, pc: u32, kind: FenceKind) -> Option<Program> {
    let th = prog.threads.get(t)?;
    let at = th.body.steps.get(pc as usize)?;
    let mut p = prog.clone();
    let th = &mut p.threads[t];
    let moved = |x: u32| if x > pc { x + 1 } else { x };
    for s in &mut th.body.steps {
        match &mut s.instr {
            Instr::Jump(l) => *l = moved(*l),
            Instr::Branch(_, a, b) => {
                *a = moved(*a);
                *b = moved(*b);
            }
            _ => {}
        }
    }
    for h in &mut th.handlers {
        h.entry = moved(h.entry);
    }
    let text = match kind {
        FenceKind::AfterAtomic => "smp_mb__after_atomic()",
        FenceKind::BeforeAtomic => "smp_mb__before_atomic()",
        FenceKind::Rmb => "smp_rmb()",
        FenceKind::Wmb => "smp_wmb()",
        _ => "smp_mb()",
    };
    let step = Step { instr: Instr::Fence(kind), span: at.span, text: text.to_string(), call: at.call };
    // the old step at `pc` moves to pc + 1: the fence takes its place
    th.body.steps.insert(pc as usize, step);
    Some(p)
}

/// Give the load or store at (`t`, `pc`) the ordering `ord` (a load
/// `Acquire`, a store `Release`).  `None` when the step is not a load or
/// a store, or already has that ordering or a stronger one.
pub fn strengthen(prog: &Program, t: usize, pc: u32, ord: Order) -> Option<Program> {
    let st = prog.threads.get(t)?.body.steps.get(pc as usize)?;
    let weak = |o: &Order| matches!(o, Order::Plain | Order::Once);
    let ok = match (&st.instr, ord) {
        (Instr::Load { ord: o, .. }, Order::Acquire) => weak(o),
        (Instr::Store { ord: o, .. }, Order::Release) => weak(o),
        _ => false,
    };
    if !ok {
        return None;
    }
    let mut p = prog.clone();
    match &mut p.threads[t].body.steps[pc as usize].instr {
        Instr::Load { ord: o, .. } | Instr::Store { ord: o, .. } => *o = ord,
        _ => return None,
    }
    Some(p)
}
