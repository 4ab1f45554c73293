//! Statements: C control flow (if, loops, switch, goto, return) lowered to
//! labels and jumps.

use super::{Lowerer, Res};
use crate::program::*;
use kvet_syntax::{self as ast, Error};
use rustc_hash::{FxHashMap, FxHashSet};

impl<'a> Lowerer<'a> {
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

    pub(super) fn goto_label(&mut self, name: &str) -> u32 {
        if let Some(l) = self.cx.frames.last().and_then(|f| f.labels.get(name)) {
            return *l;
        }
        let l = self.new_label();
        if let Some(f) = self.cx.frames.last_mut() {
            f.labels.insert(name.to_string(), l);
        }
        l
    }

    pub(super) fn switch(&mut self, e: &ast::Expr, body: &ast::Stmt, taken: &FxHashSet<String>) -> Res<()> {
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

    pub(super) fn switch_body(
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
