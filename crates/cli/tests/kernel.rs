//! The kernel execution model, primitive by primitive: each scenario
//! asserts the exact set of findings (and, where it matters, the outcome
//! or state count).

mod common;
use common::kinds;

#[track_caller]
fn check(body: &str, expected: &str) {
    common::expect(&kinds(body), expected);
}

#[test]
fn irq_handler_fires_only_with_irqs_on() {
    // the handler can fire between the two writes only if irqs are on
    let h = "IRQ(0) void h(void) { BUG_ON(READ_ONCE(x) == 1); }\n";
    check(&format!("int x;\nP0(void) {{ WRITE_ONCE(x, 1); WRITE_ONCE(x, 0); }}\n{h}"), "BUG");
    check(
        &format!(
            "int x;\nP0(void) {{ local_irq_disable(); WRITE_ONCE(x, 1); WRITE_ONCE(x, 0); local_irq_enable(); }}\n{h}"
        ),
        "ok",
    );
}

#[test]
fn irqsave_restores_exactly_the_saved_state() {
    // nested save/restore: the inner restore must leave interrupts off
    let body = "int x;\nP0(void) { unsigned long f1, f2; local_irq_save(f1); local_irq_save(f2); local_irq_restore(f2); WRITE_ONCE(x, 1); WRITE_ONCE(x, 0); local_irq_restore(f1); }\nIRQ(0) void h(void) { BUG_ON(READ_ONCE(x) == 1); }\n";
    check(body, "ok");
    // spin_unlock_irq inside spin_lock_irqsave enables interrupts too early (seed 004)
    let body = "spinlock_t a; spinlock_t b;\nP0(void) { unsigned long f; spin_lock_irqsave(&a, f); spin_lock_irq(&b); spin_unlock_irq(&b); spin_unlock_irqrestore(&a, f); }\nIRQ(0) void h(void) { spin_lock(&a); spin_unlock(&a); }\n";
    check(body, "deadlock, inconsistent lock state");
}

#[test]
fn softirq_and_bh() {
    let body = "spinlock_t l;\nP0(void) { spin_lock(&l); spin_unlock(&l); }\nSOFTIRQ(0) void s(void) { spin_lock(&l); spin_unlock(&l); }\n";
    check(body, "deadlock, inconsistent lock state");
    let body = "spinlock_t l;\nP0(void) { spin_lock_bh(&l); spin_unlock_bh(&l); }\nSOFTIRQ(0) void s(void) { spin_lock(&l); spin_unlock(&l); }\n";
    check(body, "ok");
}

#[test]
fn ipi_waits_for_every_cpu() {
    // a CPU spinning with interrupts off never answers the IPI
    let body = "spinlock_t l; int done;\nvoid flush(void *info) { WRITE_ONCE(done, 1); }\nP0(void) { spin_lock(&l); smp_call_function(flush, NULL, 1); spin_unlock(&l); }\nP1(void) { local_irq_disable(); spin_lock(&l); spin_unlock(&l); local_irq_enable(); }\n";
    check(body, "deadlock");
    // with interrupts on, the spinning CPU answers and everyone finishes
    let body = "spinlock_t l; int done;\nvoid flush(void *info) { WRITE_ONCE(done, 1); }\nP0(void) { spin_lock(&l); smp_call_function(flush, NULL, 1); spin_unlock(&l); BUG_ON(!READ_ONCE(done)); }\nP1(void) { spin_lock(&l); spin_unlock(&l); }\n";
    check(body, "ok");
}

#[test]
fn queued_rwlock_rules() {
    // a waiting writer blocks a new task-context reader: recursive read
    // locking deadlocks against a queued writer
    let body = "rwlock_t l;\nP0(void) { read_lock(&l); read_lock(&l); read_unlock(&l); read_unlock(&l); }\nP1(void) { write_lock(&l); write_unlock(&l); }\n";
    check(body, "deadlock");
    // an interrupt-context reader passes a waiting writer
    let body = "rwlock_t l;\nP0(void) { read_lock(&l); read_unlock(&l); }\nIRQ(0) void h(void) { read_lock(&l); read_unlock(&l); }\nP1(void) { write_lock_irq(&l); write_unlock_irq(&l); }\n";
    check(body, "ok");
}

