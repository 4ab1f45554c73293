//! Exchanges: xchg, cmpxchg and try_cmpxchg with their ordering suffixes
//! and atomic_ forms (tools/memory-model/linux-kernel.def,
//! include/linux/atomic/atomic-instrumented.h).

use super::*;

pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        "xchg"
        | "xchg_relaxed"
        | "xchg_acquire"
        | "xchg_release"
        | "atomic_xchg"
        | "atomic_xchg_relaxed"
        | "atomic_xchg_acquire"
        | "atomic_xchg_release" => {
            arity(name, args, 2, e)?;
            let (_, ord) = split_order(name, Order::Mb);
            let (a, t) = lw.rvalue(&args[0])?;
            let (v, _) = lw.rvalue(&args[1])?;
            let r = lw.tmp();
            lw.emit(Instr::Rmw { dst: Some(r), addr: a, op: RmwOp::Xchg, a: v, b: Opd::Imm(0), ret: RmwRet::Old, ord });
            (Opd::Reg(r), elem(&t))
        }
        "cmpxchg"
        | "cmpxchg_relaxed"
        | "cmpxchg_acquire"
        | "cmpxchg_release"
        | "atomic_cmpxchg"
        | "atomic_cmpxchg_relaxed"
        | "atomic_cmpxchg_acquire"
        | "atomic_cmpxchg_release" => {
            arity(name, args, 3, e)?;
            let (_, ord) = split_order(name, Order::Mb);
            let (a, t) = lw.rvalue(&args[0])?;
            let (old, _) = lw.rvalue(&args[1])?;
            let (new, _) = lw.rvalue(&args[2])?;
            let r = lw.tmp();
            lw.emit(Instr::Rmw { dst: Some(r), addr: a, op: RmwOp::Cmpxchg, a: new, b: old, ret: RmwRet::Old, ord });
            (Opd::Reg(r), elem(&t))
        }
        "try_cmpxchg"
        | "try_cmpxchg_relaxed"
        | "try_cmpxchg_acquire"
        | "try_cmpxchg_release"
        | "atomic_try_cmpxchg"
        | "atomic_try_cmpxchg_relaxed"
        | "atomic_try_cmpxchg_acquire"
        | "atomic_try_cmpxchg_release" => {
            arity(name, args, 3, e)?;
            let (_, ord) = split_order(name, Order::Mb);
            let (a, _) = lw.rvalue(&args[0])?;
            let (oldp, ot) = lw.rvalue(&args[1])?;
            let (expect, _) = lw.read_place(Place::Mem(oldp), ot.pointee().cloned().unwrap_or(Ty::Int), e.span)?;
            let keep = lw.tmp();
            lw.emit(Instr::Mov(keep, expect));
            let (new, _) = lw.rvalue(&args[2])?;
            let got = lw.tmp();
            lw.emit(Instr::Rmw {
                dst: Some(got),
                addr: a,
                op: RmwOp::Cmpxchg,
                a: new,
                b: Opd::Reg(keep),
                ret: RmwRet::Old,
                ord,
            });
            let ok = lw.tmp();
            lw.emit(Instr::Bin(ok, BinOp::Eq, Opd::Reg(got), Opd::Reg(keep)));
            let fail = lw.new_label();
            let end = lw.new_label();
            lw.emit(Instr::Branch(Opd::Reg(ok), end, fail));
            lw.place(fail);
            lw.write_place(&Place::Mem(oldp), Opd::Reg(got), Order::Plain);
            lw.place(end);
            (Opd::Reg(ok), Ty::Int)
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
