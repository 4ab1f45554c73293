
/* ==== The scheduler's part of the prelude (crates/ir/src/sched.rs) ==== */

/* ---- kthreads (kernel/kthread.c) ----
 * A kthread's task_struct has its struct kthread right behind it (as
 * to_kthread() finds it); both die together. kthread() itself, the body
 * of every kthread, is __kthread_start() then kthread_exit(fn(data)). */

#define KTHREAD_IS_PER_CPU	0
#define KTHREAD_SHOULD_STOP	1
#define KTHREAD_SHOULD_PARK	2

struct kthread {
	unsigned long flags;
	void *data;
	long result;
	struct completion parked;
	struct completion exited;	/* completed by do_exit() (complete_vfork_done) */
};

#define to_kthread(k)	((struct kthread *)((struct task_struct *)(k) + 1))

static inline bool kthread_should_stop(void)
{
	return test_bit(KTHREAD_SHOULD_STOP, &to_kthread(current)->flags);
}

static inline bool kthread_should_park(void)
{
	return test_bit(KTHREAD_SHOULD_PARK, &to_kthread(current)->flags);
}

static inline void __kthread_parkme(struct kthread *self)
{
	for (;;) {
		set_special_state(TASK_PARKED);
		if (!test_bit(KTHREAD_SHOULD_PARK, &self->flags))
			break;
		complete(&self->parked);
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

static inline void kthread_parkme(void)
{
	__kthread_parkme(to_kthread(current));
}

/* kthread_exit(): the result for kthread_stop(), then do_exit() */
static inline void kthread_exit(long result)
{
	to_kthread(current)->result = result;
	do_exit(0);
}

/* wake_up_new_task() (kernel/sched/core.c): the first wake-up of a new
 * task, TASK_NEW to TASK_RUNNING under p->pi_lock, onto a run queue.
 * kvet's new tasks are kthreads that sleep until their first wake-up,
 * so it is that wake-up */
static inline void wake_up_new_task(struct task_struct *p)
{
	wake_up_process(p);
}

/* kthread(): sleep until the creator's wake_up_process(); a kthread
 * stopped before it ever ran exits with -EINTR without running its
 * function. */
static inline void __kthread_start(void)
{
	schedule();
	if (test_bit(KTHREAD_SHOULD_STOP, &to_kthread(current)->flags))
		kthread_exit(-EINTR);
	__kthread_parkme(to_kthread(current));
}

static inline void *__kthread_data(void)
{
	return to_kthread(current)->data;
}

/* kthread_bind(): the CPU was fixed when the program was lowered
 * (crates/ir/src/kthread_bind.rs: the kthread_create() whose result is
 * bound makes its thread on that CPU). __kthread_bind_mask() binds only
 * a thread that is inactive in TASK_UNINTERRUPTIBLE, not yet woken, and
 * WARNs otherwise. */
static inline void kthread_bind(struct task_struct *p, unsigned int cpu)
{
	WARN_ON(READ_ONCE(p->__state) != TASK_UNINTERRUPTIBLE);
}

static inline int kthread_park(struct task_struct *k)
{
	struct kthread *kthread = to_kthread(k);

	if (WARN_ON_ONCE(test_bit(KTHREAD_SHOULD_PARK, &kthread->flags)))
		return -EBUSY;
	set_bit(KTHREAD_SHOULD_PARK, &kthread->flags);
	if (k != current) {
		wake_up_process(k);
		wait_for_completion(&kthread->parked);
	}
	return 0;
}

static inline void kthread_unpark(struct task_struct *k)
{
	struct kthread *kthread = to_kthread(k);

	if (!test_bit(KTHREAD_SHOULD_PARK, &kthread->flags))
		return;
	clear_bit(KTHREAD_SHOULD_PARK, &kthread->flags);
	wake_up_state(k, TASK_PARKED);
}

/* kthread_stop(): ask the thread to stop, wake it, wait for its exit and
 * return its result; the reference taken first keeps k alive meanwhile,
 * but k must still be alive when kthread_stop() is called. */
static inline int kthread_stop(struct task_struct *k)
{
	struct kthread *kthread;
	int ret;

	get_task_struct(k);
	kthread = to_kthread(k);
	set_bit(KTHREAD_SHOULD_STOP, &kthread->flags);
	kthread_unpark(k);
	wake_up_process(k);
	wait_for_completion(&kthread->exited);
	ret = kthread->result;
	put_task_struct(k);
	return ret;
}

static inline int kthread_stop_put(struct task_struct *k)
{
	int ret = kthread_stop(k);

	put_task_struct(k);
	return ret;
}

/* ---- per-CPU variables (include/linux/percpu-defs.h) ----
 * A per-CPU variable is an array with one copy per CPU (NR_CPUS: every
 * task's CPU). Tasks never migrate in kvet, so smp_processor_id() is
 * fixed per task; this_cpu_*() are single, irq-safe operations (an atomic
 * RMW: neither preemption nor an interrupt can split them), while
 * __this_cpu_*() are plain accesses (a read and a write for the RMWs). */

#define DEFINE_PER_CPU(type, name)		type name[NR_CPUS]
#define DEFINE_PER_CPU_SHARED_ALIGNED(type, name)	type name[NR_CPUS]
#define per_cpu(var, cpu)			((var)[cpu])
#define per_cpu_ptr(ptr, cpu)			(&(*(ptr))[cpu])
#define this_cpu_ptr(ptr)			(&(*(ptr))[smp_processor_id()])
#define raw_cpu_ptr(ptr)			this_cpu_ptr(ptr)
#define get_cpu_ptr(ptr)			({ preempt_disable(); this_cpu_ptr(ptr); })
#define put_cpu_ptr(ptr)			preempt_enable()
#define get_cpu()				({ preempt_disable(); smp_processor_id(); })
#define put_cpu()				preempt_enable()

#define __this_cpu_read(var)			((var)[smp_processor_id()])
#define __this_cpu_write(var, v)		((var)[smp_processor_id()] = (v))
#define __this_cpu_add(var, v)			((var)[smp_processor_id()] += (v))
#define __this_cpu_sub(var, v)			((var)[smp_processor_id()] -= (v))
#define __this_cpu_inc(var)			__this_cpu_add(var, 1)
#define __this_cpu_dec(var)			__this_cpu_sub(var, 1)
#define raw_cpu_read(var)			__this_cpu_read(var)
#define raw_cpu_write(var, v)			__this_cpu_write(var, v)
#define raw_cpu_inc(var)			__this_cpu_inc(var)

#define this_cpu_read(var)			READ_ONCE((var)[smp_processor_id()])
#define this_cpu_write(var, v)			WRITE_ONCE((var)[smp_processor_id()], v)
#define this_cpu_add(var, v)			atomic_add((v), (atomic_t *)&(var)[smp_processor_id()])
#define this_cpu_sub(var, v)			atomic_sub((v), (atomic_t *)&(var)[smp_processor_id()])
#define this_cpu_inc(var)			this_cpu_add(var, 1)
#define this_cpu_dec(var)			this_cpu_sub(var, 1)
#define this_cpu_add_return(var, v)		atomic_add_return((v), (atomic_t *)&(var)[smp_processor_id()])
#define this_cpu_inc_return(var)		this_cpu_add_return(var, 1)
#define this_cpu_xchg(var, v)			xchg(&(var)[smp_processor_id()], v)
#define this_cpu_cmpxchg(var, o, n)		cmpxchg(&(var)[smp_processor_id()], o, n)

/* ---- timers (kernel/time/timer.c, at the level of its guarantees) ----
 * A timer is queued on the base of the CPU that set it up; that CPU's
 * timer softirq may run whenever a timer is queued there (a queued timer
 * may fire at any later point), and runs the first queued timer's
 * callback in softirq context. The queue is in expiry order: a timer
 * never fires before one of the same base that expires earlier. While a callback
 * runs, its timer's `running` lock is held: del_timer_sync() waits on it
 * (so calling it under a lock the callback takes deadlocks), and lockdep
 * sees it as the kernel's per-timer lockdep_map (call_timer_fn() and
 * timer_delete_sync() acquire it), which reports the inversion even when
 * the schedule does not deadlock. */

struct timer_list {
	struct list_head entry;
	unsigned long expires;
	void (*function)(struct timer_list *);
	unsigned int flags;
	int cpu;		/* the CPU whose base it is queued on */
	int pending;
	spinlock_t running;	/* held while the callback runs (lockdep_map) */
};

struct timer_base {
	spinlock_t lock;
	struct list_head pending;
	int nr;			/* queued timers: the softirq may run while non-zero */
	struct timer_list *running;
};

struct timer_base timer_bases[NR_CPUS];

#define TIMER_DEFERRABLE	0x00080000
#define TIMER_PINNED		0x00200000
#define TIMER_IRQSAFE		0x00400000
#define HZ			100
#define msecs_to_jiffies(m)	(m)
#define from_timer(var, callback_timer, timer_fieldname) \
	container_of(callback_timer, typeof(*var), timer_fieldname)

static inline void timer_setup(struct timer_list *timer, void (*func)(struct timer_list *), unsigned int flags)
{
	timer->function = func;
	timer->flags = flags;
	timer->cpu = smp_processor_id();
	timer->pending = 0;
}

static inline int timer_pending(const struct timer_list *timer)
{
	return READ_ONCE(timer->pending);
}

/* enqueue_timer(): the queue is kept in expiry order, so a timer never
 * fires before one that expires earlier on the same base; timers that
 * expire at the same time fire in queueing order */
static inline void __enqueue_timer(struct timer_base *base, struct timer_list *timer)
{
	struct list_head *pos = base->pending.next;

	while (pos != &base->pending && !time_after(list_entry(pos, struct timer_list, entry)->expires, timer->expires))
		pos = pos->next;
	list_add_tail(&timer->entry, pos);
}

static inline int mod_timer(struct timer_list *timer, unsigned long expires)
{
	struct timer_base *base = &timer_bases[timer->cpu];
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&base->lock, flags);
	if (!base->pending.next)
		INIT_LIST_HEAD(&base->pending);
	timer->expires = expires;
	ret = timer->pending;
	if (ret) {
		/* a pending timer moves to its new place in the queue */
		list_del(&timer->entry);
	} else {
		WRITE_ONCE(timer->pending, 1);
		base->nr++;
	}
	__enqueue_timer(base, timer);
	spin_unlock_irqrestore(&base->lock, flags);
	return ret;
}

static inline void add_timer(struct timer_list *timer)
{
	mod_timer(timer, timer->expires);
}

static inline int timer_delete(struct timer_list *timer)
{
	struct timer_base *base = &timer_bases[timer->cpu];
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&base->lock, flags);
	ret = timer->pending;
	if (ret) {
		list_del(&timer->entry);
		WRITE_ONCE(timer->pending, 0);
		base->nr--;
	}
	spin_unlock_irqrestore(&base->lock, flags);
	return ret;
}