#[test]
fn mutex_sleeps_and_must_not_be_taken_atomic() {
    check("struct mutex m; spinlock_t l;\nP0(void) { spin_lock(&l); mutex_lock(&m); mutex_unlock(&m); spin_unlock(&l); }\n", "sleeping in atomic context");
    check("struct mutex m; int x;\nP0(void) { mutex_lock(&m); x++; mutex_unlock(&m); }\nP1(void) { mutex_lock(&m); x++; mutex_unlock(&m); }\n", "ok");
}

#[test]
fn rwsem_and_bit_spinlock() {
    check("struct rw_semaphore s; int x;\nP0(void) { down_write(&s); x = 1; up_write(&s); }\nP1(void) { int r; down_read(&s); r = x; up_read(&s); }\n", "ok");
    check("unsigned long w; int x;\nP0(void) { bit_spin_lock(3, &w); x++; bit_spin_unlock(3, &w); }\nP1(void) { bit_spin_lock(3, &w); x++; bit_spin_unlock(3, &w); }\n", "ok");
}

#[test]
fn wake_up_of_a_running_task_changes_nothing() {
    // try_to_wake_up() before the waiter sets its state is a no-op: a
    // waiter that checks the condition first can sleep forever
    let body = "int cond; struct task_struct *w;\nP0(void) { WRITE_ONCE(w, get_task_struct(current)); smp_mb(); if (!READ_ONCE(cond)) { set_current_state(TASK_UNINTERRUPTIBLE); schedule(); } }\nP1(void) { struct task_struct *t; WRITE_ONCE(cond, 1); smp_mb(); t = READ_ONCE(w); if (t) { wake_up_process(t); put_task_struct(t); } }\n";
    check(body, "hang");
    // set the state first, then check: the wake-up cannot be lost
    let body = "int cond; struct task_struct *w;\nP0(void) { WRITE_ONCE(w, get_task_struct(current)); smp_mb(); set_current_state(TASK_UNINTERRUPTIBLE); if (!READ_ONCE(cond)) schedule(); __set_current_state(TASK_RUNNING); }\nP1(void) { struct task_struct *t; WRITE_ONCE(cond, 1); smp_mb(); t = READ_ONCE(w); if (t) { wake_up_process(t); put_task_struct(t); } }\n";
    check(body, "ok");
}

#[test]
fn task_struct_dies_at_exit() {
    let body = "struct task_struct *w;\nP0(void) { WRITE_ONCE(w, current); }\nP1(void) { struct task_struct *t = READ_ONCE(w); if (t) wake_up_process(t); }\n";
    check(body, "use-after-free");
    let body = "struct task_struct *w;\nP0(void) { WRITE_ONCE(w, get_task_struct(current)); }\nP1(void) { struct task_struct *t = READ_ONCE(w); if (t) { wake_up_process(t); put_task_struct(t); } }\n";
    check(body, "ok");
}

#[test]
fn heap_reuse_double_free_and_scope() {
    // freed memory is handed out again: a stale pointer sees the new data
    check("struct obj { int v; };\nP0(void) { struct obj *a = kmalloc(sizeof(*a), GFP_KERNEL); struct obj *b; a->v = 1; kfree(a); b = kmalloc(sizeof(*b), GFP_KERNEL); BUG_ON(b != a); b->v = 2; kfree(b); }\n", "ok");
    check(
        "struct obj { int v; };\nP0(void) { struct obj *a = kzalloc(sizeof(*a), GFP_KERNEL); kfree(a); kfree(a); }\n",
        "double free",
    );
    check(
        "struct obj { int v; };\nP0(void) { struct obj *a = kzalloc(sizeof(*a), GFP_KERNEL); kfree(a); a->v = 1; }\n",
        "use-after-free",
    );
    check("int *p;\nvoid f(void) { int local = 1; WRITE_ONCE(p, &local); }\nP0(void) { f(); }\nP1(void) { int *q = READ_ONCE(p); if (q) WRITE_ONCE(*q, 2); }\n", "use-after-scope");
    check("struct obj { int v; };\nP0(void) { struct obj *a = NULL; a->v = 1; }\n", "NULL dereference");
}

