//! Lowering of the kernel-model primitives of one family: interrupts, preemption no-ops, the CPU id and IPIs.
//!
//! Sources: include/linux/irqflags.h, include/linux/bottom_half.h, kernel/smp.c (smp_call_function_many_cond).

use super::*;
use crate::lower::{Lowerer, Res};
use crate::types::Ty;
use kvet_syntax::{self as ast, Error};

/// Lower a primitive of this family; `Ok(None)` if `name` is not one.
pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        // ---- interrupts ----
        "local_irq_disable" | "raw_local_irq_disable" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::IrqDisable);
            void()
        }
        "local_irq_enable" | "raw_local_irq_enable" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::IrqEnable);
            void()
        }
        "local_irq_save" | "raw_local_irq_save" => {
            arity(name, args, 1, e)?;
            save_flags(lw, &args[0])?;
            void()
        }
        "local_irq_restore" | "raw_local_irq_restore" => {
            arity(name, args, 1, e)?;
            let (f, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::IrqRestore { src: f });
            void()
        }
        "irqs_disabled" => {
            arity(name, args, 0, e)?;
            let r = lw.tmp();
            lw.emit(Instr::IrqsDisabled { dst: r });
            (Opd::Reg(r), Ty::Int)
        }
        "local_bh_disable" => {
            lw.emit(Instr::BhDisable);
            void()
        }
        "local_bh_enable" => {
            lw.emit(Instr::BhEnable);
            void()
        }
        "preempt_disable" | "preempt_enable" | "preempt_enable_no_resched" | "cond_resched" | "cpu_relax" => void(),
        "smp_processor_id" | "raw_smp_processor_id" | "get_cpu" => (Opd::Imm(lw.cx_thread() as i64), Ty::Int),
        "put_cpu" => void(),
        // ---- IPIs ----
        "smp_call_function_many" | "smp_call_function" | "smp_call_function_single" | "on_each_cpu" => {
            let (mask, fi, ii, wi, include_self) = match name {
                "smp_call_function_many" => {
                    arity(name, args, 4, e)?;
                    (Some(0), 1, 2, 3, false)
                }
                "smp_call_function_single" => {
                    arity(name, args, 4, e)?;
                    (None, 1, 2, 3, true)
                }
                "smp_call_function" => {
                    arity(name, args, 3, e)?;
                    (None, 0, 1, 2, false)
                }
                _ => {
                    arity(name, args, 3, e)?;
                    (None, 0, 1, 2, true)
                }
            };
            let mask = match (name, mask) {
                ("smp_call_function_single", _) => {
                    let (cpu, _) = lw.rvalue(&args[0])?;
                    bit_mask(lw, cpu)
                }
                (_, Some(i)) => lw.rvalue(&args[i])?.0,
                _ => Opd::Imm(-1),
            };
            let ast::ExprKind::Ident(fname) = &args[fi].kind else {
                return Err(Error::new(args[fi].span, "the IPI function must be named directly"));
            };
            let func = lw.ipi_funcs.iter().position(|f| f == fname).unwrap_or(0) as u32;
            let (info, _) = lw.rvalue(&args[ii])?;
            let wait =
                lw.const_eval(&args[wi]).ok_or_else(|| Error::new(args[wi].span, "`wait` must be a constant"))? != 0;
            lw.emit(Instr::SmpCall { mask, func, info, wait, include_self });
            if name == "smp_call_function_single" {
                (Opd::Imm(0), Ty::Int)
            } else {
                void()
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
