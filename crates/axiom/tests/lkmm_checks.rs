//! BUG_ON/assert in a litmus test do not change what the LKMM allows: a
//! task that would die inside an RCU read-side section keeps the RCU
//! guarantee in LKMM mode (the explorer reports the BUG itself).

use kvet_axiom::gen::{run, GenOptions};
use kvet_axiom::native::NativeLkmm;

#[test]
fn bug_on_inside_rcu_reader_keeps_the_guarantee() {
    let src = "C rcu-bug\n{ int x = 1; int *gp = &x; int y = 1; }\n\
P0(void) { int *p; int r0; rcu_read_lock(); p = rcu_dereference(gp); r0 = READ_ONCE(*p); BUG_ON(r0 == 0); rcu_read_unlock(); }\n\
P1(void) { rcu_assign_pointer(gp, &y); synchronize_rcu(); WRITE_ONCE(x, 0); }\n\
exists (0:r0=0)\n";
    let prog = kvet_ir::compile(src).expect("compiles");
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &GenOptions::default()).expect("decided");
    assert_eq!((r.pos, r.flags.len()), (0, 0), "{:?}", r.flags);
}

/// The deadlock pass: an AB-BA pair is found, ordered locking is not,
/// and neither changes herd's counts.
#[test]
fn deadlock_pass() {
    let abba = "C abba\n{}\n\
P0(spinlock_t *a, spinlock_t *b) { spin_lock(a); spin_lock(b); spin_unlock(b); spin_unlock(a); }\n\
P1(spinlock_t *a, spinlock_t *b) { spin_lock(b); spin_lock(a); spin_unlock(a); spin_unlock(b); }\n\
exists (0:r0=0)\n";
    let ordered = abba.replace(
        "spin_lock(b); spin_lock(a); spin_unlock(a); spin_unlock(b);",
        "spin_lock(a); spin_lock(b); spin_unlock(b); spin_unlock(a);",
    );
    let m = NativeLkmm::new().allowed_only();
    let on = GenOptions { deadlocks: true, ..Default::default() };
    for (src, want) in [
        (abba, vec!["CPU0 waits for b (held by CPU1), CPU1 waits for a (held by CPU0)".to_string()]),
        (ordered.as_str(), vec![]),
    ] {
        let prog = kvet_ir::compile(src).expect("compiles");
        let with = run(&prog, &m, &on).expect("decided");
        let without = run(&prog, &m, &GenOptions::default()).expect("decided");
        assert_eq!(with.deadlocks, want);
        assert!(without.deadlocks.is_empty());
        assert_eq!((with.pos, with.neg, with.outcomes), (without.pos, without.neg, without.outcomes));
    }
}

/// The kinds of finding `kvet check --model lkmm` gives, with the number
/// of executions explored.
fn check_kinds(src: &str) -> (Vec<&'static str>, u64) {
    let prog = kvet_ir::compile(src).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts).expect("decided");
    assert!(!r.deadlocks_partial && !r.toofar, "complete");
    let mut k: Vec<&'static str> = r.findings.iter().map(|f| f.kind.name()).collect();
    k.sort_unstable();
    k.dedup();
    (k, r.pos + r.neg)
}

/// kzalloc() then publication: with WRITE_ONCE only the reader may see
/// the pointer but not the initialisation (weak memory only: SC cannot
/// fail), with rcu_assign_pointer() it may not.
#[test]
fn kzalloc_publication_needs_release() {
    let bad = "C kz\n{}\nstruct obj { int key; };\nstruct obj *table;\n\
P0(void) { struct obj *p; p = kzalloc(sizeof(*p), GFP_KERNEL); WRITE_ONCE(p->key, 1); WRITE_ONCE(table, p); }\n\
P1(void) { struct obj *p; p = READ_ONCE(table); if (p) BUG_ON(READ_ONCE(p->key) != 1); }\n";
    let good = bad.replace("WRITE_ONCE(table, p)", "rcu_assign_pointer(table, p)");
    assert_eq!(check_kinds(bad).0, vec!["BUG"]);
    assert_eq!(check_kinds(&good).0, Vec::<&str>::new());
}

/// A freed slot comes back to the next allocation: kzalloc() zeroes it
/// (plain stores over the poison), so the new owner reads no freed
/// memory; the kmem_cache's descriptor is a constant.  One thread, one
/// path: exactly one execution (known issue: the value fixpoint's round
/// bound counts only complete paths, so in check mode it stops before the
/// second allocation and this gives 0 executions).
#[test]
fn freed_slot_is_reused() {
    let src = "C reuse\n{}\nstruct obj { atomic_t ref; int key; };\nstruct kmem_cache *cache;\n\
P0(void) { struct obj *p, *q; int r0; cache = kmem_cache_create(\"c\", sizeof(struct obj), 0, 0, NULL);\n\
p = kmem_cache_zalloc(cache, GFP_KERNEL); atomic_set(&p->ref, 1); WRITE_ONCE(p->key, 1);\n\
if (atomic_dec_and_test(&p->ref)) kmem_cache_free(cache, p);\n\
q = kmem_cache_zalloc(cache, GFP_KERNEL); r0 = READ_ONCE(q->key); BUG_ON(r0 != 0); }\n";
    assert_eq!(check_kinds(src), (vec![], 1));
}

/// A reader of the old pointer after the free reads the poison: a
/// use-after-free, also when the slot is handed out again.
#[test]
fn read_after_free_of_a_slot() {
    let src = "C uaf\n{}\nstruct obj { int key; };\nstruct obj *table;\n\
P0(void) { struct obj *p; p = kzalloc(sizeof(*p), GFP_KERNEL); WRITE_ONCE(p->key, 1); rcu_assign_pointer(table, p);\n\
synchronize_rcu(); kfree(p); p = kzalloc(sizeof(*p), GFP_KERNEL); WRITE_ONCE(p->key, 2); }\n\
P1(void) { struct obj *p; int r0; p = rcu_dereference(table); if (p) r0 = READ_ONCE(p->key); }\n";
    assert_eq!(check_kinds(src).0, vec!["use-after-free"]);
    // inside an RCU reader (and the pointer cleared before the grace
    // period) nothing reads freed memory
    let ok = src.replace("synchronize_rcu();", "WRITE_ONCE(table, NULL); synchronize_rcu();").replace(
        "p = rcu_dereference(table); if (p) r0 = READ_ONCE(p->key);",
        "rcu_read_lock(); p = rcu_dereference(table); if (p) r0 = READ_ONCE(p->key); rcu_read_unlock();",
    );
    assert_eq!(check_kinds(&ok).0, Vec::<&str>::new());
}

