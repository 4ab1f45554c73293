//! Lowering of the kernel execution model: interrupt handlers and IPI
//! functions as handler bodies of each CPU, task_structs (`current`),
//! allocation pools, and the primitives of interrupts, IPIs, sleeping
//! locks, rwlocks, sleeping and wake-up, allocation, bitops, refcounts,
//! seqcounts and completions.
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

/// SLAB_TYPESAFE_BY_RCU (include/linux/slab.h).
const SLAB_TYPESAFE_BY_RCU: i64 = 0x0008_0000;

/// kmem_cache_create(name, size, align, flags, ctor): a new pool and a
/// static descriptor naming it; returns the descriptor's address.
fn kmem_cache_create(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<(Opd, Ty)> {
    if args.len() < 4 {
        return Err(Error::new(e.span, format!("`{name}` takes a name, a size, an alignment and flags")));
    }
    let size = match lw.rvalue(&args[1])?.0 {
        Opd::Imm(k) if (1..=1 << 16).contains(&k) => k as u32,
        _ => return Err(Error::new(args[1].span, "kvet needs a constant object size, e.g. sizeof(struct foo)")),
    };
    let Opd::Imm(flags) = lw.rvalue(&args[3])?.0 else {
        return Err(Error::new(args[3].span, "the cache flags must be a constant"));
    };
    let k = lw.pool_sites.len();
    let cname = match &args[0].kind {
        ast::ExprKind::Str(s) if !s.is_empty() => s.clone(),
        _ => format!("kmem_cache{k}"),
    };
    lw.pool_sites.push(PoolSite {
        size,
        sites: 0,
        cache: Some(cname.clone()),
        typesafe_rcu: flags & SLAB_TYPESAFE_BY_RCU != 0,
    });
    let desc = lw.alloc_dynamic(&format!("kmem_cache {cname}"), &Ty::Int, 1, ObjKind::Static, 0);
    if let Some(c) = lw.init_mem.get_mut(desc as usize) {
        *c = k as i64 + 1;
    }
    Ok((Opd::Imm(ptr_to(desc)), Ty::Void.ptr()))
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

fn arity(name: &str, args: &[ast::Expr], n: usize, e: &ast::Expr) -> Res<()> {
    if args.len() != n {
        return Err(Error::new(e.span, format!("`{name}` takes {n} argument(s), {} given", args.len())));
    }
    Ok(())
}

fn void() -> (Opd, Ty) {
    (Opd::Imm(0), Ty::Void)
}

/// A lock argument: a pointer to a lock of a lock type.
fn lock_ptr(lw: &mut Lowerer, e: &ast::Expr) -> Res<Opd> {
    let (v, t) = lw.rvalue(e)?;
    match &t {
        Ty::Ptr(_) | Ty::Int | Ty::UInt(_) => Ok(v),
        Ty::Lock(_) => {
            Err(Error::new(e.span, "this takes a pointer to the lock").with_label("write `&` before the lock"))
        }
        _ => Err(Error::new(e.span, "this is not a pointer to a lock")),
    }
}

/// `flags = <save>`: assign to the flags lvalue of irqsave primitives.
fn save_flags(lw: &mut Lowerer, flags: &ast::Expr) -> Res<()> {
    let (p, _) = lw.lvalue(flags)?;
    let r = lw.tmp();
    lw.emit(Instr::IrqSave { dst: r });
    lw.write_place(&p, Opd::Reg(r), Order::Plain);
    Ok(())
}

/// The lock-family primitives: `<fam>_lock[_irq|_irqsave|_bh]` and the
/// matching unlocks and trylocks.
fn lock_family(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    let fams: &[(&str, LockKind, LockKind)] = &[
        ("raw_spin_", LockKind::Spin, LockKind::Spin),
        ("spin_", LockKind::Spin, LockKind::Spin),
        ("read_", LockKind::Read, LockKind::Read),
        ("write_", LockKind::Write, LockKind::Write),
    ];
    for (pre, kind, _) in fams {
        let Some(rest) = name.strip_prefix(pre) else { continue };
        let (op, suffix) = match rest {
            "lock" | "lock_irq" | "lock_irqsave" | "lock_bh" | "unlock" | "unlock_irq" | "unlock_irqrestore"
            | "unlock_bh" | "trylock" => {
                let (op, sfx) = rest.split_once('_').unwrap_or((rest, ""));
                (op, sfx)
            }
            _ => continue,
        };
        if *kind == LockKind::Spin && suffix.is_empty() {
            // plain spin_lock/unlock/trylock are the LKMM's, in prims.rs
            return Ok(None);
        }
        let want = if matches!(suffix, "irqsave" | "irqrestore") { 2 } else { 1 };
        arity(name, args, want, e)?;
        let addr = lock_ptr(lw, &args[0])?;
        match (op, suffix) {
            ("lock", "") => lw.emit(Instr::Lock { addr, kind: *kind }),
            ("lock", "irq") => {
                lw.emit(Instr::IrqDisable);
                lw.emit(Instr::Lock { addr, kind: *kind });
            }
            ("lock", "irqsave") => {
                save_flags(lw, &args[1])?;
                lw.emit(Instr::Lock { addr, kind: *kind });
            }
            ("lock", "bh") => {
                lw.emit(Instr::BhDisable);
                lw.emit(Instr::Lock { addr, kind: *kind });
            }
            ("unlock", "") => lw.emit(Instr::Unlock { addr, kind: *kind }),
            ("unlock", "irq") => {
                lw.emit(Instr::Unlock { addr, kind: *kind });
                lw.emit(Instr::IrqEnable);
            }
            ("unlock", "irqrestore") => {
                lw.emit(Instr::Unlock { addr, kind: *kind });
                let (f, _) = lw.rvalue(&args[1])?;
                lw.emit(Instr::IrqRestore { src: f });
            }
            ("unlock", "bh") => {
                lw.emit(Instr::Unlock { addr, kind: *kind });
                lw.emit(Instr::BhEnable);
            }
            ("trylock", _) => {
                let r = lw.tmp();
                lw.emit(Instr::Trylock { dst: r, addr, kind: *kind });
                return Ok(Some((Opd::Reg(r), Ty::Int)));
            }
            _ => return Ok(None),
        }
        return Ok(Some(void()));
    }
    Ok(None)
}

/// `1 << nr` for a bit number operand.
fn bit_mask(lw: &mut Lowerer, nr: Opd) -> Opd {
    match nr {
        Opd::Imm(k) => Opd::Imm(1i64.wrapping_shl(k as u32)),
        _ => {
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::Shl, Opd::Imm(1), nr));
            Opd::Reg(r)
        }
    }
}