#[test]
fn nonatomic_bitops_lose_updates() {
    let body = "unsigned long flags;\nP0(void) { __set_bit(1, &flags); }\nP1(void) { set_bit(2, &flags); }\nP2(void) { int r = flags; if (r & 2) assert(r & 4 || 1); }\n";
    let _ = body;
    check("unsigned long flags;\nP0(void) { __clear_bit(1, &flags); }\nP1(void) { set_bit(2, &flags); }\nforall (flags=4)\n", "condition violated, data race");
    check("unsigned long flags;\nP0(void) { clear_bit(1, &flags); }\nP1(void) { set_bit(2, &flags); }\nforall (flags=4)\n", "ok");
    check("unsigned long w;\nP0(void) { int a = test_and_set_bit(0, &w); int b = test_and_set_bit(0, &w); BUG_ON(a || !b); }\n", "ok");
    check("unsigned long w = 0x81;\nP0(void) { BUG_ON(!clear_bit_unlock_is_negative_byte(0, &w)); BUG_ON(test_bit(0, &w)); }\n", "ok");
}

#[test]
fn seqcount_readers_retry() {
    let body = "unsigned seq; int a; int b;\nP0(void) { write_seqcount_begin(&seq); WRITE_ONCE(a, 1); WRITE_ONCE(b, 1); write_seqcount_end(&seq); }\nP1(void) { unsigned s; int x, y; do { s = read_seqcount_begin(&seq); x = READ_ONCE(a); y = READ_ONCE(b); } while (read_seqcount_retry(&seq, s)); BUG_ON(x != y); }\n";
    check(body, "ok");
}

#[test]
fn completions_and_hangs() {
    check("struct completion c;\nP0(void) { wait_for_completion(&c); }\nP1(void) { complete(&c); }\n", "ok");
    check("struct completion c;\nP0(void) { wait_for_completion(&c); }\n", "hang");
}

#[test]
fn wait_queues_with_custom_wake_functions() {
    // a custom wake function through wait->func (seed 000's shape)
    let body = "DECLARE_WAIT_QUEUE_HEAD(wq); int cond; int called;\nint my_wake(struct wait_queue_entry *wait, unsigned mode, int sync, void *key) { WRITE_ONCE(called, 1); return autoremove_wake_function(wait, mode, sync, key); }\nP0(void) { DEFINE_WAIT_FUNC(wait, my_wake); for (;;) { prepare_to_wait(&wq, &wait, TASK_UNINTERRUPTIBLE); if (READ_ONCE(cond)) break; schedule(); } finish_wait(&wq, &wait); }\nP1(void) { WRITE_ONCE(cond, 1); wake_up(&wq); }\n";
    check(body, "ok");
    // a waker that forgets wake_up(): the waiter hangs
    check("DECLARE_WAIT_QUEUE_HEAD(wq); int cond;\nP0(void) { wait_event(wq, READ_ONCE(cond)); }\nP1(void) { WRITE_ONCE(cond, 1); }\n", "hang");
}

#[test]
fn lists() {
    let body = "struct item { int v; struct list_head node; }; LIST_HEAD(head); struct item a; struct item b;\nP0(void) { int n = 0; struct item *pos; a.v = 1; b.v = 2; list_add_tail(&a.node, &head); list_add_tail(&b.node, &head); list_for_each_entry(pos, &head, node) n += pos->v; BUG_ON(n != 3); list_del_init(&a.node); BUG_ON(list_empty(&head)); list_del(&b.node); BUG_ON(!list_empty(&head)); BUG_ON(list_first_entry(&head, struct item, node) != container_of(&head, struct item, node)); }\n";
    check(body, "ok");
}

