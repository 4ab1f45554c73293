//! Time: `jiffies` advances. A scenario whose own code reads `jiffies`
//! gets the timekeeping tick (kernel/time/tick-common.c, tick_periodic()
//! -> do_timer(): `jiffies_64 += ticks` in the timer interrupt) as a
//! hardirq handler of CPU0, and a schedule_timeout() that times out moves
//! `jiffies` on as well (kernel/time/sleep_timeout.c: the timeout expired,
//! so `jiffies` reached the expiry). Reads of `jiffies` are marked loads,
//! as the kernel's `volatile` declaration makes them.
//!
//! To keep the state space finite, time advances in big steps and a
//! bounded number of times: each advance adds `TICK` (far more than any
//! timeout a scenario writes, so every deadline set before it has passed);
//! the tick runs at most once, and `jiffies` stops at `TICKS * TICK`. A
//! loop polling `jiffies` after time stopped is kvet's bound, not a hang:
//! the explorer's polling-loop check does not report it (explore/src/
//! poll.rs). Expiry times of timers are not modelled, so `jiffies` in the
//! expiry argument of mod_timer() and friends does not count as a use.

use crate::lower::Lowerer;
use crate::program::*;
use kvet_syntax as ast;

/// One advance of `jiffies`.
pub(crate) const TICK: i64 = 1 << 32;
/// How many times time advances at most.
pub(crate) const TICKS: u32 = 3;
/// How many times the tick runs at most (the rest is left to timeouts).
pub(crate) const TICK_RUNS: u32 = 1;

/// The timer functions whose expiry argument kvet ignores, with its index.
fn expiry_arg(name: &str) -> Option<usize> {
    match name {
        "mod_timer" | "mod_timer_pending" | "timer_reduce" => Some(1),
        "queue_delayed_work" | "mod_delayed_work" => Some(2),
        "schedule_delayed_work" => Some(1),
        _ => None,
    }
}

/// Does the scenario's own code (not the prelude's) read `jiffies`,
/// other than for a timer's expiry?
pub(crate) fn uses_jiffies(file: &ast::File) -> bool {
    let mut ignored: Vec<(u32, u32)> = Vec::new();
    let mut uses: Vec<u32> = Vec::new();
    crate::scan::visit_exprs(file, &mut |e| {
        crate::scan::each_node(e, &mut |n| match &n.kind {
            ast::ExprKind::Call(callee, args) => {
                if let ast::ExprKind::Ident(f) = &callee.kind {
                    if let Some(a) = expiry_arg(f).and_then(|i| args.get(i)) {
                        ignored.push((a.span.lo, a.span.hi));
                    }
                }
            }
            ast::ExprKind::Ident(name) if name == "jiffies" && n.span.lo < kvet_syntax::PRELUDE_BASE => {
                uses.push(n.span.lo)
            }
            _ => {}
        })
    });
    uses.iter().any(|&at| !ignored.iter().any(|&(lo, hi)| (lo..hi).contains(&at)))
}

impl Lowerer<'_> {
    /// The cell of the prelude's `jiffies`, when time advances in this
    /// program.
    pub(crate) fn jiffies_cell(&mut self) -> Option<u32> {
        if self.consts.get("__KVET_JIFFIES") != Some(&1) {
            return None;
        }
        self.global("jiffies").ok().flatten().map(|(c, _)| c)
    }

    /// Advance `jiffies` by one `TICK`, up to `TICKS` of them (a marked
    /// load and a marked store).
    pub(crate) fn advance_jiffies(&mut self, cell: u32) {
        let addr = Opd::Imm(ptr_to(cell));
        let j = self.tmp();
        self.emit_text(Instr::Load { dst: j, addr, ord: Order::Once }, "jiffies".into());
        let below = self.tmp();
        self.emit(Instr::Bin(below, BinOp::LtU, Opd::Reg(j), Opd::Imm(TICKS as i64 * TICK)));
        let step = self.tmp();
        self.emit(Instr::Bin(step, BinOp::Mul, Opd::Reg(below), Opd::Imm(TICK)));
        let new = self.tmp();
        self.emit(Instr::Bin(new, BinOp::Add, Opd::Reg(j), Opd::Reg(step)));
        self.emit_text(Instr::Store { addr, val: Opd::Reg(new), ord: Order::Once }, "jiffies advances".into());
    }
}

/// The timekeeping tick: a hardirq handler of CPU0 running
/// `__kvet_tick()` (prelude/kernel.h) at most `TICK_RUNS` times, if time
/// advances in this program.
pub(crate) fn tick_handler(lw: &mut Lowerer) -> crate::lower::Res<Option<Handler>> {
    if lw.jiffies_cell().is_none() {
        return Ok(None);
    }
    let func = crate::sched::calling_handler(lw, "tick", "__kvet_tick");
    let entry = lw.cx.steps.len() as u32;
    lw.handler_body(&func)?;
    Ok(Some(Handler {
        name: func.name,
        kind: HandlerKind::Hardirq,
        entry,
        times: TICK_RUNS,
        arg: None,
        ipi: None,
        gate: None,
    }))
}