/* timer_delete_sync(): dequeue the timer, and wait until its callback is
 * not running (on any CPU); must not be called from the callback's own
 * context nor under a lock the callback takes. */
static inline int timer_delete_sync(struct timer_list *timer)
{
	struct timer_base *base = &timer_bases[timer->cpu];
	unsigned long flags;
	int ret;

	for (;;) {
		spin_lock_irqsave(&base->lock, flags);
		if (base->running != timer) {
			ret = timer->pending;
			if (ret) {
				list_del(&timer->entry);
				WRITE_ONCE(timer->pending, 0);
				base->nr--;
			}
			spin_unlock_irqrestore(&base->lock, flags);
			return ret;
		}
		spin_unlock_irqrestore(&base->lock, flags);
		/* wait for the running callback (lock_map_acquire(&timer->lockdep_map)) */
		spin_lock_bh(&timer->running);
		spin_unlock_bh(&timer->running);
	}
}

#define del_timer(t)			timer_delete(t)
#define del_timer_sync(t)		timer_delete_sync(t)
#define timer_shutdown_sync(t)		timer_delete_sync(t)
#define timer_shutdown(t)		timer_delete(t)
#define try_to_del_timer_sync(t)	timer_delete(t)

/* run_timer_softirq() on this CPU: run the first queued timer */
static inline void __run_timers(void)
{
	struct timer_base *base = &timer_bases[smp_processor_id()];
	struct timer_list *timer;
	void (*fn)(struct timer_list *);

	spin_lock_irq(&base->lock);
	if (base->nr == 0) {
		spin_unlock_irq(&base->lock);
		return;
	}
	timer = list_first_entry(&base->pending, struct timer_list, entry);
	fn = timer->function;
	list_del(&timer->entry);
	WRITE_ONCE(timer->pending, 0);
	base->nr--;
	base->running = timer;
	spin_unlock_irq(&base->lock);
	spin_lock(&timer->running);
	fn(timer);
	spin_unlock(&timer->running);
	spin_lock_irq(&base->lock);
	base->running = NULL;
	spin_unlock_irq(&base->lock);
}

