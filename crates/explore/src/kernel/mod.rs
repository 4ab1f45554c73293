//! The kernel execution model on top of the SC machine, one concept per
//! file: CPU contexts and their flags (`context`), interrupt handlers
//! (`irq`), IPIs (`ipi`), the lock family (`locks`), lockdep's validator
//! hooks (`validator`), object lifetimes (`lifetime`), RCU deferral
//! (`rcu`), data races (`race`), the kernel's assertions (`checks`), and
//! the statuses and steps of the kernel-model instructions (`step`).
//!
//! Sources are named in each file: kernel/locking/qrwlock.c, kernel/smp.c,
//! kernel/sched/core.c, kernel/locking/lockdep.c, kernel/rcu/tree.c.

mod checks;
mod context;
mod ipi;
mod irq;
mod lifetime;
mod locks;
mod race;
mod rcu;
mod step;
mod validator;

pub(crate) use context::CpuContext;
pub(crate) use validator::dep_kinds;
