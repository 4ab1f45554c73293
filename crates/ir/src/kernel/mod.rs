//! Lowering of the kernel execution model's primitives and identifiers
//! (`current`), one family per file: interrupts and IPIs (`irq`), the
//! execution-context macros in_interrupt() and friends (`context`), the
//! kernel's assertions (`checks`), locks (`locks`), tasks and sleeping
//! (`tasks`), allocation and RCU deferral (`alloc`), bitops (`bitops`),
//! seqcounts and completions (`sync`); refcount_t is atomic_t. The
//! File-level passes (handler bodies, task_structs, pools) are lowering's
//! own, in `crate::lower`; this module is called per call expression only.
//!
//! Sources: include/linux/irqflags.h, kernel/smp.c
//! (smp_call_function_many_cond), kernel/sched/core.c (try_to_wake_up,
//! __schedule), include/asm-generic/qrwlock.h, include/linux/bitops.h and
//! include/asm-generic/bitops/{atomic,non-atomic,lock}.h,
//! include/linux/seqlock.h, kernel/sched/completion.c, mm/slab_common.c.

use crate::lower::{Lowerer, Place, Res};
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{self as ast, Error, Span};

mod alloc;
mod bitops;
mod checks;
mod context;
mod irq;
mod locks;
mod sync;
mod tasks;

/// Kernel identifiers that are not variables: `current`,
/// `cpu_online_mask`.
pub(crate) fn ident(lw: &mut Lowerer, n: &str, span: Span) -> Res<Option<(Opd, Ty)>> {
    Ok(match n {
        "current" => {
            let Some(&cell) = lw.task_cells.get(lw.cx_thread() as usize) else {
                lw.tasks_wanted = true;
                // lowering restarts with the tasks; the type lets
                // `current->pid` lower meanwhile
                let ty = Ty::Struct(lw.layouts.struct_id("task_struct"));
                return Ok(Some((Opd::Imm(0), ty.ptr())));
            };
            let ty = Ty::Struct(lw.layouts.struct_id("task_struct"));
            let _ = span;
            Some((Opd::Imm(ptr_to(cell)), ty.ptr()))
        }
        "cpu_online_mask" | "cpu_possible_mask" | "cpu_present_mask" | "cpu_all_mask" => Some((Opd::Imm(-1), Ty::Int)),
        _ => None,
    })
}

pub(super) fn arity(name: &str, args: &[ast::Expr], n: usize, e: &ast::Expr) -> Res<()> {
    if args.len() != n {
        return Err(Error::new(e.span, format!("`{name}` takes {n} argument(s), {} given", args.len())));
    }
    Ok(())
}

pub(super) fn void() -> (Opd, Ty) {
    (Opd::Imm(0), Ty::Void)
}

/// A lock argument: a pointer to a lock of a lock type.
pub(super) fn lock_ptr(lw: &mut Lowerer, e: &ast::Expr) -> Res<Opd> {
    let (v, t) = lw.rvalue(e)?;
    match &t {
        Ty::Ptr(_) | Ty::Int | Ty::SInt(_) | Ty::UInt(_) => Ok(v),
        Ty::Lock(_) => {
            Err(Error::new(e.span, "this takes a pointer to the lock").with_label("write `&` before the lock"))
        }
        _ => Err(Error::new(e.span, "this is not a pointer to a lock")),
    }
}

/// `flags = <save>`: assign to the flags lvalue of irqsave primitives.
pub(super) fn save_flags(lw: &mut Lowerer, flags: &ast::Expr) -> Res<()> {
    let (p, _) = lw.lvalue(flags)?;
    let r = lw.tmp();
    lw.emit(Instr::IrqSave { dst: r });
    lw.write_place(&p, Opd::Reg(r), Order::Plain);
    Ok(())
}

/// `1 << nr` for a bit number operand.
pub(super) fn bit_mask(lw: &mut Lowerer, nr: Opd) -> Opd {
    match nr {
        Opd::Imm(k) => Opd::Imm(1i64.wrapping_shl(k as u32)),
        _ => {
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::Shl, Opd::Imm(1), nr));
            Opd::Reg(r)
        }
    }
}

/// Lower a kernel-model primitive; `Ok(None)` if `name` is not one. Each
/// family lives in its own file.
pub(crate) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    type Family = fn(&mut Lowerer, &str, &[ast::Expr], &ast::Expr) -> Res<Option<(Opd, Ty)>>;
    const FAMILIES: [Family; 9] = [
        locks::lock_family,
        irq::prim,
        context::prim,
        checks::prim,
        locks::prim,
        tasks::prim,
        alloc::prim,
        bitops::prim,
        sync::prim,
    ];
    for f in FAMILIES {
        if let Some(r) = f(lw, name, args, e)? {
            return Ok(Some(r));
        }
    }
    // refcount_t: atomic_t with saturation the scenarios do not reach
    if let Some(op) = name.strip_prefix("refcount_") {
        let alias = format!("atomic_{op}");
        return crate::prims::lower_prim(lw, &alias, args, e);
    }
    Ok(None)
}