/// An access that happens-before does not order before the free of its
/// object is a use after free even when it reads no freed memory (issue
/// 8): P1's plain store races with kfree()'s poison, which is reported
/// as the use-after-free (linux-kernel.cat's race rule, flagged
/// `free-race`), not as a data race.  Unpublished and waited for with a
/// grace period, nothing is reported.
#[test]
fn store_racing_with_the_free_is_a_use_after_free() {
    let src = "C uaf-store\n{}\nstruct obj { int key; };\nstruct obj *table;\n\
P0(void) { struct obj *p; p = kzalloc(sizeof(*p), GFP_KERNEL); rcu_assign_pointer(table, p); kfree(p); }\n\
P1(void) { struct obj *p; p = rcu_dereference(table); if (p) p->key = 2; }\n";
    assert_eq!(check_kinds(src).0, vec!["use-after-free"]);
    // located at the racing access, as the explorer's finding is
    let prog = kvet_ir::compile(src).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts).expect("decided");
    let f = &r.findings[0];
    let text = &prog.threads[f.cpu as usize].body.steps[f.pc as usize].text;
    assert_eq!((f.cpu, text.as_str()), (1, "p->key = 2"), "{}", f.message);
    assert!(f.message.contains("CPU0's `kfree(p)`"), "{}", f.message);
    let ok = src.replace("kfree(p);", "WRITE_ONCE(table, NULL); synchronize_rcu(); kfree(p);").replace(
        "p = rcu_dereference(table); if (p) p->key = 2;",
        "rcu_read_lock(); p = rcu_dereference(table); if (p) p->key = 2; rcu_read_unlock();",
    );
    assert_eq!(check_kinds(&ok).0, Vec::<&str>::new());
}

/// The run of `check_kinds` without its completeness assertion: the
/// kinds found and whether the check stopped at a cut path.
fn check_kinds_cut(src: &str) -> (Vec<&'static str>, bool) {
    let prog = kvet_ir::compile(src).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts).expect("decided");
    let mut k: Vec<&'static str> = r.findings.iter().map(|f| f.kind.name()).collect();
    k.sort_unstable();
    k.dedup();
    (k, r.toofar)
}

/// A SLAB_TYPESAFE_BY_RCU object keeps its contents when freed (no
/// poison): an RCU reader that still holds it reads the old key, never a
/// use after free, even with no grace period before the free.  Outside a
/// read-side section the access reads the slot's status first; reading
/// it freed is not decided (the reader may be causally after a reuse that
/// the LKMM does not order before it), so the check is incomplete, never
/// "ok" and never a false use-after-free.  A normal cache's free is a use
/// after free for the same reader.
#[test]
fn typesafe_by_rcu_object_keeps_its_contents() {
    let src = "C typesafe\n{}\nstruct obj { int key; };\nstruct kmem_cache *cache;\nstruct obj *table;\n\
P0(void) { struct obj *p; cache = kmem_cache_create(\"c\", sizeof(struct obj), 0, SLAB_TYPESAFE_BY_RCU, NULL);\n\
p = kmem_cache_zalloc(cache, GFP_KERNEL); WRITE_ONCE(p->key, 1); rcu_assign_pointer(table, p);\n\
WRITE_ONCE(table, NULL); kmem_cache_free(cache, p); }\n\
P1(void) { struct obj *p; int r0; rcu_read_lock(); p = rcu_dereference(table); if (p) { r0 = READ_ONCE(p->key); BUG_ON(r0 != 1); } rcu_read_unlock(); }\n";
    assert_eq!(check_kinds(src).0, Vec::<&str>::new());
    let normal = src.replace("SLAB_TYPESAFE_BY_RCU", "0");
    assert_eq!(check_kinds(&normal).0, vec!["use-after-free"]);
    let outside = src.replace("rcu_read_lock();", "").replace("rcu_read_unlock();", "");
    assert_eq!(check_kinds_cut(&outside), (vec![], true));
}

/// The new user of a reused SLAB_TYPESAFE_BY_RCU object must initialise
/// it before it sets the refcount, with release ordering
/// (include/linux/slab.h, refcount_set_release()): with a plain
/// atomic_set() first, a reader whose atomic_inc_not_zero() sees the new
/// refcount may still read the old key (weak memory only; SC cannot).
#[test]
fn typesafe_by_rcu_refcount_needs_release() {
    let src = "C typesafe-ref\n{}\nstruct obj { atomic_t ref; int key; };\nstruct kmem_cache *cache;\nstruct obj *table;\n\
P0(void) { struct obj *p, *q; cache = kmem_cache_create(\"c\", sizeof(struct obj), 0, SLAB_TYPESAFE_BY_RCU, NULL);\n\
p = kmem_cache_zalloc(cache, GFP_KERNEL); WRITE_ONCE(p->key, 1); atomic_set_release(&p->ref, 1); rcu_assign_pointer(table, p);\n\
WRITE_ONCE(table, NULL); if (atomic_dec_and_test(&p->ref)) kmem_cache_free(cache, p);\n\
q = kmem_cache_zalloc(cache, GFP_KERNEL); atomic_set(&q->ref, 1); WRITE_ONCE(q->key, 2); }\n\
P1(void) { struct obj *p; int r0; rcu_read_lock(); p = rcu_dereference(table);\n\
if (p && atomic_inc_not_zero(&p->ref)) { r0 = READ_ONCE(p->key); if (r0 == 1) BUG_ON(READ_ONCE(p->key) != 1); }\n\
rcu_read_unlock(); }\n";
    assert_eq!(check_kinds(src).0, vec!["BUG"]);
    let fixed = src.replace(
        "atomic_set(&q->ref, 1); WRITE_ONCE(q->key, 2);",
        "WRITE_ONCE(q->key, 2); atomic_set_release(&q->ref, 1);",
    );
    assert_eq!(check_kinds(&fixed).0, Vec::<&str>::new());
}

