//! Operators: C's unary, binary and assignment operators with the usual
//! arithmetic conversions (C11 6.3.1.8) and pointer scaling.

use super::{Lowerer, Place, Res};
use crate::eval::{eval_bin, eval_un};
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{self as ast, Error, Span};

impl<'a> Lowerer<'a> {
    pub(super) fn unary(&mut self, op: ast::UnOp, a: &ast::Expr, e: &ast::Expr) -> Res<(Opd, Ty)> {
        use ast::UnOp as U;
        match op {
            U::Deref => {
                let (p, t) = self.lvalue(e)?;
                self.read_place(p, t, e.span)
            }
            U::AddrOf => {
                if let ast::ExprKind::Ident(n) = &a.kind {
                    if self.lookup(n).is_none() && !self.globals.contains_key(n) && self.funcs.contains_key(n) {
                        return self.ident_rvalue(n, a.span);
                    }
                }
                let (p, t) = self.lvalue(a)?;
                match p {
                    Place::Mem(addr) => Ok((addr, t.ptr())),
                    Place::Reg(_) => Err(Error::new(a.span, "internal: address of a register variable")
                        .with_note("kvet keeps address-taken locals in memory; this is a bug")),
                }
            }
            U::PreInc | U::PreDec | U::PostInc | U::PostDec => {
                let (p, t) = self.lvalue(a)?;
                let (old, _) = self.read_place(p.clone(), t.clone(), a.span)?;
                let step = match &t {
                    Ty::Ptr(el) => self.layouts.size_of(el, a.span)? as i64,
                    _ => 1,
                };
                let new = self.tmp();
                let bop = if matches!(op, U::PreInc | U::PostInc) { BinOp::Add } else { BinOp::Sub };
                // keep the old value: it may be a register that the write changes
                let keep = self.tmp();
                self.emit(Instr::Mov(keep, old));
                self.emit(Instr::Bin(new, bop, Opd::Reg(keep), Opd::Imm(step)));
                let new = match self.convert(Opd::Reg(new), &t) {
                    Opd::Reg(r) => r,
                    Opd::Imm(_) => new,
                };
                self.write_place(&p, Opd::Reg(new), Order::Plain);
                Ok((Opd::Reg(if matches!(op, U::PreInc | U::PreDec) { new } else { keep }), t))
            }
            U::Plus => self.rvalue(a),
            U::Neg | U::Not | U::BitNot => {
                let (v, t) = self.rvalue(a)?;
                let uop = match op {
                    U::Neg => UnOp::Neg,
                    U::Not => UnOp::Not,
                    _ => UnOp::BitNot,
                };
                let t = if op == U::Not { Ty::Int } else { crate::ctypes::promote(&t) };
                let r = if let Opd::Imm(k) = v {
                    Opd::Imm(eval_un(uop, k))
                } else {
                    let r = self.tmp();
                    self.emit(Instr::Un(r, uop, v));
                    Opd::Reg(r)
                };
                // -u and ~u of an unsigned type wrap modulo 2^N
                let r = self.convert(r, &t);
                Ok((r, t))
            }
        }
    }

    pub(crate) fn binary(&mut self, op: ast::BinOp, va: Opd, ta: Ty, vb: Opd, tb: Ty, span: Span) -> Res<(Opd, Ty)> {
        use crate::ctypes::{common, promote};
        let bop = ast_binop(op).ok_or_else(|| Error::new(span, "internal: short-circuit operator"))?;
        let ptrs = matches!(ta, Ty::Ptr(_) | Ty::Array(..)) || matches!(tb, Ty::Ptr(_) | Ty::Array(..));
        // pointer arithmetic scales by the pointee size
        let (mut bop, va, vb, rty) = match (bop, ta.pointee(), tb.pointee()) {
            (BinOp::Add | BinOp::Sub, Some(el), None) if matches!(ta, Ty::Ptr(_) | Ty::Array(..)) => {
                let sz = self.layouts.size_of(el, span)? as i64;
                let vb = self.scale(vb, sz);
                (bop, va, vb, ta.clone())
            }
            (BinOp::Add, None, Some(el)) => {
                let sz = self.layouts.size_of(el, span)? as i64;
                let va = self.scale(va, sz);
                (bop, va, vb, tb.clone())
            }
            (BinOp::Sub, Some(el), Some(_)) => {
                let sz = self.layouts.size_of(el, span)? as i64;
                let r = self.tmp();
                self.emit(Instr::Bin(r, BinOp::Sub, va, vb));
                if sz != 1 {
                    let q = self.tmp();
                    self.emit(Instr::Bin(q, BinOp::Div, Opd::Reg(r), Opd::Imm(sz)));
                    return Ok((Opd::Reg(q), Ty::Int));
                }
                return Ok((Opd::Reg(r), Ty::Int));
            }
            // pointers compare as unsigned addresses
            (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, _, _) if ptrs => {
                (unsigned_form(bop), va, vb, Ty::Int)
            }
            (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, _, _) => {
                // the usual arithmetic conversions, then compare
                let ct = common(&ta, &tb);
                if ct == Ty::Int {
                    (bop, va, vb, Ty::Int)
                } else {
                    let va = self.convert(va, &ct);
                    let vb = self.convert(vb, &ct);
                    (unsigned_form(bop), va, vb, Ty::Int)
                }
            }
            (BinOp::Shl | BinOp::Shr, _, _) if !ptrs => {
                // the type is the promoted left operand's; UBSAN checks the exponent
                let lt = promote(&ta);
                let text = self.cx.text.clone();
                self.shift_check(vb, &lt, &text);
                (bop, va, vb, lt)
            }
            _ if matches!(ta, Ty::Ptr(_)) => (bop, va, vb, ta.clone()),
            _ if ptrs => (bop, va, vb, Ty::Int),
            _ => {
                let ct = common(&ta, &tb);
                if ct == Ty::Int {
                    (bop, va, vb, Ty::Int)
                } else {
                    let va = self.convert(va, &ct);
                    let vb = self.convert(vb, &ct);
                    (bop, va, vb, ct)
                }
            }
        };
        if matches!(rty, Ty::UInt(_)) {
            bop = unsigned_form(bop);
        }
        let v = if let (Opd::Imm(a), Opd::Imm(b)) = (va, vb) { eval_bin(bop, a, b).map(Opd::Imm) } else { None };
        let v = match v {
            Some(v) => v,
            None => {
                let r = self.tmp();
                self.emit(Instr::Bin(r, bop, va, vb));
                Opd::Reg(r)
            }
        };
        // unsigned arithmetic wraps modulo 2^N
        let v = if matches!(rty, Ty::UInt(_)) { self.convert(v, &rty) } else { v };
        Ok((v, rty))
    }

