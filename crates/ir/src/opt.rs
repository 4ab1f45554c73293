//! Clean-up passes over the lowered program. Registers that no
//! instruction writes (litmus parameters such as `int *x`, bound once to
//! `&x`) are constants: their uses become immediates, so that memory
//! addresses are static wherever the source makes them so. The explorer's
//! partial-order reduction relies on that to know what a step touches.

use crate::program::*;

fn written(i: &Instr) -> Option<Reg> {
    match i {
        Instr::Mov(r, _) | Instr::Un(r, ..) | Instr::Bin(r, ..) => Some(*r),
        Instr::Load { dst, .. }
        | Instr::Trylock { dst, .. }
        | Instr::IsLocked { dst, .. }
        | Instr::SrcuLock { dst, .. }
        | Instr::IrqSave { dst }
        | Instr::IrqsDisabled { dst }
        | Instr::Alloc { dst, .. }
        | Instr::CacheAlloc { dst, .. }
        | Instr::SeqBegin { dst, .. }
        | Instr::KthreadCreate { dst, .. }
        | Instr::PreemptCount { dst }
        | Instr::ScheduleTimeout { dst, .. }
        | Instr::WaitCompletionTimeout { dst, .. } => Some(*dst),
        Instr::Rmw { dst, .. } | Instr::WakeUp { dst, .. } => *dst,
        _ => None,
    }
}

fn subst(o: &mut Opd, consts: &[Option<Val>]) {
    if let Opd::Reg(r) = *o {
        if let Some(Some(v)) = consts.get(r as usize) {
            *o = Opd::Imm(*v);
        }
    }
}

/// Replace reads of never-written registers by their initial values.
/// (`written` must list every instruction that writes a register: a
/// missed one would freeze that register at its initial value.)
pub fn fold_constant_registers(t: &mut Thread) {
    let mut consts: Vec<Option<Val>> = vec![Some(0); t.nregs as usize];
    for &(r, v) in &t.init_regs {
        if let Some(c) = consts.get_mut(r as usize) {
            *c = Some(v);
        }
    }
    // a handler's parameter (an IPI's info, an RCU callback's head) is
    // written when the handler fires
    for h in &t.handlers {
        if let Some(c) = h.arg.and_then(|r| consts.get_mut(r as usize)) {
            *c = None;
        }
    }
    for s in &t.body.steps {
        if let Some(r) = written(&s.instr) {
            if let Some(c) = consts.get_mut(r as usize) {
                *c = None;
            }
        }
    }
    for s in &mut t.body.steps {
        match &mut s.instr {
            Instr::Mov(_, a)
            | Instr::Un(_, _, a)
            | Instr::Branch(a, ..)
            | Instr::Assert(a, ..)
            | Instr::Check(_, a) => subst(a, &consts),
            Instr::Bin(_, _, a, b) => {
                subst(a, &consts);
                subst(b, &consts);
            }
            Instr::Load { addr, .. }
            | Instr::Lock { addr, .. }
            | Instr::Unlock { addr, .. }
            | Instr::Trylock { addr, .. }
            | Instr::IsLocked { addr, .. } => subst(addr, &consts),
            Instr::Store { addr, val, .. } => {
                subst(addr, &consts);
                subst(val, &consts);
            }
            Instr::Rmw { addr, a, b, .. } => {
                subst(addr, &consts);
                subst(a, &consts);
                subst(b, &consts);
            }
            Instr::SrcuLock { ss, .. } | Instr::SyncSrcu { ss } => subst(ss, &consts),
            Instr::IrqRestore { src } => subst(src, &consts),
            Instr::SmpCall { mask, info, .. } => {
                subst(mask, &consts);
                subst(info, &consts);
            }
            Instr::WakeUp { task, mask, .. } => {
                subst(task, &consts);
                subst(mask, &consts);
            }
            Instr::Free { addr }
            | Instr::CacheAlloc { cache: addr, .. }
            | Instr::FreeRcu { addr }
            | Instr::CallRcu { head: addr, .. }
            | Instr::WaitCompletion { addr }
            | Instr::WaitCompletionTimeout { addr, .. }
            | Instr::ScheduleTimeout { timeout: addr, .. }
            | Instr::SeqBegin { addr, .. } => subst(addr, &consts),
            Instr::SrcuUnlock { ss, idx } => {
                subst(ss, &consts);
                subst(idx, &consts);
            }
            _ => {}
        }
    }
}