/// kfree_rcu() as its thread's last action: a grace period starts at the
/// call and the free follows it.  A reader inside its read-side section
/// that found the object reads it safely; the same read after
/// rcu_read_unlock(), or an object never unpublished, is a use after
/// free.  Before further accesses of the thread it is refused (a grace
/// period in po would order them after it).
#[test]
fn kfree_rcu_as_the_last_action() {
    let src = "C kfree-rcu\n{}\nstruct obj { int key; struct rcu_head rcu; };\nstruct obj *table;\n\
P0(void) { struct obj *p; p = kzalloc(sizeof(*p), GFP_KERNEL); WRITE_ONCE(p->key, 1); rcu_assign_pointer(table, p);\n\
WRITE_ONCE(table, NULL); kfree_rcu(p, rcu); }\n\
P1(void) { struct obj *p; int r0; rcu_read_lock(); p = rcu_dereference(table); if (p) { r0 = READ_ONCE(p->key); BUG_ON(r0 != 1); } rcu_read_unlock(); }\n";
    assert_eq!(check_kinds(src).0, Vec::<&str>::new());
    let late = src.replace("rcu_read_unlock(); }", "rcu_read_unlock(); if (p) r0 = READ_ONCE(p->key); }");
    assert_eq!(check_kinds(&late).0, vec!["use-after-free"]);
    let mid = src.replace("kfree_rcu(p, rcu); }", "kfree_rcu(p, rcu); WRITE_ONCE(table, NULL); }");
    let prog = kvet_ir::compile(&mid).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    assert!(run(&prog, &NativeLkmm::new().allowed_only(), &opts).is_err(), "refused");
}

/// call_rcu() as its thread's last action: a grace period starts at the
/// call, then the callback runs on the caller's CPU (softirq) with the
/// rcu_head.  Its kfree() is then safe for a reader inside its section,
/// a use after free for a read after rcu_read_unlock(); before further
/// accesses of the thread, call_rcu() is refused.
#[test]
fn call_rcu_as_the_last_action() {
    let src = "C call-rcu\n{}\nstruct obj { int key; struct rcu_head rcu; };\nstruct obj *table;\n\
void obj_free_rcu(struct rcu_head *head) { struct obj *p = container_of(head, struct obj, rcu); kfree(p); }\n\
P0(void) { struct obj *p; p = kzalloc(sizeof(*p), GFP_KERNEL); WRITE_ONCE(p->key, 1); rcu_assign_pointer(table, p);\n\
WRITE_ONCE(table, NULL); call_rcu(&p->rcu, obj_free_rcu); }\n\
P1(void) { struct obj *p; int r0; rcu_read_lock(); p = rcu_dereference(table); if (p) { r0 = READ_ONCE(p->key); BUG_ON(r0 != 1); } rcu_read_unlock(); }\n";
    assert_eq!(check_kinds(src).0, Vec::<&str>::new());
    let late = src.replace("rcu_read_unlock(); }", "rcu_read_unlock(); if (p) r0 = READ_ONCE(p->key); }");
    assert_eq!(check_kinds(&late).0, vec!["use-after-free"]);
    let mid = src.replace("obj_free_rcu); }", "obj_free_rcu); WRITE_ONCE(table, NULL); }");
    let prog = kvet_ir::compile(&mid).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    assert!(run(&prog, &NativeLkmm::new().allowed_only(), &opts).is_err(), "refused");
}

/// preempt_disable()/preempt_enable() are barrier() with preemption off:
/// store buffering stays allowed.
#[test]
fn preempt_disable_is_a_compiler_barrier() {
    let src = "C sb-preempt\n{}\n\
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); preempt_disable(); r0 = READ_ONCE(*y); preempt_enable(); }\n\
P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); preempt_disable(); r0 = READ_ONCE(*x); preempt_enable(); }\n\
exists (0:r0=0 /\\ 1:r0=0)\n";
    let prog = kvet_ir::compile(src).expect("compiles");
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &GenOptions::default()).expect("decided");
    assert_eq!((r.pos, r.neg), (1, 3));
}

/// The value fixpoint of check mode runs until it is provably complete:
/// here the first round's complete paths hold one write in all (the old
/// round bound, 2 + 1, stopped with `d` never 1), but a ping-pong of six
/// writes reaches the BUG (SC reaches it too).
#[test]
fn value_fixpoint_is_complete_past_the_first_rounds_paths() {
    let src = "C ping-pong\n{}\n\
P0(int *a, int *b, int *c, int *d, int *e, int *f) { int r0; int r1; int r2; WRITE_ONCE(*a, 1);\n\
r0 = READ_ONCE(*b); if (r0 == 1) WRITE_ONCE(*c, 1); r1 = READ_ONCE(*d); if (r1 == 1) WRITE_ONCE(*e, 1);\n\
r2 = READ_ONCE(*f); BUG_ON(r2 == 1); }\n\
P1(int *a, int *b, int *c, int *d, int *e, int *f) { int r0; int r1; int r2;\n\
r0 = READ_ONCE(*a); if (r0 == 1) WRITE_ONCE(*b, 1); r1 = READ_ONCE(*c); if (r1 == 1) WRITE_ONCE(*d, 1);\n\
r2 = READ_ONCE(*e); if (r2 == 1) WRITE_ONCE(*f, 1); }\n";
    assert_eq!(check_kinds(src).0, vec!["BUG"]);
}

/// An idle kworker asleep in its pool loop's schedule() is done, not
/// hung (as the SC explorer counts it): before, every path of the
/// kworker ended in that sleep, reported as a hang, and no execution
/// had the kworker finish.
#[test]
fn idle_kworker_is_not_a_hang() {
    let src = "C idle-kworker\n{}\nint x;\nstruct work_struct w;\n\
static void fn(struct work_struct *work) { WRITE_ONCE(x, 1); }\n\
P0(void) { INIT_WORK(&w, fn); WRITE_ONCE(x, 2); }\n";
    let (kinds, n) = check_kinds(src);
    assert_eq!(kinds, Vec::<&str>::new());
    assert!(n > 0, "some execution has the kworker idle");
}

