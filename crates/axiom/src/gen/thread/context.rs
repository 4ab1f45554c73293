//! The execution-context macros under the LKMM: in_interrupt(),
//! in_softirq(), in_serving_softirq(), in_hardirq()/in_irq(), in_nmi(),
//! in_task(), in_atomic() and preemptible() ([`Instr::InContext`]).
//!
//! Source: include/linux/preempt.h (the `preempt_count()` bit layout and
//! the macros, with CONFIG_PREEMPT_COUNT, without CONFIG_PREEMPT_RT),
//! kernel/softirq.c (`__do_softirq()` serves with `SOFTIRQ_OFFSET`,
//! `__local_bh_disable_ip()` adds `SOFTIRQ_DISABLE_OFFSET`), and the SC
//! explorer's word (crates/explore/src/kernel/context.rs), which this
//! one equals on every path.
//!
//! The answer is local: the word is made of the path's own state, with
//! no memory access, so it is no event (as `preempt_count()` is not):
//! * the preempt_disable() nesting, plus one per spinlock (a declared
//!   `spinlock_t` held, an rwlock's writer lock among them: see
//!   [`super::rwlock`]) and per rwlock read-held; mutexes and rwsems do
//!   not count (they sleep, they do not disable preemption);
//! * `SOFTIRQ_OFFSET` (0x100) while a softirq handler is being served on
//!   the path (under a hardirq that interrupted it too);
//! * `SOFTIRQ_DISABLE_OFFSET` (0x200) per local_bh_disable() nesting
//!   (the path's bottom-half count without the softirq served);
//! * `HARDIRQ_OFFSET` (0x10000) inside a hardirq handler.
//!
//! preemptible() also needs interrupts on (the path's irq flag).

use super::{St, Walker};
use kvet_ir::{ContextQuery, HandlerKind, LockTy, Val};

const SOFTIRQ_OFFSET: Val = 0x100;
const SOFTIRQ_DISABLE_OFFSET: Val = 0x200;
const HARDIRQ_OFFSET: Val = 0x1_0000;

impl Walker<'_> {
    /// Is `cell` a declared spinlock (a writer lock included)?
    fn is_spinlock(&self, cell: u32) -> bool {
        self.prog
            .objects
            .iter()
            .find(|o| cell >= o.base && cell < o.base + o.size)
            .is_some_and(|o| o.lock_cells.iter().any(|&(off, k)| o.base + off == cell && k == LockTy::Spin))
            && !super::cpu_share::is_run_lock(self.prog, cell)
    }

    /// The kernel's `preempt_count()` word on this path.
    pub(super) fn preempt_word(&self, st: &St) -> Val {
        let mut spins: Vec<u32> = st.held.iter().copied().filter(|&c| self.is_spinlock(c)).collect();
        spins.sort_unstable();
        spins.dedup();
        let locks = spins.len() as Val + Val::from(st.rd);
        let mut w = (Val::from(st.preempt) + locks).min(0xff);
        let kinds = st.ctx.iter().map(|f| self.th.handlers[f.h].kind);
        let serving =
            kinds.clone().filter(|k| matches!(k, HandlerKind::Softirq | HandlerKind::RcuCallback)).count() as Val;
        let disabled = Val::from(st.bh) - serving;
        w += (disabled * SOFTIRQ_DISABLE_OFFSET).min(0xfe00);
        if serving > 0 {
            w += SOFTIRQ_OFFSET;
        }
        if kinds.clone().any(|k| k == HandlerKind::Hardirq) {
            w += HARDIRQ_OFFSET;
        }
        w
    }

    /// The value of the context macro `q` on this path.
    pub(super) fn in_context(&self, st: &St, q: ContextQuery) -> Val {
        q.eval(self.preempt_word(st), st.irq_off)
    }
}
