//! RCU deferral: kfree_rcu()/call_rcu() work queued behind the readers
//! running now, completed or made ready when their grace period ends.
//!
//! Source: kernel/rcu/tree.c (call_rcu, rcu_barrier),
//! Documentation/RCU/whatisRCU.rst.

use crate::machine::{Machine, Tracer};
use crate::state::*;
use crate::{Violation, ViolationKind};
use kvet_ir::*;

impl Machine<'_> {
    /// Queue RCU work (a slot's tag and payload, see `Layout::rcu_cb`)
    /// behind the work already pending, waiting for the readers running
    /// now; a bound finding when every slot is taken.
    pub(super) fn queue_rcu(&self, s: &mut [i64], t: usize, pc: u32, tag: i64, payload: i64) -> Result<(), Violation> {
        let n = self.layout.nthreads;
        let size = 2 + n;
        let Some(k) = (0..RCU_SLOTS).find(|k| s[self.layout.rcu_cb + k * size] == 0) else {
            return Err(self.violation(
                ViolationKind::Bound,
                t,
                pc,
                format!("more than {RCU_SLOTS} RCU callbacks pending at once"),
            ));
        };
        let b = self.layout.rcu_cb + k * size;
        s[b] = tag;
        s[b + 1] = payload;
        // the readers the grace period waits for: each one's section
        // generation, or -1
        for j in 0..n {
            s[b + 2 + j] = if self.layout.rcu_nest(s, j) > 0 { self.layout.rcu_gen(s, j) } else { -1 };
        }
        Ok(())
    }

    /// Remove slot `k`, moving the later ones up (queue order is kept and
    /// the encoding stays canonical).
    pub(super) fn dequeue_rcu(&self, s: &mut [i64], k: usize) {
        let size = 2 + self.layout.nthreads;
        let b = self.layout.rcu_cb;
        s.copy_within(b + (k + 1) * size..b + RCU_SLOTS * size, b + k * size);
        s[b + (RCU_SLOTS - 1) * size..b + RCU_SLOTS * size].fill(0);
    }

    /// kfree_rcu()-style freeing: the object (its status cell `st`) dies
    /// once every reader now inside an RCU read-side critical section has
    /// left it — at the earliest such moment, which exposes every access
    /// that the kernel's callback could race with.
    pub(super) fn free_after_grace_period<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        st: usize,
        tr: &mut T,
    ) -> Result<(), Violation> {
        let marker = freed_status(t as u32, pc);
        let no_readers = (0..self.layout.nthreads).all(|j| self.layout.rcu_nest(s, j) == 0);
        if no_readers || self.layout.rcu_cb == NONE {
            self.complete_free(s, t, pc, st, marker, tr);
            return Ok(());
        }
        self.queue_rcu(s, t, pc, st as i64 + 1, marker)
    }

    /// call_rcu(head, func) on CPU `t`.
    pub(super) fn call_rcu(&self, s: &mut [i64], t: usize, pc: u32, head: i64, func: u32) -> Result<(), Violation> {
        self.queue_rcu(s, t, pc, -(1 + func as i64 * 64 + self.rcu_cpu(t) as i64), head)
    }

    pub(super) fn complete_free<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        st: usize,
        marker: i64,
        tr: &mut T,
    ) {
        if s[st] != LIVE {
            tr.warn(self.violation(
                ViolationKind::DoubleFree,
                t,
                pc,
                "an RCU-deferred free of an object already freed".into(),
            ));
        }
        s[st] = marker;
    }

    /// After a reader leaves its critical section: complete every pending
    /// free whose grace period is now over, and mark such callbacks ready.
    pub(crate) fn rcu_callbacks<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, tr: &mut T) {
        if self.layout.rcu_cb == NONE {
            return;
        }
        let n = self.layout.nthreads;
        let size = 2 + n;
        let mut k = 0;
        while k < RCU_SLOTS {
            let b = self.layout.rcu_cb + k * size;
            let tag = s[b];
            if tag == 0 {
                break;
            }
            let over = (0..n).all(|j| {
                let g = s[b + 2 + j];
                g < 0 || self.layout.rcu_nest(s, j) == 0 || self.layout.rcu_gen(s, j) != g
            });
            if over && tag > 0 {
                let (st, marker) = ((tag - 1) as usize, s[b + 1]);
                self.dequeue_rcu(s, k);
                self.complete_free(s, t, pc, st, marker, tr);
                continue;
            }
            if over {
                s[b + 2..b + 2 + n].fill(-1);
            }
            k += 1;
        }
    }

    /// The oldest RCU callback queued on CPU `t`, if it is ready to run:
    /// (slot, callback function index).
    pub(super) fn ready_callback(&self, s: &[i64], t: usize) -> Option<(usize, u32)> {
        if self.layout.rcu_cb == NONE {
            return None;
        }
        let n = self.layout.nthreads;
        let size = 2 + n;
        for k in 0..RCU_SLOTS {
            let b = self.layout.rcu_cb + k * size;
            let tag = s[b];
            if tag == 0 {
                return None;
            }
            if tag < 0 {
                let code = -tag - 1;
                if (code % 64) as usize == t {
                    let ready = s[b + 2..b + 2 + n].iter().all(|&g| g < 0);
                    return ready.then_some((k, (code / 64) as u32));
                }
            }
        }
        None
    }

    /// Is any call_rcu() callback still to run?
    pub fn rcu_pending(&self, s: &[i64]) -> bool {
        self.layout.rcu_cb != NONE && (0..RCU_SLOTS).any(|k| s[self.layout.rcu_cb + k * (2 + self.layout.nthreads)] < 0)
    }

    /// The queued callbacks that can never run in a final state, and why.
    pub(crate) fn stranded_callbacks(&self, s: &[i64]) -> Vec<String> {
        let mut out = self.stranded_timers(s);
        if self.layout.rcu_cb == NONE {
            return out;
        }
        let size = 2 + self.layout.nthreads;
        for k in 0..RCU_SLOTS {
            let b = self.layout.rcu_cb + k * size;
            if s[b] >= 0 {
                continue;
            }
            let code = -s[b] - 1;
            let (func, cpu) = ((code / 64) as usize, (code % 64) as usize);
            let name = self.prog.rcu_funcs.get(func).map_or("?", |f| f.as_str());
            let cb = self.layout.cpu[cpu];
            let why = if s[b + 2..b + size].iter().any(|&g| g >= 0) {
                "its grace period never ends"
            } else if s[cb + IRQ_OFF] != 0 {
                "interrupts stay disabled there"
            } else {
                "bottom halves stay disabled there"
            };
            out.push(format!("RCU callback {name}() queued on CPU{cpu} never runs: {why}"));
        }
        out
    }

    /// kfree_rcu(addr): the object dies after a grace period.
    pub(super) fn free_rcu<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        addr: Opd,
        tr: &mut T,
    ) -> Result<(), Violation> {
        let v = self.val(s, t, addr);
        if v != 0 {
            let o = ptr_cell(v)
                .and_then(|c| self.prog.object_of(c))
                .filter(|o| matches!(o.kind, ObjKind::Heap(_) | ObjKind::Task(_)));
            let Some(st) = o.and_then(|o| o.status) else {
                let msg = format!("kfree_rcu of {}, which is not an allocated object", self.prog.show_val(v, false));
                return Err(self.violation(ViolationKind::BadAccess, t, pc, msg));
            };
            self.free_after_grace_period(s, t, pc, st as usize, tr)?;
        }
        Ok(())
    }
}