/// A handler's accesses are in its CPU's program order where it fires:
/// its two stores, read back by the interrupted task in the other
/// order, cannot be seen out of order (message passing within a CPU),
/// while another CPU making the same stores can be.
#[test]
fn handler_stores_are_in_the_cpus_program_order() {
    let irq = "C irq-mp\n{}\nint x;\nint y;\n\
P0(void) { int r0; int r1; r0 = READ_ONCE(y); r1 = READ_ONCE(x); BUG_ON(r0 == 1 && r1 == 0); }\n\
IRQ(0) void h(void) { WRITE_ONCE(x, 1); WRITE_ONCE(y, 1); }\n";
    assert_eq!(check_kinds(irq).0, Vec::<&str>::new());
    let cpu = "C cpu-mp\n{}\nint x;\nint y;\n\
P0(void) { int r0; int r1; r0 = READ_ONCE(y); r1 = READ_ONCE(x); BUG_ON(r0 == 1 && r1 == 0); }\n\
P1(void) { WRITE_ONCE(x, 1); WRITE_ONCE(y, 1); }\n";
    assert_eq!(check_kinds(cpu).0, vec!["BUG"]);
}

/// An interrupt handler taking a lock its CPU holds spins forever: a
/// self-deadlock (a 1-cycle of the deadlock search); with interrupts
/// off around the critical section it cannot fire there.  A softirq
/// cannot fire under spin_lock_bh().
#[test]
fn handler_self_deadlock() {
    let bad = "C irq-lock\n{}\nspinlock_t lock;\nint counter;\n\
P0(void) { spin_lock(&lock); counter++; spin_unlock(&lock); }\n\
IRQ(0) void h(void) { spin_lock(&lock); counter++; spin_unlock(&lock); }\n";
    assert_eq!(check_kinds(bad).0, vec!["deadlock"]);
    let good = bad.replace(
        "P0(void) { spin_lock(&lock); counter++; spin_unlock(&lock); }",
        "P0(void) { unsigned long flags; spin_lock_irqsave(&lock, flags); counter++; spin_unlock_irqrestore(&lock, flags); }",
    );
    assert_eq!(check_kinds(&good).0, Vec::<&str>::new());
    let soft = bad.replace("IRQ(0)", "SOFTIRQ(0)");
    assert_eq!(check_kinds(&soft).0, vec!["deadlock"]);
    let bh = soft.replace(
        "spin_lock(&lock); counter++; spin_unlock(&lock); }\nSOFTIRQ",
        "spin_lock_bh(&lock); counter++; spin_unlock_bh(&lock); }\nSOFTIRQ",
    );
    assert_eq!(check_kinds(&bh).0, Vec::<&str>::new());
}

/// A handler that may still fire does fire before the scenario ends (as
/// in the explorer): a task sleeping until the handler wakes it does not
/// hang.
#[test]
fn handler_fires_before_the_end() {
    let src = "C irq-wake\n{}\nint done;\n\
P0(void) { set_current_state(TASK_UNINTERRUPTIBLE); if (!READ_ONCE(done)) schedule(); __set_current_state(TASK_RUNNING); }\n\
IRQ(0) void h(void) { WRITE_ONCE(done, 1); wake_up_process(current); }\n";
    let (kinds, _) = check_kinds(src);
    assert_eq!(kinds, Vec::<&str>::new());
}

/// schedule_timeout() (kernel/time/sleep_timeout.c): its timer ends the
/// sleep, so a task nobody wakes does not hang and reads 0 jiffies left;
/// woken, it gets the time left; MAX_SCHEDULE_TIMEOUT sleeps like
/// schedule() and hangs.
#[test]
fn schedule_timeout_may_end_without_a_wake_up() {
    let alone = "C sto\n{}\nint done;\n\
P0(void) { long r0; set_current_state(TASK_UNINTERRUPTIBLE); r0 = schedule_timeout(5); BUG_ON(r0 != 0); }\n";
    assert_eq!(check_kinds(alone).0, Vec::<&str>::new());
    let woken = "C sto-woken\n{}\nint done;\n\
P0(void) { long r0; set_current_state(TASK_UNINTERRUPTIBLE); if (!READ_ONCE(done)) { r0 = schedule_timeout(5); WARN_ON(r0 == 0); } }\n\
IRQ(0) void h(void) { WRITE_ONCE(done, 1); wake_up_process(current); }\n";
    // the timer may fire before the handler's wake-up: a warning; the
    // task may then exit before the handler's wake_up_process(current)
    // reads its freed task_struct: a use-after-free (the explorer finds
    // both)
    assert_eq!(check_kinds(woken).0, vec!["use-after-free", "warning"]);
    let endless = alone.replace("schedule_timeout(5)", "schedule_timeout(MAX_SCHEDULE_TIMEOUT)");
    assert_eq!(check_kinds(&endless).0, vec!["hang"]);
}

/// wait_for_completion_timeout(): 1 when the completion is taken (its
/// complete() happens before: the data is seen), else 0 when the timer
/// ends the wait; never a hang.
#[test]
fn wait_for_completion_timeout_may_time_out() {
    let src = "C wfct\n{}\nint data;\nstruct completion c;\n\
P0(void) { long r0; int r1; init_completion(&c); r0 = wait_for_completion_timeout(&c, 5); if (r0) { r1 = data; BUG_ON(r1 != 1); } }\n\
P1(void) { data = 1; complete(&c); }\n";
    assert_eq!(check_kinds(src).0, Vec::<&str>::new());
    let late = src.replace("if (r0) {", "if (1) {");
    assert_eq!(check_kinds(&late).0, vec!["BUG", "data race"]);
}

/// A kthread starts after its creation: it sees the stores its creator
/// made before kthread_run(); created and never woken it hangs in
/// kthread()'s first schedule(), as in the explorer.
#[test]
fn kthread_sees_its_creators_stores() {
    let src = "C kthread-mp\n{}\nint x;\n\
static int fn(void *data) { BUG_ON(READ_ONCE(x) != 1); return 0; }\n\
P0(void) { struct task_struct *k; WRITE_ONCE(x, 1); k = kthread_run(fn, NULL, \"k\"); }\n";
    assert_eq!(check_kinds(src).0, Vec::<&str>::new());
    let never = src.replace("kthread_run(", "kthread_create(");
    assert_eq!(check_kinds(&never).0, vec!["hang"]);
}

/// rwlocks as the kernel's queued rwlock: two readers overlap (their
/// plain increments race), a reader and a writer exclude each other, as
/// two writers do.
#[test]
fn rwlock_readers_overlap_writers_exclude() {
    let readers = "C rw\n{}\nrwlock_t l;\nint x;\n\
P0(void) { read_lock(&l); x++; read_unlock(&l); }\n\
P1(void) { read_lock(&l); x++; read_unlock(&l); }\n";
    assert_eq!(check_kinds(readers).0, vec!["data race"]);
    let rw = "C rw\n{}\nrwlock_t l;\nint x;\n\
P0(void) { int r0; read_lock(&l); r0 = x; read_unlock(&l); }\n\
P1(void) { write_lock(&l); x++; write_unlock(&l); }\n";
    assert_eq!(check_kinds(rw).0, Vec::<&str>::new());
    let ww = rw.replace("int r0; read_lock(&l); r0 = x; read_unlock(&l);", "write_lock(&l); x++; write_unlock(&l);");
    assert_eq!(check_kinds(&ww).0, Vec::<&str>::new());
}