/* ---- workqueues (kernel/workqueue.c, at the level of its guarantees) ----
 * Work runs on kworker tasks: each pool has __KVET_NR_WORKERS of them (one
 * per INIT_WORK()/INIT_DELAYED_WORK() site of the scenario, at most 4),
 * created idle (asleep at the top of their loop; crates/ir/src/kworkers.rs).
 * Work of a per-CPU workqueue queued without a CPU goes to the queueing
 * CPU's pool (__queue_work(): raw_smp_processor_id()), whose kworkers are
 * pinned to that CPU; the unbound pool's kworkers run on CPUs of their own
 * and share one worklist. A pool starts another worker as soon as one
 * sleeps, so items of one pool run one after the other only while none
 * sleeps; one item never runs
 * concurrently with itself: queued again while it runs, it is not put on
 * the worklist but run again by the same worker once the running
 * instance returns (process_one_work()'s collision with
 * find_worker_executing_work(), and __queue_work()'s last_pool rule). PENDING is taken and the item queued
 * under the pool lock; the worker clears PENDING under it before running
 * the item; after the item's function returns the worker touches only
 * its own state (the function may free the item). flush_work() waits
 * until the item is neither pending nor running; cancel_work_sync()
 * dequeues it and waits for a running instance; flush_workqueue() and
 * destroy_workqueue() wait until no item is queued or running. An idle
 * kworker asleep at the end of a scenario is not a hang. Delayed work is
 * a work item queued by a timer's callback. */

#define WORK_STRUCT_PENDING_BIT	0
#define WORK_STRUCT_INACTIVE_BIT	1	/* on its workqueue's inactive list */

struct work_struct {
	unsigned long data;		/* bit 0: WORK_STRUCT_PENDING */
	struct list_head entry;
	void (*func)(struct work_struct *work);
	struct workqueue_struct *wq;	/* set when queued on a per-CPU pool or an allocated workqueue */
	int last_pool;			/* get_work_pool(): 1 + the pool it was last queued on (0: none) */
};

struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
	struct workqueue_struct *wq;	/* __queue_delayed_work(): where the timer queues it */
	int cpu;			/* the CPU asked for, or WORK_CPU_UNBOUND */
	int fire_cpu;			/* kvet: the CPU whose pool the timer queues it on */
};

/* A workqueue (kernel/workqueue.c's workqueue_struct with its one
 * pool_workqueue): max_active 0 means no limit (the system workqueues,
 * and alloc_workqueue() with max_active 0); an ordered one has 1, and
 * items past it wait on `inactive` in queueing order (pwq->inactive_works,
 * pwq_activate_first_inactive()). nr_in_flight counts the items queued
 * on a worklist or running, which flush_workqueue() waits for. */
struct workqueue_struct {
	int flags;
	int max_active;
	int nr_active;
	int nr_in_flight;
	struct list_head inactive;
};

#define WQ_UNBOUND		(1 << 1)
#define WQ_FREEZABLE		(1 << 2)
#define WQ_MEM_RECLAIM		(1 << 3)
#define WQ_HIGHPRI		(1 << 4)
#define WQ_CPU_INTENSIVE	(1 << 5)
#define WQ_SYSFS		(1 << 6)
#define WQ_POWER_EFFICIENT	(1 << 7)
#define WQ_BH			(1 << 0)
#define __WQ_ORDERED		(1 << 17)
#define WQ_DFL_ACTIVE		256
#define WORK_CPU_UNBOUND	NR_CPUS

