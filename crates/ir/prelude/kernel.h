/*
 * The kvet prelude: kernel-like C that every scenario sees, written in the
 * scenario language itself so that it stays readable and a reviewer can
 * paste a variant of any of these functions into a scenario to check it.
 * Every definition here is weak: a scenario's own definition of the same
 * name replaces it. Sources: include/linux/list.h, include/linux/wait.h,
 * kernel/sched/wait.c, include/linux/sched/task.h, include/linux/mm.h,
 * include/linux/completion.h, include/linux/kernel.h.
 *
 * Natively modelled (see docs/language.md): spinlocks and friends,
 * interrupts and IPIs, schedule() and try_to_wake_up(), kmalloc/kfree,
 * bitops, atomics, refcount_t, seqcounts and completions.
 */

#define likely(x)		(x)
#define cpu_relax()		barrier()

/* include/asm-generic/barrier.h: poll *ptr until cond_expr (on VAL) holds */
#define smp_cond_load_relaxed(ptr, cond_expr)				\
({									\
	typeof(ptr) __PTR = (ptr);					\
	typeof(*ptr) VAL;						\
	for (;;) {							\
		VAL = READ_ONCE(*__PTR);				\
		if (cond_expr)						\
			break;						\
		cpu_relax();						\
	}								\
	VAL;								\
})

#define smp_cond_load_acquire(ptr, cond_expr)				\
({									\
	typeof(*ptr) _val;						\
	_val = smp_cond_load_relaxed(ptr, cond_expr);			\
	smp_acquire__after_ctrl_dep();					\
	_val;								\
})

#define atomic_cond_read_relaxed(v, c)	smp_cond_load_relaxed(&(v)->counter, (c))
#define atomic_cond_read_acquire(v, c)	smp_cond_load_acquire(&(v)->counter, (c))
#define unlikely(x)		(x)
#define min(a, b)		((a) < (b) ? (a) : (b))
#define max(a, b)		((a) > (b) ? (a) : (b))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define EXPORT_SYMBOL(x)
#define __init
#define __exit

/* ---- RCU callbacks (include/linux/types.h): call_rcu() is native ---- */

struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
};
#define rcu_head callback_head

/* ---- tasks (include/linux/sched.h, sched/task.h) ---- */

#define TASK_COMM_LEN	16

/* task->flags (include/linux/sched.h) */
#define PF_IDLE			0x00000002
#define PF_EXITING		0x00000004
#define PF_WQ_WORKER		0x00000020
#define PF_FORKNOEXEC		0x00000040
#define PF_MEMALLOC		0x00000800
#define PF_NOFREEZE		0x00008000
#define PF_KTHREAD		0x00200000

struct task_struct {
	long __state;		/* first: schedule() sleeps while it is not TASK_RUNNING */
	refcount_t usage;	/* second: the task's own reference is dropped at exit */
	int pid;		/* CPU n's task has pid and tgid n + 1 */
	unsigned long pending;	/* pending signals, one bit per signal number */
	int tgid;
	unsigned int flags;	/* PF_* */
	char comm[TASK_COMM_LEN];
	/* kthread and scheduler data: the scheduler's fields go here */
};

static inline int task_pid_nr(struct task_struct *tsk) { return tsk->pid; }
static inline int task_tgid_nr(struct task_struct *tsk) { return tsk->tgid; }

static inline struct task_struct *get_task_struct(struct task_struct *t)
{
	refcount_inc(&t->usage);
	return t;
}

static inline void put_task_struct(struct task_struct *t)
{
	if (refcount_dec_and_test(&t->usage))
		free_task(t);
}

/* ---- signals (kernel/signal.c, include/linux/sched/signal.h) ----
 * A signal is a bit in task->pending plus signal_wake_up(): it wakes the
 * task from TASK_INTERRUPTIBLE, and a fatal one from TASK_KILLABLE too.
 * Handlers are not run: a scenario sees signal_pending() and the
 * -ERESTARTSYS / -EINTR returns of the interruptible waits. */

#define SIGHUP		1
#define SIGINT		2
#define SIGKILL		9
#define SIGUSR1		10
#define SIGTERM		15
#define SIGSTOP		19
#define ERESTARTSYS	512

static inline int signal_pending(struct task_struct *p)
{
	return READ_ONCE(p->pending) != 0;
}

static inline int __fatal_signal_pending(struct task_struct *p)
{
	return test_bit(SIGKILL, &p->pending);
}

static inline int fatal_signal_pending(struct task_struct *p)
{
	return signal_pending(p) && __fatal_signal_pending(p);
}

static inline int signal_pending_state(unsigned int state, struct task_struct *p)
{
	if (!(state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL)))
		return 0;
	if (!signal_pending(p))
		return 0;
	return (state & TASK_INTERRUPTIBLE) || __fatal_signal_pending(p);
}

static inline void signal_wake_up(struct task_struct *t, int fatal)
{
	wake_up_state(t, TASK_INTERRUPTIBLE | (fatal ? TASK_WAKEKILL : 0));
}

