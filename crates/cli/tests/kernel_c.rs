//! Kernel C as it is (issue 9): the constructs and API of real kernel code
//! that kvet used to reject or get wrong. Each scenario asserts the exact
//! set of findings, reduced and unreduced.

mod common;
use common::{complete_kinds, error, message};

#[track_caller]
fn check(body: &str, expected: &str) {
    common::expect(&complete_kinds(body), expected);
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

#[test]
fn is_err_on_a_valid_pointer_is_false() {
    // include/linux/err.h: an unsigned compare against -MAX_ERRNO
    check("int x;\nP0(void) { int *p = &x; void *q = ERR_PTR(-ENOMEM); BUG_ON(IS_ERR(p)); BUG_ON(!IS_ERR(q)); BUG_ON(PTR_ERR(q) != -ENOMEM); BUG_ON(IS_ERR_OR_NULL(p)); BUG_ON(!IS_ERR_OR_NULL(NULL)); BUG_ON(PTR_ERR_OR_ZERO(p)); }\n", "ok");
    // an error pointer dereferenced is an invalid access
    check(
        "struct s { int v; };\nP0(void) { struct s *p = ERR_PTR(-ENOMEM); WRITE_ONCE(p->v, 1); }\n",
        "invalid access",
    );
}

#[test]
fn unsigned_arithmetic_and_comparison() {
    // wrap-around and unsigned comparison, by width
    check("P0(void) { unsigned int u = 0; u--; BUG_ON(u != 4294967295); BUG_ON(!(u > 0)); u++; BUG_ON(u != 0);\n\
        u8 b = 255; b++; BUG_ON(b != 0); b = 300; BUG_ON(b != 44); BUG_ON((u8)-1 != 255); BUG_ON((u16)65537 != 1);\n\
        unsigned long ul = 0; BUG_ON(ul - 1 < ul); BUG_ON(!(ul - 1 > 0)); BUG_ON((unsigned long)-1 / 2 != 9223372036854775807);\n\
        int i = -1; unsigned int v = 1; BUG_ON(!(i > v)); BUG_ON(!((unsigned int)i == 4294967295));\n\
        size_t n = 3; BUG_ON(n - 4 < 1); bool t = 5; BUG_ON(t != 1); u32 w = 0xffffffff; w += 2; BUG_ON(w != 1); BUG_ON(~w != 4294967294); }\n", "ok");
    // signed behaviour is unchanged
    check("P0(void) { int i = 0; i--; BUG_ON(i != -1); BUG_ON(i > 0); long l = -8; BUG_ON(l / 2 != -4); BUG_ON(l % 3 != -2); }\n", "ok");
    // a u8 field wraps when stored
    check("struct s { u8 c; };\nstruct s g;\nP0(void) { g.c = 255; g.c++; BUG_ON(READ_ONCE(g.c) != 0); }\n", "ok");
}

#[test]
fn signed_narrowing_and_int_width() {
    // storing into a narrower type keeps the low bits: 300 is 44 in a
    // char, s8 or u8; 200 is -56 in an s8; plain char is unsigned, as
    // the kernel builds it (-funsigned-char since v6.2)
    check("P0(void) { char c = 300; BUG_ON(c != 44); s8 s = 300; BUG_ON(s != 44); u8 u = 300; BUG_ON(u != 44);\n\
        s8 t = 200; BUG_ON(t != -56); short h = 65535; BUG_ON(h != -1); char d = 200; BUG_ON(d < 0); signed char e = 200; BUG_ON(e != -56);\n\
        BUG_ON(!((int)0x80000000u < 0)); BUG_ON((int)4294967296 != 0); BUG_ON((s16)0x18000 != -32768); }\n", "ok");
    // int arithmetic wraps at 32 bits; long does not
    check("P0(void) { int m = 2147483647; m = m + 1; BUG_ON(m != -2147483647 - 1); int i = 2147483647; i++; BUG_ON(i >= 0);\n\
        long l = 2147483647; l++; BUG_ON(l != 2147483648); int p = 65536; BUG_ON(p * p != 0); BUG_ON(0x7fffffff + 1 >= 0);\n\
        BUG_ON(-8 >> 1 != -4); int n = -8; BUG_ON((n >> 2) != -2); }\n", "ok");
    // a long against an unsigned int is signed (LP64); an int against it is unsigned
    check("P0(void) { long l = -1; unsigned int u = 1; BUG_ON(!(l < u)); int i = -1; BUG_ON(i < u); }\n", "ok");
    // arguments, return values and struct fields convert to their types
    check("struct s { s8 c; int i; };\nstruct s g;\nstatic s8 inc(s8 x) { return x + 1; }\nstatic int low(long v) { return v; }\n\
        P0(void) { BUG_ON(inc(127) != -128); BUG_ON(low(4294967297) != 1); g.c = 200; BUG_ON(READ_ONCE(g.c) != -56); g.i = 4294967295; BUG_ON(g.i != -1); g.c += 100; BUG_ON(g.c != 44); }\n", "ok");
}

#[test]
fn pointers_compare_as_unsigned_addresses() {
    check("int a[2];\nP0(void) { int *p = &a[0]; int *q = &a[1]; void *e = ERR_PTR(-1); BUG_ON(!(p < q)); BUG_ON(!(e > (void *)q)); }\n", "ok");
}

#[test]
fn shifts_out_of_bounds_are_ubsan_findings() {
    check("int n = 32;\nP0(void) { unsigned int u = 1; int k = READ_ONCE(n); u = u << k; }\n", "UBSAN");
    check(
        "int n = 31;\nP0(void) { unsigned int u = 1; int k = READ_ONCE(n); u = u << k; BUG_ON(u != 2147483648); }\n",
        "ok",
    );
    check("int n = -1;\nP0(void) { long v = 1; int k = READ_ONCE(n); v = v >> k; }\n", "UBSAN");
    check("int n = 40;\nP0(void) { unsigned long v = 1; int k = READ_ONCE(n); v = v << k; BUG_ON(v != 1099511627776); }\n", "ok");
    check("P0(void) { unsigned long v = 1; v = v << 64; }\n", "UBSAN");
    // an int is 32 bits wide: `1 << 32` is out of bounds, `1UL << 40` is not
    check("P0(void) { long v = 1 << 32; }\n", "UBSAN");
    check("int n = 32;\nP0(void) { int k = READ_ONCE(n); int v = 1 << k; }\n", "UBSAN");
    check("int n = 32;\nP0(void) { int k = READ_ONCE(n); long v = 1L << k; u64 w = 1ULL << 40; BUG_ON(v != 4294967296); BUG_ON(w != 1099511627776); }\n", "ok");
    check("P0(void) { u8 b = 1; int v = b << 31; BUG_ON(v >= 0); }\n", "ok");
}

#[test]
fn right_shifts_keep_the_sign_of_signed_values() {
    // GCC and Clang shift a negative signed value arithmetically
    check("int n = -8;\nP0(void) { int a = READ_ONCE(n); long b = -1; BUG_ON((a >> 1) != -4); BUG_ON((b >> 63) != -1); BUG_ON((-8 >> 2) != -2); }\n", "ok");
    check("P0(void) { unsigned long u = -1; unsigned int w = 2147483648; BUG_ON((u >> 60) != 15); BUG_ON((w >> 31) != 1); }\n", "ok");
}

#[test]
fn schedule_timeout_is_not_a_hang() {
    // nobody wakes the task: the timer does, and schedule_timeout() says 0
    check(
        "P0(void) { set_current_state(TASK_UNINTERRUPTIBLE); long left = schedule_timeout(10); BUG_ON(left != 0); }\n",
        "ok",
    );
    // an endless timeout is schedule(): a lost wake-up is a hang
    check("P0(void) { set_current_state(TASK_UNINTERRUPTIBLE); schedule_timeout(MAX_SCHEDULE_TIMEOUT); }\n", "hang");
    // woken before the timer: the time left is returned
    check("int flag;\nstruct task_struct *sleeper;\nP0(void) { WRITE_ONCE(sleeper, get_task_struct(current)); set_current_state(TASK_INTERRUPTIBLE); if (!READ_ONCE(flag)) { long left = schedule_timeout(10); BUG_ON(left && !READ_ONCE(flag)); } __set_current_state(TASK_RUNNING); }\n\
        P1(void) { WRITE_ONCE(flag, 1); struct task_struct *t = READ_ONCE(sleeper); if (t) { wake_up_process(t); put_task_struct(t); } }\n", "ok");
    // both returns happen
    check("int flag;\nstruct task_struct *sleeper;\nint r;\nP0(void) { WRITE_ONCE(sleeper, get_task_struct(current)); set_current_state(TASK_INTERRUPTIBLE); long left = schedule_timeout(10); WRITE_ONCE(r, left != 0); }\n\
        P1(void) { struct task_struct *t = READ_ONCE(sleeper); if (t) { wake_up_process(t); put_task_struct(t); } }\nexists (r=1)", "ok");
    // msleep() and the _interruptible form set the task state and return
    check("P0(void) { msleep(10); BUG_ON(current->__state != TASK_RUNNING); BUG_ON(schedule_timeout_interruptible(5) != 0); BUG_ON(msleep_interruptible(20) != 0); }\n", "ok");
    // sleeping with a spinlock held
    check("spinlock_t l;\nP0(void) { spin_lock(&l); msleep(1); spin_unlock(&l); }\n", "sleeping in atomic context");
}

#[test]
fn timed_waits_may_time_out() {
    let wq = "DECLARE_WAIT_QUEUE_HEAD(wq);\nint done;\n";
    // nobody sets the condition: wait_event_timeout() times out with 0
    check(&format!("{wq}P0(void) {{ long r = wait_event_timeout(wq, READ_ONCE(done), 10); BUG_ON(r != 0); }}\n"), "ok");
    // the waker: the wait returns >= 1 with the condition true, or 0
    check(&format!("{wq}P0(void) {{ long r = wait_event_timeout(wq, READ_ONCE(done), 10); BUG_ON(r && !READ_ONCE(done)); }}\nP1(void) {{ WRITE_ONCE(done, 1); wake_up(&wq); }}\n"), "ok");
    check(&format!("{wq}P0(void) {{ long r = wait_event_timeout(wq, READ_ONCE(done), 10); BUG_ON(!r); }}\nP1(void) {{ WRITE_ONCE(done, 1); wake_up(&wq); }}\n"), "BUG");
    // a signal ends the interruptible form
    check(&format!("{wq}struct task_struct *w;\nP0(void) {{ WRITE_ONCE(w, get_task_struct(current)); long r = wait_event_interruptible_timeout(wq, READ_ONCE(done), 10); BUG_ON(r == -ERESTARTSYS); }}\nP1(void) {{ struct task_struct *t = READ_ONCE(w); if (t) {{ send_sig(SIGINT, t, 0); put_task_struct(t); }} }}\n"), "BUG");
    // completions
    check("struct completion c;\nP0(void) { unsigned long r = wait_for_completion_timeout(&c, 10); BUG_ON(r && !completion_done(&c) && 0); }\nP1(void) { complete(&c); }\n", "ok");
    check("struct completion c;\nP0(void) { unsigned long r = wait_for_completion_timeout(&c, 10); BUG_ON(r == 0); }\nP1(void) { complete(&c); }\n", "BUG");
    check("struct completion c;\nint r;\nP0(void) { WRITE_ONCE(r, wait_for_completion_timeout(&c, 10)); }\nP1(void) { complete(&c); }\nexists (r=10)", "ok");
}

#[test]
fn wait_woken_handshake() {
    // the wait_woken() loop of kernel/sched/wait.c: no lost wake-up
    let body = "DECLARE_WAIT_QUEUE_HEAD(wq);\nint done;\n\
        P0(void) { DEFINE_WAIT_FUNC(wait, woken_wake_function); add_wait_queue(&wq, &wait); while (!READ_ONCE(done)) wait_woken(&wait, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT); remove_wait_queue(&wq, &wait); }\n\
        P1(void) { WRITE_ONCE(done, 1); wake_up(&wq); }\n";
    check(body, "ok");
}

#[test]
fn wake_up_bit_checks_the_queue_locklessly() {
    // wait_on_bit / clear_bit_unlock + smp_mb__after_atomic + wake_up_bit
    let ok = "unsigned long word = 1;\nP0(void) { wait_on_bit(&word, 0, TASK_UNINTERRUPTIBLE); }\nP1(void) { clear_bit_unlock(0, &word); smp_mb__after_atomic(); wake_up_bit(&word, 0); }\n";
    check(ok, "ok");
    let ok = "unsigned long word = 1;\nP0(void) { wait_on_bit(&word, 0, TASK_UNINTERRUPTIBLE); }\nP1(void) { clear_and_wake_up_bit(0, &word); }\n";
    check(ok, "ok");
    // wake_up_var() and wait_var_event()
    let ok = "int v;\nP0(void) { wait_var_event(&v, READ_ONCE(v)); }\nP1(void) { WRITE_ONCE(v, 1); smp_mb(); wake_up_var(&v); }\n";
    check(ok, "ok");
    // a wake-up of another bit wakes nobody
    let bad = "unsigned long word = 3;\nP0(void) { wait_on_bit(&word, 0, TASK_UNINTERRUPTIBLE); }\nP1(void) { clear_bit(1, &word); smp_mb__after_atomic(); wake_up_bit(&word, 1); clear_bit(0, &word); }\n";
    check(bad, "hang");
}

#[test]
fn read_lock_nested_in_read_lock_bh_passes_a_waiting_writer() {
    // queued_read_lock_slowpath(): in_interrupt() is true with bottom
    // halves disabled, so the nested reader passes the queued writer
    let body = "rwlock_t l;\nP0(void) { read_lock_bh(&l); read_lock(&l); read_unlock(&l); read_unlock_bh(&l); }\nP1(void) { write_lock_bh(&l); write_unlock_bh(&l); }\n";
    check(body, "ok");
    // without bottom halves disabled it is the recursive-read deadlock
    let body = "rwlock_t l;\nP0(void) { read_lock(&l); read_lock(&l); read_unlock(&l); read_unlock(&l); }\nP1(void) { write_lock(&l); write_unlock(&l); }\n";
    check(body, "deadlock");
}

#[test]
fn lockdep_read_usage_rules() {
    // the tasklist_lock rule: read-held in a hardirq, write-held elsewhere
    // with interrupts on: {IN-HARDIRQ-R} -> {HARDIRQ-ON-W}
    let body = "rwlock_t l;\nint x;\nP0(void) { write_lock(&l); WRITE_ONCE(x, 1); write_unlock(&l); }\nIRQ(1) void h(void) { read_lock(&l); READ_ONCE(x); read_unlock(&l); }\nP1(void) { WRITE_ONCE(x, 2); }\n";
    check(body, "inconsistent lock state");
    assert!(message(body).contains("inconsistent {IN-HARDIRQ-R} -> {HARDIRQ-ON-W} usage"), "{}", message(body));
    // the fix: write_lock_irq()
    let body = "rwlock_t l;\nint x;\nP0(void) { write_lock_irq(&l); WRITE_ONCE(x, 1); write_unlock_irq(&l); }\nIRQ(1) void h(void) { read_lock(&l); READ_ONCE(x); read_unlock(&l); }\nP1(void) { WRITE_ONCE(x, 2); }\n";
    check(body, "ok");
    // readers in a hardirq and readers with interrupts on are fine
    let body = "rwlock_t l;\nint x;\nP0(void) { read_lock(&l); READ_ONCE(x); read_unlock(&l); }\nIRQ(1) void h(void) { read_lock(&l); READ_ONCE(x); read_unlock(&l); }\nP1(void) { WRITE_ONCE(x, 2); }\n";
    check(body, "ok");
    // written in a hardirq, read with interrupts on: {IN-HARDIRQ-W} -> {HARDIRQ-ON-R}
    let body = "rwlock_t l;\nint x;\nP0(void) { read_lock(&l); READ_ONCE(x); read_unlock(&l); }\nIRQ(1) void h(void) { write_lock(&l); WRITE_ONCE(x, 1); write_unlock(&l); }\nP1(void) { WRITE_ONCE(x, 2); }\n";
    check(body, "inconsistent lock state");
    // write-held when interrupts are enabled (mark_held_locks)
    let body = "rwlock_t l;\nint x;\nP0(void) { local_irq_disable(); write_lock(&l); local_irq_enable(); WRITE_ONCE(x, 1); local_irq_disable(); write_unlock(&l); local_irq_enable(); }\nIRQ(1) void h(void) { read_lock(&l); READ_ONCE(x); read_unlock(&l); }\nP1(void) { WRITE_ONCE(x, 2); }\n";
    check(body, "inconsistent lock state");
}

#[test]
fn lockdep_assertions_on_every_path() {
    // the caller forgets the lock on one path
    let body = "spinlock_t l;\nint x, y;\nstatic void update(void) { lockdep_assert_held(&l); x++; }\n\
        P0(void) { spin_lock(&l); update(); spin_unlock(&l); if (READ_ONCE(y)) update(); }\nP1(void) { WRITE_ONCE(y, 1); }\n";
    check(body, "WARNING");
    assert!(
        message(body).contains("WARNING: `lockdep_assert_held(&l)` fails: CPU0 does not hold l"),
        "{}",
        message(body)
    );
    check("spinlock_t l;\nint x;\nstatic void update(void) { lockdep_assert_held(&l); x++; }\nP0(void) { spin_lock(&l); update(); spin_unlock(&l); }\n", "ok");
    // read and write forms, not-held
    check("rwlock_t l;\nP0(void) { read_lock(&l); lockdep_assert_held(&l); lockdep_assert_held_read(&l); read_unlock(&l); lockdep_assert_not_held(&l); }\n", "ok");
    check("rwlock_t l;\nP0(void) { read_lock(&l); lockdep_assert_held_write(&l); read_unlock(&l); }\n", "WARNING");
    check("struct mutex m;\nP0(void) { mutex_lock(&m); lockdep_assert_held(&m); mutex_unlock(&m); }\nP1(void) { lockdep_assert_not_held(&m); }\n", "ok");
    // held by another CPU is not held
    check(
        "spinlock_t l;\nP0(void) { spin_lock(&l); spin_unlock(&l); }\nP1(void) { lockdep_assert_held(&l); }\n",
        "WARNING",
    );
    // interrupt state
    check("P0(void) { unsigned long f; local_irq_save(f); lockdep_assert_irqs_disabled(); local_irq_restore(f); lockdep_assert_irqs_enabled(); }\n", "ok");
    check("P0(void) { lockdep_assert_irqs_disabled(); }\n", "WARNING");
    check("int x;\nP0(void) { WRITE_ONCE(x, 1); }\nIRQ(0) void h(void) { lockdep_assert_irqs_disabled(); lockdep_assert_in_irq(); }\n", "ok");
}

#[test]
fn might_sleep_in_atomic_context() {
    check("spinlock_t l;\nstatic void alloc_buf(void) { might_sleep(); }\nP0(void) { alloc_buf(); spin_lock(&l); alloc_buf(); spin_unlock(&l); }\n", "sleeping in atomic context");
    assert!(message("P0(void) { rcu_read_lock(); might_sleep(); rcu_read_unlock(); }\n")
        .starts_with("BUG: sleeping function called from invalid context: `might_sleep()` on CPU0 inside an RCU"));
    check(
        "P0(void) { might_sleep(); might_sleep_if(0); local_irq_disable(); might_sleep_if(0); local_irq_enable(); }\n",
        "ok",
    );
}

#[test]
fn kcsan_exclusive_assertions() {
    // only the updater writes: ASSERT_EXCLUSIVE_WRITER holds
    let ok = "spinlock_t l;\nint stat;\nP0(void) { spin_lock(&l); ASSERT_EXCLUSIVE_WRITER(stat); WRITE_ONCE(stat, stat + 1); spin_unlock(&l); }\nP1(void) { int r = READ_ONCE(stat); }\n";
    check(ok, "ok");
    // a second, unlocked writer breaks it, even with marked accesses
    let bad = "spinlock_t l;\nint stat;\nP0(void) { spin_lock(&l); ASSERT_EXCLUSIVE_WRITER(stat); WRITE_ONCE(stat, 1); spin_unlock(&l); }\nP1(void) { WRITE_ONCE(stat, 2); }\n";
    check(bad, "data race");
    // ASSERT_EXCLUSIVE_ACCESS: no concurrent reader either
    let bad = "int obj;\nP0(void) { ASSERT_EXCLUSIVE_ACCESS(obj); }\nP1(void) { int r = READ_ONCE(obj); }\n";
    check(bad, "data race");
}

#[test]
fn polling_loops_are_waits() {
    // a polling loop while holding the lock the other side needs
    let body = "int done; spinlock_t l;\nP0(void) { spin_lock(&l); while (!READ_ONCE(done)) cpu_relax(); spin_unlock(&l); }\nP1(void) { spin_lock(&l); WRITE_ONCE(done, 1); spin_unlock(&l); }\n";
    check(body, "deadlock");
    assert!(
        message(body).contains("CPU0 polls in a loop (`READ_ONCE(done)`) that nothing will end"),
        "{}",
        message(body)
    );
    // a del_timer_sync()-style retry loop, several steps per iteration
    let body = "int running = 1; spinlock_t base_lock; spinlock_t l;\n\
        static int try_to_del(void) { int ret = -1; spin_lock(&base_lock); if (!READ_ONCE(running)) ret = 1; spin_unlock(&base_lock); return ret; }\n\
        P0(void) { spin_lock(&l); for (;;) { if (try_to_del() >= 0) break; cpu_relax(); } spin_unlock(&l); }\n\
        P1(void) { spin_lock(&l); spin_unlock(&l); WRITE_ONCE(running, 0); }\n";
    check(body, "deadlock");
    // the fix: the other side does not need the lock
    let body = "int running = 1; spinlock_t base_lock; spinlock_t l;\n\
        static int try_to_del(void) { int ret = -1; spin_lock(&base_lock); if (!READ_ONCE(running)) ret = 1; spin_unlock(&base_lock); return ret; }\n\
        P0(void) { spin_lock(&l); for (;;) { if (try_to_del() >= 0) break; cpu_relax(); } spin_unlock(&l); }\n\
        P1(void) { WRITE_ONCE(running, 0); spin_lock(&l); spin_unlock(&l); }\n";
    check(body, "ok");
    // a lone polling loop on a flag nobody sets: a hang
    check("int flag;\nP0(void) { while (!READ_ONCE(flag)) cpu_relax(); }\n", "hang");
    check(
        "int flag;\nP0(void) { int v = smp_cond_load_acquire(&flag, VAL != 0); }\nP1(void) { WRITE_ONCE(flag, 2); }\n",
        "ok",
    );
    check(
        "int flag;\nP0(void) { int v = smp_cond_load_acquire(&flag, VAL == 3); }\nP1(void) { WRITE_ONCE(flag, 2); }\n",
        "hang",
    );
    // two CPUs waiting for each other's flags
    check("int a, b;\nP0(void) { while (!READ_ONCE(b)) cpu_relax(); WRITE_ONCE(a, 1); }\nP1(void) { while (!READ_ONCE(a)) cpu_relax(); WRITE_ONCE(b, 1); }\n", "hang");
    // a polling loop that does end
    check("int flag;\nP0(void) { while (!READ_ONCE(flag)) cpu_relax(); }\nP1(void) { WRITE_ONCE(flag, 1); }\n", "ok");
}

#[test]
fn sparse_lock_annotations_are_checked() {
    let body = "spinlock_t l;\nint x, y;\nstatic void update(void) __must_hold(&l) { x++; }\n\
        P0(void) { spin_lock(&l); update(); spin_unlock(&l); if (READ_ONCE(y)) update(); }\nP1(void) { WRITE_ONCE(y, 1); }\n";
    check(body, "WARNING");
    assert!(
        message(body).contains("`__must_hold(&l) at the entry of update()` fails: CPU0 does not hold l"),
        "{}",
        message(body)
    );
    // __acquires / __releases through a parameter; RCU contexts are not locks
    let body = "struct dev { spinlock_t lock; int v; };\nstruct dev d;\n\
        static void grab(struct dev *p) __acquires(&p->lock) { spin_lock(&p->lock); }\n\
        static void drop(struct dev *p) __releases(&p->lock) { spin_unlock(&p->lock); }\n\
        static void rd(void) __acquires(RCU) { rcu_read_lock(); }\nstatic void rd_end(void) __releases(RCU) { rcu_read_unlock(); }\n\
        P0(void) { grab(&d); d.v = 1; drop(&d); rd(); rd_end(); }\n";
    check(body, "ok");
    // a function that says it acquires but does not
    let body = "spinlock_t l;\nint y;\nstatic void grab(void) __acquires(&l) { if (READ_ONCE(y)) spin_lock(&l); }\nP0(void) { grab(); }\nP1(void) { WRITE_ONCE(y, 1); }\n";
    check(body, "WARNING, lock misuse");
}

#[test]
fn an_interrupt_sees_the_interrupted_tasks_locks() {
    // lockdep's held locks are the task's: a hardirq on top of the holder
    // passes lockdep_assert_held()
    check("spinlock_t l;\nint x;\nP0(void) { spin_lock(&l); WRITE_ONCE(x, 1); spin_unlock(&l); }\nIRQ(0) void h(void) { if (spin_is_locked(&l)) lockdep_assert_held(&l); }\n", "ok");
    check("spinlock_t l;\nint x;\nP0(void) { spin_lock(&l); WRITE_ONCE(x, 1); spin_unlock(&l); }\nP1(void) { if (spin_is_locked(&l)) lockdep_assert_held(&l); }\n", "WARNING");
}

#[test]
fn lockdep_recursive_read_dependencies() {
    // a -(ER)-> b and b -(SN)-> a: b is only read-held on both sides and
    // the reader taking it under a is recursive (bottom halves off:
    // in_interrupt()), so nobody waits for the other; lockdep's cycle is
    // not strong (-(*R)-> -(S*)-> at b) and there is no report
    let body = "spinlock_t a; rwlock_t b;\nP0(void) { spin_lock_bh(&a); read_lock(&b); read_unlock(&b); spin_unlock_bh(&a); }\nP1(void) { read_lock_bh(&b); spin_lock(&a); spin_unlock(&a); read_unlock_bh(&b); }\n";
    check(body, "ok");
    // the same with a task-context (non-recursive, queued) reader under a:
    // a waiting writer would block it, so lockdep reports the cycle
    let body = "spinlock_t a; rwlock_t b;\nP0(void) { spin_lock(&a); read_lock(&b); read_unlock(&b); spin_unlock(&a); }\nP1(void) { read_lock(&b); spin_lock(&a); spin_unlock(&a); read_unlock(&b); }\n";
    check(body, "lock-order inversion");
    // b write-held on the other side: -(ER)-> -(EN)-> is strong, and the
    // schedule that deadlocks exists
    let body = "spinlock_t a; rwlock_t b;\nP0(void) { spin_lock_bh(&a); read_lock(&b); read_unlock(&b); spin_unlock_bh(&a); }\nP1(void) { write_lock_bh(&b); spin_lock(&a); spin_unlock(&a); write_unlock_bh(&b); }\n";
    check(body, "deadlock, lock-order inversion");
    // two rwsem readers in opposite orders: -(SN)-> both ways is strong
    // (down_read() is never recursive: a queued writer blocks it)
    let body = "struct rw_semaphore a, b;\nP0(void) { down_read(&a); down_read(&b); up_read(&b); up_read(&a); }\nP1(void) { down_read(&b); down_read(&a); up_read(&a); up_read(&b); }\n";
    check(body, "lock-order inversion");
}

#[test]
fn jiffies_advance() {
    // a deadline polled with time_after() passes: no false hang
    check("int done;\nP0(void) { unsigned long timeout = jiffies + HZ; while (!READ_ONCE(done)) { if (time_after(jiffies, timeout)) break; cpu_relax(); } }\n", "ok");
    // and the loop does end by the deadline on some path, with done never set
    let body = "int done; int late;\nP0(void) { unsigned long timeout = jiffies + HZ; while (!READ_ONCE(done)) { if (time_after(jiffies, timeout)) { WRITE_ONCE(late, 1); break; } cpu_relax(); } }\nexists (late=1)\n";
    check(body, "ok");
    // a timed-out sleep moved jiffies past a deadline set before it
    check("P0(void) { unsigned long t = jiffies + 10; msleep(100); BUG_ON(time_before(jiffies, t)); }\n", "ok");
    check("P0(void) { unsigned long t = jiffies + 10; schedule_timeout_uninterruptible(20); BUG_ON(time_before(jiffies, t)); }\n", "ok");
    // without a sleep or a tick, no time passes
    check(
        "P0(void) { local_irq_disable(); unsigned long t = jiffies; BUG_ON(jiffies != t); local_irq_enable(); }\n",
        "ok",
    );
    // jiffies is read with a marked load: the tick's update is no data race
    check("P0(void) { unsigned long a = jiffies; unsigned long b = jiffies; BUG_ON(time_before(b, a)); }\nP1(void) { unsigned long c = jiffies; }\n", "ok");
}

#[test]
fn pollers_waiting_on_each_other() {
    // two polling loops, each waiting for the other's store, while a third
    // CPU sleeps for ever: a deadlock (with nobody blocked it is a hang,
    // see polling_loops_are_waits)
    check("int a; int b; DECLARE_COMPLETION(c);\nP0(void) { while (!READ_ONCE(a)) cpu_relax(); WRITE_ONCE(b, 1); }\nP1(void) { while (!READ_ONCE(b)) cpu_relax(); WRITE_ONCE(a, 1); complete(&c); }\nP2(void) { wait_for_completion(&c); }\n", "deadlock");
    // loops of several steps each (no single move returns to the same
    // state), waiting for each other: a hang that used to be missed
    check("int a; int b; int z;\nP0(void) { while (!READ_ONCE(a) && !READ_ONCE(z)) cpu_relax(); WRITE_ONCE(b, 1); }\nP1(void) { while (!READ_ONCE(b) && !READ_ONCE(z)) cpu_relax(); WRITE_ONCE(a, 1); }\n", "hang");
    // one of them stores first: both end
    check("int a; int b;\nP0(void) { WRITE_ONCE(b, 1); while (!READ_ONCE(a)) cpu_relax(); }\nP1(void) { while (!READ_ONCE(b)) cpu_relax(); WRITE_ONCE(a, 1); }\n", "ok");
    // a poller whose loop changes memory another poller reads is not stuck
    check("int a; int b; int c;\nP0(void) { while (!READ_ONCE(a)) { WRITE_ONCE(c, 1); WRITE_ONCE(c, 0); } }\nP1(void) { while (!READ_ONCE(c)) cpu_relax(); WRITE_ONCE(a, 1); }\n", "ok");
}

/// in_interrupt() and the other context macros of include/linux/preempt.h,
/// read from the running context (exact verdicts and state counts,
/// reduced and unreduced).
#[test]
fn execution_context_macros() {
    let ctx = |header: &str, body: &str| {
        let r = common::run_with(header, body);
        assert!(r.complete);
        format!("{} {} {}/{}", r.kinds, r.outcomes, r.states, r.full_states)
    };
    let mut got = Vec::new();
    // a task: in_task(), preemptible; local_bh_disable() makes in_softirq()
    // and in_interrupt() true (SOFTIRQ_DISABLE_OFFSET) but not
    // in_serving_softirq(); a spinlock or preempt_disable() makes it atomic
    let task = "spinlock_t l;\nint x;\nP0(void) {\n\
        BUG_ON(!in_task() || in_interrupt() || in_softirq() || in_hardirq() || in_irq() || in_nmi() || in_atomic() || !preemptible());\n\
        local_bh_disable(); BUG_ON(in_softirq() != 0x200 || in_interrupt() != 0x200 || in_serving_softirq() || !in_task() || !in_atomic()); local_bh_enable();\n\
        spin_lock(&l); BUG_ON(!in_atomic() || preemptible() || in_interrupt()); spin_unlock(&l);\n\
        spin_lock_bh(&l); BUG_ON(in_softirq() != 0x200 || !in_atomic()); spin_unlock_bh(&l);\n\
        preempt_disable(); BUG_ON(!in_atomic() || preemptible()); preempt_enable();\n\
        local_irq_disable(); BUG_ON(in_atomic() || preemptible()); local_irq_enable();\n\
        BUG_ON(in_atomic() || !preemptible()); WRITE_ONCE(x, 1); }\n";
    got.push(ctx("", task));
    // a softirq handler sees in_softirq() and in_serving_softirq()
    // (SOFTIRQ_OFFSET), a hardirq handler in_hardirq(); neither is in_task()
    let handlers = "int x;\nP0(void) { WRITE_ONCE(x, 1); }\n\
        SOFTIRQ(0) void s(void) { BUG_ON(in_softirq() != 0x100 || in_serving_softirq() != 0x100 || in_interrupt() != 0x100 || in_task() || in_hardirq() || !in_atomic() || preemptible()); }\n\
        IRQ(0) void h(void) { BUG_ON(in_hardirq() != 0x10000 || !in_irq() || in_task() || !in_interrupt() || preemptible()); }\n";
    got.push(ctx("", handlers));
    // a hardirq that interrupts a softirq: both bits (in some schedule)
    let nested = "int x;\nP0(void) { WRITE_ONCE(x, 1); }\n\
        SOFTIRQ(0) void s(void) { WRITE_ONCE(x, 2); WRITE_ONCE(x, 3); }\n\
        IRQ(0) void h(void) { BUG_ON(in_interrupt() == 0x10100); }\n";
    got.push(ctx("", nested));
    // WARN_ON(in_interrupt()) in a helper called from both contexts fires
    // only in the softirq
    let both = "int x;\nstatic void note(void) { WARN_ON(in_interrupt()); }\n\
        P0(void) { note(); WRITE_ONCE(x, 1); }\nSOFTIRQ(0) void s(void) { note(); }\n";
    got.push(ctx("", both));
    assert!(common::message(both).contains("WARN_ON(in_interrupt())"));
    got.push(ctx(
        "",
        "int x;\nstatic void note(void) { WARN_ON(in_interrupt()); }\nP0(void) { note(); WRITE_ONCE(x, 1); }\n",
    ));
    // timer callbacks run in softirq context, work items in a kworker's
    // task context (preemptible with Preempt=yes too)
    let deferred = "int x;\nstruct timer_list t;\nstruct work_struct w;\n\
        static void tf(struct timer_list *t) { BUG_ON(!in_serving_softirq() || in_task()); WRITE_ONCE(x, 1); }\n\
        static void wf(struct work_struct *w) { BUG_ON(!in_task() || in_interrupt() || !preemptible()); }\n\
        P0(void) { timer_setup(&t, tf, 0); INIT_WORK(&w, wf); mod_timer(&t, jiffies + 1); schedule_work(&w); }\n";
    got.push(ctx("", deferred));
    got.push(ctx("Preempt=yes\n", deferred));
    common::expect(
        &got.join("\n"),
        "ok 1 14/14\nok 1 18/18\nBUG 1 27/27\nWARNING 1 6/6\nok 1 2/2\nok 1 434/434\nok 1 836/836",
    );
}

/// A marked store converts its value to the location's type, as an
/// assignment does: WRITE_ONCE() of 65536 to a u16 field stores 0.
#[test]
fn marked_stores_convert_to_the_location_type() {
    for store in [
        "WRITE_ONCE(p->h, x + 1)",
        "smp_store_release(&p->h, x + 1)",
        "smp_store_mb(p->h, x + 1)",
        "WRITE_ONCE(*q, x + 1)",
        "p->h = x + 1",
    ] {
        let body = format!(
            "struct st {{ int a; unsigned short h; }};\nstruct st s = {{ .h = 65535 }};\n\
             P0(void) {{ struct st *p = &s; unsigned short *q = &s.h; unsigned int x = 65535; {store}; BUG_ON(READ_ONCE(s.h) != 0); }}\n"
        );
        check(&body, "ok");
    }
    check("s8 c;\nP0(void) { int v = 200; WRITE_ONCE(c, v); BUG_ON(READ_ONCE(c) != -56); }\n", "ok");
}

/// The context macros under the LKMM: answered from the path's own
/// context (crates/axiom/src/gen/thread/context.rs), with the explorer's
/// verdict: WARN_ON(in_interrupt()) in a helper fires only when a
/// softirq calls it (more cases: axiom's lkmm_checks.rs).
#[test]
fn context_macros_under_the_lkmm() {
    let lkmm = |body: &str| {
        let prog = kvet_ir::compile(&format!("C t\n{{}}\n{body}")).expect("compiles");
        let model = kvet_axiom::native::NativeLkmm::new().allowed_only();
        let opts = kvet_axiom::gen::GenOptions { deadlocks: true, kernel: true, ..Default::default() };
        let r = kvet_axiom::gen::run(&prog, &model, &opts).expect("checked");
        let mut k: Vec<&str> = r.findings.iter().map(|f| f.kind.name()).collect();
        k.dedup();
        format!("{k:?} {}", r.pos + r.neg)
    };
    let task = "int x;\nstatic void note(void) { WARN_ON(in_interrupt()); }\nP0(void) { note(); WRITE_ONCE(x, 1); }\n";
    let both = format!("{task}SOFTIRQ(0) void s(void) {{ note(); }}\n");
    assert_eq!(lkmm(task), "[] 1");
    assert_eq!(lkmm(&both), "[\"warning\"] 3");
}
