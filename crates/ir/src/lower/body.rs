//! Bodies: a process or task body flattened into one [`Body`] — registers,
//! labels, scopes, local declarations and their run-time initialisation.

use super::{addr_taken, closing_brace, BodyCx, Frame, Lowerer, Res, Var};
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{self as ast, Error, Span};
use rustc_hash::{FxHashMap, FxHashSet};

impl<'a> Lowerer<'a> {
    pub(super) fn lower_proc(
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
            if origin == TaskOrigin::Proc { super::handlers::lower_handlers(self, file, p.index)? } else { Vec::new() };
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

    pub(super) fn finish_body(&mut self) -> Res<Vec<Step>> {
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

    pub(super) fn bind(&mut self, name: &str, v: Var) {
        if let Some(s) = self.cx.scopes.last_mut() {
            s.insert(name.to_string(), v);
        }
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<&Var> {
        self.cx.scopes.iter().rev().find_map(|s| s.get(name))
    }

    pub(super) fn block_with_taken(
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

    pub(super) fn decl(&mut self, d: &ast::VarDecl, taken: &FxHashSet<String>) -> Res<()> {
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
    pub(super) fn scalar_rvalue(&mut self, e: &ast::Expr) -> Res<Opd> {
        let (v, t) = self.rvalue(e)?;
        if let Ty::Struct(_) = t {
            return Err(Error::new(e.span, "a struct cannot be assigned to a scalar")
                .with_label("this is a struct")
                .with_note("assign one of its fields, or take its address with `&`"));
        }
        Ok(v)
    }

    /// Run-time initialisation of a memory local.
    pub(super) fn dyn_init(&mut self, cell: u32, ty: &Ty, e: &ast::Expr) -> Res<()> {
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
}
