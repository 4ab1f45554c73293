//! The final clauses: `locations`, `filter` and `exists`/`~exists`/`forall`,
//! lowered to conditions over a list of observed locations in herd7's
//! display order (registers by thread then name, then memory by name).

use super::{Lowerer, Res};
use crate::program::*;
use crate::types::Ty;
use kvet_syntax::{self as ast, Error, Span};

/// Observed locations, how many are displayed, the filter and the final condition.
pub(super) type Final = (Vec<Observed>, usize, Option<Cond>, Option<(Quant, Cond)>);

pub(super) fn lower_final(lw: &Lowerer, file: &ast::File, threads: &mut [Thread]) -> Res<Final> {
    let mut obs: Vec<Observed> = Vec::new();
    for l in &file.fin.locations {
        let o = observed(lw, l, threads)?;
        if !obs.contains(&o) {
            obs.push(o);
        }
    }
    let mut cx = Cx { lw, threads, obs };
    let quant = match &file.fin.quant {
        Some((q, c)) => {
            let q = match q {
                ast::Quant::Exists => Quant::Exists,
                ast::Quant::NotExists => Quant::NotExists,
                ast::Quant::Forall => Quant::Forall,
            };
            Some((q, cx.cond(c)?))
        }
        None => None,
    };
    // herd7 displays the `locations` and the condition's locations, not
    // those only the filter reads: those come after the displayed ones.
    let ndisplay = cx.obs.len();
    let filter = file.fin.filter.as_ref().map(|c| cx.cond(c)).transpose()?;
    // Displayed locations are sorted as herd7 prints them: registers (by
    // thread, then name), then memory locations by name.
    let mut order: Vec<usize> = (0..cx.obs.len()).collect();
    let key = |o: &Observed| match o {
        Observed::Reg { thread, name, .. } => (0, *thread, name.clone()),
        Observed::Cell { name, .. } => (1, 0, name.clone()),
    };
    order[..ndisplay].sort_by_key(|&i| key(&cx.obs[i]));
    let mut remap = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new;
    }
    let obs: Vec<Observed> = order.iter().map(|&i| cx.obs[i].clone()).collect();
    let filter = filter.map(|c| renumber(c, &remap));
    let quant = quant.map(|(q, c)| (q, renumber(c, &remap)));
    Ok((obs, ndisplay, filter, quant))
}

fn renumber(c: Cond, m: &[usize]) -> Cond {
    match c {
        Cond::Not(a) => Cond::Not(Box::new(renumber(*a, m))),
        Cond::And(a, b) => Cond::And(Box::new(renumber(*a, m)), Box::new(renumber(*b, m))),
        Cond::Or(a, b) => Cond::Or(Box::new(renumber(*a, m)), Box::new(renumber(*b, m))),
        Cond::Implies(a, b) => Cond::Implies(Box::new(renumber(*a, m)), Box::new(renumber(*b, m))),
        Cond::Eq { idx, value, negated } => Cond::Eq { idx: m[idx], value, negated },
        Cond::EqLoc { a, b, negated } => Cond::EqLoc { a: m[a], b: m[b], negated },
        c => c,
    }
}

struct Cx<'l, 'a> {
    lw: &'l Lowerer<'a>,
    threads: &'l mut [Thread],
    obs: Vec<Observed>,
}

impl Cx<'_, '_> {
    fn index(&mut self, l: &ast::Loc) -> Res<usize> {
        let o = observed(self.lw, l, self.threads)?;
        if let Some(i) = self.obs.iter().position(|x| *x == o) {
            return Ok(i);
        }
        self.obs.push(o);
        Ok(self.obs.len() - 1)
    }

    fn cond(&mut self, c: &ast::Cond) -> Res<Cond> {
        Ok(match c {
            ast::Cond::True => Cond::True,
            ast::Cond::False => Cond::False,
            ast::Cond::Not(a) => Cond::Not(Box::new(self.cond(a)?)),
            ast::Cond::And(a, b) => Cond::And(Box::new(self.cond(a)?), Box::new(self.cond(b)?)),
            ast::Cond::Or(a, b) => Cond::Or(Box::new(self.cond(a)?), Box::new(self.cond(b)?)),
            ast::Cond::Implies(a, b) => Cond::Implies(Box::new(self.cond(a)?), Box::new(self.cond(b)?)),
            ast::Cond::Atom { loc, negated, value, span } => {
                let idx = self.index(loc)?;
                match value {
                    ast::CondValue::Int(v) => Cond::Eq { idx, value: *v, negated: *negated },
                    ast::CondValue::Addr(p) => {
                        let cell = path_cell(self.lw, p, *span)?;
                        Cond::Eq { idx, value: ptr_to(cell), negated: *negated }
                    }
                    ast::CondValue::Loc(l) => {
                        let b = self.index(l)?;
                        Cond::EqLoc { a: idx, b, negated: *negated }
                    }
                }
            }
        })
    }
}

fn observed(lw: &Lowerer, l: &ast::Loc, threads: &mut [Thread]) -> Res<Observed> {
    match l {
        ast::Loc::Reg { thread, name, span } => {
            let t = threads
                .get_mut(*thread as usize)
                .ok_or_else(|| Error::new(*span, format!("there is no process P{thread}")))?;
            let reg = match t.reg_names.iter().find(|(n, _)| n == name) {
                Some((_, r)) => *r,
                None => {
                    // herd7 shows a register the process never sets as 0.
                    let r = t.nregs;
                    t.nregs = t.nregs.checked_add(1).ok_or_else(|| Error::new(*span, "too many registers"))?;
                    t.reg_names.push((name.clone(), r));
                    r
                }
            };
            Ok(Observed::Reg { thread: *thread, reg, name: name.clone() })
        }
        ast::Loc::Global { path, span } => {
            let cell = path_cell(lw, path, *span)?;
            Ok(Observed::Cell { cell, name: lw.objects_cell_name(cell) })
        }
        ast::Loc::Deref { inner, .. } => observed(lw, inner, threads),
    }
}

fn path_cell(lw: &Lowerer, p: &ast::LocPath, span: Span) -> Res<u32> {
    let g = lw
        .globals
        .get(&p.base)
        .ok_or_else(|| Error::new(span, format!("`{}` is not a global variable of this test", p.base)))?;
    let mut cell = g.cell;
    let mut ty = g.ty.clone();
    for s in &p.steps {
        match (s, &ty) {
            (ast::PathStep::Index(i), Ty::Array(el, n)) => {
                if *i < 0 || *i >= *n as i64 {
                    return Err(Error::new(span, "index out of range"));
                }
                cell += *i as u32 * lw.layouts.size_of(el, span)?;
                ty = (**el).clone();
            }
            (ast::PathStep::Field(f), Ty::Struct(id)) => {
                let fi = lw.layouts.field(*id, f).ok_or_else(|| Error::new(span, format!("no field `{f}`")))?;
                cell += fi.offset;
                ty = fi.ty.clone();
            }
            _ => return Err(Error::new(span, "this path does not match the variable's type")),
        }
    }
    Ok(cell)
}
