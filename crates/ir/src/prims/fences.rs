//! Fences: smp_mb and friends, with the dma_, virt_ and __smp_ forms that
//! are the same fences (include/asm-generic/barrier.h,
//! tools/memory-model/linux-kernel.def).

use super::*;

pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
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
        _ => return Ok(None),
    };
    Ok(Some(r))
}