    pub(super) fn scale(&mut self, v: Opd, sz: i64) -> Opd {
        if sz == 1 {
            return v;
        }
        if let Opd::Imm(k) = v {
            return Opd::Imm(k.wrapping_mul(sz));
        }
        let r = self.tmp();
        self.emit(Instr::Bin(r, BinOp::Mul, v, Opd::Imm(sz)));
        Opd::Reg(r)
    }

    pub(super) fn assign(&mut self, op: Option<ast::BinOp>, lhs: &ast::Expr, rhs: &ast::Expr) -> Res<(Opd, Ty)> {
        // Struct assignment copies every cell.
        let (p, t) = self.lvalue(lhs)?;
        if let (Ty::Struct(_), None) = (&t, op) {
            let (src, _) = self.rvalue(rhs)?;
            let Place::Mem(dst) = p else {
                return Err(Error::new(lhs.span, "struct assignment to a register"));
            };
            let n = self.layouts.size_of(&t, lhs.span)?;
            for i in 0..n as i64 {
                let s = self.add_imm(src, i);
                let d = self.add_imm(dst, i);
                let r = self.tmp();
                self.emit(Instr::Load { dst: r, addr: s, ord: Order::Plain });
                self.emit(Instr::Store { addr: d, val: Opd::Reg(r), ord: Order::Plain });
            }
            return Ok((dst, t));
        }
        let v = match op {
            None => self.scalar_rvalue(rhs)?,
            Some(bop) => {
                // x op= e: a separate load and store (not atomic)
                let (old, ot) = self.read_place(p.clone(), t.clone(), lhs.span)?;
                let keep = self.tmp();
                self.emit(Instr::Mov(keep, old));
                let (rv, rt) = self.rvalue(rhs)?;
                self.binary(bop, Opd::Reg(keep), ot, rv, rt, lhs.span)?.0
            }
        };
        // the stored value has the left side's type
        let v = self.convert(v, &t);
        // the value of an assignment expression is the stored value
        let v = match (v, &p) {
            (Opd::Reg(r), Place::Reg(dst)) if r == *dst => v,
            (Opd::Reg(_), _) => {
                let keep = self.tmp();
                self.emit(Instr::Mov(keep, v));
                Opd::Reg(keep)
            }
            _ => v,
        };
        self.write_place(&p, v, Order::Plain);
        Ok((v, t))
    }
}

/// The unsigned form of a comparison, division or remainder.
fn unsigned_form(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::LtU,
        BinOp::Le => BinOp::LeU,
        BinOp::Gt => BinOp::GtU,
        BinOp::Ge => BinOp::GeU,
        BinOp::Div => BinOp::DivU,
        BinOp::Rem => BinOp::RemU,
        _ => op,
    }
}

pub(crate) fn ast_binop(op: ast::BinOp) -> Option<BinOp> {
    use ast::BinOp as A;
    Some(match op {
        A::Add => BinOp::Add,
        A::Sub => BinOp::Sub,
        A::Mul => BinOp::Mul,
        A::Div => BinOp::Div,
        A::Rem => BinOp::Rem,
        A::Shl => BinOp::Shl,
        A::Shr => BinOp::Shr,
        A::BitAnd => BinOp::And,
        A::BitOr => BinOp::Or,
        A::BitXor => BinOp::Xor,
        A::Eq => BinOp::Eq,
        A::Ne => BinOp::Ne,
        A::Lt => BinOp::Lt,
        A::Le => BinOp::Le,
        A::Gt => BinOp::Gt,
        A::Ge => BinOp::Ge,
        A::And | A::Or => return None,
    })
}
