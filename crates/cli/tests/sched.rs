//! The scheduler, primitive by primitive: tasks sharing a CPU, kthreads,
//! preemption and per-CPU data, timers and workqueues. Each scenario
//! asserts the exact set of findings, with and without partial-order
//! reduction, and where it matters the outcomes and state counts.

mod common;
use common::Run;
use kvet_explore::{explore, Options};

fn run(preempt: bool, body: &str) -> Run {
    let r = common::run_with(if preempt { "Preempt=yes\n" } else { "" }, body);
    assert!(r.complete, "search incomplete\n{body}");
    r
}

#[track_caller]
fn check(body: &str, expected: &str) {
    common::expect(&run(false, body).kinds, expected);
}

#[track_caller]
fn check_preempt(body: &str, expected: &str) {
    common::expect(&run(true, body).kinds, expected);
}

#[test]
fn tasks_of_one_cpu_switch_only_at_schedule() {
    // without preemption the other task runs only when P0 calls schedule()
    let body = "int x; int y;\nP0(void) { WRITE_ONCE(x, 1); WRITE_ONCE(x, 2); }\nTASK(0) void other(void) { int r = READ_ONCE(x); WRITE_ONCE(y, r); }\nexists (y=1)\n";
    let r = run(false, body);
    assert_eq!((r.kinds.as_str(), r.outcomes, r.states, r.full_states), ("ok", 2, 9, 9));
    let body = "int x; int y;\nP0(void) { WRITE_ONCE(x, 1); schedule(); WRITE_ONCE(x, 2); }\nTASK(0) void other(void) { int r = READ_ONCE(x); WRITE_ONCE(y, r); }\nexists (y=1)\n";
    let r = run(false, body);
    assert_eq!((r.kinds.as_str(), r.outcomes, r.states, r.full_states), ("ok", 3, 21, 21));
    // a task that is not pinned runs on a CPU of its own: any interleaving
    let body = "int x; int y;\nP0(void) { WRITE_ONCE(x, 1); WRITE_ONCE(x, 2); }\nTASK() void other(void) { int r = READ_ONCE(x); WRITE_ONCE(y, r); }\nexists (y=1)\n";
    assert_eq!(run(false, body).outcomes, 3);
    // two tasks of one CPU never race without preemption
    check("int x;\nP0(void) { x = 1; }\nTASK(0) void other(void) { x = 2; }\n", "ok");
    check("int x;\nP0(void) { x = 1; }\nTASK(1) void other(void) { x = 2; }\nP1(void) { }\n", "data race");
}

#[test]
fn a_spinning_task_keeps_its_cpu() {
    // the task sleeps with the lock held; P0 then spins on its CPU forever
    let body = "spinlock_t l;\nP0(void) { spin_lock(&l); spin_unlock(&l); }\nTASK(0) void t(void) { spin_lock(&l); schedule(); spin_unlock(&l); }\n";
    check(body, "deadlock, sleeping in atomic context");
    // a sleeping lock lets the other task run
    let body = "struct mutex m;\nP0(void) { mutex_lock(&m); mutex_unlock(&m); }\nTASK(0) void t(void) { mutex_lock(&m); schedule(); mutex_unlock(&m); }\n";
    check(body, "ok");
}

#[test]
fn a_woken_task_becomes_runnable() {
    let body = "int done; struct task_struct *waiter;\nP0(void) { WRITE_ONCE(waiter, current); set_current_state(TASK_UNINTERRUPTIBLE); if (!READ_ONCE(done)) schedule(); __set_current_state(TASK_RUNNING); }\nTASK(0) void waker(void) { struct task_struct *w = READ_ONCE(waiter); WRITE_ONCE(done, 1); if (w) wake_up_process(w); }\n";
    check(body, "ok");
    // tested before the task state is set: the wake-up can be lost
    let body = "int done; struct task_struct *waiter;\nP0(void) { WRITE_ONCE(waiter, current); if (!READ_ONCE(done)) { set_current_state(TASK_UNINTERRUPTIBLE); schedule(); } }\nTASK(0) void waker(void) { struct task_struct *w = READ_ONCE(waiter); WRITE_ONCE(done, 1); if (w) wake_up_process(w); }\n";
    check(body, "ok"); // same CPU, no preemption: the waker cannot run in between
                       // (the waker may also wake P0 after it exited: it holds no reference)
    check_preempt(body, "hang, use-after-free");
}

