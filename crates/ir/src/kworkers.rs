//! The worker pools' kworkers start idle.
//!
//! Source: kernel/workqueue.c. A pool's workers exist before any work
//! is queued (create_worker() from workqueue_init() and the pool
//! manager); an idle worker sleeps in worker_thread() (TASK_IDLE) on the
//! pool's idle list until kick_pool() wakes it for a queued item. So
//! every kworker task of a scenario (crate::sched: the unbound pool's,
//! and the per-CPU pools' kworkers pinned to their CPUs) is created
//! asleep, TASK_INTERRUPTIBLE, at the top of the prelude's pool loop
//! (`__kworker_loop*` in prelude/sched.h), listed in its pool's
//! `workers[]` with its `idle` bit set, and each per-CPU pool's worklist
//! is an empty list. A pool that no item reaches costs no step.

use crate::lower::{Lowerer, Res};
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{Error, Span};

/// TASK_INTERRUPTIBLE (include/linux/sched.h).
const TASK_INTERRUPTIBLE: i64 = 1;

/// Give every kworker its initial, idle state (after the bodies are
/// lowered, once the prelude's pool globals exist).
pub(crate) fn init_pools(lw: &mut Lowerer, span: Span) -> Res<()> {
    let workers: Vec<(u32, u32, u32)> = lw
        .extra_tasks
        .iter()
        .enumerate()
        .filter_map(|(k, d)| d.worker.map(|(pool, i)| (lw.ncpus + k as u32, pool, i)))
        .collect();
    if workers.is_empty() || lw.task_cells.is_empty() {
        return Ok(());
    }
    let missing =
        |what: &str| Error::new(span, format!("workqueues need {what}, which the kvet prelude defines; it is missing"));
    let pid = lw.layouts.struct_id("worker_pool");
    let size = lw.layouts.size_of(&Ty::Struct(pid), span).map_err(|_| missing("struct worker_pool"))?;
    let field = |lw: &Lowerer, f: &str| {
        lw.layouts.field(pid, f).map(|f| f.offset).ok_or_else(|| missing(&format!("worker_pool.{f}")))
    };
    let (workers_off, idle_off, list_off) = (field(lw, "workers")?, field(lw, "idle")?, field(lw, "worklist")?);
    let tid = lw.layouts.struct_id("task_struct");
    let state = lw.layouts.field(tid, "__state").map(|f| f.offset).ok_or_else(|| missing("task_struct.__state"))?;
    for (thread, pool, i) in workers {
        let Some(&task) = lw.task_cells.get(thread as usize) else { continue };
        lw.init_mem[(task + state) as usize] = TASK_INTERRUPTIBLE;
        let base = if pool == 0 {
            lw.global("kworker_pool")?.map(|g| g.0)
        } else {
            lw.global("__kvet_cpu_pools")?.map(|g| g.0 + (pool - 1) * size)
        };
        let Some(base) = base else { return Err(missing("the worker pools")) };
        lw.init_mem[(base + workers_off + i) as usize] = ptr_to(task);
        lw.init_mem[(base + idle_off) as usize] |= 1 << i;
        if pool != 0 {
            // an empty list: next and prev point at the head
            let head = base + list_off;
            lw.init_mem[head as usize] = ptr_to(head);
            lw.init_mem[head as usize + 1] = ptr_to(head);
        }
    }
    Ok(())
}