#[test]
fn rcu_grace_period_protects_readers() {
    let body = "struct obj { int v; }; struct obj *gp;\nP0(void) { struct obj *p = kzalloc(sizeof(*p), GFP_KERNEL); rcu_assign_pointer(gp, p); }\nP1(void) { struct obj *p; rcu_read_lock(); p = rcu_dereference(gp); if (p) READ_ONCE(p->v); rcu_read_unlock(); }\nP2(void) { struct obj *p = READ_ONCE(gp); if (p) { WRITE_ONCE(gp, NULL); synchronize_rcu(); kfree(p); } }\n";
    check(body, "ok");
    let body = "struct obj { int v; }; struct obj *gp;\nP0(void) { struct obj *p = kzalloc(sizeof(*p), GFP_KERNEL); rcu_assign_pointer(gp, p); }\nP1(void) { struct obj *p; rcu_read_lock(); p = rcu_dereference(gp); if (p) READ_ONCE(p->v); rcu_read_unlock(); }\nP2(void) { struct obj *p = READ_ONCE(gp); if (p) { WRITE_ONCE(gp, NULL); kfree(p); } }\n";
    check(body, "use-after-free");
}

#[test]
fn lockdep_order_inversion_without_deadlock() {
    // the two orders never overlap in time here (a flag serializes them),
    // yet lockdep reports the inversion
    let body = "spinlock_t a; spinlock_t b; int turn;\nP0(void) { spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); smp_store_release(&turn, 1); }\nP1(void) { while (!smp_load_acquire(&turn)) ; spin_lock(&b); spin_lock(&a); spin_unlock(&a); spin_unlock(&b); }\n";
    check(body, "lock-order inversion");
}

#[test]
fn data_races_are_reported_kcsan_style() {
    check("int x;\nP0(void) { x = 1; }\nP1(void) { int r = READ_ONCE(x); }\n", "data race");
    check("int x;\nP0(void) { WRITE_ONCE(x, 1); }\nP1(void) { int r = READ_ONCE(x); }\n", "ok");
    check("int x; spinlock_t l;\nP0(void) { spin_lock(&l); x = 1; spin_unlock(&l); }\nP1(void) { int r; spin_lock(&l); r = x; spin_unlock(&l); }\n", "ok");
}

#[test]
fn misuse_is_reported_not_fatal() {
    check("spinlock_t l;\nP0(void) { spin_unlock(&l); }\n", "lock misuse");
    check("P0(void) { local_bh_enable(); }\n", "lock misuse");
    check("spinlock_t l;\nP0(void) { spin_lock(&l); }\n", "lock misuse");
}

#[test]
fn spinning_on_what_cannot_change_is_a_deadlock() {
    // issue 9: a polling-loop wait in a cycle with a lock wait is a deadlock
    let body = "int flag; spinlock_t l;\nP0(void) { spin_lock(&l); while (!READ_ONCE(flag)) cpu_relax(); spin_unlock(&l); }\nP1(void) { spin_lock(&l); WRITE_ONCE(flag, 1); spin_unlock(&l); }\n";
    check(body, "deadlock");
    let body = "int flag;\nP0(void) { while (!READ_ONCE(flag)) cpu_relax(); }\nP1(void) { WRITE_ONCE(flag, 1); }\n";
    check(body, "ok");
}

#[test]
fn rcu_delays_the_free_of_an_exited_task_and_kfree_rcu() {
    // a reader that found the task under rcu_read_lock() keeps its
    // task_struct alive after the task unhashes itself and exits
    // (release_task() frees it through call_rcu)
    let body = "struct task_struct *w;\nP0(void) { rcu_assign_pointer(w, current); WRITE_ONCE(w, NULL); }\nP1(void) { struct task_struct *t; rcu_read_lock(); t = rcu_dereference(w); if (t) wake_up_process(t); rcu_read_unlock(); }\n";
    check(body, "ok");
    // without the read-side section the exited task may already be gone
    let body = "struct task_struct *w;\nP0(void) { rcu_assign_pointer(w, current); WRITE_ONCE(w, NULL); }\nP1(void) { struct task_struct *t = READ_ONCE(w); if (t) wake_up_process(t); }\n";
    check(body, "use-after-free");
    let body = "struct obj { int v; }; struct obj *gp;\nP0(void) { struct obj *p = kzalloc(sizeof(*p), GFP_KERNEL); rcu_assign_pointer(gp, p); }\nP1(void) { struct obj *p; rcu_read_lock(); p = rcu_dereference(gp); if (p) READ_ONCE(p->v); rcu_read_unlock(); }\nP2(void) { struct obj *p = READ_ONCE(gp); if (p) { WRITE_ONCE(gp, NULL); kfree_rcu(p, rcu); } }\n";
    check(body, "ok");
}

