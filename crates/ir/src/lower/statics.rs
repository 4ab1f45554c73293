//! Static initialisers: the init block, global initialisers evaluated into
//! the initial memory, and integer constant folding (C's constant
//! expressions).

use super::{ast_binop, Lowerer, Res};
use crate::eval::eval_bin;
use crate::prims;
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{self as ast, Error};

impl<'a> Lowerer<'a> {
    pub(super) fn init_block(&mut self, file: &ast::File) -> Res<()> {
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

    pub(super) fn is_global_name(&self, e: &ast::Expr) -> bool {
        matches!(&e.kind, ast::ExprKind::Ident(n) if !self.consts.contains_key(n) && n != "NULL" && n != "true" && n != "false")
    }

    /// Evaluate a static initializer into memory.
    pub(super) fn static_init(&mut self, cell: u32, ty: &Ty, e: &ast::Expr) -> Res<()> {
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
                if !crate::ctypes::is_integer(ty) {
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
    pub(super) fn static_place(&mut self, e: &ast::Expr) -> Res<(u32, Ty)> {
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
}
