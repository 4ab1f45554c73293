//! Tasks beyond the litmus processes, and their lowering: `TASK(cpu)` and
//! `TASK()` declarations (a task pinned to a CPU, or one that is not), and
//! kthreads, one per kthread_create()/kthread_run() call naming a thread
//! function. A `P<n>` is the task pinned to CPU n; every further task is a
//! further thread of the program, numbered after the processes.
//!
//! A kthread follows kernel/kthread.c: kthread() sleeps in
//! TASK_UNINTERRUPTIBLE until the creator's wake_up_process(); unless
//! kthread_stop() came first it runs the thread function and passes its
//! result to kthread_exit(); do_exit() completes the kthread's `exited`
//! completion (mm_release()'s complete_vfork_done()), which kthread_stop()
//! waits for, and drops the task's own reference to its task_struct
//! (kernel/exit.c). The C side (kthread_stop, kthread_park, ...) is in the
//! prelude (prelude/sched.h).

use crate::lower::{Lowerer, Res};
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{self as ast, Error, Span};

/// The most tasks (threads) a program may have.
pub(crate) const MAX_THREADS: usize = 250;

/// A task that is not a litmus process.
#[derive(Clone, Debug)]
pub(crate) struct TaskDecl {
    /// The name traces show.
    pub name: String,
    /// The CPU it is pinned to, if any.
    pub cpu: Option<u32>,
    pub origin: TaskOrigin,
    pub body: ast::Block,
    pub span: Span,
    /// A kworker's pool (0 the unbound pool, c + 1 CPU c's) and its
    /// index in that pool.
    pub worker: Option<(u32, u32)>,
}

/// The kthread-creating primitives: (name, index of the CPU argument).
pub(crate) fn kthread_creator(name: &str) -> Option<Option<usize>> {
    match name {
        "kthread_create" | "kthread_run" => Some(None),
        "kthread_create_on_cpu" | "kthread_run_on_cpu" => Some(Some(2)),
        _ => None,
    }
}

