//! Interrupt handlers: when a hardirq, softirq, IPI or RCU-callback
//! handler may start on a CPU, starting it, and its return.
//!
//! Source: kernel/softirq.c (softirqs run with bottom halves disabled, not
//! while they are off), kernel/irq/handle.c, kernel/smp.c.

use crate::machine::{Detail, Machine, Tracer};
use crate::state::*;
use crate::Violation;
use kvet_ir::*;

impl Machine<'_> {
    /// May handler `h` of CPU `t` start now?
    pub fn can_fire(&self, s: &[i64], t: usize, h: usize) -> bool {
        let cb = self.layout.cpu[t];
        if cb == NONE || s[cb + IRQ_OFF] != 0 || s[cb + HARD] != 0 {
            return false;
        }
        let hd = &self.prog.threads[t].handlers[h];
        match hd.kind {
            HandlerKind::Hardirq => (s[cb + FIRED + h] as u32) < hd.times,
            HandlerKind::Softirq => {
                s[cb + SOFT] == 0
                    && s[cb + BH] == 0
                    && hd.gate.map_or((s[cb + FIRED + h] as u32) < hd.times, |g| s[g as usize] != 0)
            }
            HandlerKind::Ipi => s[cb + IPI_PEND] == hd.ipi.map_or(0, |i| i as i64 + 1),
            HandlerKind::RcuCallback => {
                s[cb + SOFT] == 0
                    && s[cb + BH] == 0
                    && self.ready_callback(s, t).is_some_and(|(_, f)| Some(f) == hd.ipi)
            }
        }
    }

    /// Start handler `h` on CPU `t`: it runs before the interrupted
    /// context continues.
    pub fn fire<T: Tracer>(&self, s: &mut [i64], t: usize, h: usize, tr: &mut T) -> Result<(), Violation> {
        let cb = self.layout.cpu[t];
        let hd = &self.prog.threads[t].handlers[h];
        match hd.kind {
            HandlerKind::Softirq => {
                s[cb + SOFT] = h as i64 + 1;
                s[cb + SOFT_PC] = hd.entry as i64;
                s[cb + BH] += 1;
                if hd.gate.is_none() {
                    s[cb + FIRED + h] += 1;
                }
            }
            HandlerKind::RcuCallback => {
                let (k, _) = self.ready_callback(s, t).expect("fire() follows can_fire()");
                let head = s[self.layout.rcu_cb + k * (2 + self.layout.nthreads) + 1];
                self.dequeue_rcu(s, k);
                s[cb + SOFT] = h as i64 + 1;
                s[cb + SOFT_PC] = hd.entry as i64;
                s[cb + BH] += 1;
                if let Some(r) = hd.arg {
                    s[self.layout.reg(t, r)] = head;
                }
            }
            _ => {
                s[cb + HARD] = h as i64 + 1;
                s[cb + HARD_PC] = hd.entry as i64;
                s[cb + IRQ_OFF] = 1;
                if hd.kind == HandlerKind::Hardirq {
                    s[cb + FIRED + h] += 1;
                } else if let Some(r) = hd.arg {
                    s[self.layout.reg(t, r)] = s[cb + IPI_INFO];
                }
            }
        }
        if T::ON {
            tr.exec(t, hd.entry, Detail::Fire(h as u32));
        }
        self.run_local(s, t, tr)
    }

    /// The handler running on CPU `t` returns.
    pub(crate) fn irq_return<T: Tracer>(&self, s: &mut [i64], t: usize, pc: u32, tr: &mut T) {
        let cb = self.layout.cpu[t];
        if T::ON {
            tr.exec(t, pc, Detail::None);
        }
        let h = if s[cb + HARD] != 0 { s[cb + HARD] - 1 } else { s[cb + SOFT] - 1 } as usize;
        let hd = &self.prog.threads[t].handlers[h];
        match hd.kind {
            HandlerKind::Softirq | HandlerKind::RcuCallback => {
                s[cb + SOFT] = 0;
                s[cb + SOFT_PC] = 0;
                s[cb + BH] -= 1;
            }
            kind => {
                s[cb + HARD] = 0;
                s[cb + HARD_PC] = 0;
                s[cb + IRQ_OFF] = 0;
                if kind == HandlerKind::Ipi {
                    s[cb + IPI_PEND] = 0;
                    s[cb + IPI_INFO] = 0;
                    s[cb + IPI_FROM] = 0;
                }
            }
        }
        // the handler's registers are dead now
        for &k in self.handler_regs[t][h].iter() {
            s[self.layout.reg_base[t] + k as usize] = 0;
        }
    }
}
