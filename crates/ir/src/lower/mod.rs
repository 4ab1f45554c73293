//! Lowering: from the syntax tree to the [`Program`] both engines run.
//!
//! Globals (the init block, global declarations and the variables that
//! litmus process parameters name) get memory cells. Each process body is
//! flattened into one [`Body`]; helper functions are inlined at each call
//! (recursion is unrolled to [`MAX_INLINE_DEPTH`], past which the path
//! stops with a bound). Locals live in registers unless their address is
//! taken or they are aggregates, in which case they get cells of their own.
//! Kernel primitives are recognised by name in [`crate::prims`].
//!
//! The driver ([`lower_with`]) runs one pass per concern, in order, and no
//! pass calls back into the driver:
//! 1. `crate::scan` reads the tree for function values, IPI functions and
//!    RCU callbacks; `crate::kthread_bind`, `crate::sched` and
//!    `crate::time` collect CPU bindings, extra tasks, kworkers and jiffies;
//! 2. `decls` resolves types and declares globals and functions, `statics`
//!    the init block and static initialisers;
//! 3. `task_structs` allocates every thread's task_struct (when needed);
//! 4. `body` lowers each task body (`stmt`, `expr`, `arith`, `call`), then
//!    `handlers` appends that CPU's handler bodies;
//! 5. `pools` turns the allocation sites into heap slots, and `cond` lowers
//!    the final clauses.
//!
//! The one intended cycle: expressions call the primitives
//! ([`crate::prims`], `crate::kernel`, `crate::sched`), which lower their
//! operands through the same [`Lowerer`] — recursive descent, one call
//! expression at a time.

use crate::program::*;
use crate::types::{Layouts, Ty};
use kvet_syntax::{self as ast, Error, Span, PRELUDE_BASE};
use rustc_hash::{FxHashMap, FxHashSet};

mod addr;
mod arith;
mod body;
mod call;
mod cond;
mod decls;
mod expr;
mod handlers;
mod pools;
mod statics;
mod stmt;
mod task_structs;

use addr::addr_taken;
pub(crate) use arith::ast_binop;
pub(crate) use pools::PoolSite;

/// How deep a recursive helper is unrolled before the path stops.
pub const MAX_INLINE_DEPTH: usize = 8;

pub(crate) type Res<T> = Result<T, Error>;

/// Where a named variable lives.
#[derive(Clone, Debug)]
pub(crate) enum Var {
    Reg(Reg, Ty),
    /// In memory, at a fixed cell.
    Mem(u32, Ty),
}

/// An assignable place.
#[derive(Clone, Debug)]
pub(crate) enum Place {
    Reg(Reg),
    /// Memory at the address held by the operand.
    Mem(Opd),
}

pub(crate) struct Global {
    pub cell: u32,
    pub ty: Ty,
}

struct Frame {
    ret_reg: Option<Reg>,
    ret_ty: Ty,
    ret_label: u32,
    labels: FxHashMap<String, u32>,
    /// Address-taken locals of this function instance (objects that die
    /// when it returns).
    locals: Vec<u32>,
}

/// Per-body lowering state.
pub(crate) struct BodyCx {
    pub steps: Vec<Step>,
    pub nregs: u32,
    scopes: Vec<FxHashMap<String, Var>>,
    /// (break label, continue label); continue is u32::MAX inside a switch.
    loops: Vec<(u32, u32)>,
    frames: Vec<Frame>,
    /// label id -> pc, filled when placed.
    label_pc: Vec<u32>,
    /// Every `goto` (label id, label name, span of the goto), checked
    /// against the placed labels when the body is finished.
    gotos: Vec<(u32, String, Span)>,
    inline_stack: Vec<String>,
    pub text: String,
    pub span: Span,
    thread: u32,
    /// Inlined calls so far, and the one being lowered (`Step::call`).
    pub calls: Vec<CallSite>,
    pub call: u32,
}