/// The tasks of a file beyond its `nprocs` processes: its `TASK()`
/// declarations in order, then one kthread per thread function (and
/// CPU) that a kthread_create()/kthread_run() call names.
pub(crate) fn collect_tasks(
    file: &ast::File,
    nprocs: u32,
    binds: &crate::kthread_bind::Bindings,
) -> Res<Vec<TaskDecl>> {
    let mut out = Vec::new();
    for item in &file.items {
        let ast::Item::Handler(h) = item else { continue };
        if h.kind != ast::HandlerKind::Task {
            continue;
        }
        if !h.func.params.is_empty() {
            return Err(Error::new(
                h.func.span,
                format!("task `{}` takes no parameters: write `void {}(void)`", h.func.name, h.func.name),
            ));
        }
        let cpu = (h.cpu != ast::FREE_CPU).then_some(h.cpu);
        if let Some(c) = cpu {
            if c >= nprocs {
                return Err(Error::new(
                    h.span,
                    format!("task `{}` is pinned to CPU{c}, but there is no process P{c}", h.func.name),
                ));
            }
        }
        out.push(TaskDecl {
            name: h.func.name.clone(),
            cpu,
            origin: TaskOrigin::Declared,
            body: h.func.body.clone(),
            span: h.func.span,
            worker: None,
        });
    }
    let mut err = None;
    crate::scan::visit_exprs(file, &mut |e| {
        crate::scan::each_node(e, &mut |n| {
            let ast::ExprKind::Call(callee, args) = &n.kind else { return };
            let ast::ExprKind::Ident(name) = &callee.kind else { return };
            let Some(cpu_arg) = kthread_creator(name) else { return };
            if user_defines(file, name) {
                return;
            }
            let Some(ast::Expr { kind: ast::ExprKind::Ident(fname), .. }) = args.first() else {
                err.get_or_insert_with(|| {
                    Error::new(n.span, format!("`{name}` takes the name of the thread function first"))
                });
                return;
            };
            let cpu = match cpu_arg {
                None => binds.get(&n.span).copied(),
                Some(i) => match args.get(i).map(|a| &a.kind) {
                    Some(ast::ExprKind::Int(c)) if (0..nprocs as i64).contains(c) => Some(*c as u32),
                    _ => {
                        err.get_or_insert_with(|| {
                            Error::new(n.span, format!("`{name}` needs a constant CPU that has a process P<n>"))
                        });
                        return;
                    }
                },
            };
            let origin = TaskOrigin::Kthread(fname.clone());
            if out.iter().any(|d: &TaskDecl| d.origin == origin && d.cpu == cpu) {
                return;
            }
            // the body: kthread() in prelude/sched.h around the thread function
            let sp = n.span;
            let call = |f: &str, args: Vec<ast::Expr>| ast::Expr {
                kind: ast::ExprKind::Call(
                    Box::new(ast::Expr { kind: ast::ExprKind::Ident(f.to_string()), span: sp }),
                    args,
                ),
                span: sp,
            };
            let stmt = |e: ast::Expr| ast::Stmt { kind: ast::StmtKind::Expr(e), span: sp };
            let body = ast::Block {
                stmts: vec![
                    stmt(call("__kthread_start", vec![])),
                    stmt(call("kthread_exit", vec![call(fname, vec![call("__kthread_data", vec![])])])),
                ],
                span: sp,
            };
            out.push(TaskDecl { name: fname.clone(), cpu, origin, body, span: sp, worker: None });
        })
    });
    if let Some(e) = err {
        return Err(e);
    }
    // a task that is not pinned runs on a CPU of its own, without a pool
    let unpinned = out.iter().any(|d| d.cpu.is_none());
    if uses_unbound_pool(file, nprocs, unpinned) {
        let sp = file.span;
        for i in 0..kworkers(file) {
            let callee = ast::Expr { kind: ast::ExprKind::Ident("__kworker_loop".into()), span: sp };
            let arg = ast::Expr { kind: ast::ExprKind::Int(i as i64), span: sp };
            let call = ast::Expr { kind: ast::ExprKind::Call(Box::new(callee), vec![arg]), span: sp };
            let body = ast::Block { stmts: vec![ast::Stmt { kind: ast::StmtKind::Expr(call), span: sp }], span: sp };
            let name = if i == 0 { "kworker".to_string() } else { format!("kworker{i}") };
            out.push(TaskDecl {
                name,
                cpu: None,
                origin: TaskOrigin::Kworker,
                body,
                span: sp,
                worker: Some((0, i as u32)),
            });
        }
    }
    // the per-CPU pools' kworkers, pinned to their CPUs (kworker/<cpu>:<i>)
    let pools = cpu_pools(file, nprocs);
    for cpu in 0..nprocs.min(64) {
        if pools & (1 << cpu) == 0 {
            continue;
        }
        let sp = file.span;
        for i in 0..kworkers(file) {
            let callee = ast::Expr { kind: ast::ExprKind::Ident("__kworker_loop_on".into()), span: sp };
            let args = vec![
                ast::Expr { kind: ast::ExprKind::Int(cpu as i64), span: sp },
                ast::Expr { kind: ast::ExprKind::Int(i as i64), span: sp },
            ];
            let call = ast::Expr { kind: ast::ExprKind::Call(Box::new(callee), args), span: sp };
            let body = ast::Block { stmts: vec![ast::Stmt { kind: ast::StmtKind::Expr(call), span: sp }], span: sp };
            let name = format!("kworker/{cpu}:{i}");
            out.push(TaskDecl {
                name,
                cpu: Some(cpu),
                origin: TaskOrigin::Kworker,
                body,
                span: sp,
                worker: Some((cpu + 1, i as u32)),
            });
        }
    }
    // A lock word records its holder (thread + 1) in a byte.
    if nprocs as usize + out.len() > MAX_THREADS {
        let span = out.get(MAX_THREADS.saturating_sub(nprocs as usize)).map_or(file.span, |t| t.span);
        return Err(Error::new(span, format!("too many tasks: {} processes and {} further tasks", nprocs, out.len()))
            .with_note(format!(
                "kvet models at most {MAX_THREADS} tasks in all (processes, TASK()s, kthreads and the kworker)"
            )));
    }
    Ok(out)
}

