//! The kernel primitives kvet knows by name, and how each lowers to IR.
//!
//! Sources: `tools/memory-model/linux-kernel.def` (READ_ONCE, the atomic
//! family, xchg/cmpxchg, fences, spinlocks, RCU, SRCU with the ordering
//! annotation each one carries), include/linux/atomic/*.h for the
//! `atomic_long_*` and `atomic64_*` aliases, and include/asm-generic/bug.h
//! for BUG_ON/WARN_ON.

use crate::lower::{Lowerer, Place, Res};
use crate::program::*;
use crate::types::{LockTy, Ty};
use kvet_syntax::{self as ast, Error};

/// Named integer constants that kernel code uses without defining.
pub(crate) fn constant(name: &str) -> Option<i64> {
    Some(match name {
        // include/uapi/asm-generic/errno-base.h, errno.h, include/linux/errno.h
        "EPERM" => 1,
        "ENOENT" => 2,
        "ESRCH" => 3,
        "EINTR" => 4,
        "EIO" => 5,
        "ENXIO" => 6,
        "E2BIG" => 7,
        "ENOEXEC" => 8,
        "EBADF" => 9,
        "ECHILD" => 10,
        "EAGAIN" | "EWOULDBLOCK" => 11,
        "ENOMEM" => 12,
        "EACCES" => 13,
        "EFAULT" => 14,
        "ENOTBLK" => 15,
        "EBUSY" => 16,
        "EEXIST" => 17,
        "EXDEV" => 18,
        "ENODEV" => 19,
        "ENOTDIR" => 20,
        "EISDIR" => 21,
        "EINVAL" => 22,
        "ENFILE" => 23,
        "EMFILE" => 24,
        "ENOTTY" => 25,
        "ETXTBSY" => 26,
        "EFBIG" => 27,
        "ENOSPC" => 28,
        "ESPIPE" => 29,
        "EROFS" => 30,
        "EMLINK" => 31,
        "EPIPE" => 32,
        "EDOM" => 33,
        "ERANGE" => 34,
        "EDEADLK" => 35,
        "ENAMETOOLONG" => 36,
        "ENOLCK" => 37,
        "ENOSYS" => 38,
        "ENOTEMPTY" => 39,
        "ELOOP" => 40,
        "ENOMSG" => 42,
        "EIDRM" => 43,
        "ENODATA" => 61,
        "ETIME" => 62,
        "ENOLINK" => 67,
        "EPROTO" => 71,
        "EBADMSG" => 74,
        "EOVERFLOW" => 75,
        "EILSEQ" => 84,
        "EUSERS" => 87,
        "ENOTSOCK" => 88,
        "EMSGSIZE" => 90,
        "EOPNOTSUPP" => 95,
        "EAFNOSUPPORT" => 97,
        "EADDRINUSE" => 98,
        "EADDRNOTAVAIL" => 99,
        "ENETDOWN" => 100,
        "ENETUNREACH" => 101,
        "ECONNABORTED" => 103,
        "ECONNRESET" => 104,
        "ENOBUFS" => 105,
        "EISCONN" => 106,
        "ENOTCONN" => 107,
        "ESHUTDOWN" => 108,
        "ETIMEDOUT" => 110,
        "ECONNREFUSED" => 111,
        "EHOSTUNREACH" => 113,
        "EALREADY" => 114,
        "EINPROGRESS" => 115,
        "ESTALE" => 116,
        "EDQUOT" => 122,
        "ECANCELED" => 125,
        "ENOKEY" => 126,
        "EKEYEXPIRED" => 127,
        "EKEYREVOKED" => 128,
        "EOWNERDEAD" => 130,
        "ENOTRECOVERABLE" => 131,
        "ERESTARTNOINTR" => 513,
        "ERESTARTNOHAND" => 514,
        "ENOIOCTLCMD" => 515,
        "ERESTART_RESTARTBLOCK" => 516,
        "EPROBE_DEFER" => 517,
        "EOPENSTALE" => 518,
        "ENOPARAM" => 519,
        "EBADHANDLE" => 521,
        "ENOTSYNC" => 522,
        "EBADCOOKIE" => 523,
        "ENOTSUPP" => 524,
        "ETOOSMALL" => 525,
        "ESERVERFAULT" => 526,
        "EBADTYPE" => 527,
        "EJUKEBOX" => 528,
        "EIOCBQUEUED" => 529,
        "ERECALLCONFLICT" => 530,
        // include/linux/limits.h, sched.h
        "INT_MAX" => i32::MAX as i64,
        "INT_MIN" => i32::MIN as i64,
        "LONG_MAX" | "MAX_SCHEDULE_TIMEOUT" => i64::MAX,
        "LONG_MIN" => i64::MIN,
        "HZ" => 100,
        "BITS_PER_LONG" => 64,
        "TASK_RUNNING" => 0,
        "TASK_INTERRUPTIBLE" => 1,
        "TASK_UNINTERRUPTIBLE" => 2,
        "__TASK_STOPPED" => 4,
        "__TASK_TRACED" => 8,
        "TASK_PARKED" => 0x40,
        "TASK_DEAD" => 0x80,
        "TASK_WAKEKILL" => 0x100,
        "TASK_NOLOAD" => 0x400,
        "TASK_KILLABLE" => 0x102,
        "TASK_IDLE" => 0x402,
        "TASK_NORMAL" => 3,
        "GFP_KERNEL" | "GFP_ATOMIC" | "GFP_NOWAIT" | "GFP_NOFS" | "GFP_NOIO" | "__GFP_ZERO" => 0,
        "NR_CPUS" => 64,
        _ => return None,
    })
}

