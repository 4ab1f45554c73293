//! Calls: helper functions inlined at each call site (recursion unrolled to
//! [`MAX_INLINE_DEPTH`]), calls through function pointers, type-taking
//! builtins, lock annotations and handler bodies. A call and a handler
//! body share one inliner (`inline_body`): they differ only in how the
//! parameters are bound and in how they end.

use super::{addr_taken, closing_brace, Frame, Lowerer, Place, Res, Var, MAX_INLINE_DEPTH};
use crate::prims;
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{self as ast, Error, Span};
use rustc_hash::{FxHashMap, FxHashSet};

impl<'a> Lowerer<'a> {
    pub(super) fn call(&mut self, f: &ast::Expr, args: &[ast::Expr], e: &ast::Expr) -> Res<(Opd, Ty)> {
        let text = self.snippet(e.span);
        let saved_text = std::mem::replace(&mut self.cx.text, text);
        let saved_span = std::mem::replace(&mut self.cx.span, e.span);
        let r = self.call_inner(f, args, e);
        self.cx.text = saved_text;
        self.cx.span = saved_span;
        r
    }

    pub(super) fn call_inner(&mut self, f: &ast::Expr, args: &[ast::Expr], e: &ast::Expr) -> Res<(Opd, Ty)> {
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
    pub(super) fn builtin(&mut self, name: &str, args: &[ast::Expr], e: &ast::Expr) -> Res<Option<(Opd, Ty)>> {
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
    pub(super) fn lock_annotations(&mut self, func: &ast::FuncDef) -> Vec<(ast::LockAnnot, Opd, String)> {
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
        let frame =
            Frame { ret_reg: None, ret_ty: Ty::Void, ret_label, labels: FxHashMap::default(), locals: Vec::new() };
        self.inline_body(func, scope, frame, &addr_taken(&func.body))?;
        self.emit_text(Instr::IrqReturn, format!("return from {}()", func.name));
        Ok(((), arg))
    }

    pub(super) fn inline_call(&mut self, func: &'a ast::FuncDef, args: &[ast::Expr], span: Span) -> Res<(Opd, Ty)> {
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
            // a kworker's body is a call of the prelude's pool loop that no
            // source line holds (ir/src/sched.rs): show it as the kernel's
            // worker_thread() (kernel/workqueue.c)
            text: if func.name.starts_with("__kworker_loop") && func.span.is_prelude() {
                "worker_thread()".to_string()
            } else {
                self.snippet(span)
            },
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
        let (saved_span, saved_text) = (self.cx.span, self.cx.text.clone());
        let frame =
            Frame { ret_reg, ret_ty: ret_ty.clone(), ret_label, labels: FxHashMap::default(), locals: param_objs };
        self.inline_body(func, scope, frame, &taken)?;
        // the caller's statement goes on (a call through a function
        // pointer evaluates the next candidate's arguments)
        self.cx.span = saved_span;
        self.cx.text = saved_text;
        self.cx.call = outer_call;
        Ok((ret_reg.map_or(Opd::Imm(0), Opd::Reg), if ret_ty == Ty::Void { Ty::Int } else { ret_ty }))
    }

    /// The part of inlining that a call and a handler body share: the
    /// callee's scope (its parameters and the globals only) and `frame`,
    /// sparse's lock contexts checked at entry (held: `__must_hold`,
    /// `__releases`) and at exit (held: `__must_hold`, `__acquires`; not
    /// held: `__releases`), the body, and its address-taken locals going
    /// out of scope. The exit checks and the ends of scope are at the
    /// closing brace (not at the last statement, which may not have run),
    /// where `cx.span` is left.
    fn inline_body(
        &mut self,
        func: &ast::FuncDef,
        scope: FxHashMap<String, Var>,
        frame: Frame,
        taken: &FxHashSet<String>,
    ) -> Res<()> {
        let ret_label = frame.ret_label;
        let saved_scopes = std::mem::replace(&mut self.cx.scopes, vec![scope]);
        let saved_loops = std::mem::take(&mut self.cx.loops);
        self.cx.frames.push(frame);
        self.cx.inline_stack.push(func.name.clone());
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
        let r = self.block_with_taken(&func.body, taken, &mut names, false);
        self.cx.inline_stack.pop();
        let frame = self.cx.frames.pop();
        self.cx.scopes = saved_scopes;
        self.cx.loops = saved_loops;
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
        Ok(())
    }
}
