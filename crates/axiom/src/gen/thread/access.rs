//! Memory accesses on one path: loads, stores and read-modify-writes.
//!
//! Sources: linux-kernel.def (the annotation each access carries) and
//! herd7's `herd/CSem.ml`: a load is one `R` per value its location can
//! hold; a store one `W`; a value-returning RMW an `R`/`W` pair linked by
//! `rmw`, both atomic; a failed `cmpxchg` or `atomic_add_unless` a lone
//! atomic `R` (the bell's `FailedRMW`).  A read of the freed-memory value
//! ends the path with a use-after-free fault (check mode); an access to a
//! SLAB_TYPESAFE_BY_RCU object outside an RCU read-side section first
//! checks the object's slot (see [`super::alloc`]).

use super::is_freed;
use super::{is_sym, order_tag, Deps, St, TEv, Walker, SYMX};
use crate::exec::{EventKind, TagSet};
use crate::gen::GenError;
use kvet_ir::{Opd, Order, Reg, RmwOp, RmwRet, Val};

/// One RMW instruction with its operands evaluated on the path.
pub(super) struct Rmw {
    pub cell: u32,
    /// The address's dependencies.
    pub at: Deps,
    pub op: RmwOp,
    /// The first operand (added, stored, exchanged) and its dependencies.
    pub va: Val,
    pub ta: Deps,
    /// The second operand (cmpxchg's expected value, add_unless's `u`).
    pub vb: Val,
    pub ret: RmwRet,
    pub dst: Option<Reg>,
    pub tags: TagSet,
}

