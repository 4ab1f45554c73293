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

use super::locks::{CTX_SHIFT, HOLDER};

use super::CpuContext;

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
                CpuContext::Hard => u |= IN_HARDIRQ,
                CpuContext::Soft => u |= IN_SOFTIRQ,
                CpuContext::Task => {}
            }
            if ctx != CpuContext::Hard && !self.irqs_off(s, t) {
                u |= HARDIRQ_ON;
                if ctx == CpuContext::Task && !self.bh_off(s, t) {
                    u |= SOFTIRQ_ON;
                }
            }
            if kind == LockKind::Read {
                u = lockdep::read_form(u);
            }
            self.lockdep_usage(s, t, pc, k, u, tr);
        }
        // the dependency graph: every lock held in this context -> k, with
        // its kind: the held lock shared (read) or exclusive, k taken as a
        // recursive reader or not (read_lock_is_recursive(): with queued
        // rwlocks, exactly when in_interrupt(); rwsem readers never are)
        let held = self.held(s, t, ctx) & !(1 << k);
        let shared = held & !self.held_exclusive(s, t, ctx);
        let recursive = kind == LockKind::Read && (ctx != CpuContext::Task || self.bh_off(s, t));
        let n = self.lock_list.len();
        for j in 0..n {
            if held & (1 << j) == 0 {
                continue;
            }
            let prev_shared = shared & (1 << j) != 0;
            if let Some(path) = self.chain(s, k, j, recursive, prev_shared) {
                let (a, b) = (self.class_name(j), self.class_name(k));
                let chain: Vec<String> = path.iter().map(|&c| self.class_name(c)).collect();
                let chain = chain.join(" -> ");
                let msg = format!(
                    "possible circular locking dependency: {} takes {b} while holding {a}, but {chain} was taken in that order before",
                    self.who(t)
                );
                tr.warn(self.violation(ViolationKind::LockOrder, t, pc, msg));
            }
            let bit = self.dep_bit(DepKind { shared: prev_shared, recursive }, j, k);
            s[lb + n + bit / 64] |= 1 << (bit % 64);
        }
    }

    /// Lock classes CPU `t` holds exclusively in context `ctx`.
    fn held_exclusive(&self, s: &[i64], t: usize, ctx: CpuContext) -> u64 {
        let mut set = 0u64;
        for (k, &(c, _)) in self.lock_list.iter().enumerate() {
            let v = s[c as usize];
            if v & HOLDER == t as i64 + 1 && (v >> CTX_SHIFT) & 3 == ctx as i64 {
                set |= 1 << k;
            }
        }
        set
    }

    /// The bit of dependency `a -> b` of kind `d` in the graph after the
    /// usage words: one n×n matrix per kind when the program has reader
    /// classes, else one (every dependency is -(EN)->).
    fn dep_bit(&self, d: DepKind, a: usize, b: usize) -> usize {
        let n = self.lock_list.len();
        let m = if dep_kinds(&self.lock_list) == 1 { 0 } else { d.index() };
        m * n.pow(2).div_ceil(64) * 64 + a * n + b
    }

    fn has_dep(&self, s: &[i64], d: DepKind, a: usize, b: usize) -> bool {
        let bit = self.dep_bit(d, a, b);
        s[self.layout.lockdep + self.lock_list.len() + bit / 64] & (1 << (bit % 64)) != 0
    }

    /// We are about to add `to -> from` (holding `to`, shared when
    /// `prev_shared`; taking `from`, as a recursive reader when
    /// `recursive`): a shortest strong dependency path `from -> ... -> to`
    /// that closes a strong cycle with it (the lock classes, both ends
    /// included), if there is one. A path is strong when no two adjacent
    /// dependencies are -(*R)-> -(S*)->: the middle lock is then only
    /// read-held by both sides, which do not wait for each other
    /// (kernel/locking/lockdep.c: __bfs() with only_xr, hlock_conflict()).
    pub(super) fn chain(
        &self,
        s: &[i64],
        from: usize,
        to: usize,
        recursive: bool,
        prev_shared: bool,
    ) -> Option<Vec<usize>> {
        let n = self.lock_list.len();
        // nodes: (class, reached by a -(*R)-> dependency); breadth-first,
        // so the chain printed is a shortest one
        let node = |c: usize, xr: bool| c * 2 + xr as usize;
        let kinds = if dep_kinds(&self.lock_list) == 1 { &DepKind::ALL[..1] } else { &DepKind::ALL[..] };
        let mut prev = vec![usize::MAX; 2 * n];
        let mut seen = vec![false; 2 * n];
        let root = node(from, recursive);
        seen[root] = true;
        let mut queue = std::collections::VecDeque::from([root]);
        while let Some(x) = queue.pop_front() {
            let (a, only_xr) = (x / 2, x % 2 == 1);
            // the cycle is strong unless it has -(*R)-> to -(S*)-> at `to`
            if a == to && x != root && (!prev_shared || !only_xr) {
                let mut path = vec![to];
                let mut y = x;
                while y != root {
                    y = prev[y];
                    path.push(y / 2);
                }
                path.reverse();
                return Some(path);
            }
            for b in 0..n {
                for &d in kinds {
                    // after -(*R)-> only -(E*)-> keeps the path strong
                    if (only_xr && d.shared) || !self.has_dep(s, d, a, b) {
                        continue;
                    }
                    let y = node(b, d.recursive);
                    if !seen[y] {
                        seen[y] = true;
                        prev[y] = x;
                        queue.push_back(y);
                    }
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
        if ctx == CpuContext::Hard {
            return;
        }
        // held exclusively: HARDIRQ-ON-W; read-held rwlocks: HARDIRQ-ON-R
        let held = self.held(s, t, ctx);
        let cb = self.layout.cpu[t];
        let reads = if ctx == CpuContext::Task && cb != NONE { s[cb + RHELD] as u64 } else { 0 };
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

/// A dependency's kind (lockdep-design.rst, "Recursive read locks"): the
/// held lock shared (S, a reader) or exclusive (E), the lock taken as a
/// recursive reader (R) or not (N).
#[derive(Clone, Copy)]
struct DepKind {
    shared: bool,
    recursive: bool,
}

impl DepKind {
    const ALL: [DepKind; 4] = [
        DepKind { shared: false, recursive: false },
        DepKind { shared: false, recursive: true },
        DepKind { shared: true, recursive: false },
        DepKind { shared: true, recursive: true },
    ];

    fn index(self) -> usize {
        self.shared as usize * 2 + self.recursive as usize
    }
}

/// How many dependency matrices lockdep's state has: one per kind when a
/// lock class can be read-held (rwlocks, rwsems), else one.
pub(crate) fn dep_kinds(classes: &[(u32, LockTy)]) -> usize {
    if classes.iter().any(|&(_, ty)| matches!(ty, LockTy::Rw | LockTy::Rwsem)) {
        4
    } else {
        1
    }
}
