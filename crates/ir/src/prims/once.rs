//! Marked accesses: READ_ONCE/WRITE_ONCE and the rcu_dereference and
//! rcu_assign_pointer forms, smp_load_acquire, smp_store_release and
//! smp_store_mb (tools/memory-model/linux-kernel.def,
//! include/linux/rcupdate.h).

use super::*;

pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        "READ_ONCE"
        | "rcu_dereference"
        | "rcu_dereference_raw"
        | "rcu_access_pointer"
        | "rcu_dereference_check"
        | "rcu_dereference_protected"
        | "srcu_dereference"
        | "rcu_dereference_bh"
        | "rcu_dereference_sched" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes a location")));
            }
            let (p, t) = lw.lvalue(&args[0])?;
            read(lw, p, t, Order::Once)
        }
        "WRITE_ONCE" | "RCU_INIT_POINTER" => {
            arity(name, args, 2, e)?;
            let (p, t) = lw.lvalue(&args[0])?;
            let v = stored(lw, &args[1], &t)?;
            lw.write_place(&p, v, Order::Once);
            (v, t)
        }
        "rcu_assign_pointer" => {
            arity(name, args, 2, e)?;
            let (p, t) = lw.lvalue(&args[0])?;
            let v = stored(lw, &args[1], &t)?;
            lw.write_place(&p, v, Order::Release);
            (v, t)
        }
        "smp_load_acquire" => {
            arity(name, args, 1, e)?;
            let (a, t) = lw.rvalue(&args[0])?;
            read(lw, Place::Mem(a), t.pointee().cloned().unwrap_or(Ty::Int), Order::Acquire)
        }
        "smp_store_release" => {
            arity(name, args, 2, e)?;
            let (a, t) = lw.rvalue(&args[0])?;
            let t = t.pointee().cloned().unwrap_or(Ty::Int);
            let v = stored(lw, &args[1], &t)?;
            lw.emit(Instr::Store { addr: a, val: v, ord: Order::Release });
            (v, t)
        }
        "smp_store_mb" => {
            arity(name, args, 2, e)?;
            let (p, t) = lw.lvalue(&args[0])?;
            let v = stored(lw, &args[1], &t)?;
            lw.write_place(&p, v, Order::Once);
            lw.emit(Instr::Fence(FenceKind::Mb));
            (v, t)
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}

/// The value a marked store writes: `value` converted to the location's
/// type `t`, as an assignment converts it (C11 6.5.16.1p2; WRITE_ONCE()
/// is an assignment through a volatile pointer of that type). A value of
/// the location's own type is already in its range.
fn stored(lw: &mut Lowerer, value: &ast::Expr, t: &Ty) -> Res<Opd> {
    let (v, vt) = lw.rvalue(value)?;
    Ok(if vt == *t { v } else { lw.convert(v, t) })
}