static inline int send_sig(int sig, struct task_struct *p, int priv)
{
	set_bit(sig, &p->pending);
	signal_wake_up(p, sig == SIGKILL);
	return 0;
}

#define kill_pid_task(p, sig)	send_sig(sig, p, 0)
#define force_sig(sig)		send_sig(sig, current, 0)

static inline void flush_signals(struct task_struct *t)
{
	WRITE_ONCE(t->pending, 0);
}

/* ---- declaration and initialisation macros (include/linux/spinlock_types.h,
 * rwlock_types.h, mutex.h, rwsem.h, srcu.h, seqlock.h): a lock word of 0
 * is an unlocked lock ---- */

#define __SPIN_LOCK_UNLOCKED(name)	0
#define __RAW_SPIN_LOCK_UNLOCKED(name)	0
#define __RW_LOCK_UNLOCKED(name)	0
#define __MUTEX_INITIALIZER(name)	0
#define __RWSEM_INITIALIZER(name)	0
#define DEFINE_SPINLOCK(x)		spinlock_t x
#define DEFINE_RAW_SPINLOCK(x)		raw_spinlock_t x
#define DEFINE_RWLOCK(x)		rwlock_t x
#define DEFINE_MUTEX(mutexname)		struct mutex mutexname
#define DECLARE_RWSEM(name)		struct rw_semaphore name
#define DEFINE_SRCU(name)		struct srcu_struct name
#define DEFINE_STATIC_SRCU(name)	struct srcu_struct name
#define DEFINE_SEQLOCK(x)		seqlock_t x
#define SEQCNT_ZERO(name)		0
#define REFCOUNT_INIT(n)		ATOMIC_INIT(n)

/* The kernel's *_init() functions store an unlocked lock word: memory from
 * kmalloc() is not cleared, so a lock in it must be initialised. */
static inline void spin_lock_init(spinlock_t *lock) { WRITE_ONCE(*lock, 0); }
static inline void raw_spin_lock_init(raw_spinlock_t *lock) { WRITE_ONCE(*lock, 0); }
static inline void rwlock_init(rwlock_t *lock) { WRITE_ONCE(*lock, 0); }
static inline void mutex_init(struct mutex *lock) { WRITE_ONCE(*lock, 0); }
static inline void init_rwsem(struct rw_semaphore *sem) { WRITE_ONCE(*sem, 0); }
static inline void seqcount_init(seqcount_t *s) { WRITE_ONCE(*s, 0); }

/* ---- error pointers (include/linux/err.h) ---- */

#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)

static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR_VALUE((unsigned long)ptr); }
static inline void *ERR_CAST(const void *ptr) { return (void *)ptr; }
static inline int PTR_ERR_OR_ZERO(const void *ptr) { if (IS_ERR(ptr)) return PTR_ERR(ptr); return 0; }

/* ---- kref (include/linux/kref.h) ---- */

struct kref {
	refcount_t refcount;
};

#define KREF_INIT(n)	{ .refcount = REFCOUNT_INIT(n), }

static inline void kref_init(struct kref *kref) { refcount_set(&kref->refcount, 1); }
static inline unsigned int kref_read(const struct kref *kref) { return refcount_read(&kref->refcount); }
static inline void kref_get(struct kref *kref) { refcount_inc(&kref->refcount); }

static inline int kref_put(struct kref *kref, void (*release)(struct kref *kref))
{
	if (refcount_dec_and_test(&kref->refcount)) {
		release(kref);
		return 1;
	}
	return 0;
}

/* refcount_dec_and_lock() and refcount_dec_and_mutex_lock() of lib/refcount.c */
static inline int kref_put_lock(struct kref *kref, void (*release)(struct kref *kref), spinlock_t *lock)
{
	if (atomic_add_unless(&kref->refcount, -1, 1))
		return 0;
	spin_lock(lock);
	if (!refcount_dec_and_test(&kref->refcount)) {
		spin_unlock(lock);
		return 0;
	}
	release(kref);
	return 1;
}

static inline int kref_put_mutex(struct kref *kref, void (*release)(struct kref *kref), struct mutex *lock)
{
	if (atomic_add_unless(&kref->refcount, -1, 1))
		return 0;
	mutex_lock(lock);
	if (!refcount_dec_and_test(&kref->refcount)) {
		mutex_unlock(lock);
		return 0;
	}
	release(kref);
	return 1;
}

static inline int kref_get_unless_zero(struct kref *kref)
{
	return refcount_inc_not_zero(&kref->refcount);
}

/* ---- lock-less lists (include/linux/llist.h, lib/llist.c) ---- */

struct llist_node {
	struct llist_node *next;
};

struct llist_head {
	struct llist_node *first;
};

#define LLIST_HEAD_INIT(name)	{ NULL }
#define LLIST_HEAD(name)	struct llist_head name = LLIST_HEAD_INIT(name)
#define llist_entry(ptr, type, member)	container_of(ptr, type, member)

