//! Which registers an instruction writes and reads: the one place that
//! knows it. The matches are exhaustive (no `_` arm), so a new
//! [`Instr`] does not compile until it says what it defines and uses;
//! constant-register folding (`opt.rs`), the explorer's liveness and
//! every other pass over registers go through these. (The classic
//! def/use sets of a data-flow analysis: Aho, Lam, Sethi and Ullman,
//! *Compilers*, §9.2.)

use crate::program::{Instr, Opd, Reg};

/// Visit every operand of an instruction, by shared or mutable
/// reference (as `$instr` is): one exhaustive match for both.
macro_rules! operands {
    ($instr:expr, $f:ident) => {
        match $instr {
            Instr::Mov(_, o) | Instr::Un(_, _, o) => $f(o),
            Instr::Bin(_, _, a, b) => {
                $f(a);
                $f(b);
            }
            Instr::Branch(c, ..) | Instr::Assert(c, ..) | Instr::Check(_, c) => $f(c),
            Instr::Load { addr, .. }
            | Instr::Lock { addr, .. }
            | Instr::Unlock { addr, .. }
            | Instr::Trylock { addr, .. }
            | Instr::IsLocked { addr, .. }
            | Instr::CacheAlloc { cache: addr, .. }
            | Instr::Free { addr }
            | Instr::FreeRcu { addr }
            | Instr::CallRcu { head: addr, .. }
            | Instr::SeqBegin { addr, .. }
            | Instr::WaitCompletion { addr }
            | Instr::WaitCompletionTimeout { addr, .. }
            | Instr::ScheduleTimeout { timeout: addr, .. }
            | Instr::KthreadCreate { data: addr, .. }
            | Instr::SrcuLock { ss: addr, .. }
            | Instr::SyncSrcu { ss: addr }
            | Instr::IrqRestore { src: addr } => $f(addr),
            Instr::Store { addr, val, .. } => {
                $f(addr);
                $f(val);
            }
            Instr::Rmw { addr, a, b, .. } => {
                $f(addr);
                $f(a);
                $f(b);
            }
            Instr::SrcuUnlock { ss, idx } => {
                $f(ss);
                $f(idx);
            }
            Instr::SmpCall { mask, info, .. } => {
                $f(mask);
                $f(info);
            }
            Instr::WakeUp { task, mask, .. } => {
                $f(task);
                $f(mask);
            }
            Instr::Jump(_)
            | Instr::Fence(_)
            | Instr::Bound(_)
            | Instr::Exit
            | Instr::IrqReturn
            | Instr::RcuLock
            | Instr::RcuUnlock
            | Instr::SyncRcu
            | Instr::IrqDisable
            | Instr::IrqEnable
            | Instr::IrqSave { .. }
            | Instr::IrqsDisabled { .. }
            | Instr::BhDisable
            | Instr::BhEnable
            | Instr::Schedule
            | Instr::TaskExit
            | Instr::Alloc { .. }
            | Instr::RcuBarrier
            | Instr::ScopeEnter { .. }
            | Instr::ScopeExit { .. }
            | Instr::TaskStart
            | Instr::PreemptDisable
            | Instr::PreemptEnable
            | Instr::Yield
            | Instr::PoolGate
            | Instr::InContext { .. }
            | Instr::PreemptCount { .. } => {}
        }
    };
}

impl Instr {
    /// The register this instruction writes, if any.
    pub fn def(&self) -> Option<Reg> {
        match self {
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
            | Instr::InContext { dst, .. }
            | Instr::ScheduleTimeout { dst, .. }
            | Instr::WaitCompletionTimeout { dst, .. } => Some(*dst),
            Instr::Rmw { dst, .. } | Instr::WakeUp { dst, .. } => *dst,
            Instr::Jump(_)
            | Instr::Branch(..)
            | Instr::Assert(..)
            | Instr::Fence(_)
            | Instr::Check(..)
            | Instr::Bound(_)
            | Instr::Exit
            | Instr::IrqReturn
            | Instr::Store { .. }
            | Instr::Lock { .. }
            | Instr::Unlock { .. }
            | Instr::RcuLock
            | Instr::RcuUnlock
            | Instr::SyncRcu
            | Instr::SrcuUnlock { .. }
            | Instr::SyncSrcu { .. }
            | Instr::IrqDisable
            | Instr::IrqEnable
            | Instr::IrqRestore { .. }
            | Instr::BhDisable
            | Instr::BhEnable
            | Instr::SmpCall { .. }
            | Instr::Schedule
            | Instr::TaskExit
            | Instr::Free { .. }
            | Instr::FreeRcu { .. }
            | Instr::CallRcu { .. }
            | Instr::RcuBarrier
            | Instr::ScopeEnter { .. }
            | Instr::ScopeExit { .. }
            | Instr::WaitCompletion { .. }
            | Instr::TaskStart
            | Instr::PreemptDisable
            | Instr::PreemptEnable
            | Instr::PoolGate
            | Instr::Yield => None,
        }
    }

    /// Call `f` on every operand the instruction reads (registers and
    /// immediates).
    pub fn for_each_operand(&self, mut f: impl FnMut(&Opd)) {
        operands!(self, f)
    }

    /// Call `f` on every operand the instruction reads, mutably (to
    /// replace a register by an immediate).
    pub fn for_each_operand_mut(&mut self, mut f: impl FnMut(&mut Opd)) {
        operands!(self, f)
    }

    /// Call `f` on every register the instruction reads.
    pub fn for_each_use(&self, mut f: impl FnMut(Reg)) {
        self.for_each_operand(|o| {
            if let Opd::Reg(r) = o {
                f(*r)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{BinOp, LockKind, Order};

    fn uses(i: &Instr) -> Vec<Reg> {
        let mut v = Vec::new();
        i.for_each_use(|r| v.push(r));
        v
    }

    #[test]
    fn defs_and_uses() {
        let add = Instr::Bin(3, BinOp::Add, Opd::Reg(1), Opd::Imm(7));
        assert_eq!(add.def(), Some(3));
        assert_eq!(uses(&add), vec![1]);
        let st = Instr::Store { addr: Opd::Reg(0), val: Opd::Reg(2), ord: Order::Once };
        assert_eq!(st.def(), None);
        assert_eq!(uses(&st), vec![0, 2]);
        let tl = Instr::Trylock { dst: 4, addr: Opd::Imm(9), kind: LockKind::Spin };
        assert_eq!(tl.def(), Some(4));
        assert!(uses(&tl).is_empty());
        assert_eq!(Instr::Exit.def(), None);
        assert!(uses(&Instr::Exit).is_empty());
    }

    #[test]
    fn operands_can_be_replaced() {
        let mut i = Instr::WakeUp { dst: None, task: Opd::Reg(5), mask: Opd::Reg(6) };
        i.for_each_operand_mut(|o| {
            if *o == Opd::Reg(6) {
                *o = Opd::Imm(3);
            }
        });
        assert_eq!(i, Instr::WakeUp { dst: None, task: Opd::Reg(5), mask: Opd::Imm(3) });
        assert_eq!(uses(&i), vec![5]);
    }
}