impl Walker<'_> {
    /// A load of `addr` into `dst`; `false` if the path ends here.
    pub(super) fn load(
        &self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        dst: Reg,
        addr: Opd,
        ord: Order,
    ) -> Result<bool, GenError> {
        let Some(cell) = self.cell_or_fault(st, pc, addr)? else {
            return Ok(false);
        };
        let at = self.taint(st, addr);
        let Some(paths) = self.typesafe_guard(st, pc, cell, at)? else {
            st.pc += 1;
            return self.read(st, stack, pc, cell, addr, order_tag(ord), dst);
        };
        for mut s in paths {
            s.pc += 1;
            if self.read(&mut s, stack, pc, cell, addr, order_tag(ord), dst)? {
                stack.push(s);
            }
        }
        Ok(false)
    }

    /// A store of `val` to `addr`; `false` if the path ends here.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn store(
        &self,
        st: &mut St,
        stack: &mut Vec<St>,
        pc: u32,
        addr: Opd,
        val: Opd,
        ord: Order,
    ) -> Result<bool, GenError> {
        let Some(cell) = self.cell_or_fault(st, pc, addr)? else {
            return Ok(false);
        };
        let (at, v, vt) = (self.taint(st, addr), self.val(st, val), self.taint(st, val));
        let w = TEv { val: Some(v), tags: order_tag(ord), data: vt, ..super::cell_event(EventKind::Write, cell, at) };
        let Some(paths) = self.typesafe_guard(st, pc, cell, at)? else {
            self.push(st, pc, w)?;
            st.pc += 1;
            return Ok(true);
        };
        for mut s in paths {
            self.push(&mut s, pc, w.clone())?;
            s.pc += 1;
            stack.push(s);
        }
        Ok(false)
    }

    /// The outcomes of `rmw` for each value its cell can hold: (old value,
    /// new value if the write happens, whether the new value is computed
    /// from the old one).  An unsolved operand gives an unsolved result,
    /// and both outcomes of a conditional RMW.
    fn rmw_outcomes(&self, st: &St, rmw: &Rmw) -> Vec<(Val, Option<Val>, bool)> {
        let (va, vb) = (rmw.va, rmw.vb);
        let mut alts = Vec::new();
        for &old in &self.values(st, rmw.cell) {
            let sym = is_sym(old) || is_sym(va) || is_sym(vb);
            match rmw.op {
                RmwOp::Op(bop) => {
                    if is_sym(old) || is_sym(va) {
                        alts.push((old, Some(SYMX), true));
                    } else if let Some(n) = kvet_ir::eval_bin(bop, old, va) {
                        alts.push((old, Some(n), true));
                    }
                }
                RmwOp::Xchg => alts.push((old, Some(va), false)),
                RmwOp::Cmpxchg if sym => {
                    alts.push((old, Some(va), false));
                    alts.push((old, None, false));
                }
                RmwOp::Cmpxchg => alts.push((old, if old == vb { Some(va) } else { None }, false)),
                RmwOp::AddUnless if sym => {
                    let n = if is_sym(old) || is_sym(va) { SYMX } else { old.wrapping_add(va) };
                    alts.push((old, Some(n), true));
                    alts.push((old, None, true));
                }
                RmwOp::AddUnless => alts.push((old, if old != vb { Some(old.wrapping_add(va)) } else { None }, true)),
            }
        }
        alts
    }

    /// An RMW: one path per outcome, each pushed on `stack` (the path
    /// `st` ends here).
    pub(super) fn rmw(&self, st: &mut St, stack: &mut Vec<St>, pc: u32, rmw: &Rmw) -> Result<(), GenError> {
        if let Some(paths) = self.typesafe_guard(st, pc, rmw.cell, rmw.at)? {
            for mut s in paths {
                self.rmw_outcome_paths(&mut s, stack, pc, rmw)?;
            }
            return Ok(());
        }
        self.rmw_outcome_paths(st, stack, pc, rmw)
    }

    /// The RMW's events on `st`, one path per outcome, each pushed on
    /// `stack`.
    fn rmw_outcome_paths(&self, st: &mut St, stack: &mut Vec<St>, pc: u32, rmw: &Rmw) -> Result<(), GenError> {
        st.pc += 1;
        for (old, new, from_old) in self.rmw_outcomes(st, rmw) {
            let mut s2 = st.clone();
            let r = TEv {
                val: Some(old),
                tags: rmw.tags,
                atomic: true,
                ..super::cell_event(EventKind::Read, rmw.cell, rmw.at)
            };
            let r = self.push(&mut s2, pc, r)?;
            if is_freed(old) {
                self.freed_read(s2, pc, rmw.cell)?;
                continue;
            }
            let rbit: Deps = Deps::bit(r);
            if let Some(n) = new {
                let data = rmw.ta | if from_old { rbit } else { Deps::NONE };
                let w = TEv {
                    val: Some(n),
                    tags: rmw.tags,
                    atomic: true,
                    data,
                    ..super::cell_event(EventKind::Write, rmw.cell, rmw.at)
                };
                let w = self.push(&mut s2, pc, w)?;
                s2.rmw.push((r as u16, w as u16));
            }
            if let Some(d) = rmw.dst {
                let (rv, rt) = rmw_return(rmw, old, new, rbit);
                self.set(&mut s2, d, rv, rt);
            }
            stack.push(s2);
        }
        Ok(())
    }
}

/// The value an RMW returns and its dependencies, from the old value,
/// the new one (if written) and the bit of its read event.
fn rmw_return(rmw: &Rmw, old: Val, new: Option<Val>, rbit: Deps) -> (Val, Deps) {
    let newv = new.unwrap_or(old);
    let symv = |x: bool| if is_sym(newv) { SYMX } else { x as Val };
    match rmw.ret {
        RmwRet::None => (0, Deps::NONE),
        RmwRet::Old => (old, rbit),
        RmwRet::New => (newv, rbit | rmw.ta),
        RmwRet::NewIsZero => (symv(newv == 0), rbit | rmw.ta),
        RmwRet::NewIsNeg => (symv(newv < 0), rbit | rmw.ta),
        RmwRet::Changed => (new.is_some() as Val, rbit),
        RmwRet::OldBit => (if is_sym(old) || is_sym(rmw.va) { SYMX } else { ((old & rmw.va) != 0) as Val }, rbit),
        RmwRet::NegByte => (symv(newv >> 7 & 1 == 1), rbit | rmw.ta),
    }
}