pub(crate) struct Lowerer<'a> {
    pub src: &'a str,
    pub prelude: &'a str,
    pub layouts: Layouts,
    pub typedefs: FxHashMap<String, ast::Type>,
    pub consts: FxHashMap<String, i64>,
    pub funcs: FxHashMap<String, &'a ast::FuncDef>,
    pub globals: FxHashMap<String, Global>,
    pub global_order: Vec<String>,
    pub objects: Vec<Object>,
    pub init_mem: Vec<Val>,
    pub fn_ids: FxHashMap<String, u32>,
    pub fn_names: Vec<String>,
    pub cx: BodyCx,
    /// Names declared in the init block (a second `x=1;` entry for the
    /// same name sets it again instead of redeclaring it).
    init_declared: FxHashSet<String>,
    /// Inside a litmus process body (not a helper): undeclared names that
    /// are assigned become registers, as herd7 allows.
    in_proc_top: bool,
    auto_regs: Vec<(String, Reg)>,
    /// Names of hidden lifetime cells.
    pub status_names: Vec<(u32, String)>,
    /// Task objects are needed (`current`, wake-ups): lowering restarts
    /// with them when first seen.
    pub tasks_wanted: bool,
    tasks_enabled: bool,
    /// First cell of each thread's task_struct.
    pub task_cells: Vec<u32>,
    /// Heap pools by size, with the number of allocation sites.
    pub pool_sites: Vec<PoolSite>,
    /// kmem_cache_alloc() call sites lowered so far (each cache gets that
    /// many slots plus one).
    pub cache_alloc_sites: u32,
    /// IPI functions, by name.
    pub ipi_funcs: Vec<String>,
    pub rcu_funcs: Vec<String>,
    pub nthreads: u32,
    /// The first object that did not fit in the program's memory limit.
    pub over_memory: Option<(String, Span)>,
    /// The number of CPUs: the litmus processes `P<n>`.
    pub ncpus: u32,
    /// The tasks beyond the processes (`TASK()` declarations, kthreads),
    /// threads `ncpus..nthreads` in order.
    pub extra_tasks: Vec<crate::sched::TaskDecl>,
    /// kthread_create() calls whose thread kthread_bind() binds to a CPU.
    pub kthread_binds: crate::kthread_bind::Bindings,
    /// Prelude globals, allocated on first use.
    lazy_globals: FxHashMap<String, &'a ast::VarDecl>,
    /// Functions used as values somewhere (the candidates of calls
    /// through function pointers).
    fn_values: FxHashSet<String>,
    /// Struct tags the scenario defines itself: a scenario's own `struct
    /// rw_semaphore` or `struct mutex` replaces kvet's native lock.
    own_structs: FxHashSet<String>,
}

/// Lower a parsed file. `src` and `prelude` are the texts the spans point
/// into (for trace text).
pub fn lower(file: &ast::File, src: &str, prelude: &str) -> Result<Program, Error> {
    let (prog, wanted) = lower_with(file, src, prelude, false)?;
    if !wanted {
        return Ok(prog);
    }
    // `current` or a wake-up was seen: every task needs its task_struct.
    Ok(lower_with(file, src, prelude, true)?.0)
}