static inline void init_llist_head(struct llist_head *list) { WRITE_ONCE(list->first, NULL); }
static inline void init_llist_node(struct llist_node *node) { WRITE_ONCE(node->next, node); }
static inline int llist_on_list(const struct llist_node *node) { return READ_ONCE(node->next) != node; }
static inline int llist_empty(const struct llist_head *head) { return READ_ONCE(head->first) == NULL; }
static inline struct llist_node *llist_next(struct llist_node *node) { return READ_ONCE(node->next); }

static inline int llist_add_batch(struct llist_node *new_first, struct llist_node *new_last, struct llist_head *head)
{
	struct llist_node *first = READ_ONCE(head->first);

	do {
		WRITE_ONCE(new_last->next, first);
	} while (!try_cmpxchg(&head->first, &first, new_first));
	return !first;
}

static inline int llist_add(struct llist_node *new, struct llist_head *head)
{
	return llist_add_batch(new, new, head);
}

static inline struct llist_node *llist_del_all(struct llist_head *head)
{
	return xchg(&head->first, NULL);
}

struct llist_node *llist_del_first(struct llist_head *head)
{
	struct llist_node *entry, *next;

	entry = smp_load_acquire(&head->first);
	do {
		if (entry == NULL)
			return NULL;
		next = READ_ONCE(entry->next);
	} while (!try_cmpxchg(&head->first, &entry, next));
	return entry;
}

struct llist_node *llist_reverse_order(struct llist_node *head)
{
	struct llist_node *new_head = NULL;

	while (head) {
		struct llist_node *tmp = head;

		head = head->next;
		tmp->next = new_head;
		new_head = tmp;
	}
	return new_head;
}

#define llist_for_each(pos, node)	for ((pos) = (node); pos; (pos) = (pos)->next)
#define llist_for_each_safe(pos, n, node)	\
	for ((pos) = (node); (pos) && ((n) = (pos)->next, 1); (pos) = (n))
#define llist_for_each_entry(pos, node, member)					\
	for ((pos) = llist_entry((node), typeof(*(pos)), member);		\
	     &(pos)->member != NULL;						\
	     (pos) = llist_entry((pos)->member.next, typeof(*(pos)), member))
#define llist_for_each_entry_safe(pos, n, node, member)				\
	for (pos = llist_entry((node), typeof(*pos), member);			\
	     &pos->member != NULL &&						\
	        (n = llist_entry(pos->member.next, typeof(*n), member), 1);	\
	     pos = n)

/* ---- doubly linked lists (include/linux/list.h) ---- */

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)	{ &(name), &(name) }
#define LIST_HEAD(name)		struct list_head name = LIST_HEAD_INIT(name)
#define HLIST_HEAD_INIT		{ .first = NULL }
#define HLIST_HEAD(name)	struct hlist_head name = { .first = NULL }

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	WRITE_ONCE(list->next, list);
	WRITE_ONCE(list->prev, list);
}

