//! The LKMM's spinlocks: spin_lock, spin_unlock, spin_trylock and
//! spin_is_locked with their raw_ forms (tools/memory-model/linux-kernel.def;
//! the irq-saving and reader-writer forms are in `crate::kernel`).

use super::*;

pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        "spin_lock" | "raw_spin_lock" => {
            arity(name, args, 1, e)?;
            let (a, _) = lock_arg(lw, &args[0])?;
            lw.emit(Instr::Lock { addr: a, kind: LockKind::Spin });
            (Opd::Imm(0), Ty::Void)
        }
        "spin_unlock" | "raw_spin_unlock" => {
            arity(name, args, 1, e)?;
            let (a, _) = lock_arg(lw, &args[0])?;
            lw.emit(Instr::Unlock { addr: a, kind: LockKind::Spin });
            (Opd::Imm(0), Ty::Void)
        }
        "spin_trylock" | "raw_spin_trylock" => {
            arity(name, args, 1, e)?;
            let (a, _) = lock_arg(lw, &args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::Trylock { dst: r, addr: a, kind: LockKind::Spin });
            (Opd::Reg(r), Ty::Int)
        }
        "spin_is_locked" | "raw_spin_is_locked" => {
            arity(name, args, 1, e)?;
            let (a, _) = lock_arg(lw, &args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::IsLocked { dst: r, addr: a });
            (Opd::Reg(r), Ty::Int)
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
