//! Lowering of the kernel-model primitives of one family: allocation: kmalloc and friends, kmem_caches, kfree, kfree_rcu, call_rcu and rcu_barrier.
//!
//! Sources: mm/slab_common.c, include/linux/slab.h, kernel/rcu/tree.c.

use super::*;
use crate::lower::{Lowerer, PoolSite, Res};
use crate::types::Ty;
use kvet_syntax::{self as ast, Error};

/// SLAB_TYPESAFE_BY_RCU (include/linux/slab.h).
const SLAB_TYPESAFE_BY_RCU: i64 = 0x0008_0000;

/// kmem_cache_create(name, size, align, flags, ctor): a new pool and a
/// static descriptor naming it; returns the descriptor's address.
fn kmem_cache_create(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<(Opd, Ty)> {
    if args.len() < 4 {
        return Err(Error::new(e.span, format!("`{name}` takes a name, a size, an alignment and flags")));
    }
    let size = match lw.rvalue(&args[1])?.0 {
        Opd::Imm(k) if (1..=1 << 16).contains(&k) => k as u32,
        _ => return Err(Error::new(args[1].span, "kvet needs a constant object size, e.g. sizeof(struct foo)")),
    };
    let Opd::Imm(flags) = lw.rvalue(&args[3])?.0 else {
        return Err(Error::new(args[3].span, "the cache flags must be a constant"));
    };
    let k = lw.pool_sites.len();
    let cname = match &args[0].kind {
        ast::ExprKind::Str(s) if !s.is_empty() => s.clone(),
        _ => format!("kmem_cache{k}"),
    };
    lw.pool_sites.push(PoolSite {
        size,
        sites: 0,
        cache: Some(cname.clone()),
        typesafe_rcu: flags & SLAB_TYPESAFE_BY_RCU != 0,
    });
    let desc = lw.alloc_dynamic(&format!("kmem_cache {cname}"), &Ty::Int, 1, ObjKind::Static, 0);
    if let Some(c) = lw.init_mem.get_mut(desc as usize) {
        *c = k as i64 + 1;
    }
    Ok((Opd::Imm(ptr_to(desc)), Ty::Void.ptr()))
}

/// Lower a primitive of this family; `Ok(None)` if `name` is not one.
pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let r = match name {
        // ---- allocation ----
        "kmalloc" | "kzalloc" | "kmalloc_array" | "kcalloc" | "kvmalloc" | "kvzalloc" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes a size")));
            }
            let (size, _) = lw.rvalue(&args[0])?;
            let mut size = match size {
                Opd::Imm(k) if (1..=1 << 16).contains(&k) => k as u32,
                _ => return Err(Error::new(args[0].span, "kvet needs a constant allocation size, e.g. sizeof(*p)")),
            };
            if matches!(name, "kmalloc_array" | "kcalloc") && args.len() == 3 {
                let n = lw
                    .const_eval(&args[1])
                    .ok_or_else(|| Error::new(args[1].span, "the element count must be a constant"))?;
                size = size.saturating_mul(n.clamp(1, 1 << 12) as u32);
            }
            let pool = match lw.pool_sites.iter().position(|p| p.cache.is_none() && p.size == size) {
                Some(i) => {
                    lw.pool_sites[i].sites += 1;
                    i
                }
                None => {
                    lw.pool_sites.push(PoolSite { size, sites: 1, cache: None, typesafe_rcu: false });
                    lw.pool_sites.len() - 1
                }
            } as u32;
            let r = lw.tmp();
            let zero = matches!(name, "kzalloc" | "kcalloc" | "kvzalloc");
            lw.emit(Instr::Alloc { dst: r, pool, zero });
            (Opd::Reg(r), Ty::Void.ptr())
        }
        "call_rcu" | "call_rcu_hurry" => {
            arity(name, args, 2, e)?;
            let ast::ExprKind::Ident(fname) = &args[1].kind else {
                return Err(Error::new(args[1].span, "the RCU callback must be named directly"));
            };
            let func = lw.rcu_funcs.iter().position(|f| f == fname).unwrap_or(0) as u32;
            let (head, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::CallRcu { head, func });
            void()
        }
        "rcu_barrier" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::RcuBarrier);
            void()
        }
        "kmem_cache_create" | "kmem_cache_create_usercopy" => kmem_cache_create(lw, name, args, e)?,
        "kmem_cache_alloc" | "kmem_cache_zalloc" | "kmem_cache_alloc_node" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes the cache")));
            }
            let (cache, _) = lw.rvalue(&args[0])?;
            lw.cache_alloc_sites += 1;
            let r = lw.tmp();
            lw.emit(Instr::CacheAlloc { dst: r, cache, zero: name == "kmem_cache_zalloc" });
            (Opd::Reg(r), Ty::Void.ptr())
        }
        "kmem_cache_free" => {
            // the cache argument only names the slab: not evaluated
            arity(name, args, 2, e)?;
            let (p, _) = lw.rvalue(&args[1])?;
            lw.emit(Instr::Free { addr: p });
            void()
        }
        "kmem_cache_destroy" => {
            arity(name, args, 1, e)?;
            void()
        }
        "kfree_rcu" | "kvfree_rcu" | "kfree_rcu_mightsleep" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes the object")));
            }
            let (p, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::FreeRcu { addr: p });
            void()
        }
        "kfree" | "kvfree" | "kfree_sensitive" | "free_task" | "__free_object" => {
            arity(name, args, 1, e)?;
            let (p, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::Free { addr: p });
            void()
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}