static inline void __list_add(struct list_head *new, struct list_head *prev, struct list_head *next)
{
	next->prev = new;
	new->next = next;
	new->prev = prev;
	WRITE_ONCE(prev->next, new);
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void __list_del(struct list_head *prev, struct list_head *next)
{
	next->prev = prev;
	WRITE_ONCE(prev->next, next);
}

static inline void __list_del_entry(struct list_head *entry)
{
	__list_del(entry->prev, entry->next);
}

static inline void list_del(struct list_head *entry)
{
	__list_del_entry(entry);
	entry->next = NULL;	/* LIST_POISON1 */
	entry->prev = NULL;	/* LIST_POISON2 */
}

static inline void list_del_init(struct list_head *entry)
{
	__list_del_entry(entry);
	INIT_LIST_HEAD(entry);
}

/* Pairs with the smp_load_acquire() in list_empty_careful(). */
static inline void list_del_init_careful(struct list_head *entry)
{
	__list_del_entry(entry);
	WRITE_ONCE(entry->prev, entry);
	smp_store_release(&entry->next, entry);
}

static inline int list_empty(const struct list_head *head)
{
	return READ_ONCE(head->next) == head;
}

static inline int list_empty_careful(const struct list_head *head)
{
	struct list_head *next = smp_load_acquire(&head->next);

	return next == head && next == READ_ONCE(head->prev);
}

#define list_entry(ptr, type, member)		container_of(ptr, type, member)
#define list_first_entry(ptr, type, member)	list_entry((ptr)->next, type, member)
#define list_next_entry(pos, member)		list_entry((pos)->member.next, typeof(*(pos)), member)

#define list_for_each_entry(pos, head, member)				\
	for (pos = list_first_entry(head, typeof(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_next_entry(pos, member))

#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_first_entry(head, typeof(*pos), member),	\
		n = list_next_entry(pos, member);			\
	     &pos->member != (head);					\
	     pos = n, n = list_next_entry(n, member))

/* RCU-protected lists (include/linux/rculist.h) */

static inline void list_add_rcu(struct list_head *new, struct list_head *head)
{
	struct list_head *next = head->next;

	new->next = next;
	new->prev = head;
	rcu_assign_pointer(head->next, new);
	next->prev = new;
}

static inline void list_add_tail_rcu(struct list_head *new, struct list_head *head)
{
	struct list_head *prev = head->prev;

	new->next = head;
	new->prev = prev;
	rcu_assign_pointer(prev->next, new);
	head->prev = new;
}

static inline void list_del_rcu(struct list_head *entry)
{
	__list_del_entry(entry);
	entry->prev = NULL;	/* LIST_POISON2; ->next stays for readers */
}

#define list_entry_rcu(ptr, type, member)	container_of(READ_ONCE(ptr), type, member)

#define list_for_each_entry_rcu(pos, head, member)				\
	for (pos = list_entry_rcu((head)->next, typeof(*pos), member);		\
	     &pos->member != (head);						\
	     pos = list_entry_rcu(pos->member.next, typeof(*pos), member))

/* singly linked hash lists */

struct hlist_node {
	struct hlist_node *next, **pprev;
};

struct hlist_head {
	struct hlist_node *first;
};

static inline int hlist_empty(const struct hlist_head *h)
{
	return !READ_ONCE(h->first);
}

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	struct hlist_node *first = h->first;

	WRITE_ONCE(n->next, first);
	if (first)
		WRITE_ONCE(first->pprev, &n->next);
	WRITE_ONCE(h->first, n);
	WRITE_ONCE(n->pprev, &h->first);
}

static inline void hlist_add_head_rcu(struct hlist_node *n, struct hlist_head *h)
{
	struct hlist_node *first = h->first;

	n->next = first;
	WRITE_ONCE(n->pprev, &h->first);
	rcu_assign_pointer(h->first, n);
	if (first)
		WRITE_ONCE(first->pprev, &n->next);
}

static inline void hlist_del(struct hlist_node *n)
{
	struct hlist_node *next = n->next;
	struct hlist_node **pprev = n->pprev;

	WRITE_ONCE(*pprev, next);
	if (next)
		WRITE_ONCE(next->pprev, pprev);
}

#define hlist_del_rcu(n)	hlist_del(n)
#define hlist_entry(ptr, type, member)	container_of(ptr, type, member)
#define hlist_entry_safe(ptr, type, member)	((ptr) ? hlist_entry(ptr, type, member) : NULL)

#define hlist_for_each_entry(pos, head, member)					\
	for (pos = hlist_entry_safe((head)->first, typeof(*(pos)), member);	\
	     pos;								\
	     pos = hlist_entry_safe((pos)->member.next, typeof(*(pos)), member))

#define hlist_for_each_entry_rcu(pos, head, member)					\
	for (pos = hlist_entry_safe(READ_ONCE((head)->first), typeof(*(pos)), member);	\
	     pos;									\
	     pos = hlist_entry_safe(READ_ONCE((pos)->member.next), typeof(*(pos)), member))

/* ---- wait queues (include/linux/wait.h, kernel/sched/wait.c) ---- */

#define WQ_FLAG_EXCLUSIVE	0x01
#define WQ_FLAG_WOKEN		0x02
#define WQ_FLAG_BOOKMARK	0x04
#define WQ_FLAG_CUSTOM		0x08
#define WQ_FLAG_DONE		0x10

struct wait_queue_entry {
	unsigned int flags;
	void *private;
	int (*func)(struct wait_queue_entry *wq_entry, unsigned mode, int flags, void *key);
	struct list_head entry;
};
typedef struct wait_queue_entry wait_queue_entry_t;

struct wait_queue_head {
	spinlock_t lock;
	struct list_head head;
};
typedef struct wait_queue_head wait_queue_head_t;

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) { .head = { &(name).head, &(name).head } }
#define DECLARE_WAIT_QUEUE_HEAD(name) struct wait_queue_head name = __WAIT_QUEUE_HEAD_INITIALIZER(name)

static inline void init_waitqueue_head(struct wait_queue_head *wq_head)
{
	INIT_LIST_HEAD(&wq_head->head);
}

int default_wake_function(struct wait_queue_entry *curr, unsigned mode, int wake_flags, void *key)
{
	return try_to_wake_up(curr->private, mode, wake_flags);
}

int autoremove_wake_function(struct wait_queue_entry *wq_entry, unsigned mode, int sync, void *key)
{
	int ret = default_wake_function(wq_entry, mode, sync, key);

	if (ret)
		list_del_init_careful(&wq_entry->entry);
	return ret;
}

#define DEFINE_WAIT_FUNC(name, function)				\
	struct wait_queue_entry name = {				\
		.private	= current,				\
		.func		= function,				\
		.entry		= LIST_HEAD_INIT((name).entry),		\
	}

#define DEFINE_WAIT(name)	DEFINE_WAIT_FUNC(name, autoremove_wake_function)

#define init_wait(wait)							\
	do {								\
		(wait)->private = current;				\
		(wait)->func = autoremove_wake_function;		\
		INIT_LIST_HEAD(&(wait)->entry);				\
		(wait)->flags = 0;					\
	} while (0)

static inline void init_wait_entry(struct wait_queue_entry *wq_entry, int flags)
{
	wq_entry->flags = flags;
	wq_entry->private = current;
	wq_entry->func = autoremove_wake_function;
	INIT_LIST_HEAD(&wq_entry->entry);
}

