//! Lowering of the kernel-model primitives of one family: the kernel's assertions: lockdep_assert_*(), might_sleep() and KCSAN's ASSERT_EXCLUSIVE_*().
//!
//! Sources: include/linux/lockdep.h, include/linux/kernel.h, include/linux/kcsan-checks.h.

use super::*;
use crate::lower::{Lowerer, Res};
use crate::types::Ty;
use kvet_syntax::{self as ast, Error};

/// Lower a primitive of this family; `Ok(None)` if `name` is not one.
pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        // ---- the kernel's assertions (include/linux/lockdep.h, kernel.h) ----
        "lockdep_assert_held"
        | "lockdep_assert_held_once"
        | "lockdep_assert_held_write"
        | "lockdep_assert_held_read"
        | "lockdep_assert_not_held" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let check = match name {
                "lockdep_assert_held_write" => KernelCheck::HeldWrite,
                "lockdep_assert_held_read" => KernelCheck::HeldRead,
                "lockdep_assert_not_held" => KernelCheck::NotHeld,
                _ => KernelCheck::Held,
            };
            let text = lw.snippet(e.span);
            lw.emit_text(Instr::Check(check, addr), text);
            void()
        }
        "lockdep_assert_irqs_disabled"
        | "lockdep_assert_irqs_enabled"
        | "lockdep_assert_in_softirq"
        | "lockdep_assert_in_irq"
        | "might_sleep"
        | "might_sleep_if"
        | "might_resched" => {
            if name == "might_sleep_if" {
                arity(name, args, 1, e)?;
            } else {
                arity(name, args, 0, e)?;
            }
            let check = match name {
                "lockdep_assert_irqs_disabled" => KernelCheck::IrqsDisabled,
                "lockdep_assert_irqs_enabled" => KernelCheck::IrqsEnabled,
                "lockdep_assert_in_softirq" => KernelCheck::InSoftirq,
                "lockdep_assert_in_irq" => KernelCheck::InHardirq,
                _ => KernelCheck::MightSleep,
            };
            let text = lw.snippet(e.span);
            if name == "might_sleep_if" {
                let skip = lw.new_label();
                let go = lw.new_label();
                lw.cond_jump(&args[0], go, skip)?;
                lw.place(go);
                lw.emit_text(Instr::Check(check, Opd::Imm(0)), text);
                lw.place(skip);
            } else {
                lw.emit_text(Instr::Check(check, Opd::Imm(0)), text);
            }
            void()
        }
        // KCSAN's assertions (include/linux/kcsan-checks.h): a plain read
        // that races with any concurrent write, a plain write-access that
        // races with any concurrent access
        "ASSERT_EXCLUSIVE_WRITER" | "ASSERT_EXCLUSIVE_BITS" | "ASSERT_EXCLUSIVE_ACCESS" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes a variable")));
            }
            let (p, _) = lw.lvalue(&args[0])?;
            let Place::Mem(addr) = p else {
                return Err(Error::new(
                    args[0].span,
                    format!("`{name}` needs a variable in memory (a global or a field)"),
                ));
            };
            if name == "ASSERT_EXCLUSIVE_ACCESS" {
                lw.emit(Instr::Rmw {
                    dst: None,
                    addr,
                    op: RmwOp::Op(BinOp::Or),
                    a: Opd::Imm(0),
                    b: Opd::Imm(0),
                    ret: RmwRet::None,
                    ord: Order::Plain,
                });
            } else {
                let r = lw.tmp();
                lw.emit(Instr::Load { dst: r, addr, ord: Order::Plain });
            }
            void()
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
