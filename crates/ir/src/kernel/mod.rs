//! Lowering of the kernel execution model: interrupt handlers and IPI
//! functions as handler bodies of each CPU, task_structs (`current`),
//! allocation pools, and the dispatch to the kernel-model primitives, one
//! family per file: interrupts and IPIs (`irq`), the kernel's assertions
//! (`checks`), locks (`locks`), tasks and sleeping (`tasks`), allocation
//! and RCU deferral (`alloc`), bitops (`bitops`), seqcounts and
//! completions (`sync`); refcount_t is atomic_t.
//!
//! Sources: include/linux/irqflags.h, kernel/smp.c
//! (smp_call_function_many_cond), kernel/sched/core.c (try_to_wake_up,
//! __schedule), include/asm-generic/qrwlock.h, include/linux/bitops.h and
//! include/asm-generic/bitops/{atomic,non-atomic,lock}.h,
//! include/linux/seqlock.h, kernel/sched/completion.c, mm/slab_common.c.

use crate::lower::{Lowerer, Place, Res};
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{self as ast, Error, Span};

mod alloc;
mod bitops;
mod checks;
mod irq;
mod locks;
mod sync;
mod tasks;

/// Every identifier used as a value (not as the callee of a call): the
/// functions among them can be called through pointers.
pub(crate) fn function_values(file: &ast::File) -> rustc_hash::FxHashSet<String> {
    let mut out = rustc_hash::FxHashSet::default();
    let mut visit = |e: &ast::Expr| {
        each_node(e, &mut |n| {
            if let ast::ExprKind::Ident(name) = &n.kind {
                out.insert(name.clone());
            }
        })
    };
    visit_exprs(file, &mut visit);
    for item in &file.items {
        if let ast::Item::Global(g) = item {
            if let Some(i) = &g.init {
                visit(i);
            }
        }
    }
    for e in &file.init {
        if let Some(v) = &e.value {
            visit(v);
        }
    }
    out
}

/// Call `f` on `e` and every sub-expression, except the names of called
/// functions (`f` in `f(x)`).
pub(crate) fn each_node(e: &ast::Expr, f: &mut dyn FnMut(&ast::Expr)) {
    use ast::ExprKind as K;
    f(e);
    match &e.kind {
        K::Call(callee, args) => {
            if !matches!(callee.kind, K::Ident(_)) {
                each_node(callee, f);
            }
            args.iter().for_each(|a| each_node(a, f));
        }
        K::Unary(_, a) | K::Cast(_, a) | K::SizeofExpr(a) | K::Member(a, _) | K::Arrow(a, _) => each_node(a, f),
        K::Binary(_, a, b) | K::Assign(_, a, b) | K::Index(a, b) | K::Comma(a, b) => {
            each_node(a, f);
            each_node(b, f);
        }
        K::Cond(a, b, c) => {
            each_node(a, f);
            each_node(b, f);
            each_node(c, f);
        }
        K::InitList(items) => items.iter().for_each(|(_, v)| each_node(v, f)),
        K::StmtExpr(b) => b.stmts.iter().for_each(|s| each_stmt_expr(s, &mut |x| each_node(x, f))),
        _ => {}
    }
}

/// Call `f` on every top-level expression of statement `s`.
fn each_stmt_expr(s: &ast::Stmt, f: &mut dyn FnMut(&ast::Expr)) {
    let stmt = each_stmt_expr;
    {
        use ast::StmtKind as S;
        match &s.kind {
            S::Expr(e) | S::Case(e) | S::Return(Some(e)) => f(e),
            S::Decl(ds) => ds.iter().filter_map(|d| d.init.as_ref()).for_each(&mut *f),
            S::Block(b) => b.stmts.iter().for_each(|s| stmt(s, f)),
            S::If(c, t, e) => {
                f(c);
                stmt(t, f);
                if let Some(e) = e {
                    stmt(e, f);
                }
            }
            S::While(c, b) | S::DoWhile(b, c) | S::Switch(c, b) => {
                f(c);
                stmt(b, f);
            }
            S::For(i, c, st, b) => {
                if let Some(i) = i {
                    stmt(i, f);
                }
                c.iter().chain(st.iter()).for_each(&mut *f);
                stmt(b, f);
            }
            S::Label(_, s) => stmt(s, f),
            _ => {}
        }
    }
}