fn lower_with(file: &ast::File, src: &str, prelude: &str, tasks_enabled: bool) -> Result<(Program, bool), Error> {
    let mut lw = Lowerer {
        src,
        prelude,
        layouts: Layouts::default(),
        typedefs: FxHashMap::default(),
        consts: FxHashMap::default(),
        funcs: FxHashMap::default(),
        globals: FxHashMap::default(),
        global_order: Vec::new(),
        objects: Vec::new(),
        init_mem: Vec::new(),
        fn_ids: FxHashMap::default(),
        fn_names: Vec::new(),
        cx: BodyCx::new(0),
        init_declared: FxHashSet::default(),
        in_proc_top: false,
        auto_regs: Vec::new(),
        status_names: Vec::new(),
        tasks_wanted: false,
        tasks_enabled,
        task_cells: Vec::new(),
        pool_sites: Vec::new(),
        cache_alloc_sites: 0,
        ipi_funcs: crate::scan::ipi_functions(file),
        rcu_funcs: crate::scan::rcu_functions(file),
        nthreads: 0,
        over_memory: None,
        ncpus: 0,
        extra_tasks: Vec::new(),
        kthread_binds: Default::default(),
        lazy_globals: FxHashMap::default(),
        fn_values: crate::scan::function_values(file),
        own_structs: FxHashSet::default(),
    };
    let nprocs = file.items.iter().filter(|i| matches!(i, ast::Item::Proc(_))).count() as u32;
    lw.kthread_binds = crate::kthread_bind::bindings(file, nprocs)?;
    lw.extra_tasks = crate::sched::collect_tasks(file, nprocs, &lw.kthread_binds)?;
    lw.layouts.srcu_size = 1 + 2 * (nprocs + lw.extra_tasks.len() as u32);
    // NR_CPUS: every task's CPU number is below it (a task that is not
    // pinned runs on a CPU of its own, numbered as its thread)
    lw.consts.insert("NR_CPUS".into(), (nprocs + lw.extra_tasks.len() as u32) as i64);
    // the prelude's worker pool has one slot per kworker
    lw.consts.insert("__KVET_NR_WORKERS".into(), crate::sched::kworkers(file) as i64);
    // per-CPU worker pools and allocated workqueues cost only the files that use them
    lw.consts.insert("__KVET_CPU_POOLS".into(), crate::sched::cpu_pools(file, nprocs) as i64);
    lw.consts.insert("__KVET_WQS".into(), crate::sched::allocates_workqueues(file) as i64);
    // time advances when the scenario reads jiffies (crate::time)
    lw.consts.insert("__KVET_JIFFIES".into(), crate::time::uses_jiffies(file) as i64);
    lw.consts.insert("__KVET_TICK".into(), crate::time::TICK);
    lw.consts.insert("__KVET_TICKS".into(), crate::time::TICKS as i64);
    lw.declarations(file)?;
    lw.init_block(file)?;
    let mut procs: Vec<&ast::Proc> =
        file.items.iter().filter_map(|i| if let ast::Item::Proc(p) = i { Some(p) } else { None }).collect();
    procs.sort_by_key(|p| p.index);
    for (i, p) in procs.iter().enumerate() {
        if p.index as usize != i {
            return Err(Error::new(
                p.span,
                format!("process P{} is missing: processes must be numbered P0, P1, ... without gaps", i),
            ));
        }
    }
    if procs.is_empty() {
        return Err(Error::new(file.span, "the file has no process: write at least P0(...) { ... }"));
    }
    // Parameters name globals: create them before lowering any body.
    for p in &procs {
        for prm in &p.params {
            if !lw.globals.contains_key(&prm.name) {
                let ty = lw.ty(&prm.ty, prm.span)?;
                let gty = match ty {
                    Ty::Ptr(t) => *t,
                    other => other,
                };
                let gty = if gty == Ty::Void { Ty::Int } else { gty };
                lw.add_global(&prm.name, gty, prm.span)?;
            }
        }
    }
    lw.ncpus = procs.len() as u32;
    lw.nthreads = lw.ncpus + lw.extra_tasks.len() as u32;
    if tasks_enabled {
        task_structs::create_tasks(&mut lw, file.span)?;
    }
    let mut threads = Vec::new();
    for p in &procs {
        threads.push(lw.lower_proc(p, file, format!("P{}", p.index), p.index, TaskOrigin::Proc)?);
    }
    for (k, d) in lw.extra_tasks.clone().into_iter().enumerate() {
        let index = lw.ncpus + k as u32;
        let p = ast::Proc { index, params: Vec::new(), body: d.body.clone(), span: d.span };
        let cpu = d.cpu.unwrap_or(index);
        threads.push(lw.lower_proc(&p, file, d.name.clone(), cpu, d.origin.clone())?);
    }
    if lw.tasks_wanted && !tasks_enabled {
        return Ok((Program::empty(), true));
    }
    // the kworkers start idle, asleep in their pool loops
    crate::kworkers::init_pools(&mut lw, file.span)?;
    let pools = pools::create_pools(&mut lw);
    if let Some((name, span)) = lw.over_memory.take() {
        let span = if span == Span::default() { file.span } else { span };
        return Err(Error::new(span, format!("the scenario's memory is too large: `{name}` does not fit")).with_note(
            format!("kvet models at most {} cells (scalars) of memory in all", crate::types::MAX_PROGRAM_CELLS),
        ));
    }
    let (observed, ndisplay, filter, quant) = cond::lower_final(&lw, file, &mut threads)?;
    for t in &mut threads {
        crate::opt::fold_constant_registers(t);
    }
    let cond_text = match &file.fin.quant {
        Some(_) => lw.snippet(file.fin.span),
        None => String::new(),
    };
    Ok((
        Program {
            pools,
            ipi_funcs: lw.ipi_funcs.clone(),
            rcu_funcs: lw.rcu_funcs.clone(),
            name: file.name.clone(),
            ncells: lw.init_mem.len() as u32,
            init_mem: lw.init_mem,
            objects: lw.objects,
            threads,
            fn_names: lw.fn_names,
            observed,
            ndisplay,
            filter,
            quant,
            cond_text,
            preempt: file.info.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("preempt")
                    && matches!(v.to_ascii_lowercase().as_str(), "yes" | "full" | "1" | "true")
            }),
        },
        false,
    ))
}

impl BodyCx {
    fn new(thread: u32) -> BodyCx {
        BodyCx {
            steps: Vec::new(),
            nregs: 0,
            scopes: vec![FxHashMap::default()],
            loops: Vec::new(),
            frames: Vec::new(),
            label_pc: Vec::new(),
            gotos: Vec::new(),
            inline_stack: Vec::new(),
            text: String::new(),
            span: Span::default(),
            thread,
            calls: Vec::new(),
            call: NO_CALL,
        }
    }
}

impl<'a> Lowerer<'a> {
    pub(crate) fn objects_cell_name(&self, cell: u32) -> String {
        for o in &self.objects {
            if cell >= o.base && cell < o.base + o.size {
                return o.cell_names[(cell - o.base) as usize].clone();
            }
        }
        format!("cell{cell}")
    }

    pub(crate) fn fn_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.fn_ids.get(name) {
            return id;
        }
        let id = self.fn_names.len() as u32;
        self.fn_names.push(name.to_string());
        self.fn_ids.insert(name.to_string(), id);
        id
    }

    pub(crate) fn snippet(&self, span: Span) -> String {
        let (text, lo, hi) = if span.lo >= PRELUDE_BASE {
            (self.prelude, (span.lo - PRELUDE_BASE) as usize, (span.hi.saturating_sub(PRELUDE_BASE)) as usize)
        } else {
            (self.src, span.lo as usize, span.hi as usize)
        };
        let s = text.get(lo..hi.min(text.len())).unwrap_or("");
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// The span of a block's closing `}`.
pub(super) fn closing_brace(b: Span) -> Span {
    Span { lo: b.hi.saturating_sub(1).max(b.lo), hi: b.hi }
}
