//! Lowering: from the syntax tree to the [`Program`] both engines run.
//!
//! Globals (the init block, global declarations and the variables that
//! litmus process parameters name) get memory cells. Each process body is
//! flattened into one [`Body`]; helper functions are inlined at each call
//! (recursion is unrolled to [`MAX_INLINE_DEPTH`], past which the path
//! stops with a bound). Locals live in registers unless their address is
//! taken or they are aggregates, in which case they get cells of their own.
//! Kernel primitives are recognised by name in [`crate::prims`].

use crate::eval::{eval_bin, eval_un};
use crate::prims;
use crate::program::*;
use crate::types::{FieldInfo, Layouts, LockTy, Ty};
use kvet_syntax::{self as ast, Error, Span, PRELUDE_BASE};
use rustc_hash::{FxHashMap, FxHashSet};

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
    pub pool_sites: Vec<crate::kernel::PoolSite>,
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
        ipi_funcs: crate::kernel::ipi_functions(file),
        rcu_funcs: crate::kernel::rcu_functions(file),
        nthreads: 0,
        over_memory: None,
        ncpus: 0,
        extra_tasks: Vec::new(),
        kthread_binds: Default::default(),
        lazy_globals: FxHashMap::default(),
        fn_values: crate::kernel::function_values(file),
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
        crate::kernel::create_tasks(&mut lw, file.span)?;
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
    let pools = crate::kernel::create_pools(&mut lw);
    if let Some((name, span)) = lw.over_memory.take() {
        let span = if span == Span::default() { file.span } else { span };
        return Err(Error::new(span, format!("the scenario's memory is too large: `{name}` does not fit")).with_note(
            format!("kvet models at most {} cells (scalars) of memory in all", crate::types::MAX_PROGRAM_CELLS),
        ));
    }
    let (observed, ndisplay, filter, quant) = crate::cond::lower_final(&lw, file, &mut threads)?;
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
    // ------------------------------------------------------------------
    // declarations and globals
    // ------------------------------------------------------------------

    fn declarations(&mut self, file: &'a ast::File) -> Res<()> {
        // Prelude items are weak: a user definition of the same name wins.
        let mut user = FxHashSet::default();
        for item in file.items.iter().filter(|i| !item_span(i).is_prelude()) {
            if let Some(n) = item_name(item) {
                user.insert(n);
            }
            if let ast::Item::Struct(s) = item {
                self.own_structs.insert(s.name.clone());
            }
        }
        let live = |i: &&ast::Item| !item_span(i).is_prelude() || item_name(i).is_none_or(|n| !user.contains(&n));
        // Types first (they may be used before their definition in the file).
        for item in file.items.iter().filter(live) {
            match item {
                ast::Item::Typedef(t) => {
                    self.typedefs.insert(t.name.clone(), t.ty.clone());
                }
                ast::Item::Enum(e) => {
                    let mut next = 0i64;
                    for (name, val, span) in &e.variants {
                        if let Some(v) = val {
                            next = self.const_eval(v).ok_or_else(|| {
                                Error::new(
                                    *span,
                                    format!("the value of enum constant {name} is not a constant expression"),
                                )
                            })?;
                        }
                        self.consts.insert(name.clone(), next);
                        next = next.wrapping_add(1);
                    }
                }
                ast::Item::Func(f) => {
                    self.funcs.insert(f.name.clone(), f);
                }
                ast::Item::Handler(h) => {
                    self.funcs.insert(h.func.name.clone(), &h.func);
                }
                _ => {}
            }
        }
        // a struct embedded by value must be complete first: structs whose
        // members are defined later (a prelude struct embedding one that
        // the scenario redefines) are retried until nothing changes
        let mut pending: Vec<&ast::StructDef> = file
            .items
            .iter()
            .filter(live)
            .filter_map(|i| if let ast::Item::Struct(s) = i { Some(s) } else { None })
            .collect();
        while !pending.is_empty() {
            let mut later = Vec::new();
            let mut first_err = None;
            for s in pending.iter().copied() {
                match self.define_struct(s) {
                    Err(e) if e.message.contains("is used but never defined") => {
                        first_err.get_or_insert(e);
                        later.push(s);
                    }
                    r => r?,
                }
            }
            if later.len() == pending.len() {
                return Err(
                    first_err.unwrap_or_else(|| Error::new(file.span, "struct definitions refer to each other"))
                );
            }
            pending = later;
        }
        // Globals: declare all, then initialise, so that initialisers may
        // point at globals defined later (`struct node a = { .next = &b };`).
        let mut inits = Vec::new();
        for item in file.items.iter().filter(live) {
            if let ast::Item::Global(g) = item {
                if g.span.is_prelude() {
                    self.lazy_globals.insert(g.name.clone(), g);
                    continue;
                }
                let ty = self.ty(&g.ty, g.span)?;
                let ty = self.complete_array(ty, g.init.as_ref());
                let cell = match self.globals.get(&g.name) {
                    // a tentative or `extern` declaration, then the definition
                    Some(old) if old.ty == ty => old.cell,
                    _ => self.add_global(&g.name, ty.clone(), g.span)?,
                };
                if let Some(init) = &g.init {
                    inits.push((cell, ty, init));
                }
            }
        }
        for (cell, ty, init) in inits {
            self.static_init(cell, &ty, init)?;
        }
        Ok(())
    }

    fn declare_global(&mut self, g: &ast::VarDecl) -> Res<u32> {
        let ty = self.ty(&g.ty, g.span)?;
        let ty = self.complete_array(ty, g.init.as_ref());
        let cell = self.add_global(&g.name, ty.clone(), g.span)?;
        if let Some(init) = &g.init {
            self.static_init(cell, &ty, init)?;
        }
        Ok(cell)
    }

    /// A global by name, allocating a prelude global on first use.
    pub(crate) fn global(&mut self, name: &str) -> Res<Option<(u32, Ty)>> {
        if let Some(g) = self.globals.get(name) {
            return Ok(Some((g.cell, g.ty.clone())));
        }
        if let Some(g) = self.lazy_globals.remove(name) {
            let cell = self.declare_global(g)?;
            return Ok(Some((cell, self.globals[name].ty.clone())));
        }
        Ok(None)
    }

    fn define_struct(&mut self, s: &ast::StructDef) -> Res<()> {
        let id = self.layouts.struct_id(&s.name);
        let mut fields = Vec::new();
        let mut off = 0u32;
        let mut size = 0u32;
        for f in &s.fields {
            let ty = self.ty(&f.ty, f.span)?;
            let sz = self.layouts.size_of(&ty, f.span)?;
            let at = if s.is_union { 0 } else { off };
            fields.push(FieldInfo { name: f.name.clone(), ty, offset: at });
            off = at + sz;
            size = size.max(at + sz);
        }
        let info = &mut self.layouts.structs[id as usize];
        if info.complete {
            return Err(Error::new(s.span, format!("struct {} is defined twice", s.name)));
        }
        info.fields = fields;
        info.size = size;
        info.complete = true;
        Ok(())
    }

    /// Resolve a syntactic type.
    pub(crate) fn ty(&mut self, t: &ast::Type, span: Span) -> Res<Ty> {
        self.ty_depth(t, span, 0)
    }

    fn ty_depth(&mut self, t: &ast::Type, span: Span, depth: u32) -> Res<Ty> {
        if depth > 64 {
            return Err(Error::new(span, "type definitions refer to each other in a cycle"));
        }
        Ok(match t {
            ast::Type::Void => Ty::Void,
            ast::Type::Base(name) => base_ty(name),
            ast::Type::Named(name) => match self.typedefs.get(name).cloned() {
                Some(t) => self.ty_depth(&t, span, depth + 1)?,
                None => base_ty(name),
            },
            ast::Type::Struct(n) | ast::Type::Union(n) if self.own_structs.contains(n) => {
                Ty::Struct(self.layouts.struct_id(n))
            }
            ast::Type::Struct(n) | ast::Type::Union(n) => match n.as_str() {
                "srcu_struct" => Ty::Srcu,
                "mutex" => Ty::Lock(LockTy::Mutex),
                "rw_semaphore" => Ty::Lock(LockTy::Rwsem),
                _ => Ty::Struct(self.layouts.struct_id(n)),
            },
            ast::Type::Enum(_) => Ty::Int,
            ast::Type::Ptr(inner) => {
                if let ast::Type::Func(_, ps) = &**inner {
                    Ty::Func(ps.len() as u32).ptr()
                } else {
                    self.ty_depth(inner, span, depth + 1)?.ptr()
                }
            }
            ast::Type::Array(inner, n) => {
                let el = self.ty_depth(inner, span, depth + 1)?;
                let n = match n {
                    Some(e) => {
                        let v =
                            self.const_eval(e).ok_or_else(|| Error::new(e.span, "array size must be a constant"))?;
                        if !(0..=1 << 16).contains(&v) {
                            return Err(Error::new(e.span, format!("array size {v} is out of range (0..65536)")));
                        }
                        v as u32
                    }
                    None => 0,
                };
                Ty::Array(Box::new(el), n)
            }
            ast::Type::Func(_, ps) => Ty::Func(ps.len() as u32),
            ast::Type::TypeOf(e) => self.type_of_expr(e)?,
        })
    }

    /// `int a[] = {1,2,3}` takes its size from the initializer.
    fn complete_array(&self, ty: Ty, init: Option<&ast::Expr>) -> Ty {
        if let (Ty::Array(el, 0), Some(ast::Expr { kind: ast::ExprKind::InitList(items), .. })) = (&ty, init) {
            return Ty::Array(el.clone(), items.len() as u32);
        }
        ty
    }

    pub(crate) fn add_global(&mut self, name: &str, ty: Ty, span: Span) -> Res<u32> {
        if self.globals.contains_key(name) {
            return Err(Error::new(span, format!("global `{name}` is declared twice")));
        }
        let size = self.layouts.size_of(&ty, span)?;
        let cell = self.alloc_object(name, &ty, size);
        self.globals.insert(name.to_string(), Global { cell, ty });
        self.global_order.push(name.to_string());
        Ok(cell)
    }

    fn alloc_object(&mut self, name: &str, ty: &Ty, size: u32) -> u32 {
        self.alloc_kind(name, ty, size, ObjKind::Static, 0)
    }

    /// A dynamic object: a hidden status cell (initially `status`), then
    /// the object's cells. Returns the first cell of the object.
    pub(crate) fn alloc_dynamic(&mut self, name: &str, ty: &Ty, size: u32, kind: ObjKind, status: Val) -> u32 {
        self.alloc_kind(name, ty, size, kind, status)
    }

    fn alloc_kind(&mut self, name: &str, ty: &Ty, size: u32, kind: ObjKind, status: Val) -> u32 {
        // Past the program's memory limit nothing more is allocated;
        // lowering then fails with `memory_limit_error`.
        let size = if self.init_mem.len() + size as usize + 1 > crate::types::MAX_PROGRAM_CELLS {
            self.over_memory.get_or_insert((name.to_string(), self.cx.span));
            0
        } else {
            size
        };
        let status_cell = (kind != ObjKind::Static).then(|| {
            self.init_mem.push(status);
            (self.init_mem.len() - 1) as u32
        });
        let base = self.init_mem.len() as u32;
        self.init_mem.resize(self.init_mem.len() + size as usize, 0);
        let mut cell_names = Vec::new();
        self.layouts.cell_names(name, ty, &mut cell_names);
        cell_names.resize(size as usize, format!("{name}.?"));
        let mut lock_cells = Vec::new();
        self.layouts.lock_cells(ty, 0, &mut lock_cells);
        if let Some(sc) = status_cell {
            // the status cell is named for traces, but belongs to no object
            self.status_names.push((sc, format!("{name}.<lifetime>")));
        }
        self.objects.push(Object {
            name: name.to_string(),
            base,
            size,
            cell_names,
            lock_cells,
            kind,
            status: status_cell,
        });
        base
    }

    fn init_block(&mut self, file: &ast::File) -> Res<()> {
        // Declare first, then initialise: herd7 allows `int *p = y; int y = 0;`.
        let mut cells = Vec::new();
        for e in &file.init {
            if e.thread.is_some() {
                continue; // registers: bound when lowering the process
            }
            let ty = match &e.ty {
                Some(t) => self.ty(t, e.span)?,
                None => match &e.value {
                    Some(v) if self.is_global_name(v) => Ty::Int.ptr(),
                    _ => Ty::Int,
                },
            };
            let ty = self.complete_array(ty, e.value.as_ref());
            let cell = match self.globals.get(&e.name) {
                Some(g) if e.ty.is_none() || self.init_declared.contains(&e.name) => g.cell,
                _ => self.add_global(&e.name, ty.clone(), e.span)?,
            };
            self.init_declared.insert(e.name.clone());
            cells.push((cell, e));
        }
        for (cell, e) in cells {
            if let Some(v) = &e.value {
                let ty = self.globals[&e.name].ty.clone();
                self.static_init(cell, &ty, v)?;
            }
        }
        Ok(())
    }

    fn is_global_name(&self, e: &ast::Expr) -> bool {
        matches!(&e.kind, ast::ExprKind::Ident(n) if !self.consts.contains_key(n) && n != "NULL" && n != "true" && n != "false")
    }

    /// Evaluate a static initializer into memory.
    fn static_init(&mut self, cell: u32, ty: &Ty, e: &ast::Expr) -> Res<()> {
        match (&e.kind, ty) {
            (ast::ExprKind::InitList(items), Ty::Struct(id)) => {
                let fields = self.layouts.structs[*id as usize].fields.clone();
                let mut next = 0usize;
                for (d, v) in items {
                    let f = match d {
                        Some(ast::Designator::Field(n)) => {
                            let (i, f) = self
                                .layouts
                                .designated(*id, n)
                                .ok_or_else(|| Error::new(v.span, format!("struct has no field `{n}`")))?;
                            next = i;
                            f
                        }
                        _ => fields.get(next).ok_or_else(|| Error::new(v.span, "too many initializers"))?.clone(),
                    };
                    next += 1;
                    self.static_init(cell + f.offset, &f.ty, v)?;
                }
                Ok(())
            }
            (ast::ExprKind::InitList(items), Ty::Array(el, n)) => {
                let sz = self.layouts.size_of(el, e.span)?;
                let mut next = 0i64;
                for (d, v) in items {
                    if let Some(ast::Designator::Index(ix)) = d {
                        next =
                            self.const_eval(ix).ok_or_else(|| Error::new(ix.span, "array index must be a constant"))?;
                    }
                    if next < 0 || next >= *n as i64 {
                        return Err(Error::new(v.span, "array initializer index out of range"));
                    }
                    self.static_init(cell + next as u32 * sz, el, v)?;
                    next += 1;
                }
                Ok(())
            }
            (ast::ExprKind::InitList(items), _) if items.len() == 1 => self.static_init(cell, ty, &items[0].1),
            _ => {
                let v = self.static_value(e, ty)?;
                let v = crate::ctypes::convert_const(v, ty);
                if let Some(c) = self.init_mem.get_mut(cell as usize) {
                    *c = v;
                }
                Ok(())
            }
        }
    }

    /// A constant value for an initializer: integers, addresses of globals
    /// (`&x`, or a bare global name as herd7 allows), function names.
    pub(crate) fn static_value(&mut self, e: &ast::Expr, ty: &Ty) -> Res<Val> {
        match &e.kind {
            ast::ExprKind::Ident(n)
                if !self.consts.contains_key(n) && !matches!(n.as_str(), "NULL" | "true" | "false") =>
            {
                if let Some(g) = self.globals.get(n) {
                    return Ok(ptr_to(g.cell));
                }
                if self.funcs.contains_key(n) {
                    return Ok(FN_TAG | self.fn_id(n) as i64);
                }
                if !crate::ctypes::is_integer(&ty) {
                    // herd7 creates a location named by an initial pointer value
                    let cell = self.add_global(n, Ty::Int, e.span)?;
                    return Ok(ptr_to(cell));
                }
                Err(Error::new(e.span, format!("`{n}` is not a constant, a global or a function")))
            }
            ast::ExprKind::Unary(ast::UnOp::AddrOf, inner) => {
                let (cell, _) = self.static_place(inner)?;
                Ok(ptr_to(cell))
            }
            ast::ExprKind::Call(f, args)
                if matches!(&f.kind, ast::ExprKind::Ident(n) if n == "ATOMIC_INIT" || n == "ATOMIC_LONG_INIT")
                    && args.len() == 1 =>
            {
                self.static_value(&args[0], ty)
            }
            ast::ExprKind::Cast(_, inner) => self.static_value(inner, ty),
            _ => self
                .const_eval(e)
                .ok_or_else(|| Error::new(e.span, "initializer must be a constant, or the address of a global")),
        }
    }

    /// A static place: `x`, `s.f`, `a[2]`.
    fn static_place(&mut self, e: &ast::Expr) -> Res<(u32, Ty)> {
        match &e.kind {
            ast::ExprKind::Ident(n) => match self.globals.get(n) {
                Some(g) => Ok((g.cell, g.ty.clone())),
                None => {
                    let cell = self.add_global(n, Ty::Int, e.span)?;
                    Ok((cell, Ty::Int))
                }
            },
            ast::ExprKind::Member(b, f) => {
                let (cell, ty) = self.static_place(b)?;
                let Ty::Struct(id) = ty else {
                    return Err(Error::new(e.span, "`.` applied to something that is not a struct"));
                };
                let fi = self.layouts.field(id, f).ok_or_else(|| Error::new(e.span, format!("no field `{f}`")))?;
                Ok((cell + fi.offset, fi.ty.clone()))
            }
            ast::ExprKind::Index(b, i) => {
                let (cell, ty) = self.static_place(b)?;
                let Ty::Array(el, n) = ty else {
                    return Err(Error::new(e.span, "indexing something that is not an array"));
                };
                let i = self.const_eval(i).ok_or_else(|| Error::new(i.span, "index must be a constant here"))?;
                if i < 0 || i >= n as i64 {
                    return Err(Error::new(e.span, "index out of range"));
                }
                let sz = self.layouts.size_of(&el, e.span)?;
                Ok((cell + i as u32 * sz, *el))
            }
            _ => Err(Error::new(e.span, "expected a global variable here")),
        }
    }

    /// Fold an integer constant expression.
    pub(crate) fn const_eval(&self, e: &ast::Expr) -> Option<i64> {
        use ast::ExprKind as K;
        Some(match &e.kind {
            K::Int(v) => *v,
            K::Ident(n) => match n.as_str() {
                "NULL" | "false" => 0,
                "true" => 1,
                _ => match self.consts.get(n) {
                    Some(&v) => v,
                    None => prims::constant(n)?,
                },
            },
            K::Unary(op, a) => {
                let a = self.const_eval(a)?;
                match op {
                    ast::UnOp::Neg => a.wrapping_neg(),
                    ast::UnOp::Not => (a == 0) as i64,
                    ast::UnOp::BitNot => !a,
                    ast::UnOp::Plus => a,
                    _ => return None,
                }
            }
            K::Binary(op, a, b) => {
                let a = self.const_eval(a)?;
                let b = self.const_eval(b)?;
                eval_bin(ast_binop(*op)?, a, b)?
            }
            K::Cond(c, a, b) => {
                if self.const_eval(c)? != 0 {
                    self.const_eval(a)?
                } else {
                    self.const_eval(b)?
                }
            }
            K::Cast(_, a) => self.const_eval(a)?,
            K::Call(f, args) => {
                let K::Ident(n) = &f.kind else { return None };
                match (n.as_str(), args.as_slice()) {
                    ("BIT" | "BIT_ULL", [a]) => 1i64.checked_shl(self.const_eval(a)? as u32)?,
                    ("ATOMIC_INIT" | "ATOMIC_LONG_INIT", [a]) => self.const_eval(a)?,
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

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

    // ------------------------------------------------------------------
    // bodies
    // ------------------------------------------------------------------

    fn lower_proc(
        &mut self,
        p: &ast::Proc,
        file: &ast::File,
        name: String,
        cpu: u32,
        origin: TaskOrigin,
    ) -> Res<Thread> {
        self.cx = BodyCx::new(p.index);
        if matches!(origin, TaskOrigin::Kthread(_)) {
            self.cx.span = p.span;
            self.emit_text(Instr::TaskStart, format!("kthread() of {name} starts"));
        }
        let mut init_regs = Vec::new();
        let mut reg_names = Vec::new();
        for prm in &p.params {
            let g = &self.globals[&prm.name];
            let ty = g.ty.clone().ptr();
            let val = ptr_to(g.cell);
            let r = self.new_reg();
            self.bind(&prm.name, Var::Reg(r, ty));
            init_regs.push((r, val));
            reg_names.push((prm.name.clone(), r));
        }
        // herd7's `0:r1=...` register initialisations
        let inits: Vec<&ast::InitEntry> = file.init.iter().filter(|e| e.thread == Some(p.index)).collect();
        for e in inits {
            let ty = match &e.ty {
                Some(t) => self.ty(t, e.span)?,
                None => Ty::Int,
            };
            let val = match &e.value {
                Some(v) => self.static_value(v, &Ty::Int.ptr())?,
                None => 0,
            };
            let ty = if ptr_cell(val).is_some() && crate::ctypes::is_integer(&ty) { Ty::Int.ptr() } else { ty };
            let r = self.new_reg();
            self.bind(&e.name, Var::Reg(r, ty));
            init_regs.push((r, val));
            reg_names.push((e.name.clone(), r));
        }
        let exit = self.new_label();
        self.cx.frames.push(Frame {
            ret_reg: None,
            ret_ty: Ty::Void,
            ret_label: exit,
            labels: FxHashMap::default(),
            locals: Vec::new(),
        });
        let taken = addr_taken(&p.body);
        self.in_proc_top = true;
        self.auto_regs.clear();
        let r = self.block_with_taken(&p.body, &taken, &mut reg_names, true);
        self.in_proc_top = false;
        r?;
        for (n, r) in std::mem::take(&mut self.auto_regs) {
            if !reg_names.iter().any(|(m, _)| *m == n) {
                reg_names.push((n, r));
            }
        }
        self.place(exit);
        self.cx.span = closing_brace(p.body.span);
        if let Some(f) = self.cx.frames.pop() {
            for obj in f.locals {
                self.emit_text(Instr::ScopeExit { obj }, format!("end of P{}: its locals go out of scope", p.index));
            }
        }
        if self.tasks_enabled {
            crate::sched::exit_sequence(self, p.index, &origin)?;
            self.emit_text(Instr::TaskExit, "do_exit()".into());
        }
        self.emit_text(Instr::Exit, String::new());
        let handlers =
            if origin == TaskOrigin::Proc { crate::kernel::lower_handlers(self, file, p.index)? } else { Vec::new() };
        let steps = self.finish_body()?;
        if self.cx.nregs > u16::MAX as u32 {
            return Err(Error::new(p.span, "this process needs more than 65535 registers"));
        }
        Ok(Thread {
            index: p.index,
            cpu,
            origin,
            body: Body { name, steps, calls: std::mem::take(&mut self.cx.calls) },
            nregs: self.cx.nregs as u16,
            init_regs,
            reg_names,
            handlers,
            task: self.task_cells.get(p.index as usize).copied(),
        })
    }

    fn finish_body(&mut self) -> Res<Vec<Step>> {
        // A goto whose label is never placed in its function (a label of
        // another function, or none at all) would jump nowhere.
        for (lab, name, span) in std::mem::take(&mut self.cx.gotos) {
            if self.cx.label_pc[lab as usize] == u32::MAX {
                return Err(Error::new(span, format!("label `{name}` is not defined in this function"))
                    .with_label("this goto has no target")
                    .with_note("a goto can only jump to a label of the function it is written in"));
            }
        }
        let mut steps = std::mem::take(&mut self.cx.steps);
        let pcs = &self.cx.label_pc;
        let fix = |l: u32| -> u32 { pcs[l as usize] };
        for s in &mut steps {
            match &mut s.instr {
                Instr::Jump(l) => *l = fix(*l),
                Instr::Branch(_, a, b) => {
                    *a = fix(*a);
                    *b = fix(*b);
                }
                _ => {}
            }
        }
        if steps.len() > u32::MAX as usize / 2 {
            return Err(Error::new(Span::default(), "program too large"));
        }
        Ok(steps)
    }

    pub(crate) fn new_reg(&mut self) -> Reg {
        let r = self.cx.nregs;
        self.cx.nregs += 1;
        r.min(u16::MAX as u32) as Reg
    }

    pub(crate) fn new_label(&mut self) -> u32 {
        self.cx.label_pc.push(u32::MAX);
        (self.cx.label_pc.len() - 1) as u32
    }

    pub(crate) fn place(&mut self, l: u32) {
        self.cx.label_pc[l as usize] = self.cx.steps.len() as u32;
    }

    pub(crate) fn emit(&mut self, i: Instr) {
        let text = if i.is_shared()
            || matches!(i, Instr::Fence(_) | Instr::Assert(..) | Instr::Bin(_, BinOp::Div | BinOp::Rem, ..))
        {
            self.cx.text.clone()
        } else {
            String::new()
        };
        self.emit_text(i, text);
    }

    pub(crate) fn emit_text(&mut self, instr: Instr, text: String) {
        self.cx.steps.push(Step { instr, span: self.cx.span, text, call: self.cx.call });
    }

    fn bind(&mut self, name: &str, v: Var) {
        if let Some(s) = self.cx.scopes.last_mut() {
            s.insert(name.to_string(), v);
        }
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<&Var> {
        self.cx.scopes.iter().rev().find_map(|s| s.get(name))
    }

    fn block_with_taken(
        &mut self,
        b: &ast::Block,
        taken: &FxHashSet<String>,
        names: &mut Vec<(String, Reg)>,
        top: bool,
    ) -> Res<()> {
        self.cx.scopes.push(FxHashMap::default());
        for s in &b.stmts {
            if top {
                if let ast::StmtKind::Decl(ds) = &s.kind {
                    for d in ds {
                        self.decl(d, taken)?;
                        if let Some(Var::Reg(r, _)) = self.lookup(&d.name) {
                            let r = *r;
                            names.retain(|(n, _)| n != &d.name);
                            names.push((d.name.clone(), r));
                        }
                    }
                    continue;
                }
            }
            self.stmt(s, taken)?;
        }
        self.cx.scopes.pop();
        Ok(())
    }

    fn decl(&mut self, d: &ast::VarDecl, taken: &FxHashSet<String>) -> Res<()> {
        self.cx.span = d.span;
        self.cx.text = self.snippet(d.span);
        let ty = self.ty(&d.ty, d.span)?;
        let ty = self.complete_array(ty, d.init.as_ref());
        if ty.is_scalar() && !taken.contains(&d.name) && !matches!(ty, Ty::Lock(_)) {
            // `int r1;` for a register the init block already set (`1:r1=x`)
            // names that register.
            if let (true, Some(Var::Reg(r, _))) = (
                self.in_proc_top && self.cx.scopes.len() == 2,
                self.cx.scopes.first().and_then(|s| s.get(&d.name)).cloned(),
            ) {
                if let Some(init) = &d.init {
                    let v = self.scalar_rvalue(init)?;
                    let v = self.convert(v, &ty);
                    self.emit(Instr::Mov(r, v));
                }
                self.bind(&d.name, Var::Reg(r, ty));
                return Ok(());
            }
            let r = self.new_reg();
            // the name is in scope in its own initializer (`p = kmalloc(sizeof(*p))`)
            self.bind(&d.name, Var::Reg(r, ty.clone()));
            // herd7 names a process's registers wherever they are declared
            if self.in_proc_top && self.cx.inline_stack.is_empty() && self.cx.scopes.len() > 2 {
                self.auto_regs.push((d.name.clone(), r));
            }
            if let Some(init) = &d.init {
                let v = self.scalar_rvalue(init)?;
                let v = self.convert(v, &ty);
                self.emit(Instr::Mov(r, v));
            } else {
                // Uninitialised locals start at 0, deterministically.
                self.emit(Instr::Mov(r, Opd::Imm(0)));
            }
        } else {
            // A local in memory: its own object, named after the thread.
            let size = self.layouts.size_of(&ty, d.span)?;
            let name = format!("{}:{}", self.cx.thread, d.name);
            let cell = self.alloc_dynamic(&name, &ty, size, ObjKind::Local(self.cx.thread), 0);
            let obj = (self.objects.len() - 1) as u32;
            self.emit(Instr::ScopeEnter { obj });
            if let Some(f) = self.cx.frames.last_mut() {
                f.locals.push(obj);
            }
            // ScopeEnter zeroes the object (deterministic stack contents)
            self.bind(&d.name, Var::Mem(cell, ty.clone()));
            if let Some(init) = &d.init {
                self.dyn_init(cell, &ty, init)?;
            }
        }
        Ok(())
    }

    /// The value of `e` for a scalar destination: a struct has none (C
    /// rejects `int r = s;`; kvet would otherwise store its address).
    fn scalar_rvalue(&mut self, e: &ast::Expr) -> Res<Opd> {
        let (v, t) = self.rvalue(e)?;
        if let Ty::Struct(_) = t {
            return Err(Error::new(e.span, "a struct cannot be assigned to a scalar")
                .with_label("this is a struct")
                .with_note("assign one of its fields, or take its address with `&`"));
        }
        Ok(v)
    }

    /// Run-time initialisation of a memory local.
    fn dyn_init(&mut self, cell: u32, ty: &Ty, e: &ast::Expr) -> Res<()> {
        match (&e.kind, ty) {
            (ast::ExprKind::InitList(items), Ty::Struct(id)) => {
                let fields = self.layouts.structs[*id as usize].fields.clone();
                let mut next = 0usize;
                for (d, v) in items {
                    let (i, f) = match d {
                        Some(ast::Designator::Field(n)) => self
                            .layouts
                            .designated(*id, n)
                            .ok_or_else(|| Error::new(v.span, format!("struct has no field `{n}`")))?,
                        _ => {
                            (next, fields.get(next).ok_or_else(|| Error::new(v.span, "too many initializers"))?.clone())
                        }
                    };
                    next = i + 1;
                    self.dyn_init(cell + f.offset, &f.ty, v)?;
                }
                Ok(())
            }
            (ast::ExprKind::InitList(items), Ty::Array(el, n)) => {
                let sz = self.layouts.size_of(el, e.span)?;
                for (i, (_, v)) in items.iter().enumerate() {
                    if i as u32 >= *n {
                        return Err(Error::new(v.span, "too many initializers"));
                    }
                    self.dyn_init(cell + i as u32 * sz, el, v)?;
                }
                Ok(())
            }
            (ast::ExprKind::InitList(items), _) if items.is_empty() => Ok(()),
            (ast::ExprKind::InitList(items), _) => self.dyn_init(cell, ty, &items[0].1),
            _ => {
                if !ty.is_scalar() {
                    return Err(Error::new(
                        e.span,
                        "aggregate initialisation from an expression is not supported; initialise the fields",
                    ));
                }
                let v = self.scalar_rvalue(e)?;
                self.emit(Instr::Store { addr: Opd::Imm(ptr_to(cell)), val: v, ord: Order::Plain });
                Ok(())
            }
        }
    }

    pub(crate) fn stmt(&mut self, s: &ast::Stmt, taken: &FxHashSet<String>) -> Res<()> {
        use ast::StmtKind as S;
        self.cx.span = s.span;
        self.cx.text = self.snippet(s.span);
        match &s.kind {
            S::Empty => {}
            S::Expr(e) => {
                self.cx.text = self.snippet(e.span);
                self.effect(e)?;
            }
            S::Decl(ds) => {
                for d in ds {
                    self.decl(d, taken)?;
                }
            }
            S::Block(b) => {
                let mut names = Vec::new();
                self.block_with_taken(b, taken, &mut names, false)?;
            }
            S::If(c, t, e) => {
                let lt = self.new_label();
                let lf = self.new_label();
                let end = self.new_label();
                self.cx.text = self.snippet(c.span);
                self.cond_jump(c, lt, lf)?;
                self.place(lt);
                self.stmt(t, taken)?;
                self.emit(Instr::Jump(end));
                self.place(lf);
                if let Some(e) = e {
                    self.stmt(e, taken)?;
                }
                self.place(end);
            }
            S::While(c, body) => {
                let top = self.new_label();
                let lb = self.new_label();
                let end = self.new_label();
                self.place(top);
                self.cx.span = c.span;
                self.cx.text = self.snippet(c.span);
                self.cond_jump(c, lb, end)?;
                self.place(lb);
                self.cx.loops.push((end, top));
                self.stmt(body, taken)?;
                self.cx.loops.pop();
                self.emit(Instr::Jump(top));
                self.place(end);
            }
            S::DoWhile(body, c) => {
                let top = self.new_label();
                let cont = self.new_label();
                let end = self.new_label();
                self.place(top);
                self.cx.loops.push((end, cont));
                self.stmt(body, taken)?;
                self.cx.loops.pop();
                self.place(cont);
                self.cx.span = c.span;
                self.cx.text = self.snippet(c.span);
                self.cond_jump(c, top, end)?;
                self.place(end);
            }
            S::For(init, c, step, body) => {
                self.cx.scopes.push(FxHashMap::default());
                if let Some(i) = init {
                    self.stmt(i, taken)?;
                }
                let top = self.new_label();
                let lb = self.new_label();
                let cont = self.new_label();
                let end = self.new_label();
                self.place(top);
                if let Some(c) = c {
                    self.cx.span = c.span;
                    self.cx.text = self.snippet(c.span);
                    self.cond_jump(c, lb, end)?;
                }
                self.place(lb);
                self.cx.loops.push((end, cont));
                self.stmt(body, taken)?;
                self.cx.loops.pop();
                self.place(cont);
                if let Some(st) = step {
                    self.cx.span = st.span;
                    self.cx.text = self.snippet(st.span);
                    self.effect(st)?;
                }
                self.emit(Instr::Jump(top));
                self.place(end);
                self.cx.scopes.pop();
            }
            S::Break => {
                let (b, _) =
                    *self.cx.loops.last().ok_or_else(|| Error::new(s.span, "`break` outside a loop or switch"))?;
                self.emit(Instr::Jump(b));
            }
            S::Continue => {
                let c = self
                    .cx
                    .loops
                    .iter()
                    .rev()
                    .find(|(_, c)| *c != u32::MAX)
                    .map(|l| l.1)
                    .ok_or_else(|| Error::new(s.span, "`continue` outside a loop"))?;
                self.emit(Instr::Jump(c));
            }
            S::Return(v) => {
                let (ret_reg, ret_label, ret_ty) = {
                    let f = self.cx.frames.last().ok_or_else(|| Error::new(s.span, "`return` outside a function"))?;
                    (f.ret_reg, f.ret_label, f.ret_ty.clone())
                };
                if let Some(v) = v {
                    self.cx.text = self.snippet(v.span);
                    let (o, _) = self.rvalue(v)?;
                    let o = self.convert(o, &ret_ty);
                    if let Some(r) = ret_reg {
                        self.emit(Instr::Mov(r, o));
                    }
                }
                self.emit(Instr::Jump(ret_label));
            }
            S::Goto(l) => {
                let lab = self.goto_label(l);
                self.cx.gotos.push((lab, l.clone(), s.span));
                self.emit(Instr::Jump(lab));
            }
            S::Label(l, inner) => {
                let lab = self.goto_label(l);
                if self.cx.label_pc[lab as usize] != u32::MAX {
                    return Err(Error::new(s.span, format!("label `{l}` is defined twice")));
                }
                self.place(lab);
                self.stmt(inner, taken)?;
            }
            S::Switch(e, body) => self.switch(e, body, taken)?,
            S::Case(_) | S::Default => {
                return Err(Error::new(s.span, "`case` outside a switch"));
            }
        }
        Ok(())
    }

    fn goto_label(&mut self, name: &str) -> u32 {
        if let Some(l) = self.cx.frames.last().and_then(|f| f.labels.get(name)) {
            return *l;
        }
        let l = self.new_label();
        if let Some(f) = self.cx.frames.last_mut() {
            f.labels.insert(name.to_string(), l);
        }
        l
    }

    fn switch(&mut self, e: &ast::Expr, body: &ast::Stmt, taken: &FxHashSet<String>) -> Res<()> {
        self.cx.text = self.snippet(e.span);
        let (v, _) = self.rvalue(e)?;
        let end = self.new_label();
        // collect the case labels of this switch (not of nested ones)
        let mut cases: Vec<&ast::Stmt> = Vec::new();
        collect_cases(body, &mut cases);
        let mut targets = Vec::new();
        let mut default = end;
        for c in &cases {
            let l = self.new_label();
            match &c.kind {
                ast::StmtKind::Case(val) => {
                    let k =
                        self.const_eval(val).ok_or_else(|| Error::new(val.span, "case label must be a constant"))?;
                    let t = self.tmp();
                    self.emit(Instr::Bin(t, BinOp::Eq, v, Opd::Imm(k)));
                    let next = self.new_label();
                    self.emit(Instr::Branch(Opd::Reg(t), l, next));
                    self.place(next);
                }
                _ => default = l,
            }
            targets.push(l);
        }
        self.emit(Instr::Jump(default));
        self.cx.loops.push((end, u32::MAX));
        let mut it = targets.into_iter();
        self.switch_body(body, &mut it, taken)?;
        self.cx.loops.pop();
        self.place(end);
        Ok(())
    }

    fn switch_body(
        &mut self,
        s: &ast::Stmt,
        labels: &mut impl Iterator<Item = u32>,
        taken: &FxHashSet<String>,
    ) -> Res<()> {
        match &s.kind {
            ast::StmtKind::Case(_) | ast::StmtKind::Default => {
                if let Some(l) = labels.next() {
                    self.place(l);
                }
                Ok(())
            }
            ast::StmtKind::Block(b) => {
                self.cx.scopes.push(FxHashMap::default());
                for st in &b.stmts {
                    self.switch_body(st, labels, taken)?;
                }
                self.cx.scopes.pop();
                Ok(())
            }
            ast::StmtKind::Label(name, inner) => {
                let lab = self.goto_label(name);
                self.place(lab);
                self.switch_body(inner, labels, taken)
            }
            _ => self.stmt(s, taken),
        }
    }

    pub(crate) fn tmp(&mut self) -> Reg {
        self.new_reg()
    }

    // ------------------------------------------------------------------
    // expressions
    // ------------------------------------------------------------------

    /// Lower an expression for its side effects only.
    pub(crate) fn effect(&mut self, e: &ast::Expr) -> Res<()> {
        self.rvalue(e).map(|_| ())
    }

    /// Branch on an expression's truth, with short-circuit `&&`/`||`.
    pub(crate) fn cond_jump(&mut self, e: &ast::Expr, t: u32, f: u32) -> Res<()> {
        use ast::ExprKind as K;
        match &e.kind {
            K::Binary(ast::BinOp::And, a, b) => {
                let mid = self.new_label();
                self.cond_jump(a, mid, f)?;
                self.place(mid);
                self.cond_jump(b, t, f)
            }
            K::Binary(ast::BinOp::Or, a, b) => {
                let mid = self.new_label();
                self.cond_jump(a, t, mid)?;
                self.place(mid);
                self.cond_jump(b, t, f)
            }
            K::Unary(ast::UnOp::Not, a) => self.cond_jump(a, f, t),
            _ => {
                let (v, _) = self.rvalue(e)?;
                match v {
                    Opd::Imm(k) => self.emit(Instr::Jump(if k != 0 { t } else { f })),
                    _ => self.emit(Instr::Branch(v, t, f)),
                }
                Ok(())
            }
        }
    }

    /// The static type of an expression, without emitting code.
    pub(crate) fn type_of_expr(&mut self, e: &ast::Expr) -> Res<Ty> {
        // Lower into a scratch body and throw the code away.
        let saved_steps = self.cx.steps.len();
        let saved_regs = self.cx.nregs;
        let saved_labels = self.cx.label_pc.len();
        let r = self.rvalue_ty(e);
        self.cx.steps.truncate(saved_steps);
        self.cx.nregs = saved_regs;
        self.cx.label_pc.truncate(saved_labels);
        r
    }

    fn rvalue_ty(&mut self, e: &ast::Expr) -> Res<Ty> {
        if let ast::ExprKind::Ident(n) = &e.kind {
            if let Some(v) = self.lookup(n) {
                return Ok(match v {
                    Var::Reg(_, t) | Var::Mem(_, t) => t.clone(),
                });
            }
            if let Some(g) = self.globals.get(n) {
                return Ok(g.ty.clone());
            }
        }
        if let ast::ExprKind::Unary(ast::UnOp::Deref, inner) = &e.kind {
            let t = self.rvalue_ty(inner)?;
            return Ok(t.pointee().cloned().unwrap_or(Ty::Int));
        }
        if let ast::ExprKind::Arrow(..) | ast::ExprKind::Member(..) | ast::ExprKind::Index(..) = &e.kind {
            let (_, t) = self.lvalue(e)?;
            return Ok(t);
        }
        Ok(self.rvalue(e)?.1)
    }

    /// Evaluate an expression to an operand.
    pub(crate) fn rvalue(&mut self, e: &ast::Expr) -> Res<(Opd, Ty)> {
        use ast::ExprKind as K;
        match &e.kind {
            K::Int(v) => Ok((Opd::Imm(*v), crate::ctypes::literal(*v))),
            K::Str(_) => Ok((Opd::Imm(0), Ty::Int)),
            K::Ident(n) => self.ident_rvalue(n, e.span),
            K::Unary(op, a) => self.unary(*op, a, e),
            K::Binary(ast::BinOp::And | ast::BinOp::Or, _, _) => {
                let r = self.tmp();
                let t = self.new_label();
                let f = self.new_label();
                let end = self.new_label();
                self.cond_jump(e, t, f)?;
                self.place(t);
                self.emit(Instr::Mov(r, Opd::Imm(1)));
                self.emit(Instr::Jump(end));
                self.place(f);
                self.emit(Instr::Mov(r, Opd::Imm(0)));
                self.place(end);
                Ok((Opd::Reg(r), Ty::Int))
            }
            K::Binary(op, a, b) => {
                let (va, ta) = self.rvalue(a)?;
                let (vb, tb) = self.rvalue(b)?;
                self.binary(*op, va, ta, vb, tb, e.span)
            }
            K::Assign(op, lhs, rhs) => self.assign(*op, lhs, rhs),
            K::Cond(c, a, b) => {
                let r = self.tmp();
                let lt = self.new_label();
                let lf = self.new_label();
                let end = self.new_label();
                self.cond_jump(c, lt, lf)?;
                self.place(lt);
                let (va, ta) = self.rvalue(a)?;
                self.emit(Instr::Mov(r, va));
                self.emit(Instr::Jump(end));
                self.place(lf);
                let (vb, _) = self.rvalue(b)?;
                self.emit(Instr::Mov(r, vb));
                self.place(end);
                Ok((Opd::Reg(r), ta))
            }
            K::Call(f, args) => self.call(f, args, e),
            K::Member(..) | K::Arrow(..) | K::Index(..) => {
                let (p, ty) = self.lvalue(e)?;
                self.read_place(p, ty, e.span)
            }
            K::Cast(t, a) => {
                let ty = self.ty(t, e.span)?;
                let (v, _) = self.rvalue(a)?;
                // a cast to an unsigned type reduces the value modulo 2^N,
                // to bool compares with 0; other casts keep the value
                let v = self.convert(v, &ty);
                Ok((v, ty))
            }
            K::SizeofType(t) => {
                let ty = self.ty(t, e.span)?;
                Ok((Opd::Imm(self.layouts.size_of(&ty, e.span)? as i64), Ty::Int))
            }
            K::SizeofExpr(x) => {
                let ty = self.type_of_expr(x)?;
                Ok((Opd::Imm(self.layouts.size_of(&ty, e.span)? as i64), Ty::Int))
            }
            K::Comma(a, b) => {
                self.effect(a)?;
                self.rvalue(b)
            }
            K::InitList(_) => Err(Error::new(e.span, "a brace initializer can only initialise a declaration")),
            // `f(a, x_t)`: the parser takes a lone `x_t` for a type name;
            // as a value it is the variable of that name
            K::TypeArg(ast::Type::Named(n) | ast::Type::Base(n)) if self.lookup(n).is_some() => {
                self.rvalue(&ast::Expr { kind: K::Ident(n.clone()), span: e.span })
            }
            K::TypeArg(_) => Err(Error::new(e.span, "a type is not a value here")),
            K::StmtExpr(b) => self.stmt_expr(b),
        }
    }

    /// `({ stmts; e; })`: run the statements in a scope of their own; the
    /// value is the last statement's if it is an expression.
    fn stmt_expr(&mut self, b: &ast::Block) -> Res<(Opd, Ty)> {
        let taken = addr_taken(b);
        self.cx.scopes.push(FxHashMap::default());
        let mut val = (Opd::Imm(0), Ty::Void);
        let r = (|| {
            for (i, s) in b.stmts.iter().enumerate() {
                match &s.kind {
                    ast::StmtKind::Expr(e) if i + 1 == b.stmts.len() => val = self.rvalue(e)?,
                    _ => self.stmt(s, &taken)?,
                }
            }
            Ok(())
        })();
        self.cx.scopes.pop();
        r?;
        // the value may live in a register of the scope just left: copy it
        if let Opd::Reg(x) = val.0 {
            let r = self.tmp();
            self.emit(Instr::Mov(r, Opd::Reg(x)));
            val.0 = Opd::Reg(r);
        }
        Ok(val)
    }

    fn ident_rvalue(&mut self, n: &str, span: Span) -> Res<(Opd, Ty)> {
        if let Some(v) = self.lookup(n).cloned() {
            return match v {
                Var::Reg(r, t) => Ok((Opd::Reg(r), t)),
                Var::Mem(c, t) => self.read_place(Place::Mem(Opd::Imm(ptr_to(c))), t, span),
            };
        }
        // the prelude's jiffies (crate::time): 0 where time does not
        // advance, else a marked load (it is volatile), which the tick's
        // store does not race with
        let prelude_jiffies = n == "jiffies" && self.lazy_globals.contains_key(n);
        if prelude_jiffies && self.consts.get("__KVET_JIFFIES") != Some(&1) {
            return Ok((Opd::Imm(0), Ty::UInt(64)));
        }
        let prelude_jiffies = prelude_jiffies || (n == "jiffies" && self.consts.get("__KVET_JIFFIES") == Some(&1));
        if let Some((c, t)) = self.global(n)? {
            if prelude_jiffies {
                let r = self.tmp();
                self.emit(Instr::Load { dst: r, addr: Opd::Imm(ptr_to(c)), ord: Order::Once });
                return Ok((Opd::Reg(r), t));
            }
            return self.read_place(Place::Mem(Opd::Imm(ptr_to(c))), t, span);
        }
        if let Some(v) = crate::kernel::ident(self, n, span)? {
            return Ok(v);
        }
        match n {
            "NULL" | "false" => return Ok((Opd::Imm(0), Ty::Int)),
            "true" => return Ok((Opd::Imm(1), Ty::Int)),
            _ => {}
        }
        if let Some(&k) = self.consts.get(n) {
            return Ok((Opd::Imm(k), Ty::Int));
        }
        if let Some(k) = prims::constant(n) {
            return Ok((Opd::Imm(k), Ty::Int));
        }
        if let Some(f) = self.funcs.get(n) {
            let np = f.params.len() as u32;
            let id = self.fn_id(n);
            return Ok((Opd::Imm(FN_TAG | id as i64), Ty::Func(np).ptr()));
        }
        Err(Error::new(span, format!("`{n}` is not declared")).with_label("unknown name"))
    }

    /// Read a place's value (arrays and functions decay to addresses).
    pub(crate) fn read_place(&mut self, p: Place, ty: Ty, _span: Span) -> Res<(Opd, Ty)> {
        match (&p, &ty) {
            (Place::Mem(a), Ty::Array(el, _)) => return Ok((*a, (**el).clone().ptr())),
            (Place::Mem(a), Ty::Struct(_)) => return Ok((*a, ty.clone())),
            _ => {}
        }
        match p {
            Place::Reg(r) => Ok((Opd::Reg(r), ty)),
            Place::Mem(a) => {
                let r = self.tmp();
                self.emit(Instr::Load { dst: r, addr: a, ord: Order::Plain });
                Ok((Opd::Reg(r), ty))
            }
        }
    }

    pub(crate) fn write_place(&mut self, p: &Place, v: Opd, ord: Order) {
        match p {
            Place::Reg(r) => self.emit(Instr::Mov(*r, v)),
            Place::Mem(a) => self.emit(Instr::Store { addr: *a, val: v, ord }),
        }
    }

    /// Evaluate an expression to a place.
    pub(crate) fn lvalue(&mut self, e: &ast::Expr) -> Res<(Place, Ty)> {
        use ast::ExprKind as K;
        match &e.kind {
            K::Ident(n) => {
                if let Some(v) = self.lookup(n).cloned() {
                    return Ok(match v {
                        Var::Reg(r, t) => (Place::Reg(r), t),
                        Var::Mem(c, t) => (Place::Mem(Opd::Imm(ptr_to(c))), t),
                    });
                }
                if let Some((c, t)) = self.global(n)? {
                    return Ok((Place::Mem(Opd::Imm(ptr_to(c))), t));
                }
                if self.in_proc_top && self.cx.inline_stack.is_empty() {
                    // herd7 takes an undeclared name assigned in a process as a register
                    let r = self.new_reg();
                    if let Some(s) = self.cx.scopes.first_mut() {
                        s.insert(n.clone(), Var::Reg(r, Ty::Int));
                    }
                    self.auto_regs.push((n.clone(), r));
                    return Ok((Place::Reg(r), Ty::Int));
                }
                Err(Error::new(e.span, format!("`{n}` is not declared")).with_label("unknown name"))
            }
            K::Unary(ast::UnOp::Deref, a) => {
                let (v, t) = self.rvalue(a)?;
                let pointee = match t {
                    Ty::Ptr(t) => *t,
                    Ty::Array(t, _) => *t,
                    _ => Ty::Int,
                };
                Ok((Place::Mem(v), pointee))
            }
            K::Member(b, f) => {
                let (p, t) = self.lvalue(b)?;
                let Place::Mem(addr) = p else {
                    return Err(Error::new(e.span, "field access on a register value"));
                };
                self.field_place(addr, &t, f, e.span)
            }
            K::Arrow(b, f) => {
                let (v, t) = self.rvalue(b)?;
                let pointee = t
                    .pointee()
                    .cloned()
                    .ok_or_else(|| Error::new(b.span, format!("`->{f}` applied to something that is not a pointer")))?;
                self.field_place(v, &pointee, f, e.span)
            }
            K::Index(b, i) => {
                let (base, t) = self.rvalue(b)?;
                let el = t
                    .pointee()
                    .cloned()
                    .ok_or_else(|| Error::new(b.span, "indexing something that is not an array or pointer"))?;
                let (iv, _) = self.rvalue(i)?;
                let sz = self.layouts.size_of(&el, e.span)? as i64;
                let addr = self.add_scaled(base, iv, sz);
                Ok((Place::Mem(addr), el))
            }
            K::Cast(_, a) => self.lvalue(a),
            K::Call(..) => {
                // e.g. `*per_cpu_ptr(...)` style helpers that return pointers
                let (v, t) = self.rvalue(e)?;
                let pointee = t.pointee().cloned().unwrap_or(Ty::Int);
                Ok((Place::Mem(v), pointee))
            }
            _ => Err(Error::new(e.span, "this expression cannot be assigned to or have its address taken")),
        }
    }

    fn field_place(&mut self, addr: Opd, t: &Ty, f: &str, span: Span) -> Res<(Place, Ty)> {
        match t {
            Ty::Struct(id) => {
                let fi = self.layouts.field(*id, f).ok_or_else(|| {
                    Error::new(span, format!("struct {} has no field `{f}`", self.layouts.structs[*id as usize].name))
                })?;
                let a = self.add_imm(addr, fi.offset as i64);
                Ok((Place::Mem(a), fi.ty))
            }
            Ty::Atomic if f == "counter" => Ok((Place::Mem(addr), Ty::Int)),
            _ => Err(Error::new(span, format!("`.{f}` applied to something that is not a struct"))),
        }
    }

    pub(crate) fn add_imm(&mut self, a: Opd, k: i64) -> Opd {
        if k == 0 {
            return a;
        }
        match a {
            Opd::Imm(v) => Opd::Imm(v.wrapping_add(k)),
            _ => {
                let r = self.tmp();
                self.emit(Instr::Bin(r, BinOp::Add, a, Opd::Imm(k)));
                Opd::Reg(r)
            }
        }
    }

    fn add_scaled(&mut self, base: Opd, i: Opd, sz: i64) -> Opd {
        match (base, i) {
            (Opd::Imm(b), Opd::Imm(i)) => Opd::Imm(b.wrapping_add(i.wrapping_mul(sz))),
            _ => {
                let off = if sz == 1 {
                    i
                } else {
                    let r = self.tmp();
                    self.emit(Instr::Bin(r, BinOp::Mul, i, Opd::Imm(sz)));
                    Opd::Reg(r)
                };
                let r = self.tmp();
                self.emit(Instr::Bin(r, BinOp::Add, base, off));
                Opd::Reg(r)
            }
        }
    }

    fn unary(&mut self, op: ast::UnOp, a: &ast::Expr, e: &ast::Expr) -> Res<(Opd, Ty)> {
        use ast::UnOp as U;
        match op {
            U::Deref => {
                let (p, t) = self.lvalue(e)?;
                self.read_place(p, t, e.span)
            }
            U::AddrOf => {
                if let ast::ExprKind::Ident(n) = &a.kind {
                    if self.lookup(n).is_none() && !self.globals.contains_key(n) && self.funcs.contains_key(n) {
                        return self.ident_rvalue(n, a.span);
                    }
                }
                let (p, t) = self.lvalue(a)?;
                match p {
                    Place::Mem(addr) => Ok((addr, t.ptr())),
                    Place::Reg(_) => Err(Error::new(a.span, "internal: address of a register variable")
                        .with_note("kvet keeps address-taken locals in memory; this is a bug")),
                }
            }
            U::PreInc | U::PreDec | U::PostInc | U::PostDec => {
                let (p, t) = self.lvalue(a)?;
                let (old, _) = self.read_place(p.clone(), t.clone(), a.span)?;
                let step = match &t {
                    Ty::Ptr(el) => self.layouts.size_of(el, a.span)? as i64,
                    _ => 1,
                };
                let new = self.tmp();
                let bop = if matches!(op, U::PreInc | U::PostInc) { BinOp::Add } else { BinOp::Sub };
                // keep the old value: it may be a register that the write changes
                let keep = self.tmp();
                self.emit(Instr::Mov(keep, old));
                self.emit(Instr::Bin(new, bop, Opd::Reg(keep), Opd::Imm(step)));
                let new = match self.convert(Opd::Reg(new), &t) {
                    Opd::Reg(r) => r,
                    Opd::Imm(_) => new,
                };
                self.write_place(&p, Opd::Reg(new), Order::Plain);
                Ok((Opd::Reg(if matches!(op, U::PreInc | U::PreDec) { new } else { keep }), t))
            }
            U::Plus => self.rvalue(a),
            U::Neg | U::Not | U::BitNot => {
                let (v, t) = self.rvalue(a)?;
                let uop = match op {
                    U::Neg => UnOp::Neg,
                    U::Not => UnOp::Not,
                    _ => UnOp::BitNot,
                };
                let t = if op == U::Not { Ty::Int } else { crate::ctypes::promote(&t) };
                let r = if let Opd::Imm(k) = v {
                    Opd::Imm(eval_un(uop, k))
                } else {
                    let r = self.tmp();
                    self.emit(Instr::Un(r, uop, v));
                    Opd::Reg(r)
                };
                // -u and ~u of an unsigned type wrap modulo 2^N
                let r = self.convert(r, &t);
                Ok((r, t))
            }
        }
    }

    pub(crate) fn binary(&mut self, op: ast::BinOp, va: Opd, ta: Ty, vb: Opd, tb: Ty, span: Span) -> Res<(Opd, Ty)> {
        use crate::ctypes::{common, promote};
        let bop = ast_binop(op).ok_or_else(|| Error::new(span, "internal: short-circuit operator"))?;
        let ptrs = matches!(ta, Ty::Ptr(_) | Ty::Array(..)) || matches!(tb, Ty::Ptr(_) | Ty::Array(..));
        // pointer arithmetic scales by the pointee size
        let (mut bop, va, vb, rty) = match (bop, ta.pointee(), tb.pointee()) {
            (BinOp::Add | BinOp::Sub, Some(el), None) if matches!(ta, Ty::Ptr(_) | Ty::Array(..)) => {
                let sz = self.layouts.size_of(el, span)? as i64;
                let vb = self.scale(vb, sz);
                (bop, va, vb, ta.clone())
            }
            (BinOp::Add, None, Some(el)) => {
                let sz = self.layouts.size_of(el, span)? as i64;
                let va = self.scale(va, sz);
                (bop, va, vb, tb.clone())
            }
            (BinOp::Sub, Some(el), Some(_)) => {
                let sz = self.layouts.size_of(el, span)? as i64;
                let r = self.tmp();
                self.emit(Instr::Bin(r, BinOp::Sub, va, vb));
                if sz != 1 {
                    let q = self.tmp();
                    self.emit(Instr::Bin(q, BinOp::Div, Opd::Reg(r), Opd::Imm(sz)));
                    return Ok((Opd::Reg(q), Ty::Int));
                }
                return Ok((Opd::Reg(r), Ty::Int));
            }
            // pointers compare as unsigned addresses
            (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, _, _) if ptrs => {
                (unsigned_form(bop), va, vb, Ty::Int)
            }
            (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, _, _) => {
                // the usual arithmetic conversions, then compare
                // (a signed common type holds both operands' values)
                let ct = common(&ta, &tb);
                if crate::ctypes::is_signed(&ct) {
                    (bop, va, vb, Ty::Int)
                } else {
                    let va = self.convert(va, &ct);
                    let vb = self.convert(vb, &ct);
                    (unsigned_form(bop), va, vb, Ty::Int)
                }
            }
            (BinOp::Shl | BinOp::Shr, _, _) if !ptrs => {
                // the type is the promoted left operand's; UBSAN checks the exponent
                let lt = promote(&ta);
                let text = self.cx.text.clone();
                self.shift_check(vb, &lt, &text);
                // a signed value shifts right arithmetically (GCC)
                let bop = if bop == BinOp::Shr && crate::ctypes::is_signed(&lt) { BinOp::Sar } else { bop };
                (bop, va, vb, lt)
            }
            _ if matches!(ta, Ty::Ptr(_)) => (bop, va, vb, ta.clone()),
            _ if ptrs => (bop, va, vb, Ty::Int),
            _ => {
                let ct = common(&ta, &tb);
                if crate::ctypes::is_signed(&ct) {
                    (bop, va, vb, ct)
                } else {
                    let va = self.convert(va, &ct);
                    let vb = self.convert(vb, &ct);
                    (bop, va, vb, ct)
                }
            }
        };
        if matches!(rty, Ty::UInt(_)) {
            bop = unsigned_form(bop);
        }
        let v = if let (Opd::Imm(a), Opd::Imm(b)) = (va, vb) { eval_bin(bop, a, b).map(Opd::Imm) } else { None };
        let v = match v {
            Some(v) => v,
            None => {
                let r = self.tmp();
                self.emit(Instr::Bin(r, bop, va, vb));
                Opd::Reg(r)
            }
        };
        // arithmetic in a type narrower than 64 bits wraps to it
        let v = if matches!(rty, Ty::UInt(_) | Ty::SInt(_)) { self.convert(v, &rty) } else { v };
        Ok((v, rty))
    }

    fn scale(&mut self, v: Opd, sz: i64) -> Opd {
        if sz == 1 {
            return v;
        }
        if let Opd::Imm(k) = v {
            return Opd::Imm(k.wrapping_mul(sz));
        }
        let r = self.tmp();
        self.emit(Instr::Bin(r, BinOp::Mul, v, Opd::Imm(sz)));
        Opd::Reg(r)
    }

    fn assign(&mut self, op: Option<ast::BinOp>, lhs: &ast::Expr, rhs: &ast::Expr) -> Res<(Opd, Ty)> {
        // Struct assignment copies every cell.
        let (p, t) = self.lvalue(lhs)?;
        if let (Ty::Struct(_), None) = (&t, op) {
            let (src, _) = self.rvalue(rhs)?;
            let Place::Mem(dst) = p else {
                return Err(Error::new(lhs.span, "struct assignment to a register"));
            };
            let n = self.layouts.size_of(&t, lhs.span)?;
            for i in 0..n as i64 {
                let s = self.add_imm(src, i);
                let d = self.add_imm(dst, i);
                let r = self.tmp();
                self.emit(Instr::Load { dst: r, addr: s, ord: Order::Plain });
                self.emit(Instr::Store { addr: d, val: Opd::Reg(r), ord: Order::Plain });
            }
            return Ok((dst, t));
        }
        let v = match op {
            None => self.scalar_rvalue(rhs)?,
            Some(bop) => {
                // x op= e: a separate load and store (not atomic)
                let (old, ot) = self.read_place(p.clone(), t.clone(), lhs.span)?;
                let keep = self.tmp();
                self.emit(Instr::Mov(keep, old));
                let (rv, rt) = self.rvalue(rhs)?;
                self.binary(bop, Opd::Reg(keep), ot, rv, rt, lhs.span)?.0
            }
        };
        // the stored value has the left side's type
        let v = self.convert(v, &t);
        // the value of an assignment expression is the stored value
        let v = match (v, &p) {
            (Opd::Reg(r), Place::Reg(dst)) if r == *dst => v,
            (Opd::Reg(_), _) => {
                let keep = self.tmp();
                self.emit(Instr::Mov(keep, v));
                Opd::Reg(keep)
            }
            _ => v,
        };
        self.write_place(&p, v, Order::Plain);
        Ok((v, t))
    }

    fn call(&mut self, f: &ast::Expr, args: &[ast::Expr], e: &ast::Expr) -> Res<(Opd, Ty)> {
        let text = self.snippet(e.span);
        let saved_text = std::mem::replace(&mut self.cx.text, text);
        let saved_span = std::mem::replace(&mut self.cx.span, e.span);
        let r = self.call_inner(f, args, e);
        self.cx.text = saved_text;
        self.cx.span = saved_span;
        r
    }

    fn call_inner(&mut self, f: &ast::Expr, args: &[ast::Expr], e: &ast::Expr) -> Res<(Opd, Ty)> {
        if let ast::ExprKind::Ident(name) = &f.kind {
            let shadowed =
                self.lookup(name).is_some() || self.globals.contains_key(name) || self.lazy_globals.contains_key(name);
            if !shadowed {
                if let Some(r) = self.builtin(name, args, e)? {
                    return Ok(r);
                }
                if let Some(func) = self.funcs.get(name.as_str()).copied() {
                    return self.inline_call(func, args, e.span);
                }
                if let Some(r) = prims::lower_prim(self, name, args, e)? {
                    return Ok(r);
                }
                let err = Error::new(
                    f.span,
                    format!("unknown function `{name}`: it is neither a kvet primitive nor defined in this file"),
                )
                .with_label("not a primitive, not defined here")
                .with_unknown_function(name.clone());
                return Err(match crate::suggest::nearest(name, self.funcs.keys().map(|k| k.as_str())) {
                    Some(near) => err.with_note(format!("did you mean `{near}`? Otherwise define it as a helper function (docs/language.md lists the primitives kvet knows)")),
                    None => err.with_note("define it as a helper function, or see docs/language.md for the primitives kvet knows"),
                });
            }
        }
        // A call through a function pointer: dispatch over the functions
        // whose address is taken somewhere, with the right arity.
        let (fv, _) = self.rvalue(f)?;
        let cands: Vec<&'a ast::FuncDef> = {
            let mut v: Vec<&'a ast::FuncDef> = self
                .funcs
                .values()
                .copied()
                .filter(|fd| fd.params.len() == args.len() && self.fn_values.contains(&fd.name))
                .collect();
            v.sort_by(|a, b| a.name.cmp(&b.name));
            v
        };
        let result = self.tmp();
        let end = self.new_label();
        let mut next_labels = Vec::new();
        for fd in cands {
            let id = self.fn_id(&fd.name);
            let t = self.tmp();
            self.emit(Instr::Bin(t, BinOp::Eq, fv, Opd::Imm(FN_TAG | id as i64)));
            let hit = self.new_label();
            let next = self.new_label();
            self.emit(Instr::Branch(Opd::Reg(t), hit, next));
            self.place(hit);
            let (v, _) = self.inline_call(fd, args, e.span)?;
            self.emit(Instr::Mov(result, v));
            self.emit(Instr::Jump(end));
            self.place(next);
            next_labels.push(next);
        }
        let t = self.tmp();
        self.emit(Instr::Bin(t, BinOp::Ne, fv, Opd::Imm(0)));
        self.emit(Instr::Assert(
            Opd::Reg(t),
            AssertKind::Bug,
            format!("call through a NULL function pointer: {}", self.snippet(f.span)),
        ));
        self.emit(Instr::Bound(format!(
            "call through a pointer that is no function of this file: {}",
            self.snippet(f.span)
        )));
        self.place(end);
        Ok((Opd::Reg(result), Ty::Int))
    }

    /// Builtins that take a type: container_of, offsetof; and BIT(n).
    fn builtin(&mut self, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
        let field_path = |lw: &mut Self, ty: &Ty, m: &ast::Expr| -> Res<(u32, Ty)> {
            // `member`, `a.b` or `arr[2]`
            fn walk(lw: &mut Lowerer, ty: &Ty, m: &ast::Expr) -> Res<(u32, Ty)> {
                match &m.kind {
                    ast::ExprKind::Ident(f) => {
                        let Ty::Struct(id) = ty else { return Err(Error::new(m.span, "not a struct type")) };
                        let fi =
                            lw.layouts.field(*id, f).ok_or_else(|| Error::new(m.span, format!("no field `{f}`")))?;
                        Ok((fi.offset, fi.ty))
                    }
                    ast::ExprKind::Member(b, f) => {
                        let (off, t) = walk(lw, ty, b)?;
                        let Ty::Struct(id) = t else { return Err(Error::new(m.span, "not a struct type")) };
                        let fi =
                            lw.layouts.field(id, f).ok_or_else(|| Error::new(m.span, format!("no field `{f}`")))?;
                        Ok((off + fi.offset, fi.ty))
                    }
                    ast::ExprKind::Index(b, i) => {
                        let (off, t) = walk(lw, ty, b)?;
                        let Ty::Array(el, _) = t else { return Err(Error::new(m.span, "not an array")) };
                        let i = lw.const_eval(i).ok_or_else(|| Error::new(i.span, "index must be a constant"))?;
                        let sz = lw.layouts.size_of(&el, m.span)?;
                        Ok((off + i as u32 * sz, *el))
                    }
                    _ => Err(Error::new(m.span, "expected a member name")),
                }
            }
            walk(lw, ty, m)
        };
        let type_arg = |lw: &mut Self, a: &ast::Expr| -> Res<Ty> {
            match &a.kind {
                ast::ExprKind::TypeArg(t) => lw.ty(t, a.span),
                _ => Err(Error::new(a.span, "expected a type here (e.g. `struct foo`)")),
            }
        };
        Ok(Some(match name {
            "container_of" | "container_of_const" => {
                if args.len() != 3 {
                    return Err(Error::new(e.span, "container_of takes (pointer, type, member)"));
                }
                let ty = type_arg(self, &args[1])?;
                let (off, _) = field_path(self, &ty, &args[2])?;
                let (p, _) = self.rvalue(&args[0])?;
                let v = self.add_imm(p, -(off as i64));
                (v, ty.ptr())
            }
            "offsetof" => {
                if args.len() != 2 {
                    return Err(Error::new(e.span, "offsetof takes (type, member)"));
                }
                let ty = type_arg(self, &args[0])?;
                let (off, _) = field_path(self, &ty, &args[1])?;
                (Opd::Imm(off as i64), Ty::Int)
            }
            "BIT" | "BIT_ULL" if args.len() == 1 => {
                let (n, _) = self.rvalue(&args[0])?;
                let (v, _) = self.binary(ast::BinOp::Shl, Opd::Imm(1), Ty::Int, n, Ty::Int, e.span)?;
                (v, Ty::Int)
            }
            _ => return Ok(None),
        }))
    }

    /// The lock annotations of `func` that name a lock (`&l`, `l`,
    /// `&p->lock`, `p->lock`), as lock addresses evaluated in the callee's
    /// scope; others (`RCU`, a context name) are not checked.
    fn lock_annotations(&mut self, func: &ast::FuncDef) -> Vec<(ast::LockAnnot, Opd, String)> {
        let mut out = Vec::new();
        for (a, e) in &func.locks {
            let Ok(ty) = self.type_of_expr(e) else { continue };
            let addr = match ty {
                Ty::Lock(_) => {
                    self.lvalue(e).ok().and_then(|(p, _)| if let Place::Mem(a) = p { Some(a) } else { None })
                }
                Ty::Ptr(inner) if matches!(*inner, Ty::Lock(_)) => self.rvalue(e).ok().map(|(v, _)| v),
                _ => None,
            };
            if let Some(addr) = addr {
                out.push((*a, addr, format!("{}({})", a.name(), self.snippet(e.span))));
            }
        }
        out
    }

    pub(crate) fn cx_thread(&self) -> u32 {
        self.cx.thread
    }

    /// The label at the end of the thread's body (its exit), for do_exit().
    pub(crate) fn exit_label(&self) -> Option<u32> {
        self.cx.frames.first().map(|f| f.ret_label)
    }

    /// Lower a handler body (interrupt handler or IPI function) at the
    /// current end of the thread's code; it ends in `IrqReturn`. Returns
    /// the register of its first parameter (the IPI's `info`).
    pub(crate) fn handler_body(&mut self, func: &ast::FuncDef) -> Res<((), Option<Reg>)> {
        if func.params.len() > 1 {
            return Err(Error::new(
                func.span,
                format!("handler `{}` may take at most one parameter (the IPI's info)", func.name),
            ));
        }
        let ret_label = self.new_label();
        let mut scope = FxHashMap::default();
        let mut arg = None;
        for prm in &func.params {
            let ty = self.ty(&prm.ty, prm.span)?;
            let r = self.tmp();
            scope.insert(prm.name.clone(), Var::Reg(r, ty));
            arg = Some(r);
        }
        let taken = addr_taken(&func.body);
        let saved_scopes = std::mem::replace(&mut self.cx.scopes, vec![scope]);
        self.cx.frames.push(Frame {
            ret_reg: None,
            ret_ty: Ty::Void,
            ret_label,
            labels: FxHashMap::default(),
            locals: Vec::new(),
        });
        self.cx.inline_stack.push(func.name.clone());
        // sparse's lock contexts, checked: held at entry (__must_hold,
        // __releases), held (__must_hold, __acquires) or not (__releases)
        // at exit
        let locks = self.lock_annotations(func);
        for (a, addr, text) in &locks {
            if matches!(a, ast::LockAnnot::MustHold | ast::LockAnnot::Releases) {
                self.emit_text(
                    Instr::Check(KernelCheck::Held, *addr),
                    format!("{text} at the entry of {}()", func.name),
                );
            }
        }
        let mut names = Vec::new();
        let r = self.block_with_taken(&func.body, &taken, &mut names, false);
        self.cx.inline_stack.pop();
        let frame = self.cx.frames.pop();
        self.cx.scopes = saved_scopes;
        r?;
        self.place(ret_label);
        self.cx.span = closing_brace(func.body.span);
        for (a, addr, text) in &locks {
            let check = if *a == ast::LockAnnot::Releases { KernelCheck::NotHeld } else { KernelCheck::Held };
            self.emit_text(Instr::Check(check, *addr), format!("{text} at the return of {}()", func.name));
        }
        for obj in frame.map(|f| f.locals).unwrap_or_default() {
            self.emit_text(
                Instr::ScopeExit { obj },
                format!("return from {}(): its locals go out of scope", func.name),
            );
        }
        self.emit_text(Instr::IrqReturn, format!("return from {}()", func.name));
        Ok(((), arg))
    }

    fn inline_call(&mut self, func: &'a ast::FuncDef, args: &[ast::Expr], span: Span) -> Res<(Opd, Ty)> {
        if args.len() != func.params.len() && !(func.params.is_empty() && args.is_empty()) {
            return Err(Error::new(
                span,
                format!("`{}` takes {} argument(s), {} given", func.name, func.params.len(), args.len()),
            ));
        }
        let depth = self.cx.inline_stack.iter().filter(|n| **n == func.name).count();
        if depth >= MAX_INLINE_DEPTH || self.cx.inline_stack.len() >= 64 {
            self.emit(Instr::Bound(format!("recursion of `{}` deeper than {MAX_INLINE_DEPTH}", func.name)));
            return Ok((Opd::Imm(0), Ty::Int));
        }
        let mut vals = Vec::new();
        for a in args {
            vals.push(self.rvalue(a)?.0);
        }
        let ret_ty = self.ty(&func.ret, func.span)?;
        let ret_reg = if ret_ty == Ty::Void { None } else { Some(self.tmp()) };
        let ret_label = self.new_label();
        let taken = addr_taken(&func.body);
        let mut scope = FxHashMap::default();
        let mut stores = Vec::new();
        let outer_call = self.cx.call;
        self.cx.calls.push(CallSite {
            parent: outer_call,
            span,
            text: self.snippet(span),
            func: func.name.clone(),
            prelude: func.span.is_prelude(),
        });
        self.cx.call = (self.cx.calls.len() - 1) as u32;
        let mut param_objs = Vec::new();
        for (prm, v) in func.params.iter().zip(vals) {
            let ty = self.ty(&prm.ty, prm.span)?;
            let v = self.convert(v, &ty);
            if taken.contains(&prm.name) || !ty.is_scalar() {
                let name = format!("{}:{}.{}", self.cx.thread, func.name, prm.name);
                let size = self.layouts.size_of(&ty, prm.span)?;
                let cell = self.alloc_dynamic(&name, &ty, size, ObjKind::Local(self.cx.thread), 0);
                let obj = (self.objects.len() - 1) as u32;
                self.emit(Instr::ScopeEnter { obj });
                param_objs.push(obj);
                stores.push((cell, v));
                scope.insert(prm.name.clone(), Var::Mem(cell, ty));
            } else {
                let r = self.tmp();
                self.emit(Instr::Mov(r, v));
                scope.insert(prm.name.clone(), Var::Reg(r, ty));
            }
        }
        for (cell, v) in stores {
            self.emit(Instr::Store { addr: Opd::Imm(ptr_to(cell)), val: v, ord: Order::Plain });
        }
        // The callee sees only its parameters and the globals.
        let saved_scopes = std::mem::replace(&mut self.cx.scopes, vec![scope]);
        let saved_loops = std::mem::take(&mut self.cx.loops);
        self.cx.frames.push(Frame {
            ret_reg,
            ret_ty: ret_ty.clone(),
            ret_label,
            labels: FxHashMap::default(),
            locals: param_objs,
        });
        self.cx.inline_stack.push(func.name.clone());
        // sparse's lock contexts, checked: held at entry (__must_hold,
        // __releases), held (__must_hold, __acquires) or not (__releases)
        // at exit
        let locks = self.lock_annotations(func);
        for (a, addr, text) in &locks {
            if matches!(a, ast::LockAnnot::MustHold | ast::LockAnnot::Releases) {
                self.emit_text(
                    Instr::Check(KernelCheck::Held, *addr),
                    format!("{text} at the entry of {}()", func.name),
                );
            }
        }
        let mut names = Vec::new();
        let (saved_span, saved_text) = (self.cx.span, self.cx.text.clone());
        let r = self.block_with_taken(&func.body, &taken, &mut names, false);
        self.cx.inline_stack.pop();
        let frame = self.cx.frames.pop();
        self.cx.scopes = saved_scopes;
        self.cx.loops = saved_loops;
        r?;
        self.place(ret_label);
        // the annotations are checked, and the function's address-taken
        // locals die, at its closing brace (not at its last statement,
        // which may not have run)
        self.cx.span = closing_brace(func.body.span);
        for (a, addr, text) in &locks {
            let check = if *a == ast::LockAnnot::Releases { KernelCheck::NotHeld } else { KernelCheck::Held };
            self.emit_text(Instr::Check(check, *addr), format!("{text} at the return of {}()", func.name));
        }
        for obj in frame.map(|f| f.locals).unwrap_or_default() {
            self.emit_text(
                Instr::ScopeExit { obj },
                format!("return from {}(): its locals go out of scope", func.name),
            );
        }
        // the caller's statement goes on (a call through a function
        // pointer evaluates the next candidate's arguments)
        self.cx.span = saved_span;
        self.cx.text = saved_text;
        self.cx.call = outer_call;
        Ok((ret_reg.map_or(Opd::Imm(0), Opd::Reg), if ret_ty == Ty::Void { Ty::Int } else { ret_ty }))
    }
}

/// The span of a block's closing `}`.
fn closing_brace(b: Span) -> Span {
    Span { lo: b.hi.saturating_sub(1).max(b.lo), hi: b.hi }
}

/// Names whose address is taken in a block (`&x`), and aggregates.
fn addr_taken(b: &ast::Block) -> FxHashSet<String> {
    let mut set = FxHashSet::default();
    for s in &b.stmts {
        walk_stmt(s, &mut set);
    }
    set
}

fn walk_stmt(s: &ast::Stmt, set: &mut FxHashSet<String>) {
    use ast::StmtKind as S;
    match &s.kind {
        S::Expr(e) | S::Case(e) => walk_expr(e, set),
        S::Decl(ds) => {
            for d in ds {
                if let Some(i) = &d.init {
                    walk_expr(i, set);
                }
            }
        }
        S::Block(b) => {
            for s in &b.stmts {
                walk_stmt(s, set);
            }
        }
        S::If(c, t, e) => {
            walk_expr(c, set);
            walk_stmt(t, set);
            if let Some(e) = e {
                walk_stmt(e, set);
            }
        }
        S::While(c, b) | S::DoWhile(b, c) | S::Switch(c, b) => {
            walk_expr(c, set);
            walk_stmt(b, set);
        }
        S::For(i, c, st, b) => {
            if let Some(i) = i {
                walk_stmt(i, set);
            }
            if let Some(c) = c {
                walk_expr(c, set);
            }
            if let Some(st) = st {
                walk_expr(st, set);
            }
            walk_stmt(b, set);
        }
        S::Return(Some(e)) => walk_expr(e, set),
        S::Label(_, s) => walk_stmt(s, set),
        _ => {}
    }
}

fn walk_expr(e: &ast::Expr, set: &mut FxHashSet<String>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Unary(ast::UnOp::AddrOf, inner) => {
            // &x, &x.f, &x[1] all take x's address
            let mut b = &**inner;
            while let K::Member(x, _) | K::Index(x, _) = &b.kind {
                b = x;
            }
            if let K::Ident(n) = &b.kind {
                set.insert(n.clone());
            }
            walk_expr(inner, set);
        }
        K::Unary(_, a) | K::Cast(_, a) | K::SizeofExpr(a) | K::Member(a, _) | K::Arrow(a, _) => walk_expr(a, set),
        K::Binary(_, a, b) | K::Assign(_, a, b) | K::Index(a, b) | K::Comma(a, b) => {
            walk_expr(a, set);
            walk_expr(b, set);
        }
        K::Cond(a, b, c) => {
            walk_expr(a, set);
            walk_expr(b, set);
            walk_expr(c, set);
        }
        K::Call(f, args) => {
            walk_expr(f, set);
            for a in args {
                walk_expr(a, set);
            }
        }
        K::InitList(items) => {
            for (_, v) in items {
                walk_expr(v, set);
            }
        }
        K::StmtExpr(b) => b.stmts.iter().for_each(|s| walk_stmt(s, set)),
        _ => {}
    }
}

fn collect_cases<'s>(s: &'s ast::Stmt, out: &mut Vec<&'s ast::Stmt>) {
    match &s.kind {
        ast::StmtKind::Case(_) | ast::StmtKind::Default => out.push(s),
        ast::StmtKind::Block(b) => {
            for st in &b.stmts {
                collect_cases(st, out);
            }
        }
        ast::StmtKind::Label(_, inner) => collect_cases(inner, out),
        _ => {}
    }
}

fn base_ty(name: &str) -> Ty {
    match name {
        "spinlock_t" | "raw_spinlock_t" => Ty::Lock(LockTy::Spin),
        "rwlock_t" => Ty::Lock(LockTy::Rw),
        "mutex" => Ty::Lock(LockTy::Mutex),
        "rw_semaphore" => Ty::Lock(LockTy::Rwsem),
        "seqcount_t" | "seqcount_spinlock_t" => Ty::Int,
        "atomic_t" | "atomic_long_t" | "atomic64_t" | "refcount_t" => Ty::Atomic,
        "srcu_struct" => Ty::Srcu,
        "void" => Ty::Void,
        _ => crate::ctypes::int_name(name).unwrap_or(Ty::Int),
    }
}

/// The unsigned form of a comparison, division or remainder.
fn unsigned_form(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::LtU,
        BinOp::Le => BinOp::LeU,
        BinOp::Gt => BinOp::GtU,
        BinOp::Ge => BinOp::GeU,
        BinOp::Div => BinOp::DivU,
        BinOp::Rem => BinOp::RemU,
        _ => op,
    }
}

pub(crate) fn ast_binop(op: ast::BinOp) -> Option<BinOp> {
    use ast::BinOp as A;
    Some(match op {
        A::Add => BinOp::Add,
        A::Sub => BinOp::Sub,
        A::Mul => BinOp::Mul,
        A::Div => BinOp::Div,
        A::Rem => BinOp::Rem,
        A::Shl => BinOp::Shl,
        A::Shr => BinOp::Shr,
        A::BitAnd => BinOp::And,
        A::BitOr => BinOp::Or,
        A::BitXor => BinOp::Xor,
        A::Eq => BinOp::Eq,
        A::Ne => BinOp::Ne,
        A::Lt => BinOp::Lt,
        A::Le => BinOp::Le,
        A::Gt => BinOp::Gt,
        A::Ge => BinOp::Ge,
        A::And | A::Or => return None,
    })
}

fn item_span(i: &ast::Item) -> Span {
    match i {
        ast::Item::Proc(p) => p.span,
        ast::Item::Func(f) => f.span,
        ast::Item::Struct(s) => s.span,
        ast::Item::Enum(e) => e.span,
        ast::Item::Typedef(t) => t.span,
        ast::Item::Global(g) => g.span,
        ast::Item::Handler(h) => h.span,
    }
}

/// An item's name in its C namespace: tags (`struct page`) and ordinary
/// identifiers (`page`) do not clash.
fn item_name(i: &ast::Item) -> Option<String> {
    match i {
        ast::Item::Func(f) => Some(f.name.clone()),
        ast::Item::Struct(s) => Some(format!("struct {}", s.name)),
        ast::Item::Typedef(t) => Some(t.name.clone()),
        ast::Item::Global(g) => Some(g.name.clone()),
        ast::Item::Enum(e) if !e.name.is_empty() => Some(format!("enum {}", e.name)),
        _ => None,
    }
}