/// A kthread's `struct kthread`, right behind its task_struct (just
/// allocated), sharing its lifetime.
pub(crate) fn alloc_kthread(lw: &mut Lowerer, t: u32, span: Span) -> Res<()> {
    if !is_kthread(lw, t) {
        return Ok(());
    }
    let task = lw.objects.len() - 1;
    let ty = Ty::Struct(lw.layouts.struct_id("kthread"));
    let size = lw
        .layouts
        .size_of(&ty, span)
        .map_err(|_| Error::new(span, "kthreads need struct kthread, which the kvet prelude defines; it is missing"))?;
    lw.alloc_dynamic(&format!("kthread{t}"), &ty, size, ObjKind::Static, 0);
    let (status, kind) = (lw.objects[task].status, lw.objects[task].kind);
    let k = lw.objects.len() - 1;
    lw.objects[k].status = status;
    lw.objects[k].kind = kind;
    Ok(())
}

pub(crate) fn is_kthread(lw: &Lowerer, t: u32) -> bool {
    t >= lw.ncpus
        && lw.extra_tasks.get((t - lw.ncpus) as usize).is_some_and(|d| matches!(d.origin, TaskOrigin::Kthread(_)))
}

/// The cell offset of `field` of `struct kthread` within a kthread's
/// task object.
fn kthread_field(lw: &mut Lowerer, field: &str, span: Span) -> Res<u32> {
    let ty = Ty::Struct(lw.layouts.struct_id("task_struct"));
    let a = lw.layouts.size_of(&ty, span).ok();
    let k = lw.layouts.struct_id("kthread");
    let b = lw.layouts.field(k, field).map(|f| f.offset);
    match (a, b) {
        (Some(a), Some(b)) => Ok(a + b),
        _ => Err(Error::new(
            span,
            format!(
                "kthreads need struct kthread with a `{field}` field, which the kvet prelude defines; it is missing"
            ),
        )),
    }
}

/// What a task does at its exit before dropping its own reference: a
/// kthread completes its `exited` completion (do_exit() -> exit_mm() ->
/// mm_release() -> complete_vfork_done()).
pub(crate) fn exit_sequence(lw: &mut Lowerer, t: u32, origin: &TaskOrigin) -> Res<()> {
    if !matches!(origin, TaskOrigin::Kthread(_)) {
        return Ok(());
    }
    let Some(&base) = lw.task_cells.get(t as usize) else { return Ok(()) };
    let span = lw.cx.span;
    let off = kthread_field(lw, "exited", span)?;
    lw.emit_text(
        Instr::Rmw {
            dst: None,
            addr: Opd::Imm(ptr_to(base + off)),
            op: RmwOp::Op(BinOp::Add),
            a: Opd::Imm(1),
            b: Opd::Imm(0),
            ret: RmwRet::None,
            ord: Order::Release,
        },
        "complete(&kthread->exited)".into(),
    );
    Ok(())
}

/// Does the scenario define a function of this name itself (replacing
/// the prelude's or a primitive)?
pub(crate) fn user_defines(file: &ast::File, name: &str) -> bool {
    file.items.iter().any(|i| matches!(i, ast::Item::Func(f) if f.name == name && !f.span.is_prelude()))
}

