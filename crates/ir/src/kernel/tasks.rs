//! Lowering of the kernel-model primitives of one family: task states, schedule(), schedule_timeout() and wake-ups.
//!
//! Sources: kernel/sched/core.c (try_to_wake_up, __schedule), kernel/time/timer.c (schedule_timeout).

use super::*;
use crate::lower::{Lowerer, Res};
use crate::types::Ty;
use kvet_syntax::{self as ast, Error};

/// Lower a primitive of this family; `Ok(None)` if `name` is not one.
pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        // ---- tasks ----
        "set_current_state" | "__set_current_state" | "set_special_state" => {
            arity(name, args, 1, e)?;
            let (task, _) = ident(lw, "current", e.span)?.unwrap_or((Opd::Imm(0), Ty::Int));
            let (v, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::Store { addr: task, val: v, ord: Order::Once });
            if name != "__set_current_state" {
                lw.emit(Instr::Fence(FenceKind::Mb));
            }
            void()
        }
        "schedule" | "io_schedule" | "freezable_schedule" => {
            ident(lw, "current", e.span)?;
            lw.emit(Instr::Schedule);
            void()
        }
        "schedule_timeout" | "io_schedule_timeout" => {
            arity(name, args, 1, e)?;
            let (timeout, _) = lw.rvalue(&args[0])?;
            ident(lw, "current", e.span)?;
            let r = lw.tmp();
            lw.emit(Instr::ScheduleTimeout { dst: r, timeout });
            // timed out: jiffies reached the expiry (crate::time)
            if let Some(cell) = lw.jiffies_cell() {
                let (adv, done) = (lw.new_label(), lw.new_label());
                lw.emit(Instr::Branch(Opd::Reg(r), done, adv));
                lw.place(adv);
                lw.advance_jiffies(cell);
                lw.place(done);
            }
            (Opd::Reg(r), Ty::Int)
        }
        "wake_up_process" | "wake_up_state" | "try_to_wake_up" => {
            let (task, _) =
                lw.rvalue(&args.first().ok_or_else(|| Error::new(e.span, format!("`{name}` takes a task")))?.clone())?;
            let mask = match name {
                "wake_up_process" => Opd::Imm(3),
                _ => {
                    if args.len() < 2 {
                        return Err(Error::new(e.span, format!("`{name}` takes a task and a state mask")));
                    }
                    lw.rvalue(&args[1])?.0
                }
            };
            ident(lw, "current", e.span)?;
            let r = lw.tmp();
            lw.emit(Instr::WakeUp { dst: Some(r), task, mask });
            (Opd::Reg(r), Ty::Int)
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
