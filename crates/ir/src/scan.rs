//! A pre-pass over the syntax tree: the facts lowering needs before it
//! lowers any body — which functions are used as values (the candidates of
//! calls through pointers), which are IPI functions (smp_call_function*,
//! on_each_cpu in kernel/smp.c) and RCU callbacks (call_rcu in
//! kernel/rcu/tree.c) — and the expression walkers the other pre-passes
//! (sched.rs, time.rs, kthread_bind.rs) share. It reads the tree only.

use kvet_syntax as ast;

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