#[test]
fn call_rcu_runs_its_callback_after_a_grace_period() {
    // the callback frees the object: readers that found it under
    // rcu_read_lock() are safe
    let obj = "struct obj { int v; struct rcu_head rcu; }; struct obj *gp;\nvoid obj_free_rcu(struct rcu_head *head) { struct obj *p = container_of(head, struct obj, rcu); kfree(p); }\nP0(void) { struct obj *p = kzalloc(sizeof(*p), GFP_KERNEL); rcu_assign_pointer(gp, p); }\n";
    let reader = "P1(void) { struct obj *p; rcu_read_lock(); p = rcu_dereference(gp); if (p) READ_ONCE(p->v); rcu_read_unlock(); }\n";
    let updater = "P2(void) { struct obj *p = READ_ONCE(gp); if (p) { WRITE_ONCE(gp, NULL); call_rcu(&p->rcu, obj_free_rcu); } }\n";
    check(&format!("{obj}{reader}{updater}"), "ok");
    // a reader outside a read-side section is not protected
    let bare = "P1(void) { struct obj *p = READ_ONCE(gp); if (p) READ_ONCE(p->v); }\n";
    check(&format!("{obj}{bare}{updater}"), "use-after-free");
    // the callback runs in softirq context: a lock it shares with task
    // context must be taken with bottom halves off there
    let cb = "spinlock_t l; int n;\nstruct obj { int v; struct rcu_head rcu; }; struct obj o;\nvoid cb(struct rcu_head *head) { spin_lock(&l); n++; spin_unlock(&l); }\n";
    check(
        &format!("{cb}P0(void) {{ call_rcu(&o.rcu, cb); spin_lock(&l); n++; spin_unlock(&l); }}\n"),
        "deadlock, inconsistent lock state",
    );
    check(&format!("{cb}P0(void) {{ call_rcu(&o.rcu, cb); spin_lock_bh(&l); n++; spin_unlock_bh(&l); }}\n"), "ok");
    // the callback runs after the grace period, never before it
    let order = "int x; struct rcu_head h;\nvoid cb(struct rcu_head *head) { BUG_ON(READ_ONCE(x) != 2); }\nP0(void) { rcu_read_lock(); WRITE_ONCE(x, 1); WRITE_ONCE(x, 2); rcu_read_unlock(); }\nP1(void) { if (READ_ONCE(x) == 1) call_rcu(&h, cb); }\n";
    check(order, "ok");
    // rcu_barrier() waits for the callback
    let barrier = "int done; struct rcu_head h;\nvoid cb(struct rcu_head *head) { WRITE_ONCE(done, 1); }\nP0(void) { call_rcu(&h, cb); rcu_barrier(); BUG_ON(!READ_ONCE(done)); }\n";
    check(barrier, "ok");
    // a callback that can never run because its CPU keeps interrupts off
    let stranded = "int done; struct rcu_head h;\nvoid cb(struct rcu_head *head) { WRITE_ONCE(done, 1); }\nP0(void) { local_irq_disable(); call_rcu(&h, cb); }\n";
    check(stranded, "hang");
}

#[test]
fn ipi_function_receives_its_info() {
    let body = "int x; int y;\nvoid f(void *info) { WRITE_ONCE(*(int *)info, 1); }\nP0(void) { smp_call_function(f, &y, 1); BUG_ON(READ_ONCE(y) != 1); BUG_ON(READ_ONCE(x) != 0); }\nP1(void) { }\n";
    check(body, "ok");
}

