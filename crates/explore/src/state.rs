//! The explorer's state vector: one flat `[i64]` per global state, with a
//! fixed layout computed once per program, so that states are copied with
//! `copy_from_slice`, hashed in one pass and stored in flat arenas.
//!
//! Layout: memory cells first, then one block per thread:
//! `[pc, rcu_nest, rcu_gen, gp_wait, srcu_cell, srcu_nest, srcu_gen,
//!   snapshot[nthreads], regs[nregs]]`.

use kvet_ir::Program;

pub(crate) const PC: usize = 0;
pub(crate) const RCU_NEST: usize = 1;
pub(crate) const RCU_GEN: usize = 2;
/// Non-zero while the thread is inside synchronize_rcu()/synchronize_srcu()
/// waiting for the readers in its snapshot.
pub(crate) const GP_WAIT: usize = 3;
pub(crate) const SRCU_CELL: usize = 4;
pub(crate) const SRCU_NEST: usize = 5;
pub(crate) const SRCU_GEN: usize = 6;
pub(crate) const SNAP: usize = 7;

/// Offsets of each thread's block in the state vector.
#[derive(Clone, Debug)]
pub struct Layout {
    pub ncells: usize,
    pub nthreads: usize,
    /// Start of each thread's block.
    pub thread_base: Vec<usize>,
    /// Start of each thread's registers.
    pub reg_base: Vec<usize>,
    pub len: usize,
}

impl Layout {
    pub fn new(p: &Program) -> Layout {
        let ncells = p.ncells as usize;
        let n = p.threads.len();
        let mut off = ncells;
        let mut thread_base = Vec::new();
        let mut reg_base = Vec::new();
        for t in &p.threads {
            thread_base.push(off);
            off += SNAP + n;
            reg_base.push(off);
            off += t.nregs as usize;
        }
        Layout { ncells, nthreads: n, thread_base, reg_base, len: off }
    }

    /// The initial state vector, before any local code has run.
    pub fn initial(&self, p: &Program) -> Vec<i64> {
        let mut s = vec![0i64; self.len];
        s[..self.ncells].copy_from_slice(&p.init_mem);
        for (t, th) in p.threads.iter().enumerate() {
            for &(r, v) in &th.init_regs {
                s[self.reg_base[t] + r as usize] = v;
            }
            s[self.thread_base[t] + SRCU_CELL] = -1;
        }
        s
    }
}
