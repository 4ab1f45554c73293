//! Names for "did you mean": the primitives kvet lowers natively (the
//! match arms of prims.rs and kernel.rs, with the lock and atomic families
//! spelled out), used with the prelude's functions to suggest the nearest
//! known name for an unknown function. A test checks that every name here
//! is a primitive.

/// Every native primitive name.
pub(crate) const PRIMITIVES: &[&str] = &[
    "BUG", "BUG_ON", "BUILD_BUG_ON", "RCU_INIT_POINTER", "READ_ONCE", "VM_BUG_ON", "VM_WARN_ON",
    "WARN", "WARN_ON", "WARN_ONCE", "WARN_ON_ONCE", "WRITE_ONCE", "assert", "atomic_add",
    "atomic_add_negative", "atomic_add_return", "atomic_add_return_acquire",
    "atomic_add_return_relaxed", "atomic_add_return_release", "atomic_add_unless", "atomic_and",
    "atomic_andnot", "atomic_cmpxchg", "atomic_cmpxchg_acquire", "atomic_cmpxchg_relaxed",
    "atomic_cmpxchg_release", "atomic_dec", "atomic_dec_and_test", "atomic_dec_return",
    "atomic_dec_return_acquire", "atomic_dec_return_relaxed", "atomic_dec_return_release",
    "atomic_fetch_add", "atomic_fetch_add_acquire", "atomic_fetch_add_relaxed",
    "atomic_fetch_add_release", "atomic_fetch_add_unless", "atomic_fetch_and",
    "atomic_fetch_and_acquire", "atomic_fetch_and_relaxed", "atomic_fetch_and_release",
    "atomic_fetch_andnot", "atomic_fetch_andnot_acquire", "atomic_fetch_andnot_relaxed",
    "atomic_fetch_andnot_release", "atomic_fetch_dec", "atomic_fetch_dec_acquire",
    "atomic_fetch_dec_relaxed", "atomic_fetch_dec_release", "atomic_fetch_inc",
    "atomic_fetch_inc_acquire", "atomic_fetch_inc_relaxed", "atomic_fetch_inc_release",
    "atomic_fetch_or", "atomic_fetch_or_acquire", "atomic_fetch_or_relaxed",
    "atomic_fetch_or_release", "atomic_fetch_sub", "atomic_fetch_sub_acquire",
    "atomic_fetch_sub_relaxed", "atomic_fetch_sub_release", "atomic_fetch_xor",
    "atomic_fetch_xor_acquire", "atomic_fetch_xor_relaxed", "atomic_fetch_xor_release",
    "atomic_inc", "atomic_inc_and_test", "atomic_inc_not_zero", "atomic_inc_return",
    "atomic_inc_return_acquire", "atomic_inc_return_relaxed", "atomic_inc_return_release",
    "atomic_or", "atomic_read", "atomic_read_acquire", "atomic_set", "atomic_set_release",
    "atomic_sub", "atomic_sub_and_test", "atomic_sub_return", "atomic_sub_return_acquire",
    "atomic_sub_return_relaxed", "atomic_sub_return_release", "atomic_try_cmpxchg",
    "atomic_try_cmpxchg_acquire", "atomic_try_cmpxchg_relaxed", "atomic_try_cmpxchg_release",
    "atomic_xchg", "atomic_xchg_acquire", "atomic_xchg_relaxed", "atomic_xchg_release",
    "atomic_xor", "barrier", "barrier_data", "barrier_nospec", "bit_spin_lock", "bit_spin_trylock",
    "bit_spin_unlock", "call_rcu", "call_rcu_hurry", "change_bit", "clear_bit", "clear_bit_unlock",
    "clear_bit_unlock_is_negative_byte", "cmpxchg", "cmpxchg_acquire", "cmpxchg_relaxed",
    "cmpxchg_release", "complete", "complete_all", "completion_done", "cond_resched", "cpu_relax",
    "dma_mb", "dma_rmb", "dma_wmb", "down_read", "down_read_trylock", "down_write",
    "down_write_trylock", "freezable_schedule", "get_cpu", "init_completion", "io_schedule",
    "io_schedule_timeout", "io_stop_wc", "irqs_disabled", "kcalloc", "kfree", "kfree_rcu",
    "kfree_rcu_mightsleep", "kfree_sensitive", "kmalloc", "kmalloc_array", "kmem_cache_alloc",
    "kmem_cache_alloc_node", "kmem_cache_create", "kmem_cache_create_usercopy",
    "kmem_cache_destroy", "kmem_cache_free", "kmem_cache_zalloc", "kvfree", "kvfree_rcu",
    "kvmalloc", "kvzalloc", "kzalloc", "local_bh_disable", "local_bh_enable", "local_irq_disable",
    "local_irq_enable", "local_irq_restore", "local_irq_save", "mb", "might_sleep",
    "mutex_is_locked", "mutex_lock", "mutex_lock_interruptible", "mutex_lock_killable",
    "mutex_lock_nested", "mutex_trylock", "mutex_unlock", "on_each_cpu", "preempt_disable",
    "preempt_enable", "preempt_enable_no_resched", "put_cpu", "raw_local_irq_disable",
    "raw_local_irq_enable", "raw_local_irq_restore", "raw_local_irq_save",
    "raw_read_seqcount_begin", "raw_smp_processor_id", "raw_spin_is_locked", "raw_spin_lock",
    "raw_spin_lock_bh", "raw_spin_lock_irq", "raw_spin_lock_irqsave", "raw_spin_trylock",
    "raw_spin_unlock", "raw_spin_unlock_bh", "raw_spin_unlock_irq", "raw_spin_unlock_irqrestore",
    "raw_write_seqcount_begin", "raw_write_seqcount_end", "rcu_access_pointer",
    "rcu_assign_pointer", "rcu_barrier", "rcu_dereference", "rcu_dereference_bh",
    "rcu_dereference_check", "rcu_dereference_protected", "rcu_dereference_raw",
    "rcu_dereference_sched", "rcu_read_lock", "rcu_read_lock_bh", "rcu_read_lock_sched",
    "rcu_read_unlock", "rcu_read_unlock_bh", "rcu_read_unlock_sched", "read_barrier_depends",
    "read_lock", "read_lock_bh", "read_lock_irq", "read_lock_irqsave", "read_seqbegin",
    "read_seqcount_begin", "read_seqcount_retry", "read_seqretry", "read_trylock", "read_unlock",
    "read_unlock_bh", "read_unlock_irq", "read_unlock_irqrestore", "refcount_add", "refcount_dec",
    "refcount_dec_and_test", "refcount_inc", "refcount_inc_not_zero", "refcount_read",
    "refcount_set", "refcount_sub_and_test", "reinit_completion", "rmb", "schedule",
    "schedule_timeout", "schedule_timeout_interruptible", "schedule_timeout_uninterruptible",
    "set_bit", "set_current_state", "set_special_state", "smp_acquire__after_ctrl_dep",
    "smp_call_function", "smp_call_function_many", "smp_call_function_single", "smp_load_acquire",
    "smp_mb", "smp_mb__after_atomic", "smp_mb__after_spinlock", "smp_mb__after_srcu_read_unlock",
    "smp_mb__after_unlock_lock", "smp_mb__before_atomic", "smp_processor_id",
    "smp_read_barrier_depends", "smp_rmb", "smp_store_mb", "smp_store_release", "smp_wmb",
    "spin_is_locked", "spin_lock", "spin_lock_bh", "spin_lock_irq", "spin_lock_irqsave",
    "spin_trylock", "spin_unlock", "spin_unlock_bh", "spin_unlock_irq", "spin_unlock_irqrestore",
    "srcu_dereference", "srcu_down_read", "srcu_read_lock", "srcu_read_unlock", "srcu_up_read",
    "synchronize_rcu", "synchronize_rcu_expedited", "synchronize_sched", "synchronize_srcu",
    "synchronize_srcu_expedited", "test_and_change_bit", "test_and_clear_bit", "test_and_set_bit",
    "test_and_set_bit_lock", "test_bit", "test_bit_acquire", "try_cmpxchg", "try_cmpxchg_acquire",
    "try_cmpxchg_relaxed", "try_cmpxchg_release", "try_to_wake_up", "up_read", "up_write",
    "virt_mb", "virt_mb__after_atomic", "virt_mb__before_atomic", "virt_rmb", "virt_wmb",
    "wait_for_completion", "wait_for_completion_interruptible", "wait_for_completion_io",
    "wait_for_completion_killable", "wake_up_process", "wake_up_state", "wmb", "write_lock",
    "write_lock_bh", "write_lock_irq", "write_lock_irqsave", "write_seqcount_begin",
    "write_seqcount_end", "write_trylock", "write_unlock", "write_unlock_bh", "write_unlock_irq",
    "write_unlock_irqrestore", "xchg", "xchg_acquire", "xchg_relaxed", "xchg_release",
];