struct worker_pool {
	spinlock_t lock;
	unsigned long idle;		/* bit i: worker i sleeps, waiting for work */
	struct task_struct *workers[__KVET_NR_WORKERS];
	struct work_struct *current_work[__KVET_NR_WORKERS];
	int rerun[__KVET_NR_WORKERS];	/* queued again while running: run it again */
	struct list_head worklist;	/* a per-CPU pool's (the unbound pool has kworker_worklist) */
};

struct worker_pool kworker_pool;
/* the per-CPU pools: CPU c's, when bit c of __KVET_CPU_POOLS is set, has
 * kworkers pinned to CPU c; its worklist and workers are guarded by
 * kworker_pool.lock, like everything else here */
struct worker_pool __kvet_cpu_pools[NR_CPUS];
LIST_HEAD(kworker_worklist);
DECLARE_WAIT_QUEUE_HEAD(kworker_flush_wq);
struct workqueue_struct __system_wq;
struct workqueue_struct __system_unbound_wq;

/* the per-CPU system workqueues are one, the unbound ones another */
#define system_wq			(&__system_wq)
#define system_percpu_wq		(&__system_wq)
#define system_highpri_wq		(&__system_wq)
#define system_long_wq			(&__system_wq)
#define system_freezable_wq		(&__system_wq)
#define system_unbound_wq		(&__system_unbound_wq)
#define system_dfl_wq			(&__system_unbound_wq)
/* a system workqueue: no accounting of its own */
#define __wq_system(wq)			((wq) == system_wq || (wq) == system_unbound_wq)
/* WQ_UNBOUND: its items go to the unbound pool */
#define __wq_unbound(wq)		((wq) == system_unbound_wq || (!__wq_system(wq) && ((wq)->flags & WQ_UNBOUND)))
#define to_delayed_work(w)		container_of(w, struct delayed_work, work)
#define work_pending(w)			test_bit(WORK_STRUCT_PENDING_BIT, &(w)->data)
#define delayed_work_pending(w)		work_pending(&(w)->work)

static inline void INIT_WORK(struct work_struct *work, void (*func)(struct work_struct *))
{
	work->data = 0;
	INIT_LIST_HEAD(&work->entry);
	work->func = func;
	if (__KVET_CPU_POOLS)
		work->last_pool = 0;
}

/* find_worker_executing_work(): the worker running `work` (index + 1), or 0 */
static inline int __work_running(struct work_struct *work)
{
	int i;

	for (i = 0; i < __KVET_NR_WORKERS; i++)
		if (READ_ONCE(kworker_pool.current_work[i]) == work)
			return i + 1;
	return 0;
}

/* the pool with number n: 0 is the unbound pool, c + 1 CPU c's */
static inline struct worker_pool *__wq_pool(int n)
{
	if (!n)
		return &kworker_pool;
	return &__kvet_cpu_pools[n - 1];
}

/* find_worker_executing_work() on the item's last pool (get_work_pool():
 * an item runs only on the pool it was last queued on, as __queue_work()
 * checks): (pool number) * __KVET_NR_WORKERS + worker index + 1, or 0 */
static inline int __work_running_any(struct work_struct *work)
{
	int c = READ_ONCE(work->last_pool) - 1;
	int i;

	if (c < 0)
		return 0;
	for (i = 0; i < __KVET_NR_WORKERS; i++)
		if (READ_ONCE(__wq_pool(c)->current_work[i]) == work)
			return c * __KVET_NR_WORKERS + i + 1;
	return 0;
}

/* is any work item queued or running? */
static inline bool __workqueue_busy(void)
{
	int i;

	if (!list_empty(&kworker_worklist))
		return true;
	for (i = 0; i < __KVET_NR_WORKERS; i++)
		if (READ_ONCE(kworker_pool.current_work[i]))
			return true;
	if (__KVET_CPU_POOLS) {
		int c;

		for (c = 0; c < NR_CPUS; c++) {
			if (!(__KVET_CPU_POOLS & (1UL << c)))
				continue;
			if (!list_empty(&__kvet_cpu_pools[c].worklist))
				return true;
			for (i = 0; i < __KVET_NR_WORKERS; i++)
				if (READ_ONCE(__kvet_cpu_pools[c].current_work[i]))
					return true;
		}
	}
	return false;
}

static inline void __queue_work(struct work_struct *work);

/* with the pool lock held: an item of `wq` ran once (it was queued once) */
static inline void __wq_ran(struct workqueue_struct *wq)
{
	if (wq && !__wq_system(wq))
		WRITE_ONCE(wq->nr_in_flight, wq->nr_in_flight - 1);
}

/* with the pool lock held: an item of `wq` is done; an ordered workqueue
 * starts its next inactive item (pwq_dec_nr_active()) */
static inline void __wq_done(struct workqueue_struct *wq)
{
	struct work_struct *next;

	if (!wq || __wq_system(wq) || !wq->max_active)
		return;
	wq->nr_active--;
	if (list_empty(&wq->inactive))
		return;
	next = list_first_entry(&wq->inactive, struct work_struct, entry);
	list_del_init(&next->entry);
	clear_bit(WORK_STRUCT_INACTIVE_BIT, &next->data);
	wq->nr_active++;
	__queue_work(next);
}

