//! Handler bodies: each CPU's interrupt handlers (`HARDIRQ`/`SOFTIRQ`
//! declarations), the timekeeping tick and timer softirq, the IPI functions
//! and the RCU callbacks, lowered after the CPU's task body as entry points
//! the explorer may jump to (include/linux/interrupt.h, kernel/smp.c,
//! kernel/rcu/tree.c).

use super::{Lowerer, Res};
use crate::program::*;
use kvet_syntax::{self as ast, Error};

/// Lower this CPU's interrupt handlers, the IPI functions and the RCU
/// callbacks after its task body.
pub(super) fn lower_handlers(lw: &mut Lowerer, file: &ast::File, cpu: u32) -> Res<Vec<Handler>> {
    let mut out = Vec::new();
    for item in &file.items {
        let ast::Item::Handler(h) = item else { continue };
        if h.kind == ast::HandlerKind::Task {
            continue;
        }
        // (checked whatever CPU is being lowered: a handler for a CPU
        // with no process would otherwise never be looked at)
        if h.cpu >= lw.ncpus {
            return Err(Error::new(h.span, format!("handler for CPU{}, but there is no process P{}", h.cpu, h.cpu)));
        }
        if h.cpu != cpu {
            continue;
        }
        let kind = match h.kind {
            ast::HandlerKind::Hardirq => HandlerKind::Hardirq,
            ast::HandlerKind::Softirq => HandlerKind::Softirq,
            ast::HandlerKind::Task => continue,
        };
        let entry = lw.cx.steps.len() as u32;
        lw.cx.span = h.func.span;
        let (_, arg) = lw.handler_body(&h.func)?;
        out.push(Handler { name: h.func.name.clone(), kind, entry, times: h.times, arg, ipi: None, gate: None });
    }
    // the timekeeping tick, on CPU0, if time advances (crate::time)
    if cpu == 0 {
        if let Some(h) = crate::time::tick_handler(lw)? {
            out.push(h);
        }
    }
    // the timer softirq of this CPU, if the program uses timers
    if let Some(h) = crate::sched::timer_softirq(lw, file, cpu)? {
        out.push(h);
    }
    let funcs = lw.ipi_funcs.iter().map(|n| (n.clone(), HandlerKind::Ipi, "IPI function"));
    let funcs: Vec<_> =
        funcs.chain(lw.rcu_funcs.iter().map(|n| (n.clone(), HandlerKind::RcuCallback, "RCU callback"))).collect();
    let mut index = [0u32; 2];
    for (name, kind, what) in funcs {
        let Some(f) = lw.funcs.get(name.as_str()).copied() else {
            return Err(Error::new(file.span, format!("{what} `{name}` is not defined in this file")));
        };
        let entry = lw.cx.steps.len() as u32;
        lw.cx.span = f.span;
        let (_, arg) = lw.handler_body(f)?;
        // the index among the IPI functions, or among the RCU callbacks
        let i = &mut index[(kind == HandlerKind::RcuCallback) as usize];
        out.push(Handler { name, kind, entry, times: u32::MAX, arg, ipi: Some(*i), gate: None });
        *i += 1;
    }
    Ok(out)
}
