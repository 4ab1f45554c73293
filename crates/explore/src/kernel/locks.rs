//! The lock family's lock word: spinlocks, queued rwlocks, mutexes,
//! rwsems and bit spinlocks; acquiring, releasing, and the locks a CPU
//! holds.
//!
//! Source: kernel/locking/qrwlock.c (a waiting writer blocks new
//! task-context readers; a reader passes it exactly when in_interrupt()),
//! kernel/locking/spinlock.c, kernel/locking/mutex.c, kernel/locking/rwsem.c,
//! include/linux/bit_spinlock.h.

use crate::machine::{Machine, Status, Tracer, Wait};
use crate::state::*;
use crate::ViolationKind;
use kvet_ir::*;

use super::CpuContext;

/// Lock word layout: exclusive holder (cpu + 1) in bits 0..8, its
/// context in bits 8..10, reader count from bit 16, waiting writer
/// (cpu + 1) from bit 32.
pub(super) const HOLDER: i64 = 0xff;
pub(super) const CTX_SHIFT: u32 = 8;
const READER: i64 = 1 << 16;
const READERS: i64 = 0xffff << 16;
const WAITER_SHIFT: u32 = 32;
const WAITER: i64 = 0xff << WAITER_SHIFT;

impl Machine<'_> {
    /// The CPU holding the lock word at `cell` exclusively.
    pub fn holder(&self, s: &[i64], cell: u32) -> Option<usize> {
        let v = s[cell as usize] & HOLDER;
        (v > 0).then(|| (v - 1) as usize)
    }

    pub(crate) fn can_acquire(&self, s: &[i64], t: usize, c: u32, kind: LockKind) -> bool {
        let v = s[c as usize];
        let free = v & HOLDER == 0;
        let waiter = (v & WAITER) >> WAITER_SHIFT;
        match kind {
            LockKind::Spin | LockKind::Mutex => v == 0,
            LockKind::Write | LockKind::SemWrite => free && v & READERS == 0 && (waiter == 0 || waiter == t as i64 + 1),
            // queued rwlock (queued_read_lock_slowpath): a reader passes a
            // waiting writer exactly when in_interrupt(): in a hardirq or a
            // softirq, or with bottom halves disabled in task context
            LockKind::Read => free && (waiter == 0 || self.ctx(s, t) != CpuContext::Task || self.bh_off(s, t)),
            LockKind::SemRead => free && waiter == 0,
            LockKind::Bit(nr) => v & (1 << nr) == 0,
        }
    }

    /// Status of a Lock instruction: a writer that finds readers first
    /// queues (one step), then waits.
    pub(crate) fn lock_status(&self, s: &[i64], t: usize, c: u32, kind: LockKind) -> Status {
        if self.can_acquire(s, t, c, kind) {
            return Status::Enabled;
        }
        let v = s[c as usize];
        if matches!(kind, LockKind::Write | LockKind::SemWrite) && v & HOLDER == 0 && v & WAITER == 0 {
            return Status::Enabled; // the queueing step
        }
        Status::Blocked(Wait::Lock(c, kind))
    }

    pub(crate) fn acquire<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        c: usize,
        kind: LockKind,
        tr: &mut T,
    ) -> bool {
        if !matches!(kind, LockKind::Bit(_)) {
            self.watch_lock(c);
        }
        if !self.can_acquire(s, t, c as u32, kind) {
            // a writer queues behind the readers
            s[c] |= (t as i64 + 1) << WAITER_SHIFT;
            return false;
        }
        let ctx = self.ctx(s, t) as i64;
        match kind {
            LockKind::Spin | LockKind::Mutex => s[c] = (t as i64 + 1) | ctx << CTX_SHIFT,
            LockKind::Write | LockKind::SemWrite => {
                s[c] = (s[c] & !(HOLDER | WAITER | 3 << CTX_SHIFT)) | (t as i64 + 1) | ctx << CTX_SHIFT
            }
            LockKind::Read | LockKind::SemRead => {
                s[c] += READER;
                if let Some(k) = self.class(c) {
                    let rh = self.layout.rheld[t];
                    if rh != NONE {
                        s[rh] |= 1 << k;
                    }
                }
            }
            LockKind::Bit(nr) => s[c] |= 1 << nr,
        }
        self.lockdep_acquire(s, t, pc, c, kind, tr);
        true
    }

    pub(crate) fn release<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, c: usize, kind: LockKind, tr: &mut T) {
        let v = s[c];
        let name = self.prog.cell_name(c as u32);
        let verb = match kind {
            LockKind::Spin => "spin_unlock",
            LockKind::Read => "read_unlock",
            LockKind::Write => "write_unlock",
            LockKind::Mutex => "mutex_unlock",
            LockKind::SemRead => "up_read",
            LockKind::SemWrite => "up_write",
            LockKind::Bit(_) => "bit_spin_unlock",
        };
        let misuse = |msg: String, tr: &mut T| tr.warn(self.violation(ViolationKind::LockMisuse, t, pc, msg));
        match kind {
            LockKind::Spin | LockKind::Mutex | LockKind::Write | LockKind::SemWrite => {
                let h = v & HOLDER;
                if h != t as i64 + 1 {
                    let msg = if h == 0 {
                        format!("{verb} of {name}, which is not held (unbalanced or double unlock)")
                    } else {
                        format!("{} releases {name}, which is held by {}", self.who(t), self.who((h - 1) as usize))
                    };
                    misuse(msg, tr);
                }
                // the kernel's unlock stores "unlocked" regardless
                s[c] = v & !(HOLDER | 3 << CTX_SHIFT);
                if matches!(kind, LockKind::Spin | LockKind::Mutex) {
                    s[c] = 0;
                }
            }
            LockKind::Read | LockKind::SemRead => {
                if v & READERS == 0 {
                    misuse(format!("{verb} of {name}, which no reader holds"), tr);
                } else {
                    s[c] -= READER;
                }
                if let Some(k) = self.class(c) {
                    let rh = self.layout.rheld[t];
                    if rh != NONE {
                        s[rh] &= !(1 << k);
                    }
                }
            }
            LockKind::Bit(nr) => {
                if v & (1 << nr) == 0 {
                    misuse(format!("{verb} of bit {nr} of {name}, which is not set"), tr);
                }
                s[c] &= !(1 << nr);
            }
        }
    }

    pub(super) fn class(&self, c: usize) -> Option<usize> {
        let k = *self.lock_class.get(c)?;
        (k != u16::MAX).then_some(k as usize)
    }

    /// Lock classes held by CPU `t` in context `ctx` (exclusively or,
    /// in task context, for reading), as a bit set.
    pub(super) fn held(&self, s: &[i64], t: usize, ctx: CpuContext) -> u64 {
        let mut set = 0u64;
        for (k, &(c, _)) in self.lock_list.iter().enumerate() {
            let v = s[c as usize];
            if v & HOLDER == t as i64 + 1 && (v >> CTX_SHIFT) & 3 == ctx as i64 {
                set |= 1 << k;
            }
        }
        let rh = self.layout.rheld[t];
        if ctx == CpuContext::Task && rh != NONE {
            set |= s[rh] as u64;
        }
        set
    }

    /// Does task `t` hold a spinlock or rwlock (which disables preemption)?
    pub(crate) fn holds_spinlock(&self, s: &[i64], t: usize) -> bool {
        let held = self.held(s, t, CpuContext::Task);
        (0..self.lock_list.len())
            .any(|k| held & (1 << k) != 0 && matches!(self.lock_list[k].1, LockTy::Spin | LockTy::Rw))
    }
}