/* kworker `i`: take the first item, clear its PENDING, run it (again,
 * while it is queued again as it runs) */
static inline void __kworker_loop(int i)
{
	struct workqueue_struct *wq = NULL;
	struct work_struct *work;

	/* created idle: asleep until kick_pool() wakes it */
	schedule();
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		spin_lock_irq(&kworker_pool.lock);
		if (list_empty(&kworker_worklist)) {
			kworker_pool.idle |= 1UL << i;
			spin_unlock_irq(&kworker_pool.lock);
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		kworker_pool.idle &= ~(1UL << i);
		work = list_first_entry(&kworker_worklist, struct work_struct, entry);
		/* running before it leaves the list: lockless flushers see one or the other */
		WRITE_ONCE(kworker_pool.current_work[i], work);
		list_del_init(&work->entry);
		clear_bit(WORK_STRUCT_PENDING_BIT, &work->data);
		/* get_work_pwq(): read before the function may free the item */
		if (__KVET_WQS)
			wq = work->wq;
		spin_unlock_irq(&kworker_pool.lock);
		for (;;) {
			work->func(work);
			spin_lock_irq(&kworker_pool.lock);
			if (!kworker_pool.rerun[i])
				break;
			kworker_pool.rerun[i] = 0;
			clear_bit(WORK_STRUCT_PENDING_BIT, &work->data);
			if (__KVET_WQS)
				__wq_ran(wq);
			spin_unlock_irq(&kworker_pool.lock);
		}
		WRITE_ONCE(kworker_pool.current_work[i], NULL);
		if (__KVET_WQS) {
			__wq_done(wq);
			__wq_ran(wq);
		}
		spin_unlock_irq(&kworker_pool.lock);
		wake_up_all(&kworker_flush_wq);
	}
}

/* kworker `i` of CPU `cpu`'s pool: as __kworker_loop() */
static inline void __kworker_loop_on(int cpu, int i)
{
	struct worker_pool *pool = &__kvet_cpu_pools[cpu];
	struct workqueue_struct *wq;
	struct work_struct *work;

	/* created idle: asleep until kick_pool() wakes it */
	schedule();
	for (;;) {
		/* need_more_worker(): not while another worker of the pool
		 * runs (under preemption; crates/explore/src/pool.rs) */
		__kvet_pool_gate();
		set_current_state(TASK_INTERRUPTIBLE);
		spin_lock_irq(&kworker_pool.lock);
		if (list_empty(&pool->worklist)) {
			pool->idle |= 1UL << i;
			spin_unlock_irq(&kworker_pool.lock);
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		pool->idle &= ~(1UL << i);
		work = list_first_entry(&pool->worklist, struct work_struct, entry);
		WRITE_ONCE(pool->current_work[i], work);
		list_del_init(&work->entry);
		clear_bit(WORK_STRUCT_PENDING_BIT, &work->data);
		wq = work->wq;
		spin_unlock_irq(&kworker_pool.lock);
		for (;;) {
			work->func(work);
			spin_lock_irq(&kworker_pool.lock);
			if (!pool->rerun[i])
				break;
			pool->rerun[i] = 0;
			clear_bit(WORK_STRUCT_PENDING_BIT, &work->data);
			__wq_ran(wq);
			spin_unlock_irq(&kworker_pool.lock);
		}
		WRITE_ONCE(pool->current_work[i], NULL);
		__wq_done(wq);
		__wq_ran(wq);
		spin_unlock_irq(&kworker_pool.lock);
		wake_up_all(&kworker_flush_wq);
	}
}

/* with the pool lock held and PENDING owned: run it again after the
 * running instance if it runs, else queue it and wake an idle kworker */
static inline void __queue_work_pool(int n, struct work_struct *work);

static inline void __queue_work(struct work_struct *work)
{
	unsigned long idle;
	int r;
	int i;

	if (__KVET_CPU_POOLS) {
		__queue_work_pool(0, work);
		return;
	}
	r = __work_running(work);
	if (r) {
		kworker_pool.rerun[r - 1] = 1;
		return;
	}
	list_add_tail(&work->entry, &kworker_worklist);
	idle = kworker_pool.idle;
	for (i = 0; i < __KVET_NR_WORKERS; i++) {
		if (idle & (1UL << i)) {
			kworker_pool.idle = idle & ~(1UL << i);
			wake_up_process(kworker_pool.workers[i]);
			break;
		}
	}
}

static inline bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work);

static inline bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	unsigned long flags;
	bool ret = false;

	/* queue_work_on(WORK_CPU_UNBOUND, ...): the local CPU's pool */
	if (__KVET_CPU_POOLS || (__KVET_WQS && !__wq_system(wq)))
		return queue_work_on(WORK_CPU_UNBOUND, wq, work);

	spin_lock_irqsave(&kworker_pool.lock, flags);
	if (!test_and_set_bit(WORK_STRUCT_PENDING_BIT, &work->data)) {
		__queue_work(work);
		ret = true;
	}
	spin_unlock_irqrestore(&kworker_pool.lock, flags);
	return ret;
}

/* with the pool lock held and PENDING owned: queue the item on pool n
 * (0 the unbound pool, c + 1 CPU c's) -- or, while it runs on some
 * pool's worker, have that worker run it again (__queue_work()'s
 * non-reentrancy: a running item is queued where it runs) -- and wake
 * an idle kworker of the pool */
