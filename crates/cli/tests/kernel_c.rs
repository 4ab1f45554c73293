//! Kernel C as it is (issue 9): the constructs and API of real kernel code
//! that kvet used to reject or get wrong. Each scenario asserts the exact
//! set of findings, reduced and unreduced.

use kvet_explore::{explore, Options};

/// The sorted kinds kvet finds, or "ok".
fn kinds(body: &str) -> String {
    let src = format!("C t\n{{}}\n{body}");
    let prog = kvet_ir::compile(&src).unwrap_or_else(|e| panic!("{} at {:?}\n{src}", e.message, kvet_syntax::line_col(&src, e.span.lo)));
    let ex = explore(&prog, &Options::default());
    let full = explore(&prog, &Options { reduce: false, ..Options::default() });
    let mut k: Vec<String> = ex.violations.iter().map(|v| v.kind.name().to_string()).collect();
    let mut kf: Vec<String> = full.violations.iter().map(|v| v.kind.name().to_string()).collect();
    k.sort();
    k.dedup();
    kf.sort();
    kf.dedup();
    assert_eq!(k, kf, "reduction changed the findings");
    assert!(ex.complete && full.complete, "incomplete search");
    if k.is_empty() {
        "ok".into()
    } else {
        k.join(", ")
    }
}

fn check(body: &str, expected: &str) {
    assert_eq!(kinds(body), expected, "\n{body}");
}

/// The message of the first finding.
fn message(body: &str) -> String {
    let src = format!("C t\n{{}}\n{body}");
    let prog = kvet_ir::compile(&src).unwrap_or_else(|e| panic!("{}\n{src}", e.message));
    let ex = explore(&prog, &Options::default());
    ex.violations.first().map(|v| v.message.clone()).unwrap_or_default()
}

fn error(body: &str) -> String {
    let src = format!("C t\n{{}}\n{body}");
    match kvet_ir::compile(&src) {
        Ok(_) => panic!("accepted:\n{src}"),
        Err(e) => format!("{} / {}", e.message, e.notes.join(" / ")),
    }
}

#[test]
fn current_fields_directly() {
    check("int x;\nP0(void) { WRITE_ONCE(x, current->pid); BUG_ON(current->pid != 1); BUG_ON(task_tgid_nr(current) != 1); current->flags |= PF_MEMALLOC; BUG_ON(current->comm[0]); }\nP1(void) { BUG_ON(current->pid != 2); }\n", "ok");
}

#[test]
fn anonymous_members() {
    let body = "struct bpf_link { int refcnt; union { struct rcu_head rcu; int work; }; struct { int a; int b; }; };\nstruct bpf_link lk = { .b = 3 };\n\
        P0(void) { struct bpf_link *l = container_of(&lk.rcu, struct bpf_link, rcu); WRITE_ONCE(l->work, 1); BUG_ON(offsetof(struct bpf_link, b) != 4); BUG_ON(READ_ONCE(lk.b) != 3); BUG_ON(l != &lk); }\n";
    check(body, "ok");
}

#[test]
fn own_rw_semaphore_replaces_the_native_one() {
    check("struct rw_semaphore { long count; };\nstruct rw_semaphore s;\nP0(void) { s.count = 1; BUG_ON(s.count != 1); }\n", "ok");
}

#[test]
fn file_scope_define_macros() {
    let body = "DEFINE_MUTEX(m);\nDEFINE_SPINLOCK(l);\nDEFINE_RWLOCK(rw);\nDECLARE_RWSEM(sem);\nDEFINE_RAW_SPINLOCK(raw);\nspinlock_t l2 = __SPIN_LOCK_UNLOCKED(l2);\n\
        struct obj { struct kref ref; spinlock_t lock; struct list_head list; atomic_t n; refcount_t r; };\n\
        struct obj o = { .ref = KREF_INIT(1), .lock = __SPIN_LOCK_UNLOCKED(o.lock), .list = LIST_HEAD_INIT(o.list), .n = ATOMIC_INIT(2), .r = REFCOUNT_INIT(3) };\n\
        P0(void) { spin_lock(&l); spin_unlock(&l); mutex_lock(&m); mutex_unlock(&m); read_lock(&rw); read_unlock(&rw); down_read(&sem); up_read(&sem); raw_spin_lock(&raw); raw_spin_unlock(&raw); spin_lock(&l2); spin_unlock(&l2);\n\
        BUG_ON(kref_read(&o.ref) != 1); BUG_ON(!list_empty(&o.list)); BUG_ON(atomic_read(&o.n) != 2); BUG_ON(refcount_read(&o.r) != 3); }\n";
    check(body, "ok");
}