/// Call `f` on every top-level expression of every function body.
pub(crate) fn visit_exprs(file: &ast::File, f: &mut dyn FnMut(&ast::Expr)) {
    let stmt = each_stmt_expr;
    for item in &file.items {
        let body = match item {
            ast::Item::Proc(p) => &p.body,
            ast::Item::Func(fd) => &fd.body,
            ast::Item::Handler(h) => &h.func.body,
            _ => continue,
        };
        body.stmts.iter().for_each(|s| stmt(s, f));
    }
}

/// Names of functions passed to smp_call_function*() / on_each_cpu()
/// anywhere in the file: each becomes an IPI handler body on every CPU.
pub(crate) fn ipi_functions(file: &ast::File) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    visit_exprs(file, &mut |e| {
        each_node(e, &mut |n| {
            let ast::ExprKind::Call(callee, args) = &n.kind else { return };
            let ast::ExprKind::Ident(name) = &callee.kind else { return };
            let at = match name.as_str() {
                "smp_call_function_many" | "smp_call_function_single" => 1,
                "smp_call_function" | "on_each_cpu" => 0,
                _ => return,
            };
            if let Some(ast::Expr { kind: ast::ExprKind::Ident(fname), .. }) = args.get(at) {
                if !out.contains(fname) {
                    out.push(fname.clone());
                }
            }
        })
    });
    out
}

/// Names of functions passed to call_rcu() anywhere in the file: each
/// becomes an RCU-callback handler body on every CPU.
pub(crate) fn rcu_functions(file: &ast::File) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    visit_exprs(file, &mut |e| {
        each_node(e, &mut |n| {
            let ast::ExprKind::Call(callee, args) = &n.kind else { return };
            let ast::ExprKind::Ident(name) = &callee.kind else { return };
            if !matches!(name.as_str(), "call_rcu" | "call_rcu_hurry") {
                return;
            }
            if let Some(ast::Expr { kind: ast::ExprKind::Ident(fname), .. }) = args.get(1) {
                if !out.contains(fname) {
                    out.push(fname.clone());
                }
            }
        })
    });
    out
}