/// Does the scenario (not the prelude) call one of these functions, as
/// the prelude or kvet defines them?
fn calls_any(file: &ast::File, names: &[&str]) -> bool {
    let names: Vec<&str> = names.iter().copied().filter(|n| !user_defines(file, n)).collect();
    let mut found = false;
    crate::scan::visit_exprs(file, &mut |e| {
        crate::scan::each_node(e, &mut |n| {
            if let ast::ExprKind::Call(callee, _) = &n.kind {
                if let ast::ExprKind::Ident(name) = &callee.kind {
                    found |= n.span.lo < kvet_syntax::PRELUDE_BASE && names.contains(&name.as_str());
                }
            }
        })
    });
    found
}

/// Does the file use timers (kernel/time/timer.c)?
fn uses_timers(file: &ast::File) -> bool {
    calls_any(
        file,
        &[
            "timer_setup",
            "mod_timer",
            "add_timer",
            "INIT_DELAYED_WORK",
            "queue_delayed_work",
            "schedule_delayed_work",
            "queue_delayed_work_on",
            "schedule_delayed_work_on",
            "mod_delayed_work",
            "mod_delayed_work_on",
        ],
    )
}

/// Does the file use workqueues (kernel/workqueue.c)?
fn uses_workqueues(file: &ast::File) -> bool {
    calls_any(
        file,
        &[
            "INIT_WORK",
            "INIT_DELAYED_WORK",
            "queue_work",
            "queue_work_on",
            "schedule_work",
            "queue_delayed_work",
            "schedule_delayed_work",
            "schedule_work_on",
            "queue_delayed_work_on",
            "schedule_delayed_work_on",
            "mod_delayed_work",
            "mod_delayed_work_on",
        ],
    )
}

/// The primitives that queue work with a CPU: (name, index of the CPU
/// argument).
const QUEUE_ON: &[(&str, usize)] = &[
    ("queue_work_on", 0),
    ("schedule_work_on", 0),
    ("queue_delayed_work_on", 0),
    ("schedule_delayed_work_on", 0),
    ("mod_delayed_work_on", 0),
];

/// The primitives that queue work without a CPU (WORK_CPU_UNBOUND):
/// kernel/workqueue.c's __queue_work() puts such an item of a per-CPU
/// workqueue on the queueing CPU's pool (`raw_smp_processor_id()`).
/// (mod_delayed_work() is a macro for mod_delayed_work_on(-1, ...).)
const QUEUE_LOCAL: &[&str] = &["queue_work", "schedule_work", "queue_delayed_work", "schedule_delayed_work"];

/// The CPUs that get a per-CPU worker pool (kernel/workqueue.c's
/// cpu_worker_pools), as a bit mask: every CPU of a `P<n>` when the
/// scenario queues work without a CPU (queue_work(), schedule_work(),
/// ..., or WORK_CPU_UNBOUND), which goes to the queueing CPU's pool, or
/// with a CPU that is a run-time value (`queue_work_on(cpu, ...)`),
/// which may name any of them; else every CPU that a constant CPU
/// argument of queue_work_on() and its relatives names. Work queued on
/// any other CPU (a task that is not pinned runs on a CPU of its own)
/// goes to the unbound pool, whose kworkers run on CPUs of their own.
/// A pool's kworkers are created idle (crate::kworkers), so a pool that
/// is never used costs no step.
pub(crate) fn cpu_pools(file: &ast::File, nprocs: u32) -> u64 {
    let q = queued_on(file, nprocs);
    if q.local || (uses_workqueues(file) && calls_any(file, QUEUE_LOCAL)) {
        (1u64 << nprocs.min(63)) - 1
    } else {
        q.mask
    }
}

/// Where the scenario's queue_work_on() and relatives queue work.
struct QueuedOn {
    /// The CPUs that a constant CPU argument names.
    mask: u64,
    /// Some call names a CPU without a pool (a constant past the
    /// scenario's CPUs), or one that is a run-time value.
    other: bool,
    /// Some call queues on the local CPU (WORK_CPU_UNBOUND, -1 as the
    /// prelude's mod_delayed_work() passes) or on a run-time CPU.
    local: bool,
}