#[test]
fn init_functions_clear_stale_lock_words() {
    // kmalloc does not clear memory: the lock word of a reused object is
    // stale until spin_lock_init()
    let body = "struct obj { spinlock_t lock; int v; };\nP0(void) { struct obj *a = kmalloc(sizeof(*a), GFP_KERNEL); spin_lock(&a->lock); kfree(a); a = kmalloc(sizeof(*a), GFP_KERNEL); spin_lock_init(&a->lock); spin_lock(&a->lock); spin_unlock(&a->lock); kfree(a); }\n";
    check(body, "ok");
    let body = "struct obj { spinlock_t lock; struct mutex m; rwlock_t rw; struct rw_semaphore sem; };\nstruct obj o;\nP0(void) { spin_lock_init(&o.lock); mutex_init(&o.m); rwlock_init(&o.rw); init_rwsem(&o.sem); spin_lock(&o.lock); spin_unlock(&o.lock); }\n";
    check(body, "ok");
}

#[test]
fn every_generic_barrier() {
    let body = "int x;\nP0(void) { int r = READ_ONCE(x); if (r) smp_acquire__after_ctrl_dep(); dma_rmb(); dma_wmb(); dma_mb(); virt_mb(); virt_rmb(); virt_wmb(); __smp_mb(); virt_mb__before_atomic(); virt_mb__after_atomic(); io_stop_wc(); barrier_nospec(); }\n";
    check(body, "ok");
}

#[test]
fn errno_and_limits() {
    check("P0(void) { BUG_ON(ENOSPC != 28); BUG_ON(EPROBE_DEFER != 517); BUG_ON(MAX_SCHEDULE_TIMEOUT != LONG_MAX); BUG_ON(EWOULDBLOCK != EAGAIN); }\n", "ok");
}

#[test]
fn kref_put_runs_the_release_function_once() {
    let body = "struct obj { struct kref ref; int dead; };\nstruct obj o = { .ref = KREF_INIT(2) };\nint released;\n\
        void release(struct kref *k) { struct obj *p = container_of(k, struct obj, ref); WRITE_ONCE(p->dead, 1); released++; }\n\
        P0(void) { kref_put(&o.ref, release); }\nP1(void) { kref_put(&o.ref, release); }\n\
        exists (released=2 \\/ released=0)";
    check(body, "ok");
    // kref_get_unless_zero() on a dead object fails; kref_get() would not
    let body = "struct obj { struct kref ref; int dead; };\nstruct obj o = { .ref = KREF_INIT(1) };\n\
        void release(struct kref *k) { struct obj *p = container_of(k, struct obj, ref); WRITE_ONCE(p->dead, 1); }\n\
        P0(void) { kref_put(&o.ref, release); }\nP1(void) { if (kref_get_unless_zero(&o.ref)) { BUG_ON(READ_ONCE(o.dead)); kref_put(&o.ref, release); } }\n";
    check(body, "ok");
    let body = "struct obj { struct kref ref; int dead; };\nstruct obj o = { .ref = KREF_INIT(1) };\n\
        void release(struct kref *k) { struct obj *p = container_of(k, struct obj, ref); WRITE_ONCE(p->dead, 1); }\n\
        P0(void) { kref_put(&o.ref, release); }\nP1(void) { kref_get(&o.ref); BUG_ON(READ_ONCE(o.dead)); kref_put(&o.ref, release); }\n";
    check(body, "BUG");
}

#[test]
fn llist_push_and_take_all() {
    let body = "struct item { int v; struct llist_node node; };\nstruct item a = { .v = 1 };\nstruct item b = { .v = 2 };\nLLIST_HEAD(head);\nint sum;\n\
        P0(void) { llist_add(&a.node, &head); }\nP1(void) { llist_add(&b.node, &head); }\n\
        P2(void) { struct llist_node *n = llist_del_all(&head); struct item *pos; int s = 0; llist_for_each_entry(pos, n, node) s += pos->v; WRITE_ONCE(sum, s); }\n\
        exists (sum=0 \\/ sum=1 \\/ sum=2 \\/ sum=3)";
    check(body, "ok");
}

#[test]
fn unknown_function_suggests_the_nearest_name() {
    let e = error("spinlock_t l;\nP0(void) { spin_lock_irqsafe(&l); }\n");
    assert!(e.contains("did you mean `spin_lock_irqsave`?"), "{e}");
    let e = error("struct kref k;\nP0(void) { kref_gett(&k); }\n");
    assert!(e.contains("did you mean `kref_get`?"), "{e}");
    let e = error("P0(void) { frobnicate(); }\n");
    assert!(!e.contains("did you mean"), "{e}");
}