/// A nested read_lock() queues behind a writer that waits for the outer
/// one: a deadlock; with bottom halves disabled (read_lock_bh()) the
/// nested reader is in_interrupt() and passes the waiting writer.
#[test]
fn rwlock_nested_reader_behind_a_writer() {
    let bad = "C rw-nested\n{}\nrwlock_t l;\nint x;\n\
P0(void) { int r0; read_lock(&l); read_lock(&l); r0 = READ_ONCE(x); read_unlock(&l); read_unlock(&l); }\n\
P1(void) { write_lock(&l); WRITE_ONCE(x, 1); write_unlock(&l); }\n";
    assert_eq!(check_kinds(bad).0, vec!["deadlock"]);
    let good = bad.replacen("read_lock(&l); read_lock(&l);", "read_lock_bh(&l); read_lock(&l);", 1).replacen(
        "read_unlock(&l); read_unlock(&l);",
        "read_unlock(&l); read_unlock_bh(&l);",
        1,
    );
    assert_eq!(check_kinds(&good).0, Vec::<&str>::new());
}

/// A count that either of two `put`s may drop is not dropped again by the
/// same `put` (the value fixpoint keeps several derivations per value, and
/// names a write site by its step, the same on every path).  With one
/// intersection per value, and sites named by their position on a path
/// (whose 64 ran out on kernel-sized threads), the count's values grew by
/// one per fixpoint round: with this scenario's threads (40 writes each)
/// the count took dozens of values and the check took 96 s, not 0.01 s.
#[test]
fn a_count_two_puts_drop_takes_only_its_real_values() {
    let pad = |p: &str| (0..40).map(|i| format!("WRITE_ONCE({p}[{i}], 1); ")).collect::<String>();
    let src = format!(
        "C two-puts\n{{ atomic_t c = ATOMIC_INIT(2); }}\nint a[40];\nint b[40];\n\
P0(void) {{ int r; {} atomic_dec(&c); r = atomic_read(&c); BUG_ON(r < 0); }}\n\
P1(void) {{ int r; {} atomic_dec(&c); r = atomic_read(&c); BUG_ON(r < 0); }}\n",
        pad("a"),
        pad("b")
    );
    let (kinds, n) = check_kinds(&src);
    assert_eq!(kinds, Vec::<&str>::new());
    assert_eq!(n, 4);
}

/// Store buffering between two read-side sections of one rwlock: the
/// readers overlap (one lock RMW reads the other's `_QR_BIAS`), and
/// nothing orders each reader's store before its load (the lock's
/// acquire RMW comes before both), so the LKMM allows both loads to read
/// 0, as `kvet litmus` says on the same program.
#[test]
fn rwlock_store_buffering_through_two_readers() {
    let src = "C rw-sb\n{}\nrwlock_t l;\n\
P0(int *x, int *y) { int r0; read_lock(&l); WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); read_unlock(&l); }\n\
P1(int *x, int *y) { int r0; read_lock(&l); WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); read_unlock(&l); }\n\
exists (0:r0=0 /\\ 1:r0=0)\n";
    let prog = kvet_ir::compile(src).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts).expect("decided");
    assert!(!r.deadlocks_partial && !r.toofar, "complete");
    assert!(r.pos > 0, "store buffering through two readers is allowed ({} pos, {} neg)", r.pos, r.neg);
}

/// With readers only, the queued rwlock is two atomics per section:
/// read_lock() is `atomic_add_return_acquire(_QR_BIAS)`, read_unlock()
/// `atomic_sub_return_release(_QR_BIAS)`.  Check mode's model must give
/// exactly the executions `kvet litmus` gives on those atomics (store
/// buffering inside and around the sections, message passing across
/// them).
#[test]
fn rwlock_readers_are_the_kernels_atomics() {
    let bodies = [
        "P0(int *x, int *y) { int r0; int r8; int r9; LOCK; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); UNLOCK; }\n\
P1(int *x, int *y) { int r0; int r8; int r9; LOCK; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); UNLOCK; }\n\
exists (0:r0=0 /\\ 1:r0=0)\n",
        "P0(int *x, int *y) { int r0; int r8; int r9; WRITE_ONCE(*x, 1); LOCK; UNLOCK; r0 = READ_ONCE(*y); }\n\
P1(int *x, int *y) { int r0; int r8; int r9; WRITE_ONCE(*y, 1); LOCK; UNLOCK; r0 = READ_ONCE(*x); }\n\
exists (0:r0=0 /\\ 1:r0=0)\n",
        "P0(int *x, int *y) { int r8; int r9; LOCK; WRITE_ONCE(*x, 1); UNLOCK; WRITE_ONCE(*y, 1); }\n\
P1(int *x, int *y) { int r0; int r1; int r8; int r9; r0 = READ_ONCE(*y); LOCK; r1 = READ_ONCE(*x); UNLOCK; }\n\
exists (1:r0=1 /\\ 1:r1=0)\n",
    ];
    let m = NativeLkmm::new().allowed_only();
    let check = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    for body in bodies {
        let rw = format!(
            "C rw\n{{}}\nrwlock_t l;\n{}",
            body.replace("UNLOCK", "read_unlock(&l)").replace("LOCK", "read_lock(&l)")
        );
        let at = format!(
            "C at\n{{}}\natomic_t l;\n{}",
            body.replace("UNLOCK", "r9 = atomic_sub_return_release(512, &l)")
                .replace("LOCK", "r8 = atomic_add_return_acquire(512, &l)")
        );
        let a = run(&kvet_ir::compile(&rw).expect("compiles"), &m, &check).expect("decided");
        let b = run(&kvet_ir::compile(&at).expect("compiles"), &m, &GenOptions::default()).expect("decided");
        assert!(!a.deadlocks_partial && !a.toofar && a.findings.is_empty(), "{rw}");
        assert!(a.pos > 0 && b.pos > 0, "{rw}");
        assert_eq!((a.pos, a.neg), (b.pos, b.neg), "{rw}");
    }
}

