//! Lowering of the kernel-model primitives of one family: bitops on unsigned long words, atomic and non-atomic.
//!
//! Sources: include/linux/bitops.h, include/asm-generic/bitops/{atomic,non-atomic,lock}.h.

use super::*;
use crate::lower::{Lowerer, Res};
use crate::types::Ty;
use kvet_syntax as ast;

/// Lower a primitive of this family; `Ok(None)` if `name` is not one.
pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        // ---- bitops on unsigned long words ----
        "set_bit"
        | "clear_bit"
        | "change_bit"
        | "test_and_set_bit"
        | "test_and_clear_bit"
        | "test_and_change_bit"
        | "test_and_set_bit_lock"
        | "clear_bit_unlock"
        | "clear_bit_unlock_is_negative_byte" => {
            arity(name, args, 2, e)?;
            let (nr, _) = lw.rvalue(&args[0])?;
            let (addr, _) = lw.rvalue(&args[1])?;
            let mask = bit_mask(lw, nr);
            let op = match name {
                "set_bit" | "test_and_set_bit" | "test_and_set_bit_lock" => BinOp::Or,
                "change_bit" | "test_and_change_bit" => BinOp::Xor,
                _ => BinOp::AndNot,
            };
            let (ret, ord) = match name {
                "set_bit" | "clear_bit" | "change_bit" => (RmwRet::None, Order::NoReturn),
                "clear_bit_unlock" => (RmwRet::None, Order::Release),
                "clear_bit_unlock_is_negative_byte" => (RmwRet::NegByte, Order::Release),
                "test_and_set_bit_lock" => (RmwRet::OldBit, Order::Acquire),
                _ => (RmwRet::OldBit, Order::Mb),
            };
            let dst = (ret != RmwRet::None).then(|| lw.tmp());
            lw.emit(Instr::Rmw { dst, addr, op: RmwOp::Op(op), a: mask, b: Opd::Imm(0), ret, ord });
            match dst {
                Some(r) => (Opd::Reg(r), Ty::Int),
                None => void(),
            }
        }
        "test_bit" | "test_bit_acquire" => {
            arity(name, args, 2, e)?;
            let (nr, _) = lw.rvalue(&args[0])?;
            let (addr, _) = lw.rvalue(&args[1])?;
            let w = lw.tmp();
            let ord = if name == "test_bit" { Order::Once } else { Order::Acquire };
            lw.emit(Instr::Load { dst: w, addr, ord });
            let sh = lw.tmp();
            lw.emit(Instr::Bin(sh, BinOp::Shr, Opd::Reg(w), nr));
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::And, Opd::Reg(sh), Opd::Imm(1)));
            (Opd::Reg(r), Ty::Int)
        }
        // the non-atomic bitops: a separate plain load and store, so an
        // update made by another CPU in between is lost
        "__set_bit"
        | "__clear_bit"
        | "__change_bit"
        | "__test_and_set_bit"
        | "__test_and_clear_bit"
        | "__test_and_change_bit" => {
            arity(name, args, 2, e)?;
            let (nr, _) = lw.rvalue(&args[0])?;
            let (addr, _) = lw.rvalue(&args[1])?;
            let mask = bit_mask(lw, nr);
            let old = lw.tmp();
            lw.emit(Instr::Load { dst: old, addr, ord: Order::Plain });
            let new = lw.tmp();
            let op = match name {
                "__set_bit" | "__test_and_set_bit" => BinOp::Or,
                "__change_bit" | "__test_and_change_bit" => BinOp::Xor,
                _ => BinOp::AndNot,
            };
            lw.emit(Instr::Bin(new, op, Opd::Reg(old), mask));
            lw.emit(Instr::Store { addr, val: Opd::Reg(new), ord: Order::Plain });
            let t = lw.tmp();
            lw.emit(Instr::Bin(t, BinOp::And, Opd::Reg(old), mask));
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::Ne, Opd::Reg(t), Opd::Imm(0)));
            (Opd::Reg(r), Ty::Int)
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
