//! The kernel primitives kvet knows by name, and how each lowers to IR.
//!
//! Sources: `tools/memory-model/linux-kernel.def` (READ_ONCE, the atomic
//! family, xchg/cmpxchg, fences, spinlocks, RCU, SRCU with the ordering
//! annotation each one carries), include/linux/atomic/*.h for the
//! `atomic_long_*` and `atomic64_*` aliases, and include/asm-generic/bug.h
//! for BUG_ON/WARN_ON.

use crate::lower::{Lowerer, Place, Res};
use crate::program::*;
use crate::types::{LockTy, Ty};
use kvet_syntax::{self as ast, Error};

mod atomic;
mod bug;
mod constants;
mod fences;
mod once;
mod rcu;
mod spinlocks;
mod xchg;

pub(crate) use constants::constant;

pub(super) fn arity(name: &str, args: &[ast::Expr], n: usize, e: &ast::Expr) -> Res<()> {
    if args.len() != n {
        return Err(Error::new(e.span, format!("`{name}` takes {n} argument(s), {} given", args.len())));
    }
    Ok(())
}

/// The ordering suffix of a primitive name, and the name without it.
pub(super) fn split_order(name: &str, default: Order) -> (&str, Order) {
    for (suf, o) in [("_relaxed", Order::Once), ("_acquire", Order::Acquire), ("_release", Order::Release)] {
        if let Some(base) = name.strip_suffix(suf) {
            return (base, o);
        }
    }
    (name, default)
}

/// Lower a call to a primitive. `Ok(None)` means `name` is no primitive.
pub(crate) fn lower_prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    // atomic_long_* and atomic64_* are aliases of atomic_*
    let canon;
    let name = if let Some(rest) = name.strip_prefix("atomic_long_").or_else(|| name.strip_prefix("atomic64_")) {
        canon = format!("atomic_{rest}");
        canon.as_str()
    } else {
        name
    };
    if let Some(r) = crate::sched::prim(lw, name, args, e)? {
        return Ok(Some(r));
    }
    if let Some(r) = crate::kernel::prim(lw, name, args, e)? {
        return Ok(Some(r));
    }
    type Family = fn(&mut Lowerer, &str, &[ast::Expr], &ast::Expr) -> Res<Option<(Opd, Ty)>>;
    // atomic last: the atomic_ forms of xchg and cmpxchg are exchanges
    const FAMILIES: [Family; 7] =
        [once::prim, fences::prim, spinlocks::prim, rcu::prim, bug::prim, xchg::prim, atomic::prim];
    for f in FAMILIES {
        if let Some(r) = f(lw, name, args, e)? {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

pub(super) fn elem(t: &Ty) -> Ty {
    match t.pointee() {
        Some(Ty::Atomic) | None => Ty::Int,
        Some(t) => t.clone(),
    }
}

pub(super) fn read(lw: &mut Lowerer, p: Place, t: Ty, ord: Order) -> (Opd, Ty) {
    let t = if t == Ty::Atomic { Ty::Int } else { t };
    match p {
        Place::Reg(r) => (Opd::Reg(r), t),
        Place::Mem(a) => {
            let r = lw.tmp();
            lw.emit(Instr::Load { dst: r, addr: a, ord });
            (Opd::Reg(r), t)
        }
    }
}

/// A lock argument: a pointer to a lock (`&l`, or a litmus parameter `l`).
pub(super) fn lock_arg(lw: &mut Lowerer, e: &ast::Expr) -> Res<(Opd, Ty)> {
    let (v, t) = lw.rvalue(e)?;
    match &t {
        Ty::Ptr(inner)
            if matches!(**inner, Ty::Lock(LockTy::Spin) | Ty::Int | Ty::SInt(_) | Ty::UInt(_) | Ty::Void) =>
        {
            Ok((v, t))
        }
        Ty::Lock(_) => {
            Err(Error::new(e.span, "this takes a pointer to the lock").with_label("write `&` before the lock"))
        }
        _ => Err(Error::new(e.span, "this is not a pointer to a spinlock_t")),
    }
}
