//! RCU and SRCU: read-side critical sections and grace periods
//! (tools/memory-model/linux-kernel.def, include/linux/rcupdate.h,
//! include/linux/srcu.h).

use super::*;

pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        "rcu_read_lock" | "rcu_read_lock_bh" | "rcu_read_lock_sched" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::RcuLock);
            (Opd::Imm(0), Ty::Void)
        }
        "rcu_read_unlock" | "rcu_read_unlock_bh" | "rcu_read_unlock_sched" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::RcuUnlock);
            (Opd::Imm(0), Ty::Void)
        }
        "synchronize_rcu" | "synchronize_rcu_expedited" | "synchronize_sched" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::SyncRcu);
            (Opd::Imm(0), Ty::Void)
        }
        "srcu_read_lock" | "srcu_down_read" => {
            arity(name, args, 1, e)?;
            let (ss, _) = lw.rvalue(&args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::SrcuLock { dst: r, ss });
            (Opd::Reg(r), Ty::Int)
        }
        "srcu_read_unlock" | "srcu_up_read" => {
            arity(name, args, 2, e)?;
            let (ss, _) = lw.rvalue(&args[0])?;
            let (idx, _) = lw.rvalue(&args[1])?;
            lw.emit(Instr::SrcuUnlock { ss, idx });
            (Opd::Imm(0), Ty::Void)
        }
        "synchronize_srcu" | "synchronize_srcu_expedited" => {
            arity(name, args, 1, e)?;
            let (ss, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::SyncSrcu { ss });
            (Opd::Imm(0), Ty::Void)
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
