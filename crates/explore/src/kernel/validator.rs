//! lockdep's validator hooks on the explorer's state: marking irq usage
//! (with the read forms, see `crate::lockdep`) on every acquisition and
//! when interrupts are enabled, and the lock-order dependency graph with
//! its circular-dependency check.
//!
//! Source: kernel/locking/lockdep.c (mark_usage, mark_held_locks on
//! hardirq enable, check_prev_add, check_noncircular).

use crate::lockdep::{self, HARDIRQ_ON, IN_HARDIRQ, IN_SOFTIRQ, SOFTIRQ_ON};
use crate::machine::{Machine, Tracer};
use crate::state::*;
use crate::ViolationKind;
use kvet_ir::*;

use super::Ctx;

impl Machine<'_> {
    pub(super) fn lockdep_acquire<T: Tracer>(
        &self,
        s: &mut [i64],
        t: usize,
        pc: u32,
        c: usize,
        kind: LockKind,
        tr: &mut T,
    ) {
        let Some(k) = self.class(c) else { return };
        let lb = self.layout.lockdep;
        if lb == NONE {
            return;
        }
        let ctx = self.ctx(s, t);
        // rwsem readers sleep and are never taken in interrupts: their
        // read usage cannot conflict
        if kind != LockKind::SemRead {
            let mut u = 0;
            match ctx {
                Ctx::Hard => u |= IN_HARDIRQ,
                Ctx::Soft => u |= IN_SOFTIRQ,
                Ctx::Task => {}
            }
            if ctx != Ctx::Hard && !self.irqs_off(s, t) {
                u |= HARDIRQ_ON;
                if ctx == Ctx::Task && !self.bh_off(s, t) {
                    u |= SOFTIRQ_ON;
                }
            }
            if kind == LockKind::Read {
                u = lockdep::read_form(u);
            }
            self.lockdep_usage(s, t, pc, k, u, tr);
        }
        // the dependency graph: every lock held in this context -> k
        let held = self.held(s, t, ctx) & !(1 << k);
        let n = self.lock_list.len();
        for j in 0..n {
            if held & (1 << j) == 0 {
                continue;
            }
            if let Some(path) = self.chain(s, k, j) {
                let (a, b) = (self.class_name(j), self.class_name(k));
                let chain: Vec<String> = path.iter().map(|&c| self.class_name(c)).collect();
                let chain = chain.join(" -> ");
                let msg = format!(
                    "possible circular locking dependency: {} takes {b} while holding {a}, but {chain} was taken in that order before",
                    self.who(t)
                );
                tr.warn(self.violation(ViolationKind::LockOrder, t, pc, msg));
            }
            let bit = j * n + k;
            s[lb + n + bit / 64] |= 1 << (bit % 64);
        }
    }

    /// A shortest path of recorded lock-order edges `from -> ... -> to`
    /// (the lock classes, both ends included), if there is one.
    pub(super) fn chain(&self, s: &[i64], from: usize, to: usize) -> Option<Vec<usize>> {
        let n = self.lock_list.len();
        let lb = self.layout.lockdep + n;
        let edge = |a: usize, b: usize| {
            let bit = a * n + b;
            s[lb + bit / 64] & (1 << (bit % 64)) != 0
        };
        // breadth-first, so the chain printed is a shortest one
        let mut prev = vec![usize::MAX; n];
        let mut seen = 1u64 << from;
        let mut queue = std::collections::VecDeque::from([from]);
        while let Some(a) = queue.pop_front() {
            if a == to {
                let mut path = vec![to];
                let mut c = to;
                while c != from {
                    c = prev[c];
                    path.push(c);
                }
                path.reverse();
                return Some(path);
            }
            for (b, pb) in prev.iter_mut().enumerate() {
                if seen & (1 << b) == 0 && edge(a, b) {
                    seen |= 1 << b;
                    *pb = a;
                    queue.push_back(b);
                }
            }
        }
        None
    }

    pub(super) fn class_name(&self, k: usize) -> String {
        self.prog.cell_name(self.lock_list[k].0)
    }

    pub(super) fn lockdep_usage<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, k: usize, add: i64, tr: &mut T) {
        let lb = self.layout.lockdep;
        let old = s[lb + k];
        let u = old | add;
        s[lb + k] = u;
        if u == old {
            return;
        }
        if let Some(pair) = lockdep::conflict(u, u & !old) {
            // the "held with interrupts on" side is new: this CPU holds it
            // so now; else its handler takes it now and the holder was
            // earlier
            let host = self.layout.host[t];
            let holder =
                if (u & !old) & pair.1 != 0 { lockdep::Holder::Now(host) } else { lockdep::Holder::Earlier(host) };
            let msg = lockdep::message(pair, &self.class_name(k), holder);
            tr.warn(self.violation(ViolationKind::Lockdep, t, pc, msg));
        }
    }

    /// Interrupts were just enabled on CPU `t`: every lock it holds is
    /// now held with interrupts on (lockdep's mark_held_locks).
    pub(super) fn irqs_enabled<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, tr: &mut T) {
        if self.layout.lockdep == NONE {
            return;
        }
        let ctx = self.ctx(s, t);
        if ctx == Ctx::Hard {
            return;
        }
        // held exclusively: HARDIRQ-ON-W; read-held rwlocks: HARDIRQ-ON-R
        let held = self.held(s, t, ctx);
        let cb = self.layout.cpu[t];
        let reads = if ctx == Ctx::Task && cb != NONE { s[cb + RHELD] as u64 } else { 0 };
        for k in 0..self.lock_list.len() {
            if held & (1 << k) == 0 {
                continue;
            }
            match self.lock_list[k].1 {
                LockTy::Rw if reads & (1 << k) != 0 => {
                    self.lockdep_usage(s, t, pc, k, lockdep::read_form(HARDIRQ_ON), tr)
                }
                LockTy::Rwsem if reads & (1 << k) != 0 => {}
                _ => self.lockdep_usage(s, t, pc, k, HARDIRQ_ON, tr),
            }
        }
    }
}
