//! The atomic_t operations: atomic_read/atomic_set, add_unless and the
//! arithmetic family (fetch_/_return/_and_test/add_negative with their
//! ordering suffixes), decoded from the name as
//! tools/memory-model/linux-kernel.def spells it.

use super::*;

/// The atomic_* family, decoded from the name as linux-kernel.def spells it.
pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let Some(rest) = name.strip_prefix("atomic_") else { return Ok(None) };
    // plain read/set
    match rest {
        "read" | "read_acquire" => {
            arity(name, args, 1, e)?;
            let (a, _) = lw.rvalue(&args[0])?;
            let ord = if rest == "read" { Order::Once } else { Order::Acquire };
            return Ok(Some(read(lw, Place::Mem(a), Ty::Int, ord)));
        }
        "set" | "set_release" => {
            arity(name, args, 2, e)?;
            let (a, _) = lw.rvalue(&args[0])?;
            let (v, _) = lw.rvalue(&args[1])?;
            let ord = if rest == "set" { Order::Once } else { Order::Release };
            lw.emit(Instr::Store { addr: a, val: v, ord });
            return Ok(Some((Opd::Imm(0), Ty::Void)));
        }
        "add_unless" | "inc_not_zero" | "fetch_add_unless" => {
            let (a, v, u) = if rest == "inc_not_zero" {
                arity(name, args, 1, e)?;
                (lw.rvalue(&args[0])?.0, Opd::Imm(1), Opd::Imm(0))
            } else {
                arity(name, args, 3, e)?;
                let a = lw.rvalue(&args[0])?.0;
                let v = lw.rvalue(&args[1])?.0;
                let u = lw.rvalue(&args[2])?.0;
                (a, v, u)
            };
            let r = lw.tmp();
            let ret = if rest == "fetch_add_unless" { RmwRet::Old } else { RmwRet::Changed };
            lw.emit(Instr::Rmw { dst: Some(r), addr: a, op: RmwOp::AddUnless, a: v, b: u, ret, ord: Order::Mb });
            return Ok(Some((Opd::Reg(r), Ty::Int)));
        }
        _ => {}
    }
    let (base, ord_sfx) = split_order(rest, Order::Mb);
    let explicit_order = base.len() != rest.len();
    // (operation, takes a value argument, return kind)
    let (op_name, ret) = if let Some(op) = base.strip_prefix("fetch_") {
        (op, RmwRet::Old)
    } else if let Some(op) = base.strip_suffix("_return") {
        (op, RmwRet::New)
    } else if let Some(op) = base.strip_suffix("_and_test") {
        (op, RmwRet::NewIsZero)
    } else if base == "add_negative" {
        ("add", RmwRet::NewIsNeg)
    } else {
        (base, RmwRet::None)
    };
    let (bop, has_val, k) = match op_name {
        "add" => (BinOp::Add, true, 0),
        "sub" => (BinOp::Sub, true, 0),
        "and" => (BinOp::And, true, 0),
        "or" => (BinOp::Or, true, 0),
        "xor" => (BinOp::Xor, true, 0),
        "andnot" => (BinOp::AndNot, true, 0),
        "inc" => (BinOp::Add, false, 1),
        "dec" => (BinOp::Sub, false, 1),
        _ => return Ok(None),
    };
    if ret == RmwRet::None && explicit_order {
        return Ok(None);
    }
    let ord = if ret == RmwRet::None { Order::NoReturn } else { ord_sfx };
    let (addr, val) = if has_val {
        arity(name, args, 2, e)?;
        let v = lw.rvalue(&args[0])?.0;
        let a = lw.rvalue(&args[1])?.0;
        (a, v)
    } else {
        arity(name, args, 1, e)?;
        (lw.rvalue(&args[0])?.0, Opd::Imm(k))
    };
    let dst = if ret == RmwRet::None { None } else { Some(lw.tmp()) };
    lw.emit(Instr::Rmw { dst, addr, op: RmwOp::Op(bop), a: val, b: Opd::Imm(0), ret, ord });
    Ok(Some(match dst {
        Some(r) => (Opd::Reg(r), Ty::Int),
        None => (Opd::Imm(0), Ty::Void),
    }))
}