/// A writer's plain store published by its rcu_assign_pointer(), then
/// re-published by the next writer with WRITE_ONCE() (list_del_rcu()
/// after list_add_tail_rcu(), seed 001's rcu-walk.kvet): with a spinlock
/// the LKMM's po-unlock-lock-po (a cumul-fence) orders the plain store
/// before the RCU reader's dependent load, so there is no data race; an
/// rwlock_t must give the same (memory-barriers.txt: every lock kind has
/// the lock semantics).  Fails with the queued-rwlock model switched on:
/// its release/acquire RMWs give a data race (weak memory only).
#[test]
fn rwlock_writers_are_ordered_like_spinlocks() {
    let spin = "C republish\n{}\nspinlock_t l;\nint c;\nint *f;\nint *a;\n\
P0(void) { int *p; int r; p = rcu_dereference(a); if (p) r = *p; }\n\
P1(void) { spin_lock(&l); c = 1; rcu_assign_pointer(f, &c); spin_unlock(&l); }\n\
P2(void) { int *q; spin_lock(&l); q = READ_ONCE(f); WRITE_ONCE(a, q); spin_unlock(&l); }\n";
    assert_eq!(check_kinds(spin).0, Vec::<&str>::new());
    let rw = spin
        .replace("spinlock_t", "rwlock_t")
        .replace("spin_lock", "write_lock")
        .replace("spin_unlock", "write_unlock");
    assert_eq!(check_kinds(&rw).0, Vec::<&str>::new());
}

/// A read section after a write section is ordered by the queued
/// rwlock's release/acquire RMWs only, not by `po-unlock-lock-po` (the
/// LKMM defines it for exclusive locks only; see gen/thread/rwlock.rs):
/// a writer's plain store that a reader re-publishes with a relaxed
/// store races with the RCU reader that follows it, unlike the same
/// program with two write sections.
#[test]
fn rwlock_reader_republication_is_release_acquire() {
    let src = "C republish\n{}\nrwlock_t l;\nint c;\nint *f;\nint *a;\n\
P0(void) { int *p; int r; p = rcu_dereference(a); if (p) r = *p; }\n\
P1(void) { write_lock(&l); c = 1; rcu_assign_pointer(f, &c); write_unlock(&l); }\n\
P2(void) { int *q; read_lock(&l); q = READ_ONCE(f); WRITE_ONCE(a, q); read_unlock(&l); }\n";
    assert_eq!(check_kinds(src).0, vec!["data race"]);
    let writers = src.replace("read_lock(&l); q", "write_lock(&l); q").replace("read_unlock", "write_unlock");
    assert_eq!(check_kinds(&writers).0, Vec::<&str>::new());
}

/// write_trylock() takes the writer lock only when it succeeds: a
/// failed attempt orders nothing, a successful one is a write section.
#[test]
fn rwlock_write_trylock() {
    let src = "C wtry\n{}\nrwlock_t l;\nint x;\n\
P0(void) { int r0; r0 = write_trylock(&l); if (r0) { x++; write_unlock(&l); } }\n\
P1(void) { write_lock(&l); x++; write_unlock(&l); }\n";
    assert_eq!(check_kinds(src).0, Vec::<&str>::new());
    let racy = src.replace("if (r0) { x++; write_unlock(&l); }", "x++; if (r0) write_unlock(&l);");
    assert_eq!(check_kinds(&racy).0, vec!["data race"]);
}

/// in_interrupt() and the other context macros of include/linux/preempt.h
/// under the LKMM: answered from the path's own context (handler kind,
/// bottom-half nesting, interrupts, preempt_disable() nesting, spinlocks
/// and rwlocks held; not mutexes), as the explorer answers them
/// (crates/cli/tests/kernel_c.rs `execution_context_macros`: the same
/// scenarios, the same verdicts).
#[test]
fn execution_context_macros() {
    let c = |body: &str| {
        let (k, n) = check_kinds(&format!("C ctx\n{{}}\n{body}"));
        format!("{} {n}", if k.is_empty() { "ok".to_string() } else { k.join(", ") })
    };
    let mut got = Vec::new();
    let task = "spinlock_t l;\nrwlock_t rw;\nstruct mutex m;\nint x;\nP0(void) {\n\
        BUG_ON(!in_task() || in_interrupt() || in_softirq() || in_hardirq() || in_irq() || in_nmi() || in_atomic() || !preemptible());\n\
        local_bh_disable(); BUG_ON(in_softirq() != 0x200 || in_interrupt() != 0x200 || in_serving_softirq() || !in_task() || !in_atomic()); local_bh_enable();\n\
        spin_lock(&l); BUG_ON(!in_atomic() || preemptible() || in_interrupt()); spin_unlock(&l);\n\
        spin_lock_bh(&l); BUG_ON(in_softirq() != 0x200 || !in_atomic()); spin_unlock_bh(&l);\n\
        read_lock(&rw); BUG_ON(!in_atomic() || preemptible()); read_unlock(&rw);\n\
        write_lock(&rw); BUG_ON(!in_atomic() || preemptible()); write_unlock(&rw);\n\
        mutex_lock(&m); BUG_ON(in_atomic() || !preemptible()); mutex_unlock(&m);\n\
        preempt_disable(); BUG_ON(!in_atomic() || preemptible()); preempt_enable();\n\
        local_irq_disable(); BUG_ON(in_atomic() || preemptible()); local_irq_enable();\n\
        BUG_ON(in_atomic() || !preemptible()); WRITE_ONCE(x, 1); }\n";
    got.push(c(task));
    // each check on its own fails when its answer is wrong
    got.push(c("int x;\nP0(void) { local_bh_disable(); BUG_ON(in_softirq()); local_bh_enable(); }\n"));
    got.push(c("rwlock_t rw;\nP0(void) { read_lock(&rw); BUG_ON(in_atomic()); read_unlock(&rw); }\n"));
    got.push(c("struct mutex m;\nP0(void) { mutex_lock(&m); BUG_ON(!in_atomic()); mutex_unlock(&m); }\n"));
    let handlers = "int x;\nP0(void) { WRITE_ONCE(x, 1); }\n\
        SOFTIRQ(0) void s(void) { BUG_ON(in_softirq() != 0x100 || in_serving_softirq() != 0x100 || in_interrupt() != 0x100 || in_task() || in_hardirq() || !in_atomic() || preemptible()); }\n\
        IRQ(0) void h(void) { BUG_ON(in_hardirq() != 0x10000 || !in_irq() || in_task() || !in_interrupt() || preemptible()); }\n";
    got.push(c(handlers));
    // a hardirq that interrupts a softirq: both bits (on some path)
    let nested = "int x;\nP0(void) { WRITE_ONCE(x, 1); }\n\
        SOFTIRQ(0) void s(void) { WRITE_ONCE(x, 2); WRITE_ONCE(x, 3); }\n\
        IRQ(0) void h(void) { BUG_ON(in_interrupt() == 0x10100); }\n";
    got.push(c(nested));
    // WARN_ON(in_interrupt()) in a helper called from both contexts fires
    // only in the softirq
    let both = "int x;\nstatic void note(void) { WARN_ON(in_interrupt()); }\n\
        P0(void) { note(); WRITE_ONCE(x, 1); }\nSOFTIRQ(0) void s(void) { note(); }\n";
    got.push(c(both));
    got.push(c(
        "int x;\nstatic void note(void) { WARN_ON(in_interrupt()); }\nP0(void) { note(); WRITE_ONCE(x, 1); }\n",
    ));
    // the explorer's verdicts on the same scenarios (kernel_c.rs)
    assert_eq!(got.join("; "), "ok 1; BUG 1; BUG 1; BUG 1; ok 11; BUG 15; warning 3; ok 1");
}

