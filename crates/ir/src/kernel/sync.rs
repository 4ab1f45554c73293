//! Lowering of the kernel-model primitives of one family: seqcounts and completions.
//!
//! Sources: include/linux/seqlock.h, kernel/sched/completion.c.

use super::*;
use crate::lower::{Lowerer, Res};
use crate::types::Ty;
use kvet_syntax as ast;

/// Lower a primitive of this family; `Ok(None)` if `name` is not one.
pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        // ---- seqcounts ----
        "read_seqcount_begin" | "raw_read_seqcount_begin" | "read_seqbegin" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::SeqBegin { dst: r, addr });
            lw.emit(Instr::Fence(FenceKind::Rmb));
            (Opd::Reg(r), Ty::Int)
        }
        "read_seqcount_retry" | "read_seqretry" => {
            arity(name, args, 2, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let (start, _) = lw.rvalue(&args[1])?;
            lw.emit(Instr::Fence(FenceKind::Rmb));
            let v = lw.tmp();
            lw.emit(Instr::Load { dst: v, addr, ord: Order::Once });
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::Ne, Opd::Reg(v), start));
            (Opd::Reg(r), Ty::Int)
        }
        "write_seqcount_begin" | "raw_write_seqcount_begin" | "write_seqcount_end" | "raw_write_seqcount_end" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            if name.ends_with("end") {
                lw.emit(Instr::Fence(FenceKind::Wmb));
            }
            lw.emit(Instr::Rmw {
                dst: None,
                addr,
                op: RmwOp::Op(BinOp::Add),
                a: Opd::Imm(1),
                b: Opd::Imm(0),
                ret: RmwRet::None,
                ord: Order::Once,
            });
            if name.ends_with("begin") {
                lw.emit(Instr::Fence(FenceKind::Wmb));
            }
            void()
        }
        // ---- completions ----
        "init_completion" | "reinit_completion" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::Store { addr, val: Opd::Imm(0), ord: Order::Once });
            void()
        }
        "complete" | "complete_all" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            if name == "complete" {
                lw.emit(Instr::Rmw {
                    dst: None,
                    addr,
                    op: RmwOp::Op(BinOp::Add),
                    a: Opd::Imm(1),
                    b: Opd::Imm(0),
                    ret: RmwRet::None,
                    ord: Order::Release,
                });
            } else {
                lw.emit(Instr::Store { addr, val: Opd::Imm(1 << 30), ord: Order::Release });
            }
            void()
        }
        "wait_for_completion"
        | "wait_for_completion_interruptible"
        | "wait_for_completion_killable"
        | "wait_for_completion_io" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            ident(lw, "current", e.span)?;
            lw.emit(Instr::WaitCompletion { addr });
            (Opd::Imm(0), Ty::Int)
        }
        "wait_for_completion_timeout" | "wait_for_completion_io_timeout" => {
            arity(name, args, 2, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let (timeout, _) = lw.rvalue(&args[1])?;
            ident(lw, "current", e.span)?;
            let r = lw.tmp();
            lw.emit(Instr::WaitCompletionTimeout { dst: r, addr });
            // `timeout ?: 1` when it did not time out, else 0
            let left = lw.tmp();
            lw.emit(Instr::Bin(left, BinOp::Mul, Opd::Reg(r), timeout));
            let zero = lw.tmp();
            lw.emit(Instr::Bin(zero, BinOp::Eq, Opd::Reg(left), Opd::Imm(0)));
            lw.emit(Instr::Bin(zero, BinOp::And, Opd::Reg(zero), Opd::Reg(r)));
            let res = lw.tmp();
            lw.emit(Instr::Bin(res, BinOp::Or, Opd::Reg(left), Opd::Reg(zero)));
            (Opd::Reg(res), Ty::UInt(64))
        }
        "completion_done" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let v = lw.tmp();
            lw.emit(Instr::Load { dst: v, addr, ord: Order::Acquire });
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::Ne, Opd::Reg(v), Opd::Imm(0)));
            (Opd::Reg(r), Ty::Int)
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
