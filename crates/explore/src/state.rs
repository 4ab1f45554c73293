//! The explorer's state vector: one flat `[i64]` per global state, with a
//! fixed layout computed once per program, so that states are copied with
//! `copy_from_slice`, hashed in one pass and stored in flat arenas.
//!
//! Layout: memory cells first, then one block per thread holding its pc,
//! then only what that thread's code can use: RCU reader state
//! (`rcu_nest`, `rcu_gen`) if it calls rcu_read_lock(), grace-period wait
//! state (`gp_wait`, a snapshot of readers) if it calls
//! synchronize_rcu()/synchronize_srcu(), and its registers. SRCU reader
//! state lives in the srcu_struct's own cells. Small states hash and copy
//! fast, which is most of the explorer's speed.

use kvet_ir::{Instr, Program};

const NONE: usize = usize::MAX;

#[derive(Clone, Debug)]
pub struct Layout {
    pub ncells: usize,
    pub nthreads: usize,
    /// Index of each thread's pc.
    pub thread_base: Vec<usize>,
    /// Index of `rcu_nest` (`rcu_gen` follows), or NONE.
    pub rcu: Vec<usize>,
    /// Index of `gp_wait` (the snapshot follows), or NONE.
    pub gp: Vec<usize>,
    /// Snapshot length per thread.
    pub nsnap: Vec<usize>,
    /// Start of each thread's registers.
    pub reg_base: Vec<usize>,
    pub len: usize,
}

impl Layout {
    pub fn new(p: &Program) -> Layout {
        let ncells = p.ncells as usize;
        let n = p.threads.len();
        let mut l = Layout { ncells, nthreads: n, thread_base: vec![], rcu: vec![], gp: vec![], nsnap: vec![], reg_base: vec![], len: 0 };
        let mut off = ncells;
        for t in &p.threads {
            let has = |f: &dyn Fn(&Instr) -> bool| t.body.steps.iter().any(|s| f(&s.instr));
            l.thread_base.push(off);
            off += 1;
            if has(&|i| matches!(i, Instr::RcuLock | Instr::RcuUnlock)) {
                l.rcu.push(off);
                off += 2;
            } else {
                l.rcu.push(NONE);
            }
            let snap = if has(&|i| matches!(i, Instr::SyncSrcu { .. })) {
                2 * n
            } else if has(&|i| matches!(i, Instr::SyncRcu)) {
                n
            } else {
                0
            };
            if snap > 0 {
                l.gp.push(off);
                off += 1 + snap;
            } else {
                l.gp.push(NONE);
            }
            l.nsnap.push(snap);
            l.reg_base.push(off);
            off += t.nregs as usize;
        }
        l.len = off;
        l
    }

    #[inline]
    pub fn rcu_nest(&self, s: &[i64], t: usize) -> i64 {
        let i = self.rcu[t];
        if i == NONE {
            0
        } else {
            s[i]
        }
    }

    #[inline]
    pub fn rcu_gen(&self, s: &[i64], t: usize) -> i64 {
        let i = self.rcu[t];
        if i == NONE {
            0
        } else {
            s[i + 1]
        }
    }

    /// The initial state vector, before any local code has run.
    pub fn initial(&self, p: &Program) -> Vec<i64> {
        let mut s = vec![0i64; self.len];
        s[..self.ncells].copy_from_slice(&p.init_mem);
        for (t, th) in p.threads.iter().enumerate() {
            for &(r, v) in &th.init_regs {
                s[self.reg_base[t] + r as usize] = v;
            }
        }
        s
    }
}