static inline void __queue_work_pool(int n, struct work_struct *work)
{
	struct worker_pool *pool = __wq_pool(n);
	unsigned long idle;
	int r = __work_running_any(work);
	int i;

	if (r) {
		r = r - 1;
		__wq_pool(r / __KVET_NR_WORKERS)->rerun[r % __KVET_NR_WORKERS] = 1;
		return;
	}
	WRITE_ONCE(work->last_pool, n + 1);
	if (n) {
		list_add_tail(&work->entry, &pool->worklist);
	} else {
		list_add_tail(&work->entry, &kworker_worklist);
	}
	idle = pool->idle;
	for (i = 0; i < __KVET_NR_WORKERS; i++) {
		if (idle & (1UL << i)) {
			pool->idle = idle & ~(1UL << i);
			wake_up_process(pool->workers[i]);
			break;
		}
	}
}

/* with the pool lock held and PENDING owned: queue the item on `wq`, on
 * CPU cpu's pool if `wq` is per-CPU and that CPU has one, else on the
 * unbound pool; without a CPU (WORK_CPU_UNBOUND, or -1) on the local
 * CPU's (__queue_work(): raw_smp_processor_id()); past the workqueue's
 * max_active it waits inactive */
static inline void __queue_work_wq(int cpu, struct workqueue_struct *wq, struct work_struct *work)
{
	work->wq = wq;
	if (cpu < 0 || cpu == WORK_CPU_UNBOUND)
		cpu = raw_smp_processor_id();
	if (!__wq_system(wq)) {
		WRITE_ONCE(wq->nr_in_flight, wq->nr_in_flight + 1);
		if (wq->max_active) {
			if (wq->nr_active >= wq->max_active) {
				set_bit(WORK_STRUCT_INACTIVE_BIT, &work->data);
				list_add_tail(&work->entry, &wq->inactive);
				return;
			}
			wq->nr_active++;
		}
	}
	if (cpu < NR_CPUS && cpu < 64 && (__KVET_CPU_POOLS & (1UL << cpu)) && !__wq_unbound(wq))
		__queue_work_pool(cpu + 1, work);
	else
		__queue_work(work);
}

/* queue_work_on(): on CPU cpu's pool when the workqueue is per-CPU
 * (kvet gives a pool only to the CPUs that a constant in the scenario
 * names); an unbound or ordered workqueue takes the CPU as a hint */
static inline bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work)
{
	unsigned long flags;
	bool ret = false;

	if (!__KVET_CPU_POOLS && !__KVET_WQS)
		return queue_work(wq, work);
	spin_lock_irqsave(&kworker_pool.lock, flags);
	if (!test_and_set_bit(WORK_STRUCT_PENDING_BIT, &work->data)) {
		__queue_work_wq(cpu, wq, work);
		ret = true;
	}
	spin_unlock_irqrestore(&kworker_pool.lock, flags);
	return ret;
}

static inline bool schedule_work_on(int cpu, struct work_struct *work)
{
	return queue_work_on(cpu, system_wq, work);
}

static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

/* running on some pool? (every pool only when there are per-CPU ones) */
static inline int __work_running_sel(struct work_struct *work)
{
	if (__KVET_CPU_POOLS)
		return __work_running_any(work);
	return __work_running(work);
}

static inline bool flush_work(struct work_struct *work)
{
	bool busy = test_bit(WORK_STRUCT_PENDING_BIT, &work->data) || __work_running_sel(work);

	wait_event(kworker_flush_wq, !test_bit(WORK_STRUCT_PENDING_BIT, &work->data) && !__work_running_sel(work));
	return busy;
}

/* with the pool lock held: a queued item of an allocated workqueue was
 * taken off its list (or its rerun dropped) by a cancel */
static inline void __wq_cancelled(struct work_struct *work, bool queued)
{
	struct workqueue_struct *wq = work->wq;
	bool inactive = test_and_clear_bit(WORK_STRUCT_INACTIVE_BIT, &work->data);

	if (!queued || !wq || __wq_system(wq))
		return;
	WRITE_ONCE(wq->nr_in_flight, wq->nr_in_flight - 1);
	if (!inactive)
		__wq_done(wq);
	wake_up_all(&kworker_flush_wq);
}

/* try_to_grab_pending() and the cancel: an item whose PENDING bit is
 * set but that is neither on a worklist nor due to rerun is owned by a
 * timer callback in flight (delayed_work_timer_fn() between the timer's
 * dequeue and __queue_work()), or by an armed timer that the caller did
 * not delete: the kernel returns -EAGAIN and its callers retry until
 * the item is queued, then steal it from the worklist.  A caller that
 * has just deleted the item's timer (`timer_deleted`) owns PENDING: no
 * retry */