#[test]
fn kthread_stop_waits_and_returns_the_result() {
    let worker = "static int worker(void *data) { for (;;) { set_current_state(TASK_INTERRUPTIBLE); if (kthread_should_stop()) break; schedule(); } __set_current_state(TASK_RUNNING); return 5; }\n";
    let body = format!("{worker}P0(void) {{ struct task_struct *k = kthread_run(worker, NULL, \"w\"); int r = kthread_stop(k); }}\nexists (0:r=5)\n");
    let r = run(false, &body);
    // stopped before it ever ran, it exits with -EINTR without running worker()
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 2));
    // created but never woken: kthread_stop() still ends it
    let body = format!("{worker}P0(void) {{ struct task_struct *k = kthread_create(worker, NULL, \"w\"); int r = kthread_stop(k); }}\nforall (0:r=-4)\n");
    assert_eq!(run(false, &body).kinds, "ok");
    // never woken and never stopped: it sleeps forever
    let body = format!("{worker}P0(void) {{ struct task_struct *k = kthread_create(worker, NULL, \"w\"); }}\n");
    check(&body, "hang");
    // wake_up_new_task() is a new task's first wake-up
    let body = format!("{worker}P0(void) {{ struct task_struct *k = kthread_create(worker, NULL, \"w\"); wake_up_new_task(k); int r = kthread_stop(k); }}\nexists (0:r=5)\n");
    let r = run(false, &body);
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 2));
    // a thread that exits on its own: kthread_stop() on a freed task
    let body = "static int worker(void *data) { return 0; }\nP0(void) { struct task_struct *k = kthread_run(worker, NULL, \"w\"); kthread_stop(k); }\n";
    check(body, "use-after-free");
    // ... fine with a reference of the stopper's own, taken before the
    // thread can run; taken after kthread_run() it comes too late
    let body = "static int worker(void *data) { return 0; }\nP0(void) { struct task_struct *k = kthread_create(worker, NULL, \"w\"); get_task_struct(k); wake_up_process(k); kthread_stop_put(k); }\n";
    check(body, "ok");
    let body = "static int worker(void *data) { return 0; }\nP0(void) { struct task_struct *k = kthread_run(worker, NULL, \"w\"); get_task_struct(k); kthread_stop_put(k); }\n";
    check(body, "use-after-free");
}

#[test]
fn kthread_park_and_unpark() {
    let body = "int x;\nstatic int worker(void *data) { while (!kthread_should_stop()) { if (kthread_should_park()) { kthread_parkme(); continue; } BUG_ON(READ_ONCE(x) == 1); set_current_state(TASK_INTERRUPTIBLE); if (!kthread_should_stop() && !kthread_should_park()) schedule(); __set_current_state(TASK_RUNNING); } return 0; }\nP0(void) { struct task_struct *k = kthread_run(worker, NULL, \"w\"); kthread_park(k); WRITE_ONCE(x, 1); WRITE_ONCE(x, 0); kthread_unpark(k); kthread_stop(k); }\n";
    check(body, "ok");
}

#[test]
fn cond_resched_never_sleeps() {
    // __schedule(SM_PREEMPT) leaves the task on the run queue whatever its
    // state: cond_resched() after set_current_state() does not sleep
    let body = "int x;\nP0(void) { set_current_state(TASK_INTERRUPTIBLE); cond_resched(); __set_current_state(TASK_RUNNING); WRITE_ONCE(x, 1); }\nforall (x=1)\n";
    let r = run(false, body);
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    // schedule() in the same place sleeps for ever
    check("int x;\nP0(void) { set_current_state(TASK_INTERRUPTIBLE); schedule(); WRITE_ONCE(x, 1); }\n", "hang");
    // but it still lets another task of the CPU run
    let body = "int x; int y;\nP0(void) { WRITE_ONCE(x, 1); cond_resched(); WRITE_ONCE(x, 2); }\nTASK(0) void other(void) { int r = READ_ONCE(x); WRITE_ONCE(y, r); }\nexists (y=1)\n";
    let r = run(false, body);
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 3));
}

#[test]
fn preemption_and_per_cpu_data() {
    let inc = |how: &str| {
        format!("DEFINE_PER_CPU(int, nr); DECLARE_COMPLETION(done);\nP0(void) {{ {how}; wait_for_completion(&done); assert(per_cpu(nr, 0) == 2); }}\nTASK(0) void t(void) {{ this_cpu_inc(nr); complete(&done); }}\n")
    };
    let plain = inc("__this_cpu_inc(nr)");
    check(&plain, "ok");
    check_preempt(&plain, "assertion failure, data race");
    check_preempt(&inc("preempt_disable(); __this_cpu_inc(nr); preempt_enable()"), "ok");
    check_preempt(&inc("this_cpu_inc(nr)"), "ok");
    check_preempt(&inc("int c = get_cpu(); per_cpu(nr, c)++; put_cpu()"), "ok");
    check_preempt(&inc("local_irq_disable(); __this_cpu_inc(nr); local_irq_enable()"), "ok");
    check_preempt(&format!("spinlock_t l;\n{}", inc("spin_lock(&l); __this_cpu_inc(nr); spin_unlock(&l)")), "ok");
    // each CPU has its own copy
    check("DEFINE_PER_CPU(int, nr);\nP0(void) { __this_cpu_inc(nr); }\nP1(void) { __this_cpu_inc(nr); }\nexists (nr[0]=1 /\\ nr[1]=1)\n", "ok");
    // sleeping with preemption disabled
    check("P0(void) { preempt_disable(); schedule(); preempt_enable(); }\n", "sleeping in atomic context");
    check("P0(void) { preempt_enable(); }\n", "lock misuse");
    let r =
        run(false, "int c;\nP0(void) { preempt_disable(); c = preempt_count(); preempt_enable(); }\nexists (c=1)\n");
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
}