/// Levenshtein distance between two names (bytes).
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + (a[i - 1] != b[j - 1]) as usize;
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The known name nearest to `name` among the primitives and `extra`
/// (the functions the prelude and the scenario define), if one is close
/// enough to be a likely typo or variant: within a third of the name's
/// length, or sharing the name as a prefix or suffix.
pub(crate) fn nearest<'n>(name: &str, extra: impl Iterator<Item = &'n str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for cand in PRIMITIVES.iter().copied().chain(extra) {
        if cand == name || cand.starts_with("__kvet") {
            continue;
        }
        let mut d = distance(name, cand);
        if d > name.len().max(3) / 3 && (cand.starts_with(name) || name.starts_with(cand) || cand.ends_with(name) || name.ends_with(cand)) {
            d = name.len().max(3) / 3;
        }
        if d <= name.len().max(3) / 3 && best.is_none_or(|(bd, bn)| d < bd || (d == bd && cand < bn)) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, n)| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_is_a_primitive() {
        let mut bad = Vec::new();
        for n in PRIMITIVES {
            let src = format!("C t\n{{}}\nint x;\nP0(void) {{ {n}(); }}\n");
            match std::panic::catch_unwind(|| crate::compile(&src)) {
                Err(_) => bad.push(format!("{n}: panics")),
                Ok(Err(e)) if e.message.contains("unknown function") => bad.push(format!("{n}: {}", e.message)),
                _ => {}
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn nearest_names() {
        assert_eq!(nearest("spin_lock_irqsafe", std::iter::empty()).as_deref(), Some("spin_lock_irqsave"));
        assert_eq!(nearest("mutex_lock_nest", std::iter::empty()).as_deref(), Some("mutex_lock_nested"));
        assert_eq!(nearest("frobnicate", std::iter::empty()), None);
    }
}