static inline bool __cancel_work_grab(struct work_struct *work, bool timer_deleted)
{
	unsigned long flags;
	bool ret, queued;
	int r;

	for (;;) {
		queued = false;
		spin_lock_irqsave(&kworker_pool.lock, flags);
		ret = test_and_clear_bit(WORK_STRUCT_PENDING_BIT, &work->data);
		if (!ret)
			break;
		r = __work_running_any(work);
		if (r)
			queued = __wq_pool((r - 1) / __KVET_NR_WORKERS)->rerun[(r - 1) % __KVET_NR_WORKERS];
		else
			queued = work->entry.next && !list_empty(&work->entry);
		if (queued || timer_deleted)
			break;
		set_bit(WORK_STRUCT_PENDING_BIT, &work->data);
		spin_unlock_irqrestore(&kworker_pool.lock, flags);
		cpu_relax();
	}
	if (ret) {
		if (r) {
			r = r - 1;
			__wq_pool(r / __KVET_NR_WORKERS)->rerun[r % __KVET_NR_WORKERS] = 0;
			/* a rerun, not an active item: the running instance keeps it active */
			if (work->wq && !__wq_system(work->wq)) {
				WRITE_ONCE(work->wq->nr_in_flight, work->wq->nr_in_flight - 1);
				queued = false;
			}
		}
		list_del_init(&work->entry);
		__wq_cancelled(work, queued);
	}
	spin_unlock_irqrestore(&kworker_pool.lock, flags);
	return ret;
}

static inline bool __cancel_work_any(struct work_struct *work)
{
	return __cancel_work_grab(work, false);
}

static inline bool cancel_work(struct work_struct *work)
{
	unsigned long flags;
	bool ret;
	int r;

	if (__KVET_CPU_POOLS || __KVET_WQS)
		return __cancel_work_any(work);
	spin_lock_irqsave(&kworker_pool.lock, flags);
	ret = test_and_clear_bit(WORK_STRUCT_PENDING_BIT, &work->data);
	if (ret) {
		r = __work_running(work);
		if (r)
			kworker_pool.rerun[r - 1] = 0;
		list_del_init(&work->entry);
	}
	spin_unlock_irqrestore(&kworker_pool.lock, flags);
	return ret;
}

static inline bool cancel_work_sync(struct work_struct *work)
{
	bool ret = cancel_work(work);

	wait_event(kworker_flush_wq, !__work_running_sel(work));
	return ret;
}

/* flush_workqueue(): an allocated workqueue waits for its own items
 * (queued on a worklist or running; a delayed item whose timer has not
 * fired is not waited for, as in the kernel); the system workqueues
 * wait until no item at all is queued or running */
static inline bool __workqueue_busy_wq(struct workqueue_struct *wq)
{
	if (__KVET_WQS && !__wq_system(wq))
		return READ_ONCE(wq->nr_in_flight);
	return __workqueue_busy();
}

static inline void flush_workqueue(struct workqueue_struct *wq)
{
	wait_event(kworker_flush_wq, !__workqueue_busy_wq(wq));
}

#define flush_scheduled_work()		flush_workqueue(system_wq)
#define drain_workqueue(wq)		flush_workqueue(wq)

/* alloc_workqueue(): a workqueue of its own (kzalloc'd, so that
 * queueing on it after destroy_workqueue() is a use-after-free);
 * max_active 0 is the default, no limit here; an unbound one
 * (WQ_UNBOUND) has at most max_active items active, the rest wait on
 * `inactive`; a per-CPU one is not limited (the kernel's limit is per
 * CPU pool); alloc_ordered_workqueue() runs at most one item at a time,
 * in queueing order (__WQ_ORDERED, max_active 1) */
static inline struct workqueue_struct *__alloc_workqueue(unsigned int flags, int max_active)
{
	struct workqueue_struct *wq = kzalloc(sizeof(*wq), GFP_KERNEL);

	if (!wq)
		return NULL;
	wq->flags = flags;
	wq->max_active = max_active;
	INIT_LIST_HEAD(&wq->inactive);
	return wq;
}

#define alloc_workqueue(fmt, flags, max_active, ...)	__alloc_workqueue((flags), ((flags) & __WQ_ORDERED) ? 1 : ((flags) & WQ_UNBOUND) ? (max_active) : 0)
#define alloc_ordered_workqueue(fmt, flags, ...)	__alloc_workqueue(WQ_UNBOUND | __WQ_ORDERED | (flags), 1)
#define create_workqueue(name)				alloc_workqueue("%s", WQ_MEM_RECLAIM, 1, (name))
#define create_singlethread_workqueue(name)		alloc_ordered_workqueue("%s", WQ_MEM_RECLAIM, (name))
#define create_freezable_workqueue(name)		alloc_workqueue("%s", WQ_FREEZABLE | WQ_UNBOUND | WQ_MEM_RECLAIM, 1, (name))

/* destroy_workqueue(): drain it, then free it */
static inline void destroy_workqueue(struct workqueue_struct *wq)
{
	flush_workqueue(wq);
	if (__KVET_WQS && !__wq_system(wq))
		kfree(wq);
}

static inline void delayed_work_timer_fn(struct timer_list *t)
{
	struct delayed_work *dwork = from_timer(dwork, t, timer);
	unsigned long flags;

	spin_lock_irqsave(&kworker_pool.lock, flags);
	__queue_work(&dwork->work);
	spin_unlock_irqrestore(&kworker_pool.lock, flags);
}

static inline void INIT_DELAYED_WORK(struct delayed_work *dwork, void (*func)(struct work_struct *))
{
	INIT_WORK(&dwork->work, func);
	timer_setup(&dwork->timer, delayed_work_timer_fn, 0);
}

static inline bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay)
{
	unsigned long flags;
	bool ret = false;

	/* queue_delayed_work_on(WORK_CPU_UNBOUND, ...) */
	if (__KVET_CPU_POOLS || (__KVET_WQS && !__wq_system(wq)))
		return queue_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
	spin_lock_irqsave(&kworker_pool.lock, flags);
	if (!test_and_set_bit(WORK_STRUCT_PENDING_BIT, &dwork->work.data)) {
		if (delay == 0)
			__queue_work(&dwork->work);
		else
			mod_timer(&dwork->timer, delay);
		ret = true;
	}
	spin_unlock_irqrestore(&kworker_pool.lock, flags);
	return ret;
}

