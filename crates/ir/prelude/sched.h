
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