fn queued_on(file: &ast::File, nprocs: u32) -> QueuedOn {
    let mut q = QueuedOn { mask: 0, other: false, local: false };
    let ncpus = nprocs.min(64) as i64;
    crate::scan::visit_exprs(file, &mut |e| {
        crate::scan::each_node(e, &mut |n| {
            let ast::ExprKind::Call(callee, args) = &n.kind else { return };
            let ast::ExprKind::Ident(name) = &callee.kind else { return };
            if n.span.lo >= kvet_syntax::PRELUDE_BASE {
                return;
            }
            let Some(&(_, k)) = QUEUE_ON.iter().find(|(f, _)| f == name) else { return };
            let arg = args.get(k).map(|a| &a.kind);
            let neg =
                matches!(arg, Some(ast::ExprKind::Unary(ast::UnOp::Neg, e)) if matches!(e.kind, ast::ExprKind::Int(_)));
            match arg {
                Some(ast::ExprKind::Int(c)) if (0..ncpus).contains(c) => q.mask |= 1 << c,
                Some(ast::ExprKind::Int(_)) => q.other = true,
                Some(ast::ExprKind::Ident(c)) if c == "NR_CPUS" || c == "WORK_CPU_UNBOUND" => q.local = true,
                _ if neg => q.local = true,
                // a run-time CPU: any CPU of the scenario, or one without a pool
                Some(_) => {
                    q.local = true;
                    q.other = true;
                }
                None => q.other = true,
            }
        })
    });
    q
}

/// Does the file allocate workqueues of its own (alloc_workqueue(),
/// alloc_ordered_workqueue(), create_*workqueue())? Their accounting
/// (ordering, per-workqueue flush) costs only such files.
pub(crate) fn allocates_workqueues(file: &ast::File) -> bool {
    calls_any(
        file,
        &[
            "alloc_workqueue",
            "alloc_ordered_workqueue",
            "create_workqueue",
            "create_singlethread_workqueue",
            "create_freezable_workqueue",
            "__alloc_workqueue",
        ],
    )
}

/// Does the file need the unbound pool's kworkers: may it queue work
/// other than on a CPU that has a pool of its own? That is work of an
/// allocated workqueue (WQ_UNBOUND, ordered), of `system_unbound_wq`,
/// queued by a task that is not pinned (`unpinned`: a CPU of its own),
/// or with a CPU past the scenario's; or a file that initialises work
/// items and queues none.
fn uses_unbound_pool(file: &ast::File, nprocs: u32, unpinned: bool) -> bool {
    if !uses_workqueues(file) {
        return false;
    }
    let queue_on: Vec<&str> = QUEUE_ON.iter().map(|(f, _)| *f).collect();
    let queues = calls_any(file, QUEUE_LOCAL) || calls_any(file, &queue_on);
    !queues || allocates_workqueues(file) || queued_on(file, nprocs).other || unpinned || names_unbound_wq(file)
}

/// Does the scenario name an unbound system workqueue (the prelude's
/// `system_unbound_wq`, `system_dfl_wq`)?
fn names_unbound_wq(file: &ast::File) -> bool {
    let mut found = false;
    crate::scan::visit_exprs(file, &mut |e| {
        crate::scan::each_node(e, &mut |n| {
            if let ast::ExprKind::Ident(name) = &n.kind {
                found |= n.span.lo < kvet_syntax::PRELUDE_BASE && name == "__system_unbound_wq";
            }
        })
    });
    found
}

/// The most kworkers a scenario gets.
pub(crate) const MAX_KWORKERS: usize = 4;