static inline bool schedule_delayed_work(struct delayed_work *dwork, unsigned long delay)
{
	return queue_delayed_work(system_wq, dwork, delay);
}

/* delayed_work_timer_fn() for an item queued with a CPU, on a per-CPU
 * pool or on an allocated workqueue: __queue_work(dwork->cpu, dwork->wq,
 * ...), where WORK_CPU_UNBOUND is the CPU the timer fires on: the kernel
 * adds the timer on the queueing CPU (add_timer_global() from
 * __queue_delayed_work()); kvet's timer fires on its timer_setup() CPU,
 * so the queueing CPU is kept in fire_cpu */
static inline void __delayed_work_timer_fn_on(struct timer_list *t)
{
	struct delayed_work *dwork = from_timer(dwork, t, timer);
	unsigned long flags;

	spin_lock_irqsave(&kworker_pool.lock, flags);
	__queue_work_wq(dwork->fire_cpu, dwork->wq, &dwork->work);
	spin_unlock_irqrestore(&kworker_pool.lock, flags);
}

/* __queue_delayed_work(), with the pool lock held and PENDING owned */
static inline void __queue_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay)
{
	if (!delay) {
		__queue_work_wq(cpu, wq, &dwork->work);
		return;
	}
	dwork->wq = wq;
	dwork->cpu = cpu;
	dwork->fire_cpu = (cpu < 0 || cpu == WORK_CPU_UNBOUND) ? raw_smp_processor_id() : cpu;
	dwork->timer.function = __delayed_work_timer_fn_on;
	/* add_timer_on(): the timer fires on that CPU */
	if (cpu >= 0 && cpu < NR_CPUS && (__KVET_CPU_POOLS & (1UL << cpu)))
		dwork->timer.cpu = cpu;
	mod_timer(&dwork->timer, delay);
}

static inline bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay)
{
	unsigned long flags;
	bool ret = false;

	if (!__KVET_CPU_POOLS && !__KVET_WQS)
		return queue_delayed_work(wq, dwork, delay);
	spin_lock_irqsave(&kworker_pool.lock, flags);
	if (!test_and_set_bit(WORK_STRUCT_PENDING_BIT, &dwork->work.data)) {
		__queue_delayed_work_on(cpu, wq, dwork, delay);
		ret = true;
	}
	spin_unlock_irqrestore(&kworker_pool.lock, flags);
	return ret;
}

static inline bool schedule_delayed_work_on(int cpu, struct delayed_work *dwork, unsigned long delay)
{
	return queue_delayed_work_on(cpu, system_wq, dwork, delay);
}

/* mod_delayed_work_on(): take the item back from its timer or worklist
 * (try_to_grab_pending()), then queue it with the new delay; true if it
 * was pending. A running instance keeps running. */
static inline bool mod_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay)
{
	unsigned long flags;
	bool ret;

	ret = timer_delete(&dwork->timer);
	if (!ret)
		ret = __cancel_work_any(&dwork->work);
	else
		clear_bit(WORK_STRUCT_PENDING_BIT, &dwork->work.data);
	spin_lock_irqsave(&kworker_pool.lock, flags);
	if (!test_and_set_bit(WORK_STRUCT_PENDING_BIT, &dwork->work.data))
		__queue_delayed_work_on(cpu, wq, dwork, delay);
	spin_unlock_irqrestore(&kworker_pool.lock, flags);
	return ret;
}

#define mod_delayed_work(wq, dwork, delay)	mod_delayed_work_on(-1, (wq), (dwork), (delay))

/* cancel_work() of a delayed item whose timer the caller tried to
 * delete: if it did, it owns PENDING (try_to_grab_pending() with
 * WORK_CANCEL_DELAYED) */
static inline bool __cancel_dwork(struct delayed_work *dwork, bool timer)
{
	if (__KVET_CPU_POOLS || __KVET_WQS)
		return __cancel_work_grab(&dwork->work, timer);
	return cancel_work(&dwork->work);
}

static inline bool cancel_delayed_work_sync(struct delayed_work *dwork)
{
	bool timer = timer_delete_sync(&dwork->timer);
	bool ret = __cancel_dwork(dwork, timer);

	wait_event(kworker_flush_wq, !__work_running_sel(&dwork->work));
	return ret || timer;
}

static inline bool cancel_delayed_work(struct delayed_work *dwork)
{
	bool timer = timer_delete(&dwork->timer);

	return __cancel_dwork(dwork, timer) || timer;
}

static inline bool flush_delayed_work(struct delayed_work *dwork)
{
	if (timer_delete_sync(&dwork->timer)) {
		unsigned long flags;

		spin_lock_irqsave(&kworker_pool.lock, flags);
		/* __queue_work(dwork->cpu, dwork->wq, ...): on this CPU's pool
		 * when it was queued without a CPU */
		if ((__KVET_CPU_POOLS || __KVET_WQS) && dwork->wq)
			__queue_work_wq(dwork->cpu, dwork->wq, &dwork->work);
		else
			__queue_work(&dwork->work);
		spin_unlock_irqrestore(&kworker_pool.lock, flags);
	}
	return flush_work(&dwork->work);
}
