//! Lowering of the execution-context macros: in_interrupt(),
//! in_softirq(), in_serving_softirq(), in_hardirq()/in_irq(), in_nmi(),
//! in_task(), in_atomic() and preemptible(). Each is one local
//! [`Instr::InContext`] that the explorer answers from the running
//! context's `preempt_count()` word (crates/explore/src/kernel/context.rs).
//!
//! Source: include/linux/preempt.h (the preempt_count bit layout and the
//! macros, without CONFIG_PREEMPT_RT), with CONFIG_PREEMPT_COUNT.

use super::*;
use crate::lower::{Lowerer, Res};
use crate::types::Ty;
use kvet_syntax as ast;

/// Lower a primitive of this family; `Ok(None)` if `name` is not one.
pub(super) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let query = match name {
        "in_nmi" => ContextQuery::Nmi,
        "in_hardirq" | "in_irq" => ContextQuery::Hardirq,
        "in_serving_softirq" => ContextQuery::ServingSoftirq,
        "in_softirq" => ContextQuery::Softirq,
        "in_interrupt" => ContextQuery::Interrupt,
        "in_task" => ContextQuery::Task,
        "in_atomic" => ContextQuery::Atomic,
        "preemptible" => ContextQuery::Preemptible,
        _ => return Ok(None),
    };
    arity(name, args, 0, e)?;
    let r = lw.tmp();
    lw.emit(Instr::InContext { dst: r, query });
    Ok(Some((Opd::Reg(r), Ty::Int)))
}