#[test]
fn timers() {
    let cb = "struct timer_list t; spinlock_t l; int fired;\nstatic void cb(struct timer_list *tl) { spin_lock(&l); WRITE_ONCE(fired, 1); spin_unlock(&l); }\n";
    // the callback runs later, in softirq context, on the timer's CPU
    check(
        &format!("{cb}P0(void) {{ timer_setup(&t, cb, 0); mod_timer(&t, jiffies + HZ); }}\nexists (fired=1)\n"),
        "ok",
    );
    // ... so a lock it shares with task context needs spin_lock_bh()
    check(
        &format!(
            "{cb}P0(void) {{ timer_setup(&t, cb, 0); mod_timer(&t, jiffies + HZ); spin_lock(&l); spin_unlock(&l); }}\n"
        ),
        "deadlock, inconsistent lock state",
    );
    // del_timer_sync() under the lock the callback takes
    let body = format!("{cb}DECLARE_COMPLETION(armed);\nP0(void) {{ wait_for_completion(&armed); spin_lock_bh(&l); del_timer_sync(&t); spin_unlock_bh(&l); }}\nP1(void) {{ timer_setup(&t, cb, 0); mod_timer(&t, 1); complete(&armed); }}\n");
    check(&body, "deadlock, lock-order inversion");
    // after del_timer_sync() the callback neither runs nor is running
    let body = format!("{cb}DECLARE_COMPLETION(armed);\nP0(void) {{ wait_for_completion(&armed); del_timer_sync(&t); int a = READ_ONCE(fired); int b = READ_ONCE(fired); assert(a == b); }}\nP1(void) {{ timer_setup(&t, cb, 0); mod_timer(&t, 1); complete(&armed); }}\n");
    check(&body, "ok");
    // ... but del_timer() does not wait for a running callback
    let body = body.replace("del_timer_sync", "del_timer");
    check(&body, "assertion failure");
    // mod_timer() and del_timer() return whether the timer was pending
    let r = run(false, "struct timer_list t;\nstatic void cb(struct timer_list *tl) { }\nP0(void) { int a, b, c; local_bh_disable(); timer_setup(&t, cb, 0); a = mod_timer(&t, 1); b = mod_timer(&t, 2); c = timer_pending(&t); del_timer(&t); local_bh_enable(); }\nforall (0:a=0 /\\ 0:b=1 /\\ 0:c=1)\n");
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    // callbacks run in softirq context: they must not sleep
    check("struct timer_list t; struct mutex m;\nstatic void cb(struct timer_list *tl) { mutex_lock(&m); mutex_unlock(&m); }\nP0(void) { timer_setup(&t, cb, 0); mod_timer(&t, 1); }\n", "sleeping in atomic context");
}

