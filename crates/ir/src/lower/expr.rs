//! Expressions: rvalues, lvalues (places), conditions with short-circuit
//! evaluation, and address arithmetic.

use super::{addr_taken, Lowerer, Place, Res, Var};
use crate::prims;
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{self as ast, Error, Span};
use rustc_hash::FxHashMap;

impl<'a> Lowerer<'a> {
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

    pub(super) fn rvalue_ty(&mut self, e: &ast::Expr) -> Res<Ty> {
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
    pub(super) fn stmt_expr(&mut self, b: &ast::Block) -> Res<(Opd, Ty)> {
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

    pub(super) fn ident_rvalue(&mut self, n: &str, span: Span) -> Res<(Opd, Ty)> {
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

    pub(super) fn field_place(&mut self, addr: Opd, t: &Ty, f: &str, span: Span) -> Res<(Place, Ty)> {
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

    pub(super) fn add_scaled(&mut self, base: Opd, i: Opd, sz: i64) -> Opd {
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
}
