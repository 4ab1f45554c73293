//! Stuck states: why nothing can move, in words — a hang when every
//! waiting task sleeps (nobody is left to wake it: a lost wake-up), else a
//! deadlock naming what each CPU waits for and who holds it. The search,
//! the polling-loop check and replay all word a stuck state this way.
//!
//! Sources: the wait kinds of kernel/locking/qrwlock.c, kernel/smp.c
//! (csd_lock_wait), include/linux/seqlock.h, kernel/sched/completion.c.

use crate::machine::{Machine, Status, Wait};
use crate::ViolationKind;

/// Why nothing can move: a hang if every waiting task sleeps (nobody
/// will wake it), else a deadlock naming each CPU's wait:
/// "CPU0 waits for b (held by CPU1), CPU1 waits for a (held by CPU0)".
pub(crate) fn stuck_message(m: &Machine, s: &[i64]) -> (ViolationKind, String) {
    let mut parts = Vec::new();
    let mut sleepers = Vec::new();
    let mut spinners = 0;
    let ctx = |t: usize| match m.ctx(s, t) {
        crate::kernel::CpuContext::Hard => " (in a hardirq handler)",
        crate::kernel::CpuContext::Soft => " (in a softirq handler)",
        crate::kernel::CpuContext::Task => "",
    };
    for t in 0..m.layout.nthreads {
        let Status::Blocked(w) = m.status(s, t) else { continue };
        let who = format!("{}{}", m.who(t), ctx(t));
        match w {
            Wait::Lock(c, kind) => {
                spinners += 1;
                let name = m.prog.cell_name(c);
                let verb = kind.verb();
                let v = s[c as usize];
                let readers = (v >> 16) & 0xffff;
                match m.holder(s, c) {
                    Some(h) if h == t => {
                        parts.push(format!("{who} waits in {verb}({name}), which {} itself holds", m.who(t)))
                    }
                    Some(h) if m.status(s, h) == Status::Done => {
                        parts.push(format!("{who} waits in {verb}({name}) (held by {}, which has exited)", m.who(h)))
                    }
                    Some(h) => parts.push(format!("{who} waits for {name} (held by {})", m.who(h))),
                    None if readers > 0 => parts.push(format!("{who} waits in {verb}({name}) for {readers} reader(s)")),
                    None if (v >> 32) & 0xff != 0 => parts.push(format!(
                        "{who} waits in {verb}({name}) behind a queued writer (CPU{})",
                        ((v >> 32) & 0xff) - 1
                    )),
                    None => parts.push(format!("{who} waits for {name}")),
                }
            }
            Wait::GracePeriod => {
                spinners += 1;
                parts.push(format!("{who} waits for a grace period that readers never end"));
            }
            Wait::Ipi(mask) => {
                spinners += 1;
                let cpus: Vec<String> = (0..64).filter(|u| mask & (1 << u) != 0).map(|u| format!("CPU{u}")).collect();
                parts.push(format!("{who} waits for {} to answer its IPI (interrupts off there)", cpus.join(" and ")));
            }
            Wait::Seq(c) => {
                spinners += 1;
                parts.push(format!(
                    "{who} spins in read_seqbegin({}) while a writer never finishes",
                    m.prog.cell_name(c)
                ));
            }
            Wait::Sleep => {
                sleepers.push(format!("{who} sleeps forever in schedule() at `{}`", m.text(t as u32, m.pc(s, t))))
            }
            Wait::Completion(c) => {
                sleepers.push(format!("{who} sleeps forever in wait_for_completion({})", m.prog.cell_name(c)))
            }
            Wait::RcuBarrier => sleepers.push(format!("{who} sleeps forever in rcu_barrier()")),
            Wait::Cpu(c) => parts.push(format!("{who} is runnable but never gets CPU{c}")),
        }
    }
    let stranded = m.stranded_callbacks(s);
    if spinners == 0 && !sleepers.is_empty() {
        let mut msg = format!("{}: nobody is left to wake it (a lost wake-up)", sleepers.join(", "));
        for x in stranded {
            msg.push_str("; ");
            msg.push_str(&x);
        }
        return (ViolationKind::Hang, msg);
    }
    if spinners == 0 && !stranded.is_empty() {
        return (ViolationKind::Hang, stranded.join(", "));
    }
    parts.extend(sleepers);
    parts.extend(stranded);
    (ViolationKind::Deadlock, parts.join(", "))
}