/// Lower a kernel-model primitive; `Ok(None)` if `name` is not one.
pub(crate) fn prim(lw: &mut Lowerer, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
    if let Some(r) = lock_family(lw, name, args, e)? {
        return Ok(Some(r));
    }
    let r = match name {
        // ---- interrupts ----
        "local_irq_disable" | "raw_local_irq_disable" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::IrqDisable);
            void()
        }
        "local_irq_enable" | "raw_local_irq_enable" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::IrqEnable);
            void()
        }
        "local_irq_save" | "raw_local_irq_save" => {
            arity(name, args, 1, e)?;
            save_flags(lw, &args[0])?;
            void()
        }
        "local_irq_restore" | "raw_local_irq_restore" => {
            arity(name, args, 1, e)?;
            let (f, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::IrqRestore { src: f });
            void()
        }
        "irqs_disabled" => {
            arity(name, args, 0, e)?;
            let r = lw.tmp();
            lw.emit(Instr::IrqsDisabled { dst: r });
            (Opd::Reg(r), Ty::Int)
        }
        "local_bh_disable" => {
            lw.emit(Instr::BhDisable);
            void()
        }
        "local_bh_enable" => {
            lw.emit(Instr::BhEnable);
            void()
        }
        "preempt_disable" | "preempt_enable" | "preempt_enable_no_resched" | "cond_resched" | "cpu_relax" => void(),
        // ---- the kernel's assertions (include/linux/lockdep.h, kernel.h) ----
        "lockdep_assert_held"
        | "lockdep_assert_held_once"
        | "lockdep_assert_held_write"
        | "lockdep_assert_held_read"
        | "lockdep_assert_not_held" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let check = match name {
                "lockdep_assert_held_write" => KernelCheck::HeldWrite,
                "lockdep_assert_held_read" => KernelCheck::HeldRead,
                "lockdep_assert_not_held" => KernelCheck::NotHeld,
                _ => KernelCheck::Held,
            };
            let text = lw.snippet(e.span);
            lw.emit_text(Instr::Check(check, addr), text);
            void()
        }
        "lockdep_assert_irqs_disabled"
        | "lockdep_assert_irqs_enabled"
        | "lockdep_assert_in_softirq"
        | "lockdep_assert_in_irq"
        | "might_sleep"
        | "might_sleep_if"
        | "might_resched" => {
            if name == "might_sleep_if" {
                arity(name, args, 1, e)?;
            } else {
                arity(name, args, 0, e)?;
            }
            let check = match name {
                "lockdep_assert_irqs_disabled" => KernelCheck::IrqsDisabled,
                "lockdep_assert_irqs_enabled" => KernelCheck::IrqsEnabled,
                "lockdep_assert_in_softirq" => KernelCheck::InSoftirq,
                "lockdep_assert_in_irq" => KernelCheck::InHardirq,
                _ => KernelCheck::MightSleep,
            };
            let text = lw.snippet(e.span);
            if name == "might_sleep_if" {
                let skip = lw.new_label();
                let go = lw.new_label();
                lw.cond_jump(&args[0], go, skip)?;
                lw.place(go);
                lw.emit_text(Instr::Check(check, Opd::Imm(0)), text);
                lw.place(skip);
            } else {
                lw.emit_text(Instr::Check(check, Opd::Imm(0)), text);
            }
            void()
        }
        // KCSAN's assertions (include/linux/kcsan-checks.h): a plain read
        // that races with any concurrent write, a plain write-access that
        // races with any concurrent access
        "ASSERT_EXCLUSIVE_WRITER" | "ASSERT_EXCLUSIVE_BITS" | "ASSERT_EXCLUSIVE_ACCESS" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes a variable")));
            }
            let (p, _) = lw.lvalue(&args[0])?;
            let Place::Mem(addr) = p else {
                return Err(Error::new(
                    args[0].span,
                    format!("`{name}` needs a variable in memory (a global or a field)"),
                ));
            };
            if name == "ASSERT_EXCLUSIVE_ACCESS" {
                lw.emit(Instr::Rmw {
                    dst: None,
                    addr,
                    op: RmwOp::Op(BinOp::Or),
                    a: Opd::Imm(0),
                    b: Opd::Imm(0),
                    ret: RmwRet::None,
                    ord: Order::Plain,
                });
            } else {
                let r = lw.tmp();
                lw.emit(Instr::Load { dst: r, addr, ord: Order::Plain });
            }
            void()
        }
        "smp_processor_id" | "raw_smp_processor_id" | "get_cpu" => (Opd::Imm(lw.cx_thread() as i64), Ty::Int),
        "put_cpu" => void(),
        // ---- IPIs ----
        "smp_call_function_many" | "smp_call_function" | "smp_call_function_single" | "on_each_cpu" => {
            let (mask, fi, ii, wi, include_self) = match name {
                "smp_call_function_many" => {
                    arity(name, args, 4, e)?;
                    (Some(0), 1, 2, 3, false)
                }
                "smp_call_function_single" => {
                    arity(name, args, 4, e)?;
                    (None, 1, 2, 3, true)
                }
                "smp_call_function" => {
                    arity(name, args, 3, e)?;
                    (None, 0, 1, 2, false)
                }
                _ => {
                    arity(name, args, 3, e)?;
                    (None, 0, 1, 2, true)
                }
            };
            let mask = match (name, mask) {
                ("smp_call_function_single", _) => {
                    let (cpu, _) = lw.rvalue(&args[0])?;
                    bit_mask(lw, cpu)
                }
                (_, Some(i)) => lw.rvalue(&args[i])?.0,
                _ => Opd::Imm(-1),
            };
            let ast::ExprKind::Ident(fname) = &args[fi].kind else {
                return Err(Error::new(args[fi].span, "the IPI function must be named directly"));
            };
            let func = lw.ipi_funcs.iter().position(|f| f == fname).unwrap_or(0) as u32;
            let (info, _) = lw.rvalue(&args[ii])?;
            let wait =
                lw.const_eval(&args[wi]).ok_or_else(|| Error::new(args[wi].span, "`wait` must be a constant"))? != 0;
            lw.emit(Instr::SmpCall { mask, func, info, wait, include_self });
            if name == "smp_call_function_single" {
                (Opd::Imm(0), Ty::Int)
            } else {
                void()
            }
        }
        // ---- sleeping locks ----
        "mutex_lock" | "mutex_lock_interruptible" | "mutex_lock_killable" | "mutex_lock_nested" => {
            if args.is_empty() || (args.len() > 1 && name != "mutex_lock_nested") {
                return Err(Error::new(e.span, format!("`{name}` takes a pointer to the mutex")));
            }
            let addr = lock_ptr(lw, &args[0])?;
            lw.emit(Instr::Lock { addr, kind: LockKind::Mutex });
            (Opd::Imm(0), Ty::Int)
        }
        "mutex_unlock" => {
            arity(name, args, 1, e)?;
            let addr = lock_ptr(lw, &args[0])?;
            lw.emit(Instr::Unlock { addr, kind: LockKind::Mutex });
            void()
        }
        "mutex_trylock" => {
            arity(name, args, 1, e)?;
            let addr = lock_ptr(lw, &args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::Trylock { dst: r, addr, kind: LockKind::Mutex });
            (Opd::Reg(r), Ty::Int)
        }
        "mutex_is_locked" => {
            arity(name, args, 1, e)?;
            let addr = lock_ptr(lw, &args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::IsLocked { dst: r, addr });
            (Opd::Reg(r), Ty::Int)
        }
        "down_read" | "down_write" | "up_read" | "up_write" | "down_read_trylock" | "down_write_trylock" => {
            arity(name, args, 1, e)?;
            let addr = lock_ptr(lw, &args[0])?;
            let kind = if name.contains("read") { LockKind::SemRead } else { LockKind::SemWrite };
            if name.ends_with("trylock") {
                let r = lw.tmp();
                lw.emit(Instr::Trylock { dst: r, addr, kind });
                return Ok(Some((Opd::Reg(r), Ty::Int)));
            }
            if name.starts_with("down") {
                lw.emit(Instr::Lock { addr, kind });
            } else {
                lw.emit(Instr::Unlock { addr, kind });
            }
            void()
        }
        "bit_spin_lock" | "bit_spin_unlock" | "__bit_spin_unlock" | "bit_spin_trylock" => {
            arity(name, args, 2, e)?;
            let nr = lw
                .const_eval(&args[0])
                .filter(|n| (0..64).contains(n))
                .ok_or_else(|| Error::new(args[0].span, "the bit number must be a constant from 0 to 63"))?;
            let (addr, _) = lw.rvalue(&args[1])?;
            let kind = LockKind::Bit(nr as u8);
            match name {
                "bit_spin_lock" => lw.emit(Instr::Lock { addr, kind }),
                "bit_spin_trylock" => {
                    let r = lw.tmp();
                    lw.emit(Instr::Trylock { dst: r, addr, kind });
                    return Ok(Some((Opd::Reg(r), Ty::Int)));
                }
                _ => lw.emit(Instr::Unlock { addr, kind }),
            }
            void()
        }
        // ---- tasks ----
        "set_current_state" | "__set_current_state" | "set_special_state" => {
            arity(name, args, 1, e)?;
            let (task, _) = ident(lw, "current", e.span)?.unwrap_or((Opd::Imm(0), Ty::Int));
            let (v, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::Store { addr: task, val: v, ord: Order::Once });
            if name != "__set_current_state" {
                lw.emit(Instr::Fence(FenceKind::Mb));
            }
            void()
        }
        "schedule" | "io_schedule" | "freezable_schedule" => {
            ident(lw, "current", e.span)?;
            lw.emit(Instr::Schedule);
            void()
        }
        "schedule_timeout" | "io_schedule_timeout" => {
            arity(name, args, 1, e)?;
            let (timeout, _) = lw.rvalue(&args[0])?;
            ident(lw, "current", e.span)?;
            let r = lw.tmp();
            lw.emit(Instr::ScheduleTimeout { dst: r, timeout });
            (Opd::Reg(r), Ty::Int)
        }
        "wake_up_process" | "wake_up_state" | "try_to_wake_up" => {
            let (task, _) =
                lw.rvalue(&args.first().ok_or_else(|| Error::new(e.span, format!("`{name}` takes a task")))?.clone())?;
            let mask = match name {
                "wake_up_process" => Opd::Imm(3),
                _ => {
                    if args.len() < 2 {
                        return Err(Error::new(e.span, format!("`{name}` takes a task and a state mask")));
                    }
                    lw.rvalue(&args[1])?.0
                }
            };
            ident(lw, "current", e.span)?;
            let r = lw.tmp();
            lw.emit(Instr::WakeUp { dst: Some(r), task, mask });
            (Opd::Reg(r), Ty::Int)
        }
        // ---- allocation ----
        "kmalloc" | "kzalloc" | "kmalloc_array" | "kcalloc" | "kvmalloc" | "kvzalloc" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes a size")));
            }
            let (size, _) = lw.rvalue(&args[0])?;
            let mut size = match size {
                Opd::Imm(k) if (1..=1 << 16).contains(&k) => k as u32,
                _ => return Err(Error::new(args[0].span, "kvet needs a constant allocation size, e.g. sizeof(*p)")),
            };
            if matches!(name, "kmalloc_array" | "kcalloc") && args.len() == 3 {
                let n = lw
                    .const_eval(&args[1])
                    .ok_or_else(|| Error::new(args[1].span, "the element count must be a constant"))?;
                size = size.saturating_mul(n.clamp(1, 1 << 12) as u32);
            }
            let pool = match lw.pool_sites.iter().position(|p| p.cache.is_none() && p.size == size) {
                Some(i) => {
                    lw.pool_sites[i].sites += 1;
                    i
                }
                None => {
                    lw.pool_sites.push(PoolSite { size, sites: 1, cache: None, typesafe_rcu: false });
                    lw.pool_sites.len() - 1
                }
            } as u32;
            let r = lw.tmp();
            let zero = matches!(name, "kzalloc" | "kcalloc" | "kvzalloc");
            lw.emit(Instr::Alloc { dst: r, pool, zero });
            (Opd::Reg(r), Ty::Void.ptr())
        }
        "call_rcu" | "call_rcu_hurry" => {
            arity(name, args, 2, e)?;
            let ast::ExprKind::Ident(fname) = &args[1].kind else {
                return Err(Error::new(args[1].span, "the RCU callback must be named directly"));
            };
            let func = lw.rcu_funcs.iter().position(|f| f == fname).unwrap_or(0) as u32;
            let (head, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::CallRcu { head, func });
            void()
        }
        "rcu_barrier" => {
            arity(name, args, 0, e)?;
            lw.emit(Instr::RcuBarrier);
            void()
        }
        "kmem_cache_create" | "kmem_cache_create_usercopy" => kmem_cache_create(lw, name, args, e)?,
        "kmem_cache_alloc" | "kmem_cache_zalloc" | "kmem_cache_alloc_node" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes the cache")));
            }
            let (cache, _) = lw.rvalue(&args[0])?;
            lw.cache_alloc_sites += 1;
            let r = lw.tmp();
            lw.emit(Instr::CacheAlloc { dst: r, cache, zero: name == "kmem_cache_zalloc" });
            (Opd::Reg(r), Ty::Void.ptr())
        }
        "kmem_cache_free" => {
            // the cache argument only names the slab: not evaluated
            arity(name, args, 2, e)?;
            let (p, _) = lw.rvalue(&args[1])?;
            lw.emit(Instr::Free { addr: p });
            void()
        }
        "kmem_cache_destroy" => {
            arity(name, args, 1, e)?;
            void()
        }
        "kfree_rcu" | "kvfree_rcu" | "kfree_rcu_mightsleep" => {
            if args.is_empty() {
                return Err(Error::new(e.span, format!("`{name}` takes the object")));
            }
            let (p, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::FreeRcu { addr: p });
            void()
        }
        "kfree" | "kvfree" | "kfree_sensitive" | "free_task" | "__free_object" => {
            arity(name, args, 1, e)?;
            let (p, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::Free { addr: p });
            void()
        }
        // ---- bitops on unsigned long words ----
        "set_bit"
        | "clear_bit"
        | "change_bit"
        | "test_and_set_bit"
        | "test_and_clear_bit"
        | "test_and_change_bit"
        | "test_and_set_bit_lock"
        | "clear_bit_unlock"
        | "clear_bit_unlock_is_negative_byte" => {
            arity(name, args, 2, e)?;
            let (nr, _) = lw.rvalue(&args[0])?;
            let (addr, _) = lw.rvalue(&args[1])?;
            let mask = bit_mask(lw, nr);
            let op = match name {
                "set_bit" | "test_and_set_bit" | "test_and_set_bit_lock" => BinOp::Or,
                "change_bit" | "test_and_change_bit" => BinOp::Xor,
                _ => BinOp::AndNot,
            };
            let (ret, ord) = match name {
                "set_bit" | "clear_bit" | "change_bit" => (RmwRet::None, Order::NoReturn),
                "clear_bit_unlock" => (RmwRet::None, Order::Release),
                "clear_bit_unlock_is_negative_byte" => (RmwRet::NegByte, Order::Release),
                "test_and_set_bit_lock" => (RmwRet::OldBit, Order::Acquire),
                _ => (RmwRet::OldBit, Order::Mb),
            };
            let dst = (ret != RmwRet::None).then(|| lw.tmp());
            lw.emit(Instr::Rmw { dst, addr, op: RmwOp::Op(op), a: mask, b: Opd::Imm(0), ret, ord });
            match dst {
                Some(r) => (Opd::Reg(r), Ty::Int),
                None => void(),
            }
        }
        "test_bit" | "test_bit_acquire" => {
            arity(name, args, 2, e)?;
            let (nr, _) = lw.rvalue(&args[0])?;
            let (addr, _) = lw.rvalue(&args[1])?;
            let w = lw.tmp();
            let ord = if name == "test_bit" { Order::Once } else { Order::Acquire };
            lw.emit(Instr::Load { dst: w, addr, ord });
            let sh = lw.tmp();
            lw.emit(Instr::Bin(sh, BinOp::Shr, Opd::Reg(w), nr));
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::And, Opd::Reg(sh), Opd::Imm(1)));
            (Opd::Reg(r), Ty::Int)
        }
        // the non-atomic bitops: a separate plain load and store, so an
        // update made by another CPU in between is lost
        "__set_bit"
        | "__clear_bit"
        | "__change_bit"
        | "__test_and_set_bit"
        | "__test_and_clear_bit"
        | "__test_and_change_bit" => {
            arity(name, args, 2, e)?;
            let (nr, _) = lw.rvalue(&args[0])?;
            let (addr, _) = lw.rvalue(&args[1])?;
            let mask = bit_mask(lw, nr);
            let old = lw.tmp();
            lw.emit(Instr::Load { dst: old, addr, ord: Order::Plain });
            let new = lw.tmp();
            let op = match name {
                "__set_bit" | "__test_and_set_bit" => BinOp::Or,
                "__change_bit" | "__test_and_change_bit" => BinOp::Xor,
                _ => BinOp::AndNot,
            };
            lw.emit(Instr::Bin(new, op, Opd::Reg(old), mask));
            lw.emit(Instr::Store { addr, val: Opd::Reg(new), ord: Order::Plain });
            let t = lw.tmp();
            lw.emit(Instr::Bin(t, BinOp::And, Opd::Reg(old), mask));
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::Ne, Opd::Reg(t), Opd::Imm(0)));
            (Opd::Reg(r), Ty::Int)
        }
        // ---- seqcounts ----
        "read_seqcount_begin" | "raw_read_seqcount_begin" | "read_seqbegin" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let r = lw.tmp();
            lw.emit(Instr::SeqBegin { dst: r, addr });
            lw.emit(Instr::Fence(FenceKind::Rmb));
            (Opd::Reg(r), Ty::Int)
        }
        "read_seqcount_retry" | "read_seqretry" => {
            arity(name, args, 2, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let (start, _) = lw.rvalue(&args[1])?;
            lw.emit(Instr::Fence(FenceKind::Rmb));
            let v = lw.tmp();
            lw.emit(Instr::Load { dst: v, addr, ord: Order::Once });
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::Ne, Opd::Reg(v), start));
            (Opd::Reg(r), Ty::Int)
        }
        "write_seqcount_begin" | "raw_write_seqcount_begin" | "write_seqcount_end" | "raw_write_seqcount_end" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            if name.ends_with("end") {
                lw.emit(Instr::Fence(FenceKind::Wmb));
            }
            lw.emit(Instr::Rmw {
                dst: None,
                addr,
                op: RmwOp::Op(BinOp::Add),
                a: Opd::Imm(1),
                b: Opd::Imm(0),
                ret: RmwRet::None,
                ord: Order::Once,
            });
            if name.ends_with("begin") {
                lw.emit(Instr::Fence(FenceKind::Wmb));
            }
            void()
        }
        // ---- completions ----
        "init_completion" | "reinit_completion" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            lw.emit(Instr::Store { addr, val: Opd::Imm(0), ord: Order::Once });
            void()
        }
        "complete" | "complete_all" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            if name == "complete" {
                lw.emit(Instr::Rmw {
                    dst: None,
                    addr,
                    op: RmwOp::Op(BinOp::Add),
                    a: Opd::Imm(1),
                    b: Opd::Imm(0),
                    ret: RmwRet::None,
                    ord: Order::Release,
                });
            } else {
                lw.emit(Instr::Store { addr, val: Opd::Imm(1 << 30), ord: Order::Release });
            }
            void()
        }
        "wait_for_completion"
        | "wait_for_completion_interruptible"
        | "wait_for_completion_killable"
        | "wait_for_completion_io" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            ident(lw, "current", e.span)?;
            lw.emit(Instr::WaitCompletion { addr });
            (Opd::Imm(0), Ty::Int)
        }
        "wait_for_completion_timeout" | "wait_for_completion_io_timeout" => {
            arity(name, args, 2, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let (timeout, _) = lw.rvalue(&args[1])?;
            ident(lw, "current", e.span)?;
            let r = lw.tmp();
            lw.emit(Instr::WaitCompletionTimeout { dst: r, addr });
            // `timeout ?: 1` when it did not time out, else 0
            let left = lw.tmp();
            lw.emit(Instr::Bin(left, BinOp::Mul, Opd::Reg(r), timeout));
            let zero = lw.tmp();
            lw.emit(Instr::Bin(zero, BinOp::Eq, Opd::Reg(left), Opd::Imm(0)));
            lw.emit(Instr::Bin(zero, BinOp::And, Opd::Reg(zero), Opd::Reg(r)));
            let res = lw.tmp();
            lw.emit(Instr::Bin(res, BinOp::Or, Opd::Reg(left), Opd::Reg(zero)));
            (Opd::Reg(res), Ty::UInt(64))
        }
        "completion_done" => {
            arity(name, args, 1, e)?;
            let (addr, _) = lw.rvalue(&args[0])?;
            let v = lw.tmp();
            lw.emit(Instr::Load { dst: v, addr, ord: Order::Acquire });
            let r = lw.tmp();
            lw.emit(Instr::Bin(r, BinOp::Ne, Opd::Reg(v), Opd::Imm(0)));
            (Opd::Reg(r), Ty::Int)
        }
        // ---- refcount_t: atomic_t with saturation the scenarios do not reach ----
        _ if name.starts_with("refcount_") => {
            let alias = format!("atomic_{}", &name["refcount_".len()..]);
            return crate::prims::lower_prim(lw, &alias, args, e);
        }
        _ => return Ok(None),
    };
    let _ = Place::Reg;
    Ok(Some(r))
}