/// How many kworkers run the scenario's work: one per work item it
/// initialises (its INIT_WORK()/INIT_DELAYED_WORK() call sites), so that
/// any two of its items may run concurrently, at most `MAX_KWORKERS`.
/// At least 1: `__KVET_NR_WORKERS` sizes the prelude's worker pool.
pub(crate) fn kworkers(file: &ast::File) -> usize {
    let names: Vec<&str> =
        ["INIT_WORK", "INIT_DELAYED_WORK", "__INIT_WORK"].into_iter().filter(|n| !user_defines(file, n)).collect();
    let mut sites = 0;
    crate::scan::visit_exprs(file, &mut |e| {
        crate::scan::each_node(e, &mut |n| {
            if let ast::ExprKind::Call(callee, _) = &n.kind {
                if let ast::ExprKind::Ident(name) = &callee.kind {
                    if n.span.lo < kvet_syntax::PRELUDE_BASE && names.contains(&name.as_str()) {
                        sites += 1;
                    }
                }
            }
        })
    });
    sites.clamp(1, MAX_KWORKERS)
}

/// A handler function `name` of the kernel model whose body is one call
/// of the prelude function `callee`, at the current span.
pub(crate) fn calling_handler(lw: &Lowerer, name: &str, callee: &str) -> ast::FuncDef {
    let sp = lw.cx.span;
    let callee = ast::Expr { kind: ast::ExprKind::Ident(callee.into()), span: sp };
    let call = ast::Expr { kind: ast::ExprKind::Call(Box::new(callee), vec![]), span: sp };
    ast::FuncDef {
        name: name.into(),
        ret: ast::Type::Void,
        params: vec![],
        body: ast::Block { stmts: vec![ast::Stmt { kind: ast::StmtKind::Expr(call), span: sp }], span: sp },
        span: sp,
        locks: Vec::new(),
    }
}

/// CPU `cpu`'s timer softirq (run_timer_softirq()): it may run whenever
/// a timer is queued on that CPU, and runs the first one
/// (`__run_timers()` in prelude/sched.h).
pub(crate) fn timer_softirq(lw: &mut Lowerer, file: &ast::File, cpu: u32) -> Res<Option<Handler>> {
    if !uses_timers(file) {
        return Ok(None);
    }
    let func = calling_handler(lw, "run_timer_softirq", "__run_timers");
    let entry = lw.cx.steps.len() as u32;
    lw.handler_body(&func)?;
    let g = lw.globals.get("timer_bases").map(|g| g.cell).ok_or_else(|| {
        Error::new(file.span, "timers need timer_bases, which the kvet prelude defines; it is missing")
    })?;
    let bid = lw.layouts.struct_id("timer_base");
    let size = lw.layouts.size_of(&Ty::Struct(bid), file.span)?;
    let nr = lw
        .layouts
        .field(bid, "nr")
        .map(|f| f.offset)
        .ok_or_else(|| Error::new(file.span, "struct timer_base needs a field `nr`"))?;
    Ok(Some(Handler {
        name: func.name,
        kind: HandlerKind::Softirq,
        entry,
        times: u32::MAX,
        arg: None,
        ipi: None,
        gate: Some(g + cpu * size + nr),
    }))
}

/// The CPU the thread being lowered runs on (its `P<n>`'s, or its own).
fn this_cpu(lw: &Lowerer) -> u32 {
    let t = lw.cx_thread();
    if t < lw.ncpus {
        return t;
    }
    lw.extra_tasks.get((t - lw.ncpus) as usize).and_then(|d| d.cpu).unwrap_or(t)
}

