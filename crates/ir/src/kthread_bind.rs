//! kthread_bind(): the CPU a kthread is bound to before it first runs
//! (kernel/kthread.c: kthread_bind() → __kthread_bind_mask(), which
//! waits until the new thread is inactive in TASK_UNINTERRUPTIBLE, then
//! sets its allowed CPUs to the one CPU and marks it PF_NO_SETAFFINITY).
//!
//! kvet places tasks on CPUs when it lowers the program (crate::sched),
//! so a binding is resolved statically: `k = kthread_create(fn, ...)`
//! (a declaration or an assignment) followed, in the same function, by
//! `kthread_bind(k, cpu)` with a constant CPU that has a process makes
//! that kthread_create() call create the kthread of `fn` on that CPU, as
//! kthread_create_on_cpu() does. The kthread then runs on the CPU's run
//! queue, competing with the tasks there. At run time kthread_bind()
//! (prelude/sched.h) checks, as __kthread_bind_mask() does, that the
//! thread has not been woken: binding a running thread is a WARNING.

use crate::lower::Res;
use kvet_syntax::{self as ast, Error, Span};
use rustc_hash::FxHashMap;

/// kthread_create() call → the CPU a kthread_bind() of its result names.
pub(crate) type Bindings = FxHashMap<Span, u32>;

/// Every kthread_bind() of a file, resolved to the kthread_create() call
/// whose result it binds. A scenario that defines its own kthread_bind()
/// binds nothing.
pub(crate) fn bindings(file: &ast::File, nprocs: u32) -> Res<Bindings> {
    let mut out = Bindings::default();
    if crate::sched::user_defines(file, "kthread_bind") {
        return Ok(out);
    }
    for item in &file.items {
        let body = match item {
            ast::Item::Proc(p) => &p.body,
            ast::Item::Func(fd) => &fd.body,
            ast::Item::Handler(h) => &h.func.body,
            _ => continue,
        };
        let mut w = Walk::default();
        body.stmts.iter().for_each(|s| w.stmt(s));
        for (var, cpu, span) in w.binds {
            let var = var.unwrap_or_default();
            let creates: Vec<&(String, String, Span)> = w.creates.iter().filter(|(v, _, _)| *v == var).collect();
            if creates.is_empty() {
                return Err(Error::new(
                    span,
                    format!(
                        "`kthread_bind` takes a task that kthread_create() returned in this function: \
                         `{var} = kthread_create(...)`"
                    ),
                ));
            }
            if let Some((_, creator, _)) = creates.iter().find(|(_, c, _)| c != "kthread_create") {
                return Err(Error::new(
                    span,
                    format!(
                        "`kthread_bind` of a thread that {creator}() already woke or bound: bind it between \
                         kthread_create() and wake_up_process()"
                    ),
                ));
            }
            let Some(cpu) = cpu.filter(|c| (0..nprocs as i64).contains(c)).map(|c| c as u32) else {
                return Err(Error::new(span, "`kthread_bind` needs a constant CPU that has a process P<n>"));
            };
            for (_, _, call) in creates {
                if out.insert(*call, cpu).is_some_and(|c| c != cpu) {
                    return Err(Error::new(span, format!("`{var}` is bound to two different CPUs")));
                }
            }
        }
    }
    Ok(out)
}

/// The kthread creations and bindings of one function body.
#[derive(Default)]
struct Walk {
    /// (variable, creating primitive, call span)
    creates: Vec<(String, String, Span)>,
    /// (variable if the task is one, constant CPU if it is one, call span)
    binds: Vec<(Option<String>, Option<i64>, Span)>,
}

impl Walk {
    fn stmt(&mut self, s: &ast::Stmt) {
        use ast::StmtKind as S;
        match &s.kind {
            S::Expr(e) | S::Case(e) | S::Return(Some(e)) => self.expr(e),
            S::Decl(ds) => {
                for d in ds {
                    if let Some(init) = &d.init {
                        self.created(&d.name, init);
                        self.expr(init);
                    }
                }
            }
            S::Block(b) => b.stmts.iter().for_each(|s| self.stmt(s)),
            S::If(c, t, e) => {
                self.expr(c);
                self.stmt(t);
                if let Some(e) = e {
                    self.stmt(e);
                }
            }
            S::While(c, b) | S::DoWhile(b, c) | S::Switch(c, b) => {
                self.expr(c);
                self.stmt(b);
            }
            S::For(i, c, st, b) => {
                if let Some(i) = i {
                    self.stmt(i);
                }
                c.iter().chain(st.iter()).for_each(|e| self.expr(e));
                self.stmt(b);
            }
            S::Label(_, s) => self.stmt(s),
            _ => {}
        }
    }

    fn expr(&mut self, e: &ast::Expr) {
        crate::scan::each_node(e, &mut |n| match &n.kind {
            ast::ExprKind::Assign(None, lhs, rhs) => {
                if let ast::ExprKind::Ident(v) = &lhs.kind {
                    self.created(v, rhs);
                }
            }
            ast::ExprKind::Call(callee, args) if matches!(&callee.kind, ast::ExprKind::Ident(f) if f == "kthread_bind") =>
            {
                let var = match args.first().map(|a| &a.kind) {
                    Some(ast::ExprKind::Ident(v)) => Some(v.clone()),
                    _ => None,
                };
                let cpu = match args.get(1).map(|a| &a.kind) {
                    Some(ast::ExprKind::Int(c)) => Some(*c),
                    _ => None,
                };
                self.binds.push((var, cpu, n.span));
            }
            _ => {}
        });
    }

    /// `var = <init>`: is `init` a kthread-creating call?
    fn created(&mut self, var: &str, init: &ast::Expr) {
        let mut e = init;
        while let ast::ExprKind::Cast(_, inner) = &e.kind {
            e = inner;
        }
        if let ast::ExprKind::Call(callee, _) = &e.kind {
            if let ast::ExprKind::Ident(f) = &callee.kind {
                if crate::sched::kthread_creator(f).is_some() {
                    self.creates.push((var.to_string(), f.clone(), e.span));
                }
            }
        }
    }
}