/// Lower this CPU's interrupt handlers, the IPI functions and the RCU
/// callbacks after its task body.
pub(crate) fn lower_handlers(lw: &mut Lowerer, file: &ast::File, cpu: u32) -> Res<Vec<Handler>> {
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

/// The task_struct of every thread, live with one reference (its own).
pub(crate) fn create_tasks(lw: &mut Lowerer, span: Span) -> Res<()> {
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

/// An allocation pool being collected during lowering: kmalloc's, one per
/// object size, or a kmem_cache's, one per kmem_cache_create() call.
#[derive(Clone, Debug)]
pub(crate) struct PoolSite {
    pub size: u32,
    /// Allocation sites (kmalloc pools only).
    pub sites: u32,
    /// The kmem_cache's name.
    pub cache: Option<String>,
    pub typesafe_rcu: bool,
}

/// The allocation pools: one slot per allocation site plus one, so that
/// freed memory is reused. A kmem_cache has its own slab: its objects are
/// never handed out by kmalloc or another cache.
pub(crate) fn create_pools(lw: &mut Lowerer) -> Vec<Pool> {
    let mut pools = Vec::new();
    for (k, site) in lw.pool_sites.clone().into_iter().enumerate() {
        let size = site.size;
        let (name, nslots) = match &site.cache {
            Some(c) => (c.clone(), lw.cache_alloc_sites + 1),
            None => (format!("kmalloc-{size}"), site.sites + 1),
        };
        let mut slots = Vec::new();
        for i in 0..nslots {
            lw.alloc_dynamic(
                &format!("{name}#{i}"),
                &Ty::Array(Box::new(Ty::Int), size),
                size,
                ObjKind::Heap(k as u32),
                0,
            );
            slots.push((lw.objects.len() - 1) as u32);
        }
        pools.push(Pool { name, size, typesafe_rcu: site.typesafe_rcu, slots });
    }
    pools
}

/// Kernel identifiers that are not variables: `current`,
/// `cpu_online_mask`.
pub(crate) fn ident(lw: &mut Lowerer, n: &str, span: Span) -> Res<Option<(Opd, Ty)>> {
    Ok(match n {
        "current" => {
            let Some(&cell) = lw.task_cells.get(lw.cx_thread() as usize) else {
                lw.tasks_wanted = true;
                // lowering restarts with the tasks; the type lets
                // `current->pid` lower meanwhile
                let ty = Ty::Struct(lw.layouts.struct_id("task_struct"));
                return Ok(Some((Opd::Imm(0), ty.ptr())));
            };
            let ty = Ty::Struct(lw.layouts.struct_id("task_struct"));
            let _ = span;
            Some((Opd::Imm(ptr_to(cell)), ty.ptr()))
        }
        "cpu_online_mask" | "cpu_possible_mask" | "cpu_present_mask" | "cpu_all_mask" => Some((Opd::Imm(-1), Ty::Int)),
        _ => None,
    })
}

pub(super) fn arity(name: &str, args: &[ast::Expr], n: usize, e: &ast::Expr) -> Res<()> {
    if args.len() != n {
        return Err(Error::new(e.span, format!("`{name}` takes {n} argument(s), {} given", args.len())));
    }
    Ok(())
}

pub(super) fn void() -> (Opd, Ty) {
    (Opd::Imm(0), Ty::Void)
}

/// A lock argument: a pointer to a lock of a lock type.
pub(super) fn lock_ptr(lw: &mut Lowerer, e: &ast::Expr) -> Res<Opd> {
    let (v, t) = lw.rvalue(e)?;
    match &t {
        Ty::Ptr(_) | Ty::Int | Ty::SInt(_) | Ty::UInt(_) => Ok(v),
        Ty::Lock(_) => {
            Err(Error::new(e.span, "this takes a pointer to the lock").with_label("write `&` before the lock"))
        }
        _ => Err(Error::new(e.span, "this is not a pointer to a lock")),
    }
}

/// `flags = <save>`: assign to the flags lvalue of irqsave primitives.
pub(super) fn save_flags(lw: &mut Lowerer, flags: &ast::Expr) -> Res<()> {
    let (p, _) = lw.lvalue(flags)?;
    let r = lw.tmp();
    lw.emit(Instr::IrqSave { dst: r });
    lw.write_place(&p, Opd::Reg(r), Order::Plain);
    Ok(())
}

/// `1 << nr` for a bit number operand.
pub(super) fn bit_mask(lw: &mut Lowerer, nr: Opd) -> Opd {
    match nr {
        Opd::Imm(k) => Opd::Imm(1i64.wrapping_shl(k as u32)),
        _ => {
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::Shl, Opd::Imm(1), nr));
            Opd::Reg(r)
        }
    }
}

/// Lower a kernel-model primitive; `Ok(None)` if `name` is not one. Each
/// family lives in its own file.
pub(crate) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    type Family = fn(&mut Lowerer, &str, &[ast::Expr], &ast::Expr) -> Res<Option<(Opd, Ty)>>;
    const FAMILIES: [Family; 8] =
        [locks::lock_family, irq::prim, checks::prim, locks::prim, tasks::prim, alloc::prim, bitops::prim, sync::prim];
    for f in FAMILIES {
        if let Some(r) = f(lw, name, args, e)? {
            return Ok(Some(r));
        }
    }
    // refcount_t: atomic_t with saturation the scenarios do not reach
    if let Some(op) = name.strip_prefix("refcount_") {
        let alias = format!("atomic_{op}");
        return crate::prims::lower_prim(lw, &alias, args, e);
    }
    Ok(None)
}