fn arity(name: &str, args: &[ast::Expr], n: usize, e: &ast::Expr) -> Res<()> {
    if args.len() != n {
        return Err(Error::new(e.span, format!("`{name}` takes {n} argument(s), {} given", args.len())));
    }
    Ok(())
}

/// The ordering suffix of a primitive name, and the name without it.
fn split_order(name: &str, default: Order) -> (&str, Order) {
    for (suf, o) in [("_relaxed", Order::Once), ("_acquire", Order::Acquire), ("_release", Order::Release)] {
        if let Some(base) = name.strip_suffix(suf) {
            return (base, o);
        }
    }
    (name, default)
}

/// Lower a call to a primitive. `Ok(None)` means `name` is no primitive.
pub(crate) fn lower_prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    // atomic_long_* and atomic64_* are aliases of atomic_*
    let canon;
    let name = if let Some(rest) = name.strip_prefix("atomic_long_").or_else(|| name.strip_prefix("atomic64_")) {
        canon = format!("atomic_{rest}");
        canon.as_str()
    } else {
        name
    };
    if let Some(r) = crate::sched::prim(lw, name, args, e)? {
        return Ok(Some(r));
    }
    if let Some(r) = crate::kernel::prim(lw, name, args, e)? {
        return Ok(Some(r));
    }
    let r = match name {
        // ---- ONCE accesses ----
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
            let (v, _) = lw.rvalue(&args[1])?;
            lw.write_place(&p, v, Order::Once);
            (v, t)
        }
        "rcu_assign_pointer" => {
            arity(name, args, 2, e)?;
            let (p, t) = lw.lvalue(&args[0])?;
            let (v, _) = lw.rvalue(&args[1])?;
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
            let (v, _) = lw.rvalue(&args[1])?;
            lw.emit(Instr::Store { addr: a, val: v, ord: Order::Release });
            (v, t.pointee().cloned().unwrap_or(Ty::Int))
        }
        "smp_store_mb" => {
            arity(name, args, 2, e)?;
            let (p, t) = lw.lvalue(&args[0])?;
            let (v, _) = lw.rvalue(&args[1])?;
            lw.write_place(&p, v, Order::Once);
            lw.emit(Instr::Fence(FenceKind::Mb));
            (v, t)
        }
        // ---- fences ----
        // include/asm-generic/barrier.h: the dma_, virt_ and __smp_ forms
        // are the same fences; smp_acquire__after_ctrl_dep() is smp_rmb()
        "smp_mb"
        | "mb"
        | "smp_rmb"
        | "rmb"
        | "smp_wmb"
        | "wmb"
        | "barrier"
        | "smp_mb__before_atomic"
        | "smp_mb__after_atomic"
        | "smp_mb__after_spinlock"
        | "smp_mb__after_unlock_lock"
        | "smp_mb__after_srcu_read_unlock"
        | "__smp_mb"
        | "__smp_rmb"
        | "__smp_wmb"
        | "dma_mb"
        | "dma_rmb"
        | "dma_wmb"
        | "virt_mb"
        | "virt_rmb"
        | "virt_wmb"
        | "smp_acquire__after_ctrl_dep"
        | "virt_mb__before_atomic"
        | "virt_mb__after_atomic"
        | "__smp_mb__before_atomic"
        | "__smp_mb__after_atomic"
        | "io_stop_wc"
        | "barrier_nospec"
        | "barrier_data"
        | "smp_read_barrier_depends"
        | "read_barrier_depends" => {
            if name != "barrier_data" {
                arity(name, args, 0, e)?;
            }
            let k = match name {
                "smp_mb" | "mb" | "__smp_mb" | "dma_mb" | "virt_mb" => FenceKind::Mb,
                "smp_rmb" | "rmb" | "__smp_rmb" | "dma_rmb" | "virt_rmb" | "smp_acquire__after_ctrl_dep" => {
                    FenceKind::Rmb
                }
                "smp_wmb" | "wmb" | "__smp_wmb" | "dma_wmb" | "virt_wmb" => FenceKind::Wmb,
                "barrier"
                | "io_stop_wc"
                | "barrier_nospec"
                | "barrier_data"
                | "smp_read_barrier_depends"
                | "read_barrier_depends" => FenceKind::Barrier,
                "virt_mb__before_atomic" | "__smp_mb__before_atomic" => FenceKind::BeforeAtomic,
                "virt_mb__after_atomic" | "__smp_mb__after_atomic" => FenceKind::AfterAtomic,
                "smp_mb__before_atomic" => FenceKind::BeforeAtomic,
                "smp_mb__after_atomic" => FenceKind::AfterAtomic,
                "smp_mb__after_spinlock" => FenceKind::AfterSpinlock,
                "smp_mb__after_unlock_lock" => FenceKind::AfterUnlockLock,
                _ => FenceKind::AfterSrcuReadUnlock,
            };
            lw.emit(Instr::Fence(k));
            (Opd::Imm(0), Ty::Void)
        }
        // ---- spinlocks ----
        "spin_lock" | "raw_spin_lock" => {
            arity(name, args, 1, e)?;
            let (a, _) = lock_arg(lw, &args[0])?;
            lw.emit(Instr::Lock { addr: a, kind: LockKind::Spin });
            (Opd::Imm(0), Ty::Void)
        }
        "spin_unlock" | "raw_spin_unlock" => {
            arity(name, args, 1, e)?;
            let (a, _) = lock_arg(lw, &args[0])?;
            lw.emit(Instr::Unlock { addr: a, kind: LockKind::Spin });
            (Opd::Imm(0), Ty::Void)
        }
        "spin_trylock" | "raw_spin_trylock" => {
            arity(name, args, 1, e)?;
            let (a, _) = lock_arg(lw, &args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::Trylock { dst: r, addr: a, kind: LockKind::Spin });
            (Opd::Reg(r), Ty::Int)
        }
        "spin_is_locked" | "raw_spin_is_locked" => {
            arity(name, args, 1, e)?;
            let (a, _) = lock_arg(lw, &args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::IsLocked { dst: r, addr: a });
            (Opd::Reg(r), Ty::Int)
        }
        // ---- RCU / SRCU ----
        "rcu_read_lock" | "rcu_read_lock_bh" | "rcu_read_lock_sched" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::RcuLock);
            (Opd::Imm(0), Ty::Void)
        }
        "rcu_read_unlock" | "rcu_read_unlock_bh" | "rcu_read_unlock_sched" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::RcuUnlock);
            (Opd::Imm(0), Ty::Void)
        }
        "synchronize_rcu" | "synchronize_rcu_expedited" | "synchronize_sched" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::SyncRcu);
            (Opd::Imm(0), Ty::Void)
        }
        "srcu_read_lock" | "srcu_down_read" => {
            arity(name, args, 1, e)?;
            let (ss, _) = lw.rvalue(&args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::SrcuLock { dst: r, ss });
            (Opd::Reg(r), Ty::Int)
        }
        "srcu_read_unlock" | "srcu_up_read" => {
            arity(name, args, 2, e)?;
            let (ss, _) = lw.rvalue(&args[0])?;
            let (idx, _) = lw.rvalue(&args[1])?;
            lw.emit(Instr::SrcuUnlock { ss, idx });
            (Opd::Imm(0), Ty::Void)
        }
        "synchronize_srcu" | "synchronize_srcu_expedited" => {
            arity(name, args, 1, e)?;
            let (ss, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::SyncSrcu { ss });
            (Opd::Imm(0), Ty::Void)
        }
        // ---- checks ----
        "BUG_ON" | "WARN_ON" | "WARN_ON_ONCE" | "assert" | "WARN" | "WARN_ONCE" | "VM_BUG_ON" | "VM_WARN_ON"
        | "BUILD_BUG_ON" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes a condition")));
            }
            let claim = lw.snippet(args[0].span);
            let (c, _) = lw.rvalue(&args[0])?;
            let kind = match name {
                "BUG_ON" | "VM_BUG_ON" | "BUILD_BUG_ON" => AssertKind::Bug,
                "assert" => AssertKind::Assert,
                _ => AssertKind::Warn,
            };
            let msg = format!("{name}({claim})");
            if kind == AssertKind::Assert {
                lw.emit_text(Instr::Assert(c, kind, msg.clone()), msg);
                (Opd::Imm(0), Ty::Void)
            } else {
                // the condition must be false
                let ok = lw.tmp();
                lw.emit(Instr::Bin(ok, BinOp::Eq, c, Opd::Imm(0)));
                lw.emit_text(Instr::Assert(Opd::Reg(ok), kind, msg.clone()), msg);
                let v = lw.tmp();
                lw.emit(Instr::Bin(v, BinOp::Ne, c, Opd::Imm(0)));
                (Opd::Reg(v), Ty::Int)
            }
        }
        "BUG" => {
            lw.emit_text(Instr::Assert(Opd::Imm(0), AssertKind::Bug, "BUG()".into()), "BUG()".into());
            (Opd::Imm(0), Ty::Void)
        }
        // ---- exchange ----
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
        // ---- test_and_* / bitops on atomic words ----
        _ if name.starts_with("atomic_") => return atomic(lw, name, args, e),
        _ => return Ok(None),
    };
    Ok(Some(r))
}