static inline void __add_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	list_add(&wq_entry->entry, &wq_head->head);
}

static inline void __add_wait_queue_entry_tail(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	list_add_tail(&wq_entry->entry, &wq_head->head);
}

static inline void __remove_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	list_del(&wq_entry->entry);
}

static inline int waitqueue_active(struct wait_queue_head *wq_head)
{
	return !list_empty(&wq_head->head);
}

void add_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	unsigned long flags;

	wq_entry->flags &= ~WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq_head->lock, flags);
	__add_wait_queue(wq_head, wq_entry);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

void add_wait_queue_exclusive(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	unsigned long flags;

	wq_entry->flags |= WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq_head->lock, flags);
	__add_wait_queue_entry_tail(wq_head, wq_entry);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

void remove_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	unsigned long flags;

	spin_lock_irqsave(&wq_head->lock, flags);
	__remove_wait_queue(wq_head, wq_entry);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

void prepare_to_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry, int state)
{
	unsigned long flags;

	wq_entry->flags &= ~WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq_head->lock, flags);
	if (list_empty(&wq_entry->entry))
		__add_wait_queue(wq_head, wq_entry);
	set_current_state(state);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

void prepare_to_wait_exclusive(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry, int state)
{
	unsigned long flags;

	wq_entry->flags |= WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq_head->lock, flags);
	if (list_empty(&wq_entry->entry))
		__add_wait_queue_entry_tail(wq_head, wq_entry);
	set_current_state(state);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

void finish_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	unsigned long flags;

	__set_current_state(TASK_RUNNING);
	if (!list_empty_careful(&wq_entry->entry)) {
		spin_lock_irqsave(&wq_head->lock, flags);
		list_del_init(&wq_entry->entry);
		spin_unlock_irqrestore(&wq_head->lock, flags);
	}
}

static int __wake_up_common(struct wait_queue_head *wq_head, unsigned int mode, int nr_exclusive, int wake_flags, void *key)
{
	struct wait_queue_entry *curr, *next;

	list_for_each_entry_safe(curr, next, &wq_head->head, entry) {
		unsigned flags = curr->flags;
		int ret = curr->func(curr, mode, wake_flags, key);

		if (ret < 0)
			break;
		if (ret && (flags & WQ_FLAG_EXCLUSIVE) && !--nr_exclusive)
			break;
	}
	return nr_exclusive;
}

