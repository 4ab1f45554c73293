//! Lowering of the kernel-model primitives of one family: the lock family (spinlocks, rwlocks, their _irq/_irqsave/_bh forms), mutexes, rwsems and bit spinlocks.
//!
//! Sources: include/linux/spinlock.h, include/asm-generic/qrwlock.h, kernel/locking/mutex.c, kernel/locking/rwsem.c, include/linux/bit_spinlock.h.

use super::*;
use crate::lower::{Lowerer, Res};
use crate::types::Ty;
use kvet_syntax::{self as ast, Error};

/// The lock-family primitives: `<fam>_lock[_irq|_irqsave|_bh]` and the
/// matching unlocks and trylocks.
pub(super) fn lock_family(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let fams: &[(&str, LockKind, LockKind)] = &[
        ("raw_spin_", LockKind::Spin, LockKind::Spin),
        ("spin_", LockKind::Spin, LockKind::Spin),
        ("read_", LockKind::Read, LockKind::Read),
        ("write_", LockKind::Write, LockKind::Write),
    ];
    for (pre, kind, _) in fams {
        let Some(rest) = name.strip_prefix(pre) else { continue };
        let (op, suffix) = match rest {
            "lock" | "lock_irq" | "lock_irqsave" | "lock_bh" | "unlock" | "unlock_irq" | "unlock_irqrestore"
            | "unlock_bh" | "trylock" => {
                let (op, sfx) = rest.split_once('_').unwrap_or((rest, ""));
                (op, sfx)
            }
            _ => continue,
        };
        if *kind == LockKind::Spin && suffix.is_empty() {
            // plain spin_lock/unlock/trylock are the LKMM's, in prims/spinlocks.rs
            return Ok(None);
        }
        let want = if matches!(suffix, "irqsave" | "irqrestore") { 2 } else { 1 };
        arity(name, args, want, e)?;
        let addr = lock_ptr(lw, &args[0])?;
        match (op, suffix) {
            ("lock", "") => lw.emit(Instr::Lock { addr, kind: *kind }),
            ("lock", "irq") => {
                lw.emit(Instr::IrqDisable);
                lw.emit(Instr::Lock { addr, kind: *kind });
            }
            ("lock", "irqsave") => {
                save_flags(lw, &args[1])?;
                lw.emit(Instr::Lock { addr, kind: *kind });
            }
            ("lock", "bh") => {
                lw.emit(Instr::BhDisable);
                lw.emit(Instr::Lock { addr, kind: *kind });
            }
            ("unlock", "") => lw.emit(Instr::Unlock { addr, kind: *kind }),
            ("unlock", "irq") => {
                lw.emit(Instr::Unlock { addr, kind: *kind });
                lw.emit(Instr::IrqEnable);
            }
            ("unlock", "irqrestore") => {
                lw.emit(Instr::Unlock { addr, kind: *kind });
                let (f, _) = lw.rvalue(&args[1])?;
                lw.emit(Instr::IrqRestore { src: f });
            }
            ("unlock", "bh") => {
                lw.emit(Instr::Unlock { addr, kind: *kind });
                lw.emit(Instr::BhEnable);
            }
            ("trylock", _) => {
                let r = lw.tmp();
                lw.emit(Instr::Trylock { dst: r, addr, kind: *kind });
                return Ok(Some((Opd::Reg(r), Ty::Int)));
            }
            _ => return Ok(None),
        }
        return Ok(Some(void()));
    }
    Ok(None)
}

/// Lower a primitive of this family; `Ok(None)` if `name` is not one.
pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        // ---- sleeping locks ----
        "mutex_lock" | "mutex_lock_interruptible" | "mutex_lock_killable" | "mutex_lock_nested" => {
            if args.is_empty() || (args.len() > 1 && name != "mutex_lock_nested") {
                return Err(Error::new(e.span, format!("`{name}` takes a pointer to the mutex")));
            }
            let addr = lock_ptr(lw, &args[0])?;
            lw.emit(Instr::Lock { addr, kind: LockKind::Mutex });
            (Opd::Imm(0), Ty::Int)
        }
        "mutex_unlock" => {
            arity(name, args, 1, e)?;
            let addr = lock_ptr(lw, &args[0])?;
            lw.emit(Instr::Unlock { addr, kind: LockKind::Mutex });
            void()
        }
        "mutex_trylock" => {
            arity(name, args, 1, e)?;
            let addr = lock_ptr(lw, &args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::Trylock { dst: r, addr, kind: LockKind::Mutex });
            (Opd::Reg(r), Ty::Int)
        }
        "mutex_is_locked" => {
            arity(name, args, 1, e)?;
            let addr = lock_ptr(lw, &args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::IsLocked { dst: r, addr });
            (Opd::Reg(r), Ty::Int)
        }
        "down_read" | "down_write" | "up_read" | "up_write" | "down_read_trylock" | "down_write_trylock" => {
            arity(name, args, 1, e)?;
            let addr = lock_ptr(lw, &args[0])?;
            let kind = if name.contains("read") { LockKind::SemRead } else { LockKind::SemWrite };
            if name.ends_with("trylock") {
                let r = lw.tmp();
                lw.emit(Instr::Trylock { dst: r, addr, kind });
                return Ok(Some((Opd::Reg(r), Ty::Int)));
            }
            if name.starts_with("down") {
                lw.emit(Instr::Lock { addr, kind });
            } else {
                lw.emit(Instr::Unlock { addr, kind });
            }
            void()
        }
        "bit_spin_lock" | "bit_spin_unlock" | "__bit_spin_unlock" | "bit_spin_trylock" => {
            arity(name, args, 2, e)?;
            let nr = lw
                .const_eval(&args[0])
                .filter(|n| (0..64).contains(n))
                .ok_or_else(|| Error::new(args[0].span, "the bit number must be a constant from 0 to 63"))?;
            let (addr, _) = lw.rvalue(&args[1])?;
            let kind = LockKind::Bit(nr as u8);
            match name {
                "bit_spin_lock" => lw.emit(Instr::Lock { addr, kind }),
                "bit_spin_trylock" => {
                    let r = lw.tmp();
                    lw.emit(Instr::Trylock { dst: r, addr, kind });
                    return Ok(Some((Opd::Reg(r), Ty::Int)));
                }
                _ => lw.emit(Instr::Unlock { addr, kind }),
            }
            void()
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
