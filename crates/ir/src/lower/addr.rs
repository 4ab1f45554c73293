//! Address-taken analysis: the locals of a block whose address is taken
//! (`&x`) or that are aggregates, which therefore live in memory cells
//! instead of registers.

use kvet_syntax as ast;
use rustc_hash::FxHashSet;

/// Names whose address is taken in a block (`&x`), and aggregates.
pub(super) fn addr_taken(b: &ast::Block) -> FxHashSet<String> {
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
