//! Task objects: the task_struct of every thread (what `current` points
//! to), allocated before any body is lowered when the scenario uses
//! `current` or wake-ups (include/linux/sched.h, kernel/fork.c: a task
//! starts with one reference, its own).

use super::{Lowerer, Res};
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{Error, Span};

/// The task_struct of every thread, live with one reference (its own).
pub(super) fn create_tasks(lw: &mut Lowerer, span: Span) -> Res<()> {
    let ty = Ty::Struct(lw.layouts.struct_id("task_struct"));
    let size = lw.layouts.size_of(&ty, span).map_err(|_| {
        Error::new(span, "`current` needs struct task_struct, which the kvet prelude defines; it is missing")
    })?;
    let usage = lw.layouts.field(ty_struct(&ty), "usage").map(|f| f.offset);
    // CPU n's task has pid (and tgid) n + 1: pid 0 is the idle task
    let ids: Vec<u32> =
        ["pid", "tgid"].iter().filter_map(|f| lw.layouts.field(ty_struct(&ty), f)).map(|f| f.offset).collect();
    for t in 0..lw.nthreads {
        // a kthread exists only once kthread_create() made it
        let status = if crate::sched::is_kthread(lw, t) { 0 } else { LIVE };
        let base = lw.alloc_dynamic(&format!("task{t}"), &ty, size, ObjKind::Task(t), status);
        crate::sched::alloc_kthread(lw, t, span)?;
        if let Some(u) = usage {
            if let Some(c) = lw.init_mem.get_mut((base + u) as usize) {
                *c = 1;
            }
        }
        for &o in &ids {
            lw.init_mem[(base + o) as usize] = t as i64 + 1;
        }
        lw.task_cells.push(base);
    }
    Ok(())
}

fn ty_struct(t: &Ty) -> u32 {
    match t {
        Ty::Struct(id) => *id,
        _ => 0,
    }
}
