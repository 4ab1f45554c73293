//! Allocation pools: the kmalloc size classes and kmem_caches the
//! allocation primitives record while bodies are lowered, turned into heap
//! slots once every body is lowered (mm/slab_common.c).

use super::Lowerer;
use crate::program::*;
use crate::types::Ty;

/// An allocation pool being collected during lowering: kmalloc's, one per
/// object size, or a kmem_cache's, one per kmem_cache_create() call.
#[derive(Clone, Debug)]
pub(crate) struct PoolSite {
    pub size: u32,
    /// Allocation sites (kmalloc pools only).
    pub sites: u32,
    /// The kmem_cache's name.
    pub cache: Option<String>,
    pub typesafe_rcu: bool,
}

/// The allocation pools: one slot per allocation site plus one, so that
/// freed memory is reused. A kmem_cache has its own slab: its objects are
/// never handed out by kmalloc or another cache.
pub(super) fn create_pools(lw: &mut Lowerer) -> Vec<Pool> {
    let mut pools = Vec::new();
    for (k, site) in lw.pool_sites.clone().into_iter().enumerate() {
        let size = site.size;
        let (name, nslots) = match &site.cache {
            Some(c) => (c.clone(), lw.cache_alloc_sites + 1),
            None => (format!("kmalloc-{size}"), site.sites + 1),
        };
        let mut slots = Vec::new();
        for i in 0..nslots {
            lw.alloc_dynamic(
                &format!("{name}#{i}"),
                &Ty::Array(Box::new(Ty::Int), size),
                size,
                ObjKind::Heap(k as u32),
                0,
            );
            slots.push((lw.objects.len() - 1) as u32);
        }
        pools.push(Pool { name, size, typesafe_rcu: site.typesafe_rcu, slots });
    }
    pools
}