#[test]
fn timers_fire_in_expiry_order() {
    // both queued (bottom halves off): the one that expires first fires
    // first, also when mod_timer() moves a pending timer
    let t = "struct timer_list a, b; int order;\nstatic void fa(struct timer_list *t) { if (!READ_ONCE(order)) WRITE_ONCE(order, 1); }\nstatic void fb(struct timer_list *t) { if (!READ_ONCE(order)) WRITE_ONCE(order, 2); }\n";
    let r = run(false, &format!("{t}P0(void) {{ timer_setup(&a, fa, 0); timer_setup(&b, fb, 0); local_bh_disable(); mod_timer(&a, 100); mod_timer(&b, 10); local_bh_enable(); }}\nforall (order=2)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    let r = run(false, &format!("{t}P0(void) {{ timer_setup(&a, fa, 0); timer_setup(&b, fb, 0); local_bh_disable(); mod_timer(&a, 10); mod_timer(&b, 50); mod_timer(&a, 100); local_bh_enable(); }}\nforall (order=2)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    // queued one after the other with a softirq in between, either may be first
    let r = run(false, &format!("{t}P0(void) {{ timer_setup(&a, fa, 0); timer_setup(&b, fb, 0); mod_timer(&a, 100); mod_timer(&b, 10); }}\nexists (order=1)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 2));
}

#[test]
fn workqueues() {
    let w = "struct work_struct w; int ran;\nstatic void fn(struct work_struct *work) { WRITE_ONCE(ran, READ_ONCE(ran) + 1); }\n";
    // queued work runs on the kworker; an idle kworker is not a hang
    let r = run(false, &format!("{w}P0(void) {{ INIT_WORK(&w, fn); schedule_work(&w); }}\nforall (ran=1)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    // queue_work() is a no-op while the item is pending: the item is on
    // CPU0's pool, whose kworker runs only once P0 is done, so the second
    // call always finds it pending (on the unbound pool it could run in
    // between: 2 outcomes)
    let r = run(false, &format!("{w}P0(void) {{ int a, b; INIT_WORK(&w, fn); a = queue_work(system_wq, &w); b = queue_work(system_wq, &w); }}\nexists (0:a=1 /\\ 0:b=1)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    // flush_work() waits for it
    check(
        &format!(
            "{w}P0(void) {{ INIT_WORK(&w, fn); schedule_work(&w); flush_work(&w); assert(READ_ONCE(ran) == 1); }}\n"
        ),
        "ok",
    );
    check(&format!("{w}P0(void) {{ INIT_WORK(&w, fn); schedule_work(&w); flush_workqueue(system_wq); assert(READ_ONCE(ran) == 1); }}\n"), "ok");
    // cancel_work_sync(): afterwards the item neither runs nor is running
    check(&format!("{w}P0(void) {{ INIT_WORK(&w, fn); schedule_work(&w); cancel_work_sync(&w); int a = READ_ONCE(ran); int b = READ_ONCE(ran); assert(a == b); }}\n"), "ok");
    check(&format!("{w}P0(void) {{ INIT_WORK(&w, fn); queue_work(system_unbound_wq, &w); cancel_work_sync(&w); int a = READ_ONCE(ran); int b = READ_ONCE(ran); assert(a == b); }}\n"), "ok");
    // cancel_work() does not wait for a running item: on the unbound pool
    // it runs beside P0 (with schedule_work() it waits on CPU0's pool
    // until P0 is done, and this is ok)
    check(&format!("{w}P0(void) {{ INIT_WORK(&w, fn); queue_work(system_unbound_wq, &w); cancel_work(&w); int a = READ_ONCE(ran); int b = READ_ONCE(ran); assert(a == b); }}\n"), "assertion failure");
    check(&format!("{w}P0(void) {{ INIT_WORK(&w, fn); schedule_work(&w); cancel_work(&w); int a = READ_ONCE(ran); int b = READ_ONCE(ran); assert(a == b); }}\n"), "ok");
    // delayed work: a timer queues it
    let d = "struct delayed_work dw; int ran;\nstatic void fn(struct work_struct *work) { WRITE_ONCE(ran, 1); }\n";
    let r = run(
        false,
        &format!("{d}P0(void) {{ INIT_DELAYED_WORK(&dw, fn); schedule_delayed_work(&dw, HZ); }}\nforall (ran=1)\n"),
    );
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    check(&format!("{d}P0(void) {{ INIT_DELAYED_WORK(&dw, fn); schedule_delayed_work(&dw, HZ); cancel_delayed_work_sync(&dw); int a = READ_ONCE(ran); int b = READ_ONCE(ran); assert(a == b); }}\n"), "ok");
}

#[test]
fn work_items_run_concurrently_but_never_with_themselves() {
    // two items queued from two CPUs run on the two CPUs' pools at the
    // same time (kernel/workqueue.c guarantees nothing else): their plain
    // updates race
    let two = "struct work_struct a, b; int x;\nstatic void fa(struct work_struct *w) { x++; }\nstatic void fb(struct work_struct *w) { x++; }\n";
    let r = run(
        false,
        &format!("{two}P0(void) {{ INIT_WORK(&a, fa); schedule_work(&a); }}\nP1(void) {{ INIT_WORK(&b, fb); schedule_work(&b); }}\n"),
    );
    assert_eq!(r.kinds, "data race");
    // queued from one CPU, they run one after the other on its pool
    // (__queue_work(): the local CPU's pool; neither sleeps): no race
    // (before, they went to the unbound pool and raced)
    let r = run(
        false,
        &format!("{two}P0(void) {{ INIT_WORK(&a, fa); INIT_WORK(&b, fb); schedule_work(&a); schedule_work(&b); }}\n"),
    );
    assert_eq!(r.kinds, "ok");
    // ... unless on the unbound workqueue, whose kworkers are not pinned
    let r = run(
        false,
        &format!("{two}P0(void) {{ INIT_WORK(&a, fa); INIT_WORK(&b, fb); queue_work(system_unbound_wq, &a); queue_work(system_unbound_wq, &b); }}\n"),
    );
    assert_eq!(r.kinds, "data race");
    // one item queued from two CPUs, and again while it runs: it runs
    // again afterwards, never concurrently with itself (no race on x),
    // and both queueings are seen (x = 2 at the end); the second work
    // item only gives the pool a second kworker
    let one = "struct work_struct w, unused; int x; struct completion c;\nstatic void fn(struct work_struct *work) { complete(&c); x++; }\nstatic void nop(struct work_struct *work) { }\n";
    let r = run(false, &format!("{one}P0(void) {{ init_completion(&c); INIT_WORK(&unused, nop); INIT_WORK(&w, fn); schedule_work(&w); wait_for_completion(&c); schedule_work(&w); }}\nforall (x=2)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    // queue_work() from another CPU while the item runs: still serialised
    let r = run(false, &format!("{one}P0(void) {{ init_completion(&c); INIT_WORK(&unused, nop); INIT_WORK(&w, fn); schedule_work(&w); }}\nP1(void) {{ wait_for_completion(&c); schedule_work(&w); }}\nforall (x=2)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    // cancel_work_sync() of an item queued again as it runs (on CPU1's
    // pool, queued by P1): the second run happens only if it started
    // before the cancel (x = 1 or 2), and nothing runs afterwards (no race
    // with the plain reads of x). (Queued first by P0 itself, the item
    // runs on CPU0's pool and is done before P0 wakes from the
    // completion: then x = 1 only.)
    let r = run(false, &format!("{one}P0(void) {{ wait_for_completion(&c); schedule_work(&w); cancel_work_sync(&w); int a = x; int b = x; assert(a == b); }}\nP1(void) {{ INIT_WORK(&unused, nop); INIT_WORK(&w, fn); schedule_work(&w); }}\nexists (x=1)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 2));
}

#[test]
fn ordered_and_allocated_workqueues() {
    let two = "struct work_struct a, b; int x; struct workqueue_struct *wq;\nstatic void fa(struct work_struct *w) { x = 1; }\nstatic void fb(struct work_struct *w) { assert(x == 1); x = 2; }\n";
    // an ordered workqueue runs one item at a time, in queueing order
    let r = run(false, &format!("{two}P0(void) {{ wq = alloc_ordered_workqueue(\"o\", 0); INIT_WORK(&a, fa); INIT_WORK(&b, fb); queue_work(wq, &a); queue_work(wq, &b); }}\nforall (x=2)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    // a workqueue that is not ordered runs them concurrently, in any
    // order: queued from two CPUs, on the two CPUs' pools
    check(&format!("{two}int up;\nP0(void) {{ wq = alloc_workqueue(\"u\", 0, 0); INIT_WORK(&a, fa); INIT_WORK(&b, fb); smp_store_release(&up, 1); queue_work(wq, &a); }}\nP1(void) {{ if (smp_load_acquire(&up)) queue_work(wq, &b); }}\n"), "assertion failure, data race");
    // queued from one CPU, on its pool, one after the other in queueing order
    check(&format!("{two}P0(void) {{ wq = alloc_workqueue(\"u\", 0, 0); INIT_WORK(&a, fa); INIT_WORK(&b, fb); queue_work(wq, &a); queue_work(wq, &b); }}\n"), "ok");
    // an unbound workqueue with max_active 1 runs one item at a time (it
    // ran them concurrently before: a false data race and assertion failure)
    check(&format!("{two}P0(void) {{ wq = alloc_workqueue(\"u\", WQ_UNBOUND, 1); INIT_WORK(&a, fa); INIT_WORK(&b, fb); queue_work(wq, &a); queue_work(wq, &b); }}\n"), "ok");
    // max_active 2 lets both run
    check(&format!("{two}P0(void) {{ wq = alloc_workqueue(\"u\", WQ_UNBOUND, 2); INIT_WORK(&a, fa); INIT_WORK(&b, fb); queue_work(wq, &a); queue_work(wq, &b); }}\n"), "assertion failure, data race");
    // flush_workqueue() of an allocated workqueue waits for its items
    let one = "struct work_struct w; int ran; struct workqueue_struct *wq;\nstatic void fn(struct work_struct *work) { WRITE_ONCE(ran, READ_ONCE(ran) + 1); }\n";
    check(&format!("{one}P0(void) {{ wq = alloc_workqueue(\"u\", WQ_UNBOUND, 0); INIT_WORK(&w, fn); queue_work(wq, &w); flush_workqueue(wq); assert(READ_ONCE(ran) == 1); destroy_workqueue(wq); }}\n"), "ok");
    // queueing on a destroyed workqueue touches freed memory
    check(&format!("{one}P0(void) {{ wq = alloc_ordered_workqueue(\"o\", 0); INIT_WORK(&w, fn); destroy_workqueue(wq); queue_work(wq, &w); }}\n"), "use-after-free");
    // cancel_work_sync() of an inactive item of an ordered workqueue: the
    // next one still runs, and flush_workqueue() returns
    let r = run(false, &format!("{two}P0(void) {{ wq = alloc_ordered_workqueue(\"o\", 0); INIT_WORK(&a, fa); INIT_WORK(&b, fb); queue_work(wq, &a); queue_work(wq, &b); cancel_work_sync(&a); flush_workqueue(wq); }}\nexists (x=2)\n"));
    assert_eq!(r.kinds, "assertion failure");
}

#[test]
fn per_cpu_worker_pools() {
    let w = "struct work_struct w; int x;\nstatic void fn(struct work_struct *work) { WRITE_ONCE(x, 1); }\n";
    // work queued on CPU0 runs on CPU0's kworker: without preemption only
    // once P0 is done
    let r = run(
        false,
        &format!(
            "{w}P0(void) {{ INIT_WORK(&w, fn); schedule_work_on(0, &w); int r = READ_ONCE(x); }}\nexists (0:r=1)\n"
        ),
    );
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    // with preemption it may run at any preemption point of P0
    let r = run(
        true,
        &format!(
            "{w}P0(void) {{ INIT_WORK(&w, fn); schedule_work_on(0, &w); int r = READ_ONCE(x); }}\nexists (0:r=1)\n"
        ),
    );
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 2));
    // on CPU1's pool it runs beside P0
    let r = run(false, &format!("{w}P0(void) {{ INIT_WORK(&w, fn); queue_work_on(1, system_wq, &w); int r = READ_ONCE(x); }}\nP1(void) {{ }}\nexists (0:r=1)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 2));
    // flush_work() waits for an item on a per-CPU pool
    check(&format!("{w}P0(void) {{ INIT_WORK(&w, fn); schedule_work_on(1, &w); flush_work(&w); assert(READ_ONCE(x) == 1); }}\nP1(void) {{ }}\n"), "ok");
    // delayed work on a CPU, and mod_delayed_work() moving it
    let d = "struct delayed_work dw; int ran;\nstatic void fn(struct work_struct *work) { WRITE_ONCE(ran, READ_ONCE(ran) + 1); }\n";
    let r = run(false, &format!("{d}P0(void) {{ INIT_DELAYED_WORK(&dw, fn); queue_delayed_work_on(1, system_wq, &dw, HZ); }}\nP1(void) {{ }}\nforall (ran=1)\n"));
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
    let r = run(false, &format!("{d}P0(void) {{ INIT_DELAYED_WORK(&dw, fn); schedule_delayed_work(&dw, HZ); mod_delayed_work(system_wq, &dw, 0); }}\nforall (ran=1 \\/ ran=2)\n"));
    // (the timer may fire before mod_delayed_work() takes the item back,
    // but the item is then on CPU0's pool, whose kworker runs only once P0
    // is done: mod_delayed_work() takes it off the worklist, and it runs
    // once; it ran twice when it went to the unbound pool)
    assert_eq!((r.kinds.as_str(), r.outcomes), ("ok", 1));
}

#[test]
fn a_per_cpu_pool_runs_one_item_at_a_time_under_preemption() {
    // two items on CPU0's pool, each a plain x++: a preempted kworker
    // keeps its pool's nr_running (kernel/workqueue.c), so the pool's
    // other kworker does not start the second item in the middle of the
    // first (it did before the pool gate: a false lost update and data
    // race, 127,508 states reduced and unreduced)
    let two = |body: &str| {
        format!(
            "int x;\nstruct work_struct a;\nstruct work_struct b;\nstatic void fa(struct work_struct *w) {{ {body} }}\nstatic void fb(struct work_struct *w) {{ {body} }}\nP0(void) {{ INIT_WORK(&a, fa); INIT_WORK(&b, fb); schedule_work_on(0, &a); schedule_work_on(0, &b); flush_work(&a); flush_work(&b); assert(x == 2); }}\n"
        )
    };
    let r = run(true, &two("x++;"));
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("ok", 17826, 17826));
    // without preemption the gate is no step (984 states when the
    // kworkers were created awake; they start idle now)
    let r = run(false, &two("x++;"));
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("ok", 401, 401));
    // a worker that sleeps in the middle of its item lets the pool's
    // other worker run (wq_worker_sleeping()): the lost update is real
    let r = run(true, &two("int v = x; msleep(1); x = v + 1;"));
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("assertion failure, data race", 89355, 89355));
    // and without preemption too: msleep() sleeps in schedule(), so the
    // CPU runs its other tasks until the timer fires (before, a task in a
    // timed sleep kept its CPU and this was ok, 1,000 states: missed)
    let r = run(false, &two("int v = x; msleep(1); x = v + 1;"));
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("assertion failure", 1518, 1518));
}

#[test]
fn work_queued_on_a_run_time_cpu_goes_to_that_cpus_pool() {
    let w = "struct work_struct w; int x; int tgt;\nstatic void fn(struct work_struct *work) { WRITE_ONCE(x, 1); }\n";
    // the CPU is a run-time value naming CPU0: the item runs on CPU0's
    // kworker, so without preemption only once P0 is done (it went to the
    // unbound pool before, and r=1 was reachable: 2 outcomes)
    let r = run(
        false,
        &format!("{w}P0(void) {{ INIT_WORK(&w, fn); queue_work_on(READ_ONCE(tgt), system_wq, &w); int r = READ_ONCE(x); }}\nP1(void) {{ }}\nexists (0:r=1)\n"),
    );
    assert_eq!((r.kinds.as_str(), r.outcomes, r.states, r.full_states), ("ok", 1, 136, 136));
    // smp_processor_id() on P1: CPU1's pool, whose kworker runs beside P0
    // (P0 may read 1) but only once P1 is done (P1 reads 0)
    let r = run(
        false,
        &format!("{w}P0(void) {{ int r = READ_ONCE(x); }}\nP1(void) {{ INIT_WORK(&w, fn); queue_work_on(smp_processor_id(), system_wq, &w); int r = READ_ONCE(x); }}\nexists (0:r=1 \\/ 1:r=1)\n"),
    );
    assert_eq!((r.kinds.as_str(), r.outcomes, r.states, r.full_states), ("ok", 2, 243, 243));
    // WORK_CPU_UNBOUND: the calling CPU's pool (__queue_work():
    // raw_smp_processor_id()), so only once P0 is done (it went to the
    // unbound pool before, and r=1 was reachable: 2 outcomes)
    let r = run(
        false,
        &format!("{w}P0(void) {{ INIT_WORK(&w, fn); queue_work_on(WORK_CPU_UNBOUND, system_wq, &w); int r = READ_ONCE(x); }}\nexists (0:r=1)\n"),
    );
    assert_eq!((r.kinds.as_str(), r.outcomes, r.states, r.full_states), ("ok", 1, 67, 67));
}

#[test]
fn scheduler_examples_state_counts() {
    // (file, states reduced, states unreduced)
    let cases = [
        ("kthread-lost-wakeup.kvet", 98, 98),
        ("kthread-lost-wakeup-fixed.kvet", 118, 118),
        ("kthread-stop-exited.kvet", 90, 97),
        ("kthread-stop-exited-fixed.kvet", 99, 109),
        ("percpu-preempt.kvet", 30, 30),
        ("percpu-preempt-fixed.kvet", 26, 26),
        ("percpu-kthread-bind.kvet", 74, 74),
        ("percpu-kthread-bind-fixed.kvet", 43, 43),
        ("timer-del-sync-deadlock.kvet", 932, 932),
        ("timer-del-sync-deadlock-fixed.kvet", 762, 762),
        ("work-freed-while-queued.kvet", 36, 36),
        ("work-freed-while-queued-fixed.kvet", 55, 55),
        ("work-items-race.kvet", 3186, 3186),
        ("work-items-race-fixed.kvet", 3276, 3276),
        ("ordered-wq.kvet", 2159, 2159),
        ("ordered-wq-fixed.kvet", 6308, 7648),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/kernel");
    for (f, reduced, full) in cases {
        let src = std::fs::read_to_string(dir.join(f)).unwrap();
        let prog = kvet_ir::compile(&src).unwrap_or_else(|e| panic!("{f}: {}", e.message));
        let r = explore(&prog, &Options::default()).states;
        let u = explore(&prog, &Options { reduce: false, ..Options::default() }).states;
        assert_eq!((r, u), (reduced, full), "{f}");
    }
}

#[test]
fn a_scenario_may_model_timers_and_work_itself() {
    // its own struct timer_list, mod_timer() and queue_work() replace the
    // prelude's: no timer softirq, no kworker (the state count shows it)
    let body = "struct timer_list { int armed; };\nstruct work_struct { int queued; };\nstruct timer_list t; struct work_struct w;\nstatic int mod_timer(struct timer_list *tl, unsigned long e) { WRITE_ONCE(tl->armed, 1); return 0; }\nstatic bool queue_work(int *wq, struct work_struct *wk) { WRITE_ONCE(wk->queued, 1); return true; }\nP0(void) { mod_timer(&t, 1); queue_work(NULL, &w); }\n";
    let r = run(false, body);
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("ok", 3, 3));
}

#[test]
fn kthread_bind_puts_the_kthread_on_that_cpus_run_queue() {
    // kernel/kthread.c: kthread_bind() between kthread_create() and
    // wake_up_process() fixes the CPU the thread runs on. Bound to CPU0,
    // without preemption the worker runs only once P0 is done; unbound, or
    // bound to CPU1, it runs alongside P0.
    let body = |bind: &str| {
        format!("int x; int y; int c;\nstatic int worker(void *data) {{ int r = READ_ONCE(x); WRITE_ONCE(y, r); WRITE_ONCE(c, smp_processor_id()); return 0; }}\nP0(void) {{ struct task_struct *k = kthread_create(worker, NULL, \"w\"); {bind} wake_up_process(k); WRITE_ONCE(x, 1); WRITE_ONCE(x, 2); }}\nP1(void) {{ }}\nexists (y=1)\n")
    };
    let r = run(false, &body("kthread_bind(k, 0);"));
    assert_eq!((r.kinds.as_str(), r.outcomes, r.states, r.full_states), ("ok", 1, 32, 40));
    let r = run(false, &body("kthread_bind(k, 1);"));
    assert_eq!((r.kinds.as_str(), r.outcomes, r.states, r.full_states), ("ok", 3, 120, 182));
    let r = run(false, &body(""));
    assert_eq!((r.kinds.as_str(), r.outcomes, r.states, r.full_states), ("ok", 3, 84, 178));
    // smp_processor_id() in the thread is the bound CPU
    check(&body("kthread_bind(k, 1);").replace("exists (y=1)", "forall (c=1)"), "ok");
    check(&body("kthread_bind(k, 0);").replace("exists (y=1)", "forall (c=0)"), "ok");
    // through an assignment, in a helper function, as kthread_create_on_cpu() does
    let helper = "int x;\nstatic int worker(void *data) { WRITE_ONCE(x, smp_processor_id() + 1); return 0; }\nstatic struct task_struct *start(unsigned int cpu) { struct task_struct *p; p = kthread_create(worker, NULL, \"w/%u\", cpu); kthread_bind(p, 1); return p; }\nP0(void) { struct task_struct *k = start(1); get_task_struct(k); wake_up_process(k); kthread_stop_put(k); }\nP1(void) { }\nforall (x=0 \\/ x=2)\n";
    check(helper, "ok");
}

#[test]
fn kthread_bind_after_the_wake_up_warns() {
    // __kthread_bind_mask(): a thread that is no longer inactive in
    // TASK_UNINTERRUPTIBLE is not bound, WARN_ON(1)
    let body = "static int worker(void *data) { return 0; }\nP0(void) { struct task_struct *k = kthread_create(worker, NULL, \"w\"); wake_up_process(k); kthread_bind(k, 0); }\n";
    let r = run(false, body);
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("WARNING", 15, 15));
}

#[test]
fn a_bound_kthread_races_a_preempted_task_of_its_cpu() {
    // the per-CPU counter of percpu-preempt.kvet, bumped by a kthread
    // bound to CPU0: a race only with preemption, fixed by this_cpu_inc()
    let body = |inc: &str| {
        format!("DEFINE_PER_CPU(unsigned long, nr_events);\nDECLARE_COMPLETION(done);\nstatic int worker(void *data) {{ {inc}(nr_events); complete(&done); return 0; }}\nP0(void) {{ struct task_struct *k = kthread_create(worker, NULL, \"w\"); kthread_bind(k, 0); wake_up_process(k); {inc}(nr_events); wait_for_completion(&done); assert(per_cpu(nr_events, 0) == 2); }}\n")
    };
    let r = run(true, &body("__this_cpu_inc"));
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("assertion failure, data race", 74, 74));
    let r = run(false, &body("__this_cpu_inc"));
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("ok", 22, 22));
    let r = run(true, &body("this_cpu_inc"));
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("ok", 43, 43));
}

#[test]
fn kthread_bind_errors_are_located() {
    let w = "static int worker(void *data) { return 0; }\n";
    let err = |body: String| {
        let src = format!("C t\n{{}}\n{body}");
        kvet_ir::compile(&src).err().unwrap_or_else(|| panic!("no error\n{src}")).message
    };
    assert!(err(format!("{w}P0(void) {{ struct task_struct *k = kthread_create(worker, NULL, \"w\"); kthread_bind(k, 3); wake_up_process(k); }}\n")).contains("constant CPU that has a process"));
    assert!(err(format!("{w}P0(void) {{ int cpu = 0; struct task_struct *k = kthread_create(worker, NULL, \"w\"); kthread_bind(k, cpu); wake_up_process(k); }}\n")).contains("constant CPU"));
    assert!(err(format!(
        "{w}P0(void) {{ struct task_struct *k = kthread_run(worker, NULL, \"w\"); kthread_bind(k, 0); }}\n"
    ))
    .contains("already woke or bound"));
    assert!(err(format!("{w}struct task_struct *t;\nP0(void) {{ kthread_bind(t, 0); }}\n"))
        .contains("kthread_create() returned in this function"));
}

#[test]
fn a_kworker_asleep_in_a_work_function_is_a_hang_not_idle() {
    // kernel/workqueue.c: a kworker is idle only in worker_thread()'s own
    // sleep; one that sleeps forever inside a work function is a hung task.
    let body = "int flag; DECLARE_WAIT_QUEUE_HEAD(wq); struct work_struct w;\nstatic void fn(struct work_struct *work) { wait_event(wq, READ_ONCE(flag)); }\nP0(void) { INIT_WORK(&w, fn); schedule_work(&w); }\n";
    let r = run(false, body);
    assert_eq!((r.kinds.as_str(), r.states, r.full_states), ("hang", 65, 65));
    // woken: ok, and the idle kworker at the end is no hang
    let fixed = body.replace("schedule_work(&w); }", "schedule_work(&w); WRITE_ONCE(flag, 1); wake_up(&wq); }");
    let r = run(false, &fixed);
    assert_eq!(r.kinds.as_str(), "ok");
}

#[test]
fn mod_delayed_work_waits_for_a_timer_callback_in_flight() {
    let d =
        "struct delayed_work dw; int ran;\nstatic void fn(struct work_struct *work) { WRITE_ONCE(ran, 1); }\nint up;\n";
    let r = run(false, &format!("{d}P0(void) {{ INIT_DELAYED_WORK(&dw, fn); schedule_delayed_work(&dw, HZ); smp_store_release(&up, 1); }}\nP1(void) {{ if (smp_load_acquire(&up)) mod_delayed_work(system_wq, &dw, 0); }}\nforall (ran=1)\n"));
    assert_eq!(r.kinds, "ok");
}