/// An interrupt handler taking for writing an rwlock its CPU holds for
/// writing spins forever: it does not take the writer lock again (its
/// CPU holds it), it finds `_QW_LOCKED` and waits: a deadlock, as under
/// SC; with interrupts off in the write section, none.
#[test]
fn rwlock_writer_in_a_handler_of_the_holding_cpu() {
    let bad = "C rw-irq\n{}\nrwlock_t l;\nint x;\n\
P0(void) { write_lock(&l); WRITE_ONCE(x, 1); write_unlock(&l); }\n\
IRQ(0) void h(void) { write_lock(&l); WRITE_ONCE(x, 2); write_unlock(&l); }\n";
    assert_eq!(check_kinds(bad).0, vec!["deadlock"]);
    let good = bad.replacen(
        "write_lock(&l); WRITE_ONCE(x, 1); write_unlock(&l);",
        "write_lock_irq(&l); WRITE_ONCE(x, 1); write_unlock_irq(&l);",
        1,
    );
    assert_eq!(check_kinds(&good).0, Vec::<&str>::new());
}

/// A thread cut at the unrolling bound would go on: another thread's
/// wait for what it does later is not a hang (the run is incomplete, not
/// a weak-memory hang); nor is a wait for a thread that stopped after
/// reading freed memory (the use-after-free is the finding).
#[test]
fn no_hang_while_a_thread_is_cut_at_the_bound() {
    let src = "C bound-not-hang\n{}\nDECLARE_COMPLETION(done);\nint x;\n\
P0(void) { int i; for (i = 0; i < 5; i++) WRITE_ONCE(x, i); complete(&done); }\n\
P1(void) { wait_for_completion(&done); }\n";
    let prog = kvet_ir::compile(src).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts).expect("decided");
    assert!(r.findings.is_empty(), "{:?}", r.findings.iter().map(|f| &f.message).collect::<Vec<_>>());
    assert!(r.toofar, "the loop runs past the bound");
    // within the bound the same wait is answered: no finding, complete
    let short = src.replace("i < 5", "i < 2");
    assert_eq!(check_kinds(&short).0, Vec::<&str>::new());
    // a waiter whose completer never completes still hangs
    let never = short.replace("complete(&done);", "");
    assert_eq!(check_kinds(&never).0, vec!["hang"]);
}

/// IPIs (crates/axiom/src/gen/thread/ipi.rs): a synchronous
/// smp_call_function_single() orders the sender's earlier stores before
/// the function (llist_add()'s full barrier) and the function's stores
/// before the sender's later reads (csd_unlock()'s release, read by
/// csd_lock_wait()'s acquire); without `wait`, the sender's later read
/// may miss the function's store.  A target that keeps interrupts off
/// while it waits for the sender deadlocks it; one that enables them
/// answers.
#[test]
fn ipi_orders_and_deadlocks() {
    let sync = "C ipi\n{}\nint x;\nint y;\n\
static void f(void *info) { BUG_ON(READ_ONCE(x) != 1); WRITE_ONCE(y, (long)info); }\n\
P0(void) { WRITE_ONCE(x, 1); smp_call_function_single(1, f, (void *)2, 1); BUG_ON(READ_ONCE(y) != 2); }\n\
P1(void) { int r0 = 0; }\n";
    assert_eq!(check_kinds(sync), (vec![], 1));
    let nowait = sync.replace("(void *)2, 1)", "(void *)2, 0)");
    assert_eq!(check_kinds(&nowait).0, vec!["BUG"]);
    let dl = "C ipi-dl\n{}\nint done;\nstatic void f(void *info) { }\n\
P0(void) { smp_call_function_single(1, f, NULL, 1); WRITE_ONCE(done, 1); }\n\
P1(void) { local_irq_disable(); while (!READ_ONCE(done)) cpu_relax(); local_irq_enable(); }\n";
    assert_eq!(check_kinds(dl).0, vec!["deadlock"]);
    let ok = dl.replace("local_irq_disable(); ", "").replace(" local_irq_enable();", "");
    assert_eq!(check_kinds(&ok), (vec![], 3));
}