#[test]
fn kmem_caches_and_typesafe_by_rcu() {
    let scenario = |flags: &str, reader: &str| {
        format!(
            "struct obj {{ int key; }}; struct kmem_cache *cache; struct obj *gp;\n\
             P0(void) {{ struct obj *p; cache = KMEM_CACHE(obj, {flags}); p = kmem_cache_zalloc(cache, GFP_KERNEL); WRITE_ONCE(p->key, 1); rcu_assign_pointer(gp, p); WRITE_ONCE(gp, NULL); kmem_cache_free(cache, p); }}\n\
             P1(void) {{ struct obj *p; {reader} }}\n"
        )
    };
    let rcu_reader = "rcu_read_lock(); p = rcu_dereference(gp); if (p) READ_ONCE(p->key); rcu_read_unlock();";
    let bare_reader = "p = READ_ONCE(gp); if (p) READ_ONCE(p->key);";
    // an ordinary cache frees at once: the RCU reader touches freed memory
    check(&scenario("SLAB_HWCACHE_ALIGN", rcu_reader), "use-after-free");
    // SLAB_TYPESAFE_BY_RCU keeps the memory an object of the cache while
    // RCU readers may hold it
    check(&scenario("SLAB_TYPESAFE_BY_RCU", rcu_reader), "ok");
    // but only for RCU readers
    check(&scenario("SLAB_TYPESAFE_BY_RCU", bare_reader), "use-after-free");
    // a freed object is handed out again by the same cache, not by kmalloc
    let reuse = "struct obj { int key; }; struct kmem_cache *cache;\nP0(void) { struct obj *a, *b, *c; cache = kmem_cache_create(\"obj\", sizeof(struct obj), 0, 0, NULL); a = kmem_cache_alloc(cache, GFP_KERNEL); kmem_cache_free(cache, a); b = kmalloc(sizeof(*b), GFP_KERNEL); c = kmem_cache_alloc(cache, GFP_KERNEL); BUG_ON(b == a); BUG_ON(c != a); }\n";
    check(reuse, "ok");
    // a pointer that is no cache
    check("int x;\nP0(void) { void *p = kmem_cache_alloc((struct kmem_cache *)&x, GFP_KERNEL); }\n", "invalid access");
}

#[test]
fn signals_end_interruptible_waits() {
    // nobody ever sets `cond`; only a signal can end the wait
    let scenario = |wait: &str, sig: &str| {
        format!(
            "DECLARE_WAIT_QUEUE_HEAD(wq); int cond; struct task_struct *waiter; int ret;\n\
             P0(void) {{ WRITE_ONCE(waiter, current); {wait} }}\n\
             P1(void) {{ struct task_struct *t = READ_ONCE(waiter); if (t) send_sig({sig}, t, 0); }}\n"
        )
    };
    let interruptible = "ret = wait_event_interruptible(wq, READ_ONCE(cond)); BUG_ON(ret != -ERESTARTSYS); BUG_ON(!signal_pending(current));";
    let killable = "ret = wait_event_killable(wq, READ_ONCE(cond));";
    let plain = "wait_event(wq, READ_ONCE(cond));";
    // P1 may also look before P0 published itself: then nobody signals
    // and the waiter sleeps forever
    check(&scenario(interruptible, "SIGUSR1"), "hang, use-after-free");
    // an uninterruptible wait ignores signals, a killable one all but
    // SIGKILL; a woken waiter exits, and a late send_sig() then touches
    // its freed task_struct
    check(&scenario(plain, "SIGKILL"), "hang");
    check(&scenario(killable, "SIGUSR1"), "hang");
    check(&scenario(killable, "SIGKILL"), "hang, use-after-free");
    // with the signal sent for sure, the interruptible waits end
    let sure = |wait: &str, sig: &str| {
        format!(
            "DECLARE_WAIT_QUEUE_HEAD(wq); int cond; int ret;\n\
             P0(void) {{ send_sig({sig}, current, 0); {wait} }}\n"
        )
    };
    check(&sure(interruptible, "SIGUSR1"), "ok");
    check(&sure(killable, "SIGKILL"), "ok");
    check(&sure(killable, "SIGUSR1"), "hang");
    check(&sure(plain, "SIGKILL"), "hang");
}

#[test]
fn gnu_statement_expressions() {
    let body = "int x;\n#define inc_return(v) ({ int __t = READ_ONCE(v) + 1; WRITE_ONCE(v, __t); __t; })\nP0(void) { int a = inc_return(x); int b = inc_return(x); BUG_ON(a != 1 || b != 2); BUG_ON(({ 3; }) != 3); }\n";
    check(body, "ok");
}