void __wake_up(struct wait_queue_head *wq_head, unsigned int mode, int nr_exclusive, void *key)
{
	unsigned long flags;

	spin_lock_irqsave(&wq_head->lock, flags);
	__wake_up_common(wq_head, mode, nr_exclusive, 0, key);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

/* The caller holds wq_head->lock. */
void __wake_up_locked_key(struct wait_queue_head *wq_head, unsigned int mode, void *key)
{
	__wake_up_common(wq_head, mode, 1, 0, key);
}

void __wake_up_locked(struct wait_queue_head *wq_head, unsigned int mode, int nr)
{
	__wake_up_common(wq_head, mode, nr, 0, NULL);
}

#define wake_up(x)			__wake_up(x, TASK_NORMAL, 1, NULL)
#define wake_up_nr(x, nr)		__wake_up(x, TASK_NORMAL, nr, NULL)
#define wake_up_all(x)			__wake_up(x, TASK_NORMAL, 0, NULL)
#define wake_up_interruptible(x)	__wake_up(x, TASK_INTERRUPTIBLE, 1, NULL)
#define wake_up_interruptible_all(x)	__wake_up(x, TASK_INTERRUPTIBLE, 0, NULL)

#define ___wait_event(wq_head, condition, state)			\
do {									\
	DEFINE_WAIT(__wq_entry);					\
	for (;;) {							\
		prepare_to_wait(&(wq_head), &__wq_entry, state);	\
		if (condition)						\
			break;						\
		schedule();						\
	}								\
	finish_wait(&(wq_head), &__wq_entry);				\
} while (0)

#define wait_event(wq_head, condition)					\
do {									\
	if (condition)							\
		break;							\
	___wait_event(wq_head, condition, TASK_UNINTERRUPTIBLE);	\
} while (0)

/* kernel/sched/wait.c: a pending signal (for this sleep state) ends the
 * wait instead of queueing. */
long prepare_to_wait_event(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry, int state)
{
	unsigned long flags;
	long ret = 0;

	spin_lock_irqsave(&wq_head->lock, flags);
	if (signal_pending_state(state, current)) {
		list_del_init(&wq_entry->entry);
		ret = -ERESTARTSYS;
	} else {
		if (list_empty(&wq_entry->entry)) {
			if (wq_entry->flags & WQ_FLAG_EXCLUSIVE)
				__add_wait_queue_entry_tail(wq_head, wq_entry);
			else
				__add_wait_queue(wq_head, wq_entry);
		}
		set_current_state(state);
	}
	spin_unlock_irqrestore(&wq_head->lock, flags);
	return ret;
}

/* ___wait_event() of include/linux/wait.h for the interruptible states:
 * 0 once the condition holds, -ERESTARTSYS when a signal ends the wait. */
#define ___wait_event_sig(wq_head, condition, state)			\
({									\
	long __ret = 0;							\
	DEFINE_WAIT(__wq_entry);					\
	for (;;) {							\
		long __int = prepare_to_wait_event(&(wq_head), &__wq_entry, state); \
		if (condition)						\
			break;						\
		if (__int) {						\
			__ret = __int;					\
			break;						\
		}							\
		schedule();						\
	}								\
	if (!__ret)							\
		finish_wait(&(wq_head), &__wq_entry);			\
	__ret;								\
})

#define wait_event_interruptible(wq_head, condition)			\
	((condition) ? 0 : ___wait_event_sig(wq_head, condition, TASK_INTERRUPTIBLE))
#define wait_event_killable(wq_head, condition)				\
	((condition) ? 0 : ___wait_event_sig(wq_head, condition, TASK_KILLABLE))

/* ---- timed waits (include/linux/wait.h): the condition is re-checked
 * when the timer fires; 0 on a timeout with the condition false, else the
 * time left, at least 1 ---- */

#define ___wait_cond_timeout(condition, __ret)				\
({									\
	int __cond = (condition);					\
	if (__cond && !__ret)						\
		__ret = 1;						\
	__cond || !__ret;						\
})

#define ___wait_event_timeout(wq_head, condition, state, timeout)	\
({									\
	long __ret = (timeout);						\
	long __int = 0;							\
	DEFINE_WAIT(__wq_entry);					\
	for (;;) {							\
		__int = prepare_to_wait_event(&(wq_head), &__wq_entry, state); \
		if (___wait_cond_timeout(condition, __ret)) {		\
			__int = 0;					\
			break;						\
		}							\
		if (__int) {						\
			__ret = __int;					\
			break;						\
		}							\
		__ret = schedule_timeout(__ret);			\
	}								\
	if (!__int)							\
		finish_wait(&(wq_head), &__wq_entry);			\
	__ret;								\
})

#define __wait_event_timeout_state(wq_head, condition, timeout, state)	\
({									\
	long __rt = (timeout);						\
	if (!___wait_cond_timeout(condition, __rt))			\
		__rt = ___wait_event_timeout(wq_head, condition, state, __rt); \
	__rt;								\
})

#define wait_event_timeout(wq_head, condition, timeout)			\
	__wait_event_timeout_state(wq_head, condition, timeout, TASK_UNINTERRUPTIBLE)
#define wait_event_interruptible_timeout(wq_head, condition, timeout)	\
	__wait_event_timeout_state(wq_head, condition, timeout, TASK_INTERRUPTIBLE)
#define wait_event_killable_timeout(wq_head, condition, timeout)	\
	__wait_event_timeout_state(wq_head, condition, timeout, TASK_KILLABLE)
#define wait_event_idle_timeout(wq_head, condition, timeout)		\
	__wait_event_timeout_state(wq_head, condition, timeout, TASK_IDLE)

/* wait_woken() and woken_wake_function() (kernel/sched/wait.c): the
 * WQ_FLAG_WOKEN handshake, with its two full barriers. */
long wait_woken(struct wait_queue_entry *wq_entry, unsigned mode, long timeout)
{
	set_current_state(mode); /* A */
	if (!(READ_ONCE(wq_entry->flags) & WQ_FLAG_WOKEN))
		timeout = schedule_timeout(timeout);
	__set_current_state(TASK_RUNNING);
	smp_store_mb(wq_entry->flags, wq_entry->flags & ~WQ_FLAG_WOKEN); /* B */
	return timeout;
}

int woken_wake_function(struct wait_queue_entry *wq_entry, unsigned mode, int sync, void *key)
{
	smp_mb(); /* C: pairs with the smp_store_mb() in wait_woken() */
	WRITE_ONCE(wq_entry->flags, wq_entry->flags | WQ_FLAG_WOKEN);
	return default_wake_function(wq_entry, mode, sync, key);
}

/* ---- bit and variable waits (include/linux/wait_bit.h,
 * kernel/sched/wait_bit.c): one shared queue stands for the kernel's
 * hashed ones; a wake-up passes its key and wake_bit_function() /
 * var_wake_function() wake only the waiters of that word and bit ---- */

struct wait_bit_key {
	unsigned long *flags;
	int bit_nr;
	unsigned long timeout;
};

struct wait_bit_queue_entry {
	struct wait_bit_key key;
	struct wait_queue_entry wq_entry;
};

struct wait_queue_head bit_wait_table = __WAIT_QUEUE_HEAD_INITIALIZER(bit_wait_table);

static inline struct wait_queue_head *bit_waitqueue(void *word, int bit)
{
	return &bit_wait_table;
}

#define __var_waitqueue(p)	(&bit_wait_table)

int wake_bit_function(struct wait_queue_entry *wq_entry, unsigned mode, int sync, void *arg)
{
	struct wait_bit_key *key = arg;
	struct wait_bit_queue_entry *wait_bit = container_of(wq_entry, struct wait_bit_queue_entry, wq_entry);

	if (wait_bit->key.flags != key->flags || wait_bit->key.bit_nr != key->bit_nr || test_bit(key->bit_nr, key->flags))
		return 0;
	return autoremove_wake_function(wq_entry, mode, sync, key);
}

#define DEFINE_WAIT_BIT(name, word, bit)				\
	struct wait_bit_queue_entry name = {				\
		.key = { .flags = (word), .bit_nr = (bit), },		\
		.wq_entry = {						\
			.private	= current,			\
			.func		= wake_bit_function,		\
			.entry		= LIST_HEAD_INIT((name).wq_entry.entry), \
		},							\
	}

/* bit_wait(): sleep; -EINTR if a signal for this sleep state is pending */
static inline int bit_wait(struct wait_bit_key *word, int mode)
{
	schedule();
	if (signal_pending_state(mode, current))
		return -EINTR;
	return 0;
}

int __wait_on_bit(struct wait_queue_head *wq_head, struct wait_bit_queue_entry *wbq_entry, unsigned mode)
{
	int ret = 0;

	do {
		prepare_to_wait(wq_head, &wbq_entry->wq_entry, mode);
		if (test_bit(wbq_entry->key.bit_nr, wbq_entry->key.flags))
			ret = bit_wait(&wbq_entry->key, mode);
	} while (test_bit(wbq_entry->key.bit_nr, wbq_entry->key.flags) && !ret);
	finish_wait(wq_head, &wbq_entry->wq_entry);
	return ret;
}

static inline int wait_on_bit(unsigned long *word, int bit, unsigned mode)
{
	if (!test_bit_acquire(bit, word))
		return 0;
	DEFINE_WAIT_BIT(wq_entry, word, bit);
	return __wait_on_bit(bit_waitqueue(word, bit), &wq_entry, mode);
}

#define wait_on_bit_io(word, bit, mode)	wait_on_bit(word, bit, mode)

/* __wake_up_bit(): the lockless waitqueue_active() check, as in the
 * kernel: the caller orders its clear_bit() before it (clear_bit_unlock()
 * and smp_mb__after_atomic(), or wake_up_bit()'s documented barrier) */
void __wake_up_bit(struct wait_queue_head *wq_head, void *word, int bit)
{
	struct wait_bit_key key = { .flags = word, .bit_nr = bit, };

	if (waitqueue_active(wq_head))
		__wake_up(wq_head, TASK_NORMAL, 1, &key);
}

static inline void wake_up_bit(void *word, int bit)
{
	__wake_up_bit(bit_waitqueue(word, bit), word, bit);
}

static inline void clear_and_wake_up_bit(int bit, unsigned long *word)
{
	clear_bit_unlock(bit, word);
	smp_mb__after_atomic();
	wake_up_bit(word, bit);
}

int var_wake_function(struct wait_queue_entry *wq_entry, unsigned mode, int sync, void *arg)
{
	struct wait_bit_key *key = arg;
	struct wait_bit_queue_entry *wbq_entry = container_of(wq_entry, struct wait_bit_queue_entry, wq_entry);

	if (wbq_entry->key.flags != key->flags || wbq_entry->key.bit_nr != key->bit_nr)
		return 0;
	return autoremove_wake_function(wq_entry, mode, sync, key);
}

static inline void init_wait_var_entry(struct wait_bit_queue_entry *wbq_entry, void *var, int flags)
{
	wbq_entry->key.flags = var;
	wbq_entry->key.bit_nr = -1;
	wbq_entry->wq_entry.flags = flags;
	wbq_entry->wq_entry.private = current;
	wbq_entry->wq_entry.func = var_wake_function;
	INIT_LIST_HEAD(&wbq_entry->wq_entry.entry);
}

static inline void wake_up_var(void *var)
{
	__wake_up_bit(__var_waitqueue(var), var, -1);
}

#define ___wait_var_event(var, condition, state)				\
({									\
	struct wait_queue_head *__wq_head = __var_waitqueue(var);	\
	struct wait_bit_queue_entry __wbq_entry;			\
	long __ret = 0;							\
	init_wait_var_entry(&__wbq_entry, var, 0);			\
	for (;;) {							\
		long __int = prepare_to_wait_event(__wq_head, &__wbq_entry.wq_entry, state); \
		if (condition)						\
			break;						\
		if (__int) {						\
			__ret = __int;					\
			break;						\
		}							\
		schedule();						\
	}								\
	if (!__ret)							\
		finish_wait(__wq_head, &__wbq_entry.wq_entry);		\
	__ret;								\
})

#define wait_var_event(var, condition)					\
do {									\
	if (condition)							\
		break;							\
	___wait_var_event(var, condition, TASK_UNINTERRUPTIBLE);	\
} while (0)
#define wait_var_event_interruptible(var, condition)			\
	((condition) ? 0 : ___wait_var_event(var, condition, TASK_INTERRUPTIBLE))
#define wait_var_event_killable(var, condition)				\
	((condition) ? 0 : ___wait_var_event(var, condition, TASK_KILLABLE))

/* ---- sleeping with a timeout (kernel/time/sleep_timeout.c, timer.h,
 * jiffies.h): schedule_timeout() is native; its timer may fire at any
 * point. When the scenario reads jiffies, time advances (crates/ir/src/
 * time.rs): the tick below is a hardirq handler of CPU0 that may run a
 * bounded number of times, and a timed-out schedule_timeout() advances
 * jiffies too; each advance passes every deadline set before it. ---- */

unsigned long jiffies;

/* tick_periodic() -> do_timer(): jiffies moves on, at most __KVET_TICKS times */
static inline void __kvet_tick(void)
{
	unsigned long j = READ_ONCE(jiffies);

	if (j < __KVET_TICKS * __KVET_TICK)
		WRITE_ONCE(jiffies, j + __KVET_TICK);
}

#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)
#define time_before_eq(a, b)	time_after_eq(b, a)
#define time_is_before_jiffies(a)	time_after(jiffies, a)
#define time_is_after_jiffies(a)	time_before(jiffies, a)

static inline unsigned long msecs_to_jiffies(const unsigned int m) { return (m + (1000 / HZ) - 1) / (1000 / HZ); }
static inline unsigned long usecs_to_jiffies(const unsigned int u) { return (u + (1000000 / HZ) - 1) / (1000000 / HZ); }
static inline unsigned int jiffies_to_msecs(const unsigned long j) { return j * (1000 / HZ); }

static inline long schedule_timeout_interruptible(long timeout)
{
	__set_current_state(TASK_INTERRUPTIBLE);
	return schedule_timeout(timeout);
}

static inline long schedule_timeout_killable(long timeout)
{
	__set_current_state(TASK_KILLABLE);
	return schedule_timeout(timeout);
}

static inline long schedule_timeout_uninterruptible(long timeout)
{
	__set_current_state(TASK_UNINTERRUPTIBLE);
	return schedule_timeout(timeout);
}

static inline long schedule_timeout_idle(long timeout)
{
	__set_current_state(TASK_IDLE);
	return schedule_timeout(timeout);
}

void msleep(unsigned int msecs)
{
	unsigned long timeout = msecs_to_jiffies(msecs) + 1;

	while (timeout)
		timeout = schedule_timeout_uninterruptible(timeout);
}

unsigned long msleep_interruptible(unsigned int msecs)
{
	unsigned long timeout = msecs_to_jiffies(msecs) + 1;

	while (timeout && !signal_pending(current))
		timeout = schedule_timeout_interruptible(timeout);
	return jiffies_to_msecs(timeout);
}

#define ssleep(seconds)		msleep((seconds) * 1000)
#define usleep_range(min, max)	msleep(1)
#define fsleep(usecs)		msleep(1)

/* do_wait_for_common() for the interruptible and killable states: a
 * pending signal ends the wait with -ERESTARTSYS */
static inline long wait_for_completion_interruptible_timeout(struct completion *x, unsigned long timeout)
{
	if (signal_pending_state(TASK_INTERRUPTIBLE, current))
		return -ERESTARTSYS;
	return wait_for_completion_timeout(x, timeout);
}

static inline long wait_for_completion_killable_timeout(struct completion *x, unsigned long timeout)
{
	if (signal_pending_state(TASK_KILLABLE, current))
		return -ERESTARTSYS;
	return wait_for_completion_timeout(x, timeout);
}

/* ---- slab caches (include/linux/slab.h): kmem_cache_create/alloc/free
 * are native; each cache is its own pool, so its freed objects are handed
 * out again only by the same cache ---- */

struct kmem_cache {
	int __pool;
};

#define SLAB_HWCACHE_ALIGN	0x00002000
#define SLAB_RECLAIM_ACCOUNT	0x00020000
#define SLAB_PANIC		0x00040000
#define SLAB_TYPESAFE_BY_RCU	0x00080000
#define SLAB_ACCOUNT		0x04000000
#define KMEM_CACHE(__struct, __flags)					\
	kmem_cache_create(#__struct, sizeof(struct __struct), 0, (__flags), NULL)

/* ---- completions (include/linux/completion.h): natively modelled ---- */

struct completion {
	unsigned int done;
};

#define DECLARE_COMPLETION(work)	struct completion work = { 0 }

/* ---- pages and refcounts (include/linux/mm.h, page_ref.h) ---- */

struct page {
	unsigned long flags;
	atomic_t _refcount;
};

static inline void get_page(struct page *page)
{
	atomic_inc(&page->_refcount);
}

static inline void put_page(struct page *page)
{
	if (atomic_dec_and_test(&page->_refcount))
		kfree(page);	/* back to the allocator: it may be handed out again */
}

static inline int page_count(struct page *page)
{
	return atomic_read(&page->_refcount);
}

static inline struct page *alloc_page(int gfp)
{
	struct page *page = kmalloc(sizeof(struct page), gfp);

	WRITE_ONCE(page->flags, 0);
	atomic_set(&page->_refcount, 1);
	return page;
}