/// The scheduler's primitives: kthread creation and do_exit().
pub(crate) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    if let Some(cpu_arg) = kthread_creator(name) {
        let need = if cpu_arg.is_some() { 3 } else { 2 };
        if args.len() < need {
            return Err(Error::new(
                e.span,
                format!(
                    "`{name}` takes a thread function, its data{} and a name",
                    if cpu_arg.is_some() { ", a CPU" } else { "" }
                ),
            ));
        }
        let Some(ast::Expr { kind: ast::ExprKind::Ident(fname), .. }) = args.first() else {
            return Err(Error::new(e.span, format!("`{name}` takes the name of the thread function first")));
        };
        if !lw.funcs.contains_key(fname.as_str()) {
            return Err(Error::new(args[0].span, format!("thread function `{fname}` is not defined in this file")));
        }
        let cpu = match cpu_arg {
            Some(i) => lw.const_eval(&args[i]).map(|c| c as u32),
            None => lw.kthread_binds.get(&e.span).copied(),
        };
        let origin = TaskOrigin::Kthread(fname.clone());
        let k = lw
            .extra_tasks
            .iter()
            .position(|d| d.origin == origin && d.cpu == cpu)
            .ok_or_else(|| Error::new(e.span, "internal: kthread not collected"))?;
        let thread = lw.ncpus + k as u32;
        let (data, _) = lw.rvalue(&args[1])?;
        crate::kernel::ident(lw, "current", e.span)?;
        let (task, data_cell) = match lw.task_cells.get(thread as usize).copied() {
            Some(base) => (base, base + kthread_field(lw, "data", e.span)?),
            None => (0, 0),
        };
        let dst = lw.tmp();
        lw.emit(Instr::KthreadCreate { dst, thread, data, task, data_cell });
        if name.starts_with("kthread_run") {
            // kthread_run(): wake_up_process() of the new thread
            lw.emit(Instr::WakeUp { dst: None, task: Opd::Reg(dst), mask: Opd::Imm(3) });
        }
        let ty = Ty::Struct(lw.layouts.struct_id("task_struct"));
        return Ok(Some((Opd::Reg(dst), ty.ptr())));
    }
    match name {
        "smp_processor_id" | "raw_smp_processor_id" | "__smp_processor_id" => {
            Ok(Some((Opd::Imm(this_cpu(lw) as i64), Ty::Int)))
        }
        "preempt_disable"
        | "preempt_disable_notrace"
        | "migrate_disable"
        | "preempt_enable"
        | "preempt_enable_no_resched"
        | "preempt_enable_notrace"
        | "migrate_enable" => {
            if !args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes no arguments")));
            }
            // tasks never migrate in kvet: migrate_disable() is a no-op
            if !name.starts_with("migrate") {
                lw.emit(if name.starts_with("preempt_disable") { Instr::PreemptDisable } else { Instr::PreemptEnable });
            }
            Ok(Some((Opd::Imm(0), Ty::Void)))
        }
        "__kvet_pool_gate" => {
            // the prelude's per-CPU pool loop: see Instr::PoolGate
            if !args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes no arguments")));
            }
            lw.emit(Instr::PoolGate);
            Ok(Some((Opd::Imm(0), Ty::Void)))
        }
        "preempt_count" => {
            let r = lw.tmp();
            lw.emit(Instr::PreemptCount { dst: r });
            Ok(Some((Opd::Reg(r), Ty::Int)))
        }
        "schedule_preempt_disabled" => {
            // schedule() with preemption disabled around it: sleeps as schedule() does
            crate::kernel::ident(lw, "current", e.span)?;
            lw.emit(Instr::Schedule);
            Ok(Some((Opd::Imm(0), Ty::Int)))
        }
        "cond_resched" | "cond_resched_rcu" | "yield" => {
            // a point where the scheduler may run another task; the task
            // stays runnable even when its state is not TASK_RUNNING
            crate::kernel::ident(lw, "current", e.span)?;
            lw.emit(Instr::Yield);
            Ok(Some((Opd::Imm(0), Ty::Int)))
        }
        "do_exit" | "make_task_dead" => {
            if args.len() != 1 {
                return Err(Error::new(e.span, format!("`{name}` takes an exit code")));
            }
            lw.rvalue(&args[0])?;
            crate::kernel::ident(lw, "current", e.span)?;
            let Some(exit) = lw.exit_label() else {
                return Err(Error::new(e.span, format!("`{name}` outside a task")));
            };
            lw.emit(Instr::Jump(exit));
            Ok(Some((Opd::Imm(0), Ty::Void)))
        }
        _ => Ok(None),
    }
}