fn elem(t: &Ty) -> Ty {
    match t.pointee() {
        Some(Ty::Atomic) | None => Ty::Int,
        Some(t) => t.clone(),
    }
}

fn read(lw: &mut Lowerer, p: Place, t: Ty, ord: Order) -> (Opd, Ty) {
    let t = if t == Ty::Atomic { Ty::Int } else { t };
    match p {
        Place::Reg(r) => (Opd::Reg(r), t),
        Place::Mem(a) => {
            let r = lw.tmp();
            lw.emit(Instr::Load { dst: r, addr: a, ord });
            (Opd::Reg(r), t)
        }
    }
}

/// A lock argument: a pointer to a lock (`&l`, or a litmus parameter `l`).
fn lock_arg(lw: &mut Lowerer, e: &ast::Expr) -> Res<(Opd, Ty)> {
    let (v, t) = lw.rvalue(e)?;
    match &t {
        Ty::Ptr(inner)
            if matches!(**inner, Ty::Lock(LockTy::Spin) | Ty::Int | Ty::SInt(_) | Ty::UInt(_) | Ty::Void) =>
        {
            Ok((v, t))
        }
        Ty::Lock(_) => {
            Err(Error::new(e.span, "this takes a pointer to the lock").with_label("write `&` before the lock"))
        }
        _ => Err(Error::new(e.span, "this is not a pointer to a spinlock_t")),
    }
}

/// The atomic_* family, decoded from the name as linux-kernel.def spells it.
fn atomic(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let rest = &name["atomic_".len()..];
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