/// The timer softirq (crates/axiom/src/gen/thread/timer.rs): a queued
/// timer's callback runs in softirq context on its CPU before the
/// scenario ends, so it interrupts a holder of a lock it takes unless
/// bottom halves are off; a poller of the callback's flag is released,
/// unless del_timer() may dequeue the timer first.
#[test]
fn timer_softirq_runs_queued_timers() {
    let self_dl = "C timer-self\n{}\nspinlock_t l;\nint x;\nstruct timer_list t;\n\
static void fn(struct timer_list *tm) { spin_lock(&l); x = 2; spin_unlock(&l); }\n\
P0(void) { timer_setup(&t, fn, 0); mod_timer(&t, jiffies + HZ); spin_lock(&l); x = 1; spin_unlock(&l); }\n";
    assert_eq!(check_kinds(self_dl), (vec!["deadlock"], 3));
    let bh =
        self_dl.replace("spin_lock(&l); x = 1; spin_unlock(&l); }", "spin_lock_bh(&l); x = 1; spin_unlock_bh(&l); }");
    assert_eq!(check_kinds(&bh), (vec![], 3));
    let flag = "C timer-flag\n{}\nint done;\nstruct timer_list t;\n\
static void fn(struct timer_list *tm) { WRITE_ONCE(done, 1); }\n\
P0(void) { timer_setup(&t, fn, 0); mod_timer(&t, jiffies + HZ); }\n\
P1(void) { while (!READ_ONCE(done)) cpu_relax(); }\n";
    assert_eq!(check_kinds(flag), (vec![], 4));
    let del = flag.replace("mod_timer(&t, jiffies + HZ); }", "mod_timer(&t, jiffies + HZ); del_timer(&t); }");
    assert_eq!(check_kinds(&del).0, vec!["hang"]);
}

/// kmalloc() without zeroing of a freed slot (crates/axiom/src/gen/
/// thread/alloc.rs): the slot keeps its old contents, which kvet does not
/// model (the poison replaced them).  A new owner that writes a field
/// before reading it is checked; one that reads a field it never wrote
/// reads those contents: the path is cut as at the unrolling bound, so
/// the check is incomplete, never wrong.
#[test]
fn kmalloc_of_a_freed_slot_keeps_unmodelled_contents() {
    let src = "C reuse-nozero\n{}\nstruct obj { int key; int extra; };\n\
P0(void) { struct obj *p, *q; int r0; p = kzalloc(sizeof(*p), GFP_KERNEL); WRITE_ONCE(p->key, 1); kfree(p);\n\
q = kmalloc(sizeof(*q), GFP_KERNEL); WRITE_ONCE(q->key, 2); r0 = READ_ONCE(q->key); BUG_ON(r0 != 2); }\n";
    let prog = kvet_ir::compile(src).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts).expect("decided");
    assert!(r.findings.is_empty() && !r.toofar && !r.deadlocks_partial, "{:?}", r.findings);
    let stale = src.replace("r0 = READ_ONCE(q->key);", "r0 = READ_ONCE(q->extra);");
    let prog = kvet_ir::compile(&stale).expect("compiles");
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts).expect("decided");
    assert!(r.findings.is_empty() && r.toofar, "{:?}", r.findings);
}

/// Tasks sharing a CPU without preemption (gen/thread/cpu_share.rs): the
/// CPU's run lock makes its tasks run one at a time with a full barrier at
/// each switch, as kernel/sched/core.c does, and no more.
#[test]
fn tasks_sharing_a_cpu_run_one_at_a_time() {
    let scen = |name: &str, body: &str| format!("C {name}\n{{}}\n{body}");
    // message passing between the two tasks of CPU0: no barrier needed
    let mp = scen(
        "mp",
        "int x;\nint y;\nP0(void) { WRITE_ONCE(x, 1); WRITE_ONCE(y, 1); }\n\
         TASK(0) void other(void) { int r1 = READ_ONCE(y); int r2 = READ_ONCE(x); assert(!(r1 == 1 && r2 == 0)); }\n",
    );
    assert_eq!(check_kinds(&mp).0, Vec::<&str>::new());
    // the same with the reader on another CPU: the bug stays, and a
    // cond_resched() that need not switch orders nothing
    let across = scen(
        "across",
        "int x;\nint y;\nP0(void) { WRITE_ONCE(x, 1); cond_resched(); WRITE_ONCE(y, 1); }\n\
         P1(void) { int r1 = READ_ONCE(y); smp_rmb(); int r2 = READ_ONCE(x); assert(!(r1 == 1 && r2 == 0)); }\n\
         TASK(0) void other(void) { WRITE_ONCE(x, 2); }\n",
    );
    assert_eq!(check_kinds(&across).0, vec!["assertion failure"]);
    // a completion the other task of the CPU completes: the waiter sleeps,
    // the other runs; nothing hangs and the data is seen
    let done = scen(
        "done",
        "int x;\nDECLARE_COMPLETION(c);\nP0(void) { wait_for_completion(&c); int r = READ_ONCE(x); assert(r == 1); }\n\
         TASK(0) void other(void) { WRITE_ONCE(x, 1); complete(&c); }\n",
    );
    assert_eq!(check_kinds(&done).0, Vec::<&str>::new());
    // a mutex held across a sleep: the other task waits for it off the
    // CPU (no false deadlock) ...
    let mutex = scen(
        "mutex",
        "int x;\nDEFINE_MUTEX(m);\nDECLARE_COMPLETION(c);\n\
         P0(void) { mutex_lock(&m); wait_for_completion(&c); x = 1; mutex_unlock(&m); }\n\
         TASK(0) void other(void) { complete(&c); mutex_lock(&m); x = 2; mutex_unlock(&m); }\n",
    );
    assert_eq!(check_kinds(&mutex).0, Vec::<&str>::new());
    // ... but waiting for it before completing is a real deadlock
    let stuck = mutex.replace("complete(&c); mutex_lock(&m); x = 2;", "mutex_lock(&m); complete(&c); x = 2;");
    assert_eq!(check_kinds(&stuck).0, vec!["deadlock"]);
    // a task spinning for the other task of its CPU keeps the CPU: it
    // never runs (a deadlock, as in the explorer)
    let spin = scen(
        "spin",
        "int flag;\nP0(void) { while (!READ_ONCE(flag)) cpu_relax(); }\n\
         TASK(0) void other(void) { WRITE_ONCE(flag, 1); }\n",
    );
    let prog = kvet_ir::compile(&spin).expect("compiles");
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    let r = run(&prog, &NativeLkmm::new().allowed_only(), &opts).expect("decided");
    assert_eq!(
        r.deadlocks,
        vec![
            "other (on CPU0) waits to run on its CPU (held by CPU0, which spins forever in a polling loop)".to_string()
        ]
    );
    // the hidden run lock is no spinlock of the task's: preempt_count()
    // stays zero, so in_atomic() is false and preemptible() true
    let ctx = scen(
        "ctx",
        "int x;\nP0(void) { WRITE_ONCE(x, 1); }\n\
         TASK(0) void other(void) { assert(!in_atomic()); assert(preemptible()); }\n",
    );
    assert_eq!(check_kinds(&ctx).0, Vec::<&str>::new());
}
