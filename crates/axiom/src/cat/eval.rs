//! Evaluator for cat models over one [`Execution`].
//!
//! Source: herdtools7 `herd/interpreter.ml` (values, typing of operators,
//! lazy `let`, `let rec` fixpoints with herd's `stabilised` test, set
//! matching, primitives `domain`, `range`, `classes-loc`,
//! `linearisations`, `different-values`, `fromto`, `tag2events`, ...) and
//! `herd/machModelChecker.ml` (initial environment).  Instructions are run
//! by an explicit machine whose frame stack plays the role of herd's
//! continuations, so that `with x from S` can fork alternatives.

use super::ast::*;
use super::intern::{Interner, Sym};
use super::CatModel;
use crate::bits::{Rel, Row};
use crate::exec::{Base, Execution, Tag};
use crate::Verdict;
use rustc_hash::FxHashMap;
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::Arc;

/// Predefined event sets.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BaseSet {
    All,
    Empty,
    M,
    R,
    W,
    F,
    Iw,
    Fw,
    Atomic,
    Lk,
    Lkr,
    Lkw,
    Lf,
    Ul,
    Rl,
    Ru,
    Annot,
    Tag(&'static str),
}

/// Predefined relations.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BaseRel {
    Id,
    Loc,
    Int,
    Ext,
    Rmw,
    Po,
    Addr,
    Data,
    Depend,
    Ctrl,
    Rf,
    Sm,
    SameInstance,
    Empty,
}

/// Primitives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Prim {
    Domain,
    Range,
    ClassesLoc,
    Linearisations,
    DifferentValues,
    Fromto,
    Tag2Events,
    Fail,
    Unsupported(&'static str),
}

pub(crate) fn builtins(int: &mut Interner, tag_types: &FxHashMap<Sym, Sym>) -> super::Builtins {
    use BaseSet as S;
    let sets: &[(&str, BaseSet)] = &[
        ("M", S::M),
        ("R", S::R),
        ("W", S::W),
        ("F", S::F),
        ("IW", S::Iw),
        ("I", S::Iw),
        ("FW", S::Fw),
        ("C", S::Empty),
        ("AMO", S::Empty),
        ("RMW", S::Atomic),
        ("X", S::Atomic),
        ("Exp", S::All),
        ("NExp", S::Empty),
        ("LK", S::Lk),
        ("LKR", S::Lkr),
        ("LKW", S::Lkw),
        ("LS", S::Empty),
        ("LF", S::Lf),
        ("UL", S::Ul),
        ("RL", S::Rl),
        ("RU", S::Ru),
        ("ACQ", S::Empty),
        ("SC", S::Empty),
        ("REL", S::Empty),
        ("ACQ_REL", S::Empty),
        ("RLX", S::Empty),
        ("CON", S::Empty),
        ("A", S::Empty),
        ("NA", S::All),
        ("annot", S::Annot),
        ("Sync-rcu", S::Tag("sync-rcu")),
        ("Rcu-lock", S::Tag("rcu-lock")),
        ("Rcu-unlock", S::Tag("rcu-unlock")),
    ];
    use BaseRel as B;
    let rels: &[(&str, BaseRel)] = &[
        ("id", B::Id),
        ("loc", B::Loc),
        ("int", B::Int),
        ("ext", B::Ext),
        ("rmw", B::Rmw),
        ("amo", B::Rmw),
        ("po", B::Po),
        ("addr", B::Addr),
        ("data", B::Data),
        ("depend", B::Depend),
        ("ctrl", B::Ctrl),
        ("success", B::Empty),
        ("rf", B::Rf),
        ("control", B::Empty),
        ("sm", B::Sm),
        ("iico_data", B::Empty),
        ("iico_ctrl", B::Empty),
        ("same-instance", B::SameInstance),
        ("membar.cta", B::Empty),
        ("membar.gl", B::Empty),
        ("membar.sys", B::Empty),
    ];
    let unsupported = [
        "at-least-one-writable",
        "oa-changes",
        "same-oa",
        "classes",
        "lift",
        "delift",
        "deliftinter",
        "bisimulation",
        "tag2scope",
        "tag2level",
        "tag2fenced",
        "loc2events",
        "inter_transitive",
    ];
    let mut prims: Vec<(Sym, Prim)> = vec![
        (int.intern("domain"), Prim::Domain),
        (int.intern("range"), Prim::Range),
        (int.intern("classes-loc"), Prim::ClassesLoc),
        (int.intern("linearisations"), Prim::Linearisations),
        (int.intern("different-values"), Prim::DifferentValues),
        (int.intern("fromto"), Prim::Fromto),
        (int.intern("tag2events"), Prim::Tag2Events),
        (int.intern("fail"), Prim::Fail),
    ];
    for u in unsupported {
        prims.push((int.intern(u), Prim::Unsupported(u)));
    }
    let mut annots = Vec::new();
    let mut tags: Vec<Sym> = tag_types.keys().copied().collect();
    tags.sort();
    for t in tags {
        let tname = int.name(t).to_string();
        let set = super::annotation_set_name(&tname);
        annots.push((int.intern(&set), tname));
    }
    super::Builtins {
        sets: sets.iter().map(|(n, s)| (int.intern(n), *s)).collect(),
        rels: rels.iter().map(|(n, r)| (int.intern(n), *r)).collect(),
        prims,
        annots,
    }
}

// ---------------------------------------------------------------- values

#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Empty,
    Event,
    Events,
    Pair,
    Rel,
    Tag(Sym),
    Clo,
    Proc,
    Set(Box<Ty>),
    Tuple(Vec<Ty>),
}

fn eq_type(a: &Ty, b: &Ty) -> Option<Ty> {
    use Ty::*;
    match (a, b) {
        (Empty, t @ Set(_)) | (t @ Set(_), Empty) => Some(t.clone()),
        (Events, Events) | (Empty, Events) | (Events, Empty) => Some(Events),
        (Rel, Rel) | (Empty, Rel) | (Rel, Empty) => Some(Rel),
        (Event, Event) => Some(Event),
        (Pair, Pair) => Some(Pair),
        (Tag(x), Tag(y)) if x == y => Some(a.clone()),
        (Set(x), Set(y)) => eq_type(x, y).map(|t| Set(Box::new(t))),
        (Tuple(xs), Tuple(ys)) if xs.len() == ys.len() => {
            let v: Option<Vec<Ty>> = xs.iter().zip(ys).map(|(x, y)| eq_type(x, y)).collect();
            v.map(Tuple)
        }
        (Clo, Clo) => Some(Clo),
        (Proc, Proc) => Some(Proc),
        _ => None,
    }
}

fn pp_ty(t: &Ty) -> String {
    match t {
        Ty::Empty => "{}".into(),
        Ty::Event => "event".into(),
        Ty::Events => "events".into(),
        Ty::Pair => "pair".into(),
        Ty::Rel => "rel".into(),
        Ty::Tag(_) => "tag".into(),
        Ty::Clo => "closure".into(),
        Ty::Proc => "procedure".into(),
        Ty::Set(t) => format!("{} set", pp_ty(t)),
        Ty::Tuple(ts) => format!("({})", ts.iter().map(pp_ty).collect::<Vec<_>>().join(" * ")),
    }
}

struct Closure<'m, R: Row> {
    def: &'m FunDef,
    env: Env<'m, R>,
    id: u64,
}

struct ProcV<'m, R: Row> {
    name: Sym,
    pat: &'m Pat,
    body: &'m [Ins],
    env: Env<'m, R>,
    is_rec: bool,
}

enum Value<'m, R: Row> {
    Empty,
    Unv,
    Event(usize),
    Pair(usize, usize),
    Set(Rc<R>),
    Rel(Rc<Rel<R>>),
    Tag(Sym, Sym),
    ValSet(Ty, Rc<Vec<Value<'m, R>>>),
    Tuple(Rc<Vec<Value<'m, R>>>),
    Clo(Rc<Closure<'m, R>>),
    Prim(Prim),
    Proc(Rc<ProcV<'m, R>>),
}

impl<R: Row> Clone for Value<'_, R> {
    fn clone(&self) -> Self {
        match self {
            Value::Empty => Value::Empty,
            Value::Unv => Value::Unv,
            Value::Event(e) => Value::Event(*e),
            Value::Pair(a, b) => Value::Pair(*a, *b),
            Value::Set(s) => Value::Set(s.clone()),
            Value::Rel(r) => Value::Rel(r.clone()),
            Value::Tag(a, b) => Value::Tag(*a, *b),
            Value::ValSet(t, s) => Value::ValSet(t.clone(), s.clone()),
            Value::Tuple(v) => Value::Tuple(v.clone()),
            Value::Clo(c) => Value::Clo(c.clone()),
            Value::Prim(p) => Value::Prim(*p),
            Value::Proc(p) => Value::Proc(p.clone()),
        }
    }
}

fn type_val<R: Row>(v: &Value<'_, R>) -> Ty {
    match v {
        Value::Empty => Ty::Empty,
        Value::Unv => Ty::Events,
        Value::Event(_) => Ty::Event,
        Value::Pair(..) => Ty::Pair,
        Value::Set(_) => Ty::Events,
        Value::Rel(_) => Ty::Rel,
        Value::Tag(t, _) => Ty::Tag(*t),
        Value::ValSet(t, _) => Ty::Set(Box::new(t.clone())),
        Value::Tuple(vs) => Ty::Tuple(vs.iter().map(type_val).collect()),
        Value::Clo(_) | Value::Prim(_) => Ty::Clo,
        Value::Proc(_) => Ty::Proc,
    }
}

/// herd's `ValOrder.compare`.
fn cmp_val<R: Row>(a: &Value<'_, R>, b: &Value<'_, R>) -> Result<Ordering, String> {
    use Value as V;
    let empty_vs = |s: &Vec<Value<'_, R>>| if s.is_empty() { Ordering::Equal } else { Ordering::Less };
    Ok(match (a, b) {
        (V::Empty, V::Empty) => Ordering::Equal,
        (V::Empty, V::ValSet(_, s)) => empty_vs(s),
        (V::ValSet(_, s), V::Empty) => empty_vs(s).reverse(),
        (V::Empty, V::Rel(r)) => {
            if r.is_empty() {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        }
        (V::Rel(r), V::Empty) => {
            if r.is_empty() {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (V::Empty, V::Set(s)) => {
            if s.is_empty() {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        }
        (V::Set(s), V::Empty) => {
            if s.is_empty() {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (V::Tag(_, x), V::Tag(_, y)) => x.cmp(y),
        (V::Event(x), V::Event(y)) => x.cmp(y),
        (V::ValSet(_, x), V::ValSet(_, y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                match cmp_val(p, q)? {
                    Ordering::Equal => {}
                    o => return Ok(o),
                }
            }
            x.len().cmp(&y.len())
        }
        (V::Rel(x), V::Rel(y)) => x.cmp(y),
        (V::Set(x), V::Set(y)) => x.cmp(y),
        (V::Clo(x), V::Clo(y)) => x.id.cmp(&y.id),
        (V::Prim(x), V::Prim(y)) => x.cmp(y),
        (V::Clo(_), V::Prim(_)) => Ordering::Greater,
        (V::Prim(_), V::Clo(_)) => Ordering::Less,
        (V::Tuple(x), V::Tuple(y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                match cmp_val(p, q)? {
                    Ordering::Equal => {}
                    o => return Ok(o),
                }
            }
            x.len().cmp(&y.len())
        }
        (V::Unv, _) | (_, V::Unv) => return Err("Universe in compare".into()),
        _ => {
            let (t1, t2) = (type_val(a), type_val(b));
            return Err(if eq_type(&t1, &t2).is_some() {
                format!("Sets of {} are illegal", pp_ty(&t1))
            } else {
                format!("Heterogeneous set elements: types {} and {}", pp_ty(&t1), pp_ty(&t2))
            });
        }
    })
}

fn vs_insert<'m, R: Row>(s: &mut Vec<Value<'m, R>>, v: Value<'m, R>) -> Result<(), String> {
    // Binary search with a fallible comparator.
    let (mut lo, mut hi) = (0, s.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        match cmp_val(&s[mid], &v)? {
            Ordering::Less => lo = mid + 1,
            Ordering::Greater => hi = mid,
            Ordering::Equal => return Ok(()),
        }
    }
    s.insert(lo, v);
    Ok(())
}

fn vs_of<'m, R: Row>(vs: Vec<Value<'m, R>>) -> Result<Vec<Value<'m, R>>, String> {
    let mut s = Vec::with_capacity(vs.len());
    for v in vs {
        vs_insert(&mut s, v)?;
    }
    Ok(s)
}

fn vs_contains<R: Row>(s: &[Value<'_, R>], v: &Value<'_, R>) -> Result<bool, String> {
    for x in s {
        if cmp_val(x, v)? == Ordering::Equal {
            return Ok(true);
        }
    }
    Ok(false)
}

// ------------------------------------------------------------ environment

struct Err0 {
    span: Span,
    msg: String,
    full: Option<Box<super::CatError>>,
}

type EResult<T> = Result<T, Err0>;

fn err<T>(span: Span, msg: impl Into<String>) -> EResult<T> {
    Err(Err0 { span, msg: msg.into(), full: None })
}

fn e0(span: Span, msg: String) -> Err0 {
    Err0 { span, msg, full: None }
}

enum ThunkState<'m, R: Row> {
    Pending(Env<'m, R>, &'m Expr),
    Proj(Rc<Thunk<'m, R>>, usize, Span),
    Forcing,
    Done(Result<Value<'m, R>, (Span, String)>),
}

struct Thunk<'m, R: Row> {
    st: RefCell<ThunkState<'m, R>>,
}

impl<'m, R: Row> Thunk<'m, R> {
    fn ready(v: Value<'m, R>) -> Rc<Self> {
        Rc::new(Thunk { st: RefCell::new(ThunkState::Done(Ok(v))) })
    }
    fn pending(env: Env<'m, R>, e: &'m Expr) -> Rc<Self> {
        Rc::new(Thunk { st: RefCell::new(ThunkState::Pending(env, e)) })
    }
}

enum Node<'m, R: Row> {
    Val(Sym, Rc<Thunk<'m, R>>, Env<'m, R>),
    Funs(Rc<Vec<(Sym, &'m FunDef)>>, Env<'m, R>),
}

struct Env<'m, R: Row>(Option<Rc<Node<'m, R>>>);

impl<R: Row> Clone for Env<'_, R> {
    fn clone(&self) -> Self {
        Env(self.0.clone())
    }
}

impl<'m, R: Row> Env<'m, R> {
    fn bind(&self, x: Sym, t: Rc<Thunk<'m, R>>) -> Self {
        Env(Some(Rc::new(Node::Val(x, t, self.clone()))))
    }
    fn bind_opt(&self, x: Option<Sym>, t: Rc<Thunk<'m, R>>) -> Self {
        match x {
            Some(x) => self.bind(x, t),
            None => self.clone(),
        }
    }
    fn bind_val(&self, x: Sym, v: Value<'m, R>) -> Self {
        self.bind(x, Thunk::ready(v))
    }
}

enum Found<'m, R: Row> {
    Thunk(Rc<Thunk<'m, R>>),
    Fun(&'m FunDef, Env<'m, R>),
}

fn lookup<'m, R: Row>(env: &Env<'m, R>, x: Sym) -> Option<Found<'m, R>> {
    let mut cur = env.0.as_ref();
    while let Some(n) = cur {
        match &**n {
            Node::Val(y, t, next) => {
                if *y == x {
                    return Some(Found::Thunk(t.clone()));
                }
                cur = next.0.as_ref();
            }
            Node::Funs(fs, next) => {
                if let Some((_, d)) = fs.iter().find(|(y, _)| *y == x) {
                    return Some(Found::Fun(d, Env(Some(n.clone()))));
                }
                cur = next.0.as_ref();
            }
        }
    }
    None
}

// --------------------------------------------------------------- context

/// One evaluation of a cat model on one execution: the model, the
/// execution's base relations and the interpreter's bookkeeping.
struct Evaluator<'m, 'x, R: Row> {
    m: &'m CatModel,
    ex: &'x Execution,
    base: Base<R>,
    n: usize,
    all: Rc<R>,
    id: Rc<Rel<R>>,
    unv: Rc<Rel<R>>,
    empty_rel: Rc<Rel<R>>,
    init: FxHashMap<Sym, Value<'m, R>>,
    next_id: Cell<u64>,
    depth: Cell<usize>,
}

const MAX_EVAL_DEPTH: usize = 100_000;

#[derive(Clone)]
struct St<'m, R: Row> {
    env: Env<'m, R>,
    flags: Vec<Sym>,
    undef: bool,
}

enum Frame<'m, R: Row> {
    Seq(&'m [Ins], usize),
    Restore(Env<'m, R>),
    Forall { x: Sym, vals: Rc<Vec<Value<'m, R>>>, next: usize, env0: Env<'m, R>, body: &'m [Ins] },
}

impl<R: Row> Clone for Frame<'_, R> {
    fn clone(&self) -> Self {
        match self {
            Frame::Seq(l, i) => Frame::Seq(l, *i),
            Frame::Restore(e) => Frame::Restore(e.clone()),
            Frame::Forall { x, vals, next, env0, body } => {
                Frame::Forall { x: *x, vals: vals.clone(), next: *next, env0: env0.clone(), body }
            }
        }
    }
}

enum Rs<R: Row> {
    Id(R),
    Ev(Rel<R>),
}

enum FixResult<'m, R: Row> {
    Ok(Env<'m, R>),
    CheckFailed,
}

/// Entry point: run the model on the execution, pushing verdicts.
pub(crate) fn run_model(m: &CatModel, ex: &Execution, out: &mut Vec<Verdict>) -> Result<(), super::CatError> {
    // Deep cat recursion (e.g. cross.cat on many coherence orders) needs a
    // deep native stack: evaluate on a dedicated thread.
    let budget = crate::budget::limit();
    crate::budget::reset();
    std::thread::scope(|s| {
        let h = std::thread::Builder::new().name("cat-eval".into()).stack_size(1 << 30).spawn_scoped(s, || {
            // the caller's memory bound holds on the evaluation thread too
            crate::budget::set_limit(Some(budget));
            let mut v = Vec::new();
            let r = crate::dispatch_rows!(ex.len(), run_typed(m, ex, &mut v));
            r.map(|()| v)
        });
        match h {
            Ok(h) => match h.join() {
                Ok(r) => r.map(|v| out.extend(v)),
                Err(_) => Err(super::CatError::io(m.name(), "cat evaluation thread panicked".into())),
            },
            Err(_) => crate::dispatch_rows!(ex.len(), run_typed(m, ex, out)),
        }
    })
}

fn run_typed<R: Row>(m: &CatModel, ex: &Execution, out: &mut Vec<Verdict>) -> Result<(), super::CatError> {
    let base = Base::<R>::new(ex);
    let n = base.n;
    let all = Rc::new(R::ones(n));
    let id = Rc::new(base.id.clone());
    let unv = Rc::new(Rel::cartesian(n, &*all, &*all));
    let mut ctx = Evaluator {
        m,
        ex,
        base,
        n,
        all,
        id,
        unv,
        empty_rel: Rc::new(Rel::empty(n)),
        init: FxHashMap::default(),
        next_id: Cell::new(0),
        depth: Cell::new(0),
    };
    ctx.init = ctx.initial_env();
    let st = St { env: Env(None), flags: Vec::new(), undef: false };
    let stack = vec![Frame::Seq(&m.prog, 0), Frame::Seq(&m.prelude, 0)];
    ctx.run(st, stack, out).map_err(|e| match e.full {
        Some(f) => *f,
        None => m.error_at(e.span, e.msg),
    })
}

impl<'m, R: Row> Evaluator<'m, '_, R> {
    fn initial_env(&self) -> FxHashMap<Sym, Value<'m, R>> {
        let b = &self.base;
        let mut env = FxHashMap::default();
        let set = |s: &R| Value::Set(Rc::new(s.clone()));
        for (x, s) in &self.m.builtins.sets {
            let v = match s {
                BaseSet::All => set(&b.all),
                BaseSet::Empty => set(&R::zeros(self.n)),
                BaseSet::M => set(&b.m),
                BaseSet::R => set(&b.r),
                BaseSet::W => set(&b.w),
                BaseSet::F => set(&b.f),
                BaseSet::Iw => set(&b.iw),
                BaseSet::Fw => set(&b.fw),
                BaseSet::Atomic => set(&b.atomic),
                BaseSet::Lk => {
                    let mut s = b.lkr.clone();
                    s.union_with(&b.lkw);
                    set(&s)
                }
                BaseSet::Lkr => set(&b.lkr),
                BaseSet::Lkw => set(&b.lkw),
                BaseSet::Lf => set(&b.lf),
                BaseSet::Ul => set(&b.ul),
                BaseSet::Rl => set(&b.rl),
                BaseSet::Ru => set(&b.ru),
                BaseSet::Annot => set(&b.annot),
                BaseSet::Tag(t) => set(&self.tag_set(t)),
            };
            env.insert(*x, v);
        }
        for (x, tname) in &self.m.builtins.annots {
            env.insert(*x, set(&self.tag_set(tname)));
        }
        for (x, r) in &self.m.builtins.rels {
            let rel = match r {
                BaseRel::Id => b.id.clone(),
                BaseRel::Loc => b.loc.clone(),
                BaseRel::Int => b.int.clone(),
                BaseRel::Ext => b.ext.clone(),
                BaseRel::Rmw => b.rmw.clone(),
                BaseRel::Po => b.po.clone(),
                BaseRel::Addr => b.addr.clone(),
                BaseRel::Data => b.data.clone(),
                BaseRel::Depend => b.addr.union(&b.data),
                BaseRel::Ctrl => b.ctrl.clone(),
                BaseRel::Rf => b.rf.clone(),
                BaseRel::Sm => Rel::id_on(self.n, &b.m),
                BaseRel::SameInstance => b.same_instance.clone(),
                BaseRel::Empty => Rel::empty(self.n),
            };
            env.insert(*x, Value::Rel(Rc::new(rel)));
        }
        for (x, p) in &self.m.builtins.prims {
            env.insert(*x, Value::Prim(*p));
        }
        env
    }

    fn tag_set(&self, name: &str) -> R {
        if let Some(t) = Tag::known(name) {
            return self.base.tag(t);
        }
        for i in 0..self.ex.tag_count() {
            let t = Tag(i as u8);
            if self.ex.tag_name(t) == name {
                return self.base.tag(t);
            }
        }
        R::zeros(self.n)
    }

    fn name(&self, x: Sym) -> &str {
        self.m.int.name(x)
    }

    // ------------------------------------------------------------ forcing

    fn force(&self, t: &Rc<Thunk<'m, R>>) -> EResult<Value<'m, R>> {
        let st = std::mem::replace(&mut *t.st.borrow_mut(), ThunkState::Forcing);
        let r = match st {
            ThunkState::Done(r) => {
                let out = r.clone().map_err(|(span, msg)| e0(span, msg));
                *t.st.borrow_mut() = ThunkState::Done(r);
                return out;
            }
            ThunkState::Forcing => {
                return err(Span::default(), "recursive value definition (use 'let rec')");
            }
            ThunkState::Pending(env, e) => self.eval(&env, e),
            ThunkState::Proj(parent, i, span) => self.force(&parent).and_then(|v| {
                let vs = v_as_vs(&v);
                match vs.into_iter().nth(i) {
                    Some(x) => Ok(x),
                    None => err(span, "binding mismatch"),
                }
            }),
        };
        *t.st.borrow_mut() = ThunkState::Done(r.as_ref().map(Clone::clone).map_err(|e| (e.span, e.msg.clone())));
        r
    }

    fn find(&self, env: &Env<'m, R>, x: Sym, span: Span) -> EResult<Value<'m, R>> {
        match lookup(env, x) {
            Some(Found::Thunk(t)) => {
                let r = self.force(&t);
                match r {
                    Err(e) if e.span == Span::default() => err(span, e.msg),
                    r => r,
                }
            }
            Some(Found::Fun(d, env)) => Ok(self.mk_clo(d, env)),
            None => match self.init.get(&x) {
                Some(v) => Ok(v.clone()),
                None => err(span, format!("unbound var: {}", self.name(x))),
            },
        }
    }

    fn mk_clo(&self, def: &'m FunDef, env: Env<'m, R>) -> Value<'m, R> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        Value::Clo(Rc::new(Closure { def, env, id }))
    }

    // --------------------------------------------------------- coercions

    fn as_rel(&self, v: Value<'m, R>, span: Span) -> EResult<Rc<Rel<R>>> {
        match v {
            Value::Rel(r) => Ok(r),
            Value::Pair(a, b) => {
                let mut r = Rel::empty(self.n);
                r.insert(a, b);
                Ok(Rc::new(r))
            }
            Value::Empty => Ok(self.empty_rel.clone()),
            Value::Unv => Ok(self.unv.clone()),
            v => err(span, format!("type rel expected, {} found", pp_ty(&type_val(&v)))),
        }
    }

    fn as_events(&self, v: Value<'m, R>, span: Span) -> EResult<Rc<R>> {
        match v {
            Value::Set(s) => Ok(s),
            Value::Event(e) => {
                let mut s = R::zeros(self.n);
                s.insert(e);
                Ok(Rc::new(s))
            }
            Value::Empty => Ok(Rc::new(R::zeros(self.n))),
            Value::Unv => Ok(self.all.clone()),
            v => err(span, format!("type events expected, {} found", pp_ty(&type_val(&v)))),
        }
    }

    fn eval_rel(&self, env: &Env<'m, R>, e: &'m Expr) -> EResult<Rc<Rel<R>>> {
        let v = self.eval(env, e)?;
        self.as_rel(v, e.span())
    }

    fn eval_events(&self, env: &Env<'m, R>, e: &'m Expr) -> EResult<Rc<R>> {
        let v = self.eval(env, e)?;
        self.as_events(v, e.span())
    }

    fn set_v(&self, s: R) -> Value<'m, R> {
        Value::Set(Rc::new(s))
    }
    fn rel_v(&self, r: Rel<R>) -> Value<'m, R> {
        Value::Rel(Rc::new(r))
    }

    fn tags_universe(&self, ty: Sym) -> Vec<Value<'m, R>> {
        let mut v: Vec<Value<'m, R>> =
            self.m.enums.get(&ty).map(|ts| ts.iter().map(|t| Value::Tag(ty, *t)).collect()).unwrap_or_default();
        v.sort_by(|a, b| cmp_val(a, b).unwrap_or(Ordering::Equal));
        v.dedup_by(|a, b| cmp_val(a, b).ok() == Some(Ordering::Equal));
        v
    }

    // ------------------------------------------------------------- eval

    fn eval(&self, env: &Env<'m, R>, e: &'m Expr) -> EResult<Value<'m, R>> {
        let d = self.depth.get();
        if d > MAX_EVAL_DEPTH {
            return err(e.span(), "evaluation nested too deeply (non-terminating recursion?)");
        }
        self.depth.set(d + 1);
        let r = self.eval_inner(env, e);
        self.depth.set(d);
        r
    }

    fn eval_inner(&self, env: &Env<'m, R>, e: &'m Expr) -> EResult<Value<'m, R>> {
        use Value as V;
        match e {
            Expr::EmptyRel(_) => Ok(V::Rel(self.empty_rel.clone())),
            Expr::Universe(_) => Ok(V::Unv),
            Expr::Tag(span, s) => match self.m.tag_types.get(s) {
                Some(t) => Ok(V::Tag(*t, *s)),
                None => err(*span, format!("tag '{} is undefined", self.name(*s))),
            },
            Expr::Var(span, x) => self.find(env, *x, *span),
            Expr::Fun(_, def) => Ok(self.mk_clo(def, env.clone())),
            Expr::ExplicitSet(span, es) => {
                let mut vs = Vec::with_capacity(es.len());
                for x in es {
                    let v = self.eval(env, x)?;
                    if let V::Unv = v {
                        return err(x.span(), "universe in explicit set");
                    }
                    vs.push((x.span(), v));
                }
                if vs.is_empty() {
                    return Ok(V::Empty);
                }
                let t = self.type_list(&vs)?;
                match t {
                    Ty::Event => {
                        let mut s = R::zeros(self.n);
                        for (_, v) in &vs {
                            if let V::Event(x) = v {
                                s.insert(*x);
                            }
                        }
                        Ok(self.set_v(s))
                    }
                    Ty::Pair => {
                        let mut r = Rel::empty(self.n);
                        for (_, v) in &vs {
                            if let V::Pair(a, b) = v {
                                r.insert(*a, *b);
                            }
                        }
                        Ok(self.rel_v(r))
                    }
                    t => {
                        let s = vs_of(vs.into_iter().map(|(_, v)| v).collect()).map_err(|m| e0(*span, m))?;
                        Ok(V::ValSet(t, Rc::new(s)))
                    }
                }
            }
            Expr::Op1(span, op, x) => self.eval_op1(env, *span, *op, x),
            Expr::Op(span, op, args) => self.eval_op(env, *span, *op, args),
            Expr::App(span, f, a) => {
                let fv = self.eval(env, f)?;
                let av = self.eval(env, a)?;
                self.apply(*span, fv, av)
            }
            Expr::Bind(_, bds, body) => {
                let env2 = self.eval_bds(env, bds);
                self.eval(&env2, body)
            }
            Expr::BindRec(span, bds, body) => match self.env_rec(env, *span, bds, None)? {
                FixResult::Ok(env2) => self.eval(&env2, body),
                FixResult::CheckFailed => err(*span, "internal: check in expression binding"),
            },
            Expr::Match(span, x, cls, d) => {
                let v = self.eval(env, x)?;
                match v {
                    V::Tag(_, s) => {
                        for (t, body) in cls {
                            if *t == s {
                                return self.eval(env, body);
                            }
                        }
                        match d {
                            Some(d) => self.eval(env, d),
                            None => err(*span, format!("pattern matching failed on value '{}'", self.name(s))),
                        }
                    }
                    V::Empty => err(x.span(), "matching on empty"),
                    V::Unv => err(x.span(), "matching on universe"),
                    v => err(x.span(), format!("matching on non-tag value of type '{}'", pp_ty(&type_val(&v)))),
                }
            }
            Expr::MatchSet(span, x, ife, cl) => {
                let v = self.eval(env, x)?;
                self.match_set(env, *span, x.span(), v, ife, cl)
            }
            Expr::Try(_, a, b) => match self.eval(env, a) {
                Ok(v) => Ok(v),
                Err(_) => self.eval(env, b),
            },
            Expr::If(span, c, a, b) => {
                if self.eval_cond(env, *span, c)? {
                    self.eval(env, a)
                } else {
                    self.eval(env, b)
                }
            }
        }
    }

    fn type_list(&self, vs: &[(Span, Value<'m, R>)]) -> EResult<Ty> {
        let mut t0 = type_val(&vs[0].1);
        for (span, v) in &vs[1..] {
            let t1 = type_val(v);
            match eq_type(&t0, &t1) {
                Some(t) => t0 = t,
                None => return err(*span, format!("type {} expected, {} found", pp_ty(&t0), pp_ty(&t1))),
            }
        }
        Ok(t0)
    }

    fn eval_op1(&self, env: &Env<'m, R>, span: Span, op: Op1, x: &'m Expr) -> EResult<Value<'m, R>> {
        use Value as V;
        let v = self.eval(env, x)?;
        let not_rel = |v: &Value<'m, R>| err(x.span(), format!("type rel expected, {} found", pp_ty(&type_val(v))));
        match op {
            Op1::Plus => match v {
                V::Empty => Ok(V::Empty),
                V::Unv => Ok(V::Unv),
                V::Rel(r) => Ok(self.rel_v(r.plus())),
                v => not_rel(&v),
            },
            Op1::Star => match v {
                V::Empty => Ok(V::Rel(self.id.clone())),
                V::Unv => Ok(V::Unv),
                V::Rel(r) => Ok(self.rel_v(r.star())),
                v => not_rel(&v),
            },
            Op1::Opt => match v {
                V::Empty => Ok(V::Rel(self.id.clone())),
                V::Unv => Ok(V::Unv),
                V::Rel(r) => Ok(self.rel_v(r.opt())),
                v => not_rel(&v),
            },
            Op1::Comp => match v {
                V::Empty => Ok(V::Unv),
                V::Unv => Ok(V::Empty),
                V::Set(s) => {
                    let mut a = (*self.all).clone();
                    a.diff_with(&s);
                    Ok(self.set_v(a))
                }
                V::Rel(r) => Ok(self.rel_v(r.complement())),
                V::ValSet(Ty::Tag(ts), s) => {
                    let mut u = self.tags_universe(ts);
                    u.retain(|t| !vs_contains(&s, t).unwrap_or(false));
                    Ok(V::ValSet(Ty::Tag(ts), Rc::new(u)))
                }
                v => err(x.span(), format!("set or relation expected, {} found", pp_ty(&type_val(&v)))),
            },
            Op1::Inv => match v {
                V::Empty => Ok(V::Empty),
                V::Unv => Ok(V::Unv),
                V::Rel(r) => Ok(self.rel_v(r.inverse())),
                V::Pair(a, b) => Ok(V::Pair(b, a)),
                v => not_rel(&v),
            },
            Op1::ToId => match v {
                V::Empty => Ok(V::Empty),
                V::Unv => Ok(V::Rel(self.id.clone())),
                V::Set(s) => Ok(self.rel_v(Rel::id_on(self.n, &s))),
                v => {
                    let _ = span;
                    err(x.span(), format!("type events expected, {} found", pp_ty(&type_val(&v))))
                }
            },
        }
    }

    fn eval_rels(&self, env: &Env<'m, R>, e: &'m Expr) -> EResult<Option<Rs<R>>> {
        if let Expr::Op1(_, Op1::ToId, x) = e {
            let v = self.eval(env, x)?;
            let s = match v {
                Value::Set(s) => (*s).clone(),
                Value::Event(ev) => {
                    let mut s = R::zeros(self.n);
                    s.insert(ev);
                    s
                }
                Value::Empty => R::zeros(self.n),
                Value::Unv => (*self.all).clone(),
                v => return err(x.span(), format!("type events expected, {} found", pp_ty(&type_val(&v)))),
            };
            return Ok(Some(Rs::Id(s)));
        }
        match self.eval(env, e)? {
            Value::Rel(r) => Ok(Some(Rs::Ev((*r).clone()))),
            Value::Pair(a, b) => {
                let mut r = Rel::empty(self.n);
                r.insert(a, b);
                Ok(Some(Rs::Ev(r)))
            }
            Value::Empty => Ok(None),
            Value::Unv => Ok(Some(Rs::Ev((*self.unv).clone()))),
            v => err(e.span(), format!("type rel expected, {} found", pp_ty(&type_val(&v)))),
        }
    }

    fn eval_op(&self, env: &Env<'m, R>, span: Span, op: OpN, args: &'m [Expr]) -> EResult<Value<'m, R>> {
        use Value as V;
        match op {
            OpN::Tuple => {
                let mut vs = Vec::with_capacity(args.len());
                for a in args {
                    vs.push(self.eval(env, a)?);
                }
                Ok(V::Tuple(Rc::new(vs)))
            }
            OpN::Union => self.eval_union(env, span, args),
            OpN::Seq => self.eval_seq(env, args),
            OpN::Inter => self.eval_inter(env, span, args),
            OpN::Diff => self.eval_diff(env, span, &args[0], &args[1]),
            OpN::Cartesian => {
                let a = self.eval_events(env, &args[0])?;
                let b = self.eval_events(env, &args[1])?;
                Ok(self.rel_v(Rel::cartesian(self.n, &a, &b)))
            }
            OpN::Add => self.eval_add(env, span, args),
        }
    }

    /// `a | b | ...`: of relations, event sets or value sets (herd's `Union`).
    fn eval_union(&self, env: &Env<'m, R>, span: Span, args: &'m [Expr]) -> EResult<Value<'m, R>> {
        use Value as V;
        let mut vs = Vec::with_capacity(args.len());
        for a in args {
            vs.push((a.span(), self.eval(env, a)?));
        }
        let mut kept = Vec::with_capacity(vs.len());
        for (s, v) in vs {
            match v {
                V::Empty => {}
                V::Unv => return Ok(V::Unv),
                v => kept.push((s, tag2set(v))),
            }
        }
        if kept.is_empty() {
            return Ok(V::Empty);
        }
        let t = self.type_list(&kept)?;
        match t {
            Ty::Rel => {
                let mut r = Rel::empty(self.n);
                for (s, v) in kept {
                    r.union_with(&*self.as_rel(v, s)?);
                }
                Ok(self.rel_v(r))
            }
            Ty::Events => {
                let mut r = R::zeros(self.n);
                for (s, v) in kept {
                    r.union_with(&*self.as_events(v, s)?);
                }
                Ok(self.set_v(r))
            }
            Ty::Set(telt) => {
                let mut out: Vec<Value<'m, R>> = Vec::new();
                for (_, v) in kept {
                    if let V::ValSet(_, s) = v {
                        for x in s.iter() {
                            vs_insert(&mut out, x.clone()).map_err(|m| e0(span, m))?;
                        }
                    }
                }
                Ok(V::ValSet(*telt, Rc::new(out)))
            }
            t => err(span, format!("cannot perform union on type '{}'", pp_ty(&t))),
        }
    }

    /// `a ; b ; ...`: composition, with identities on sets kept as sets until the end.
    fn eval_seq(&self, env: &Env<'m, R>, args: &'m [Expr]) -> EResult<Value<'m, R>> {
        use Value as V;
        let mut rs = Vec::with_capacity(args.len());
        for a in args {
            match self.eval_rels(env, a)? {
                None => return Ok(V::Empty),
                Some(r) => rs.push(r),
            }
        }
        let mut acc = rs.pop().expect("non-empty sequence");
        while let Some(l) = rs.pop() {
            acc = match (l, acc) {
                (Rs::Id(mut f), Rs::Id(g)) => {
                    f.inter_with(&g);
                    Rs::Id(f)
                }
                (Rs::Id(f), Rs::Ev(mut r)) => {
                    r.restrict_dom(&f);
                    Rs::Ev(r)
                }
                (Rs::Ev(mut r), Rs::Id(g)) => {
                    r.restrict_ran(&g);
                    Rs::Ev(r)
                }
                (Rs::Ev(l), Rs::Ev(r)) => Rs::Ev(l.seq(&r)),
            };
        }
        Ok(match acc {
            Rs::Id(mut f) => {
                f.inter_with(&self.all);
                self.rel_v(Rel::id_on(self.n, &f))
            }
            Rs::Ev(r) => self.rel_v(r),
        })
    }

    /// `a & b`, with `r & (s * t)` as a restriction and `r & ~s` as a difference.
    fn eval_inter(&self, env: &Env<'m, R>, span: Span, args: &'m [Expr]) -> EResult<Value<'m, R>> {
        use Value as V;
        let (a, b) = (&args[0], &args[1]);
        if let (Expr::Op(_, OpN::Cartesian, cs), e1) | (e1, Expr::Op(_, OpN::Cartesian, cs)) = (a, b) {
            let r = self.eval_rel(env, e1)?;
            let f1 = self.eval_events(env, &cs[0])?;
            let f2 = self.eval_events(env, &cs[1])?;
            return Ok(self.rel_v(r.restrict(&f1, &f2)));
        }
        if let (Expr::Op1(_, Op1::Comp, c), e1) | (e1, Expr::Op1(_, Op1::Comp, c)) = (a, b) {
            return self.eval_diff(env, span, e1, c);
        }
        let va = tag2set(self.eval(env, a)?);
        let vb = tag2set(self.eval(env, b)?);
        match (va, vb) {
            (V::Rel(x), V::Rel(y)) => Ok(self.rel_v(x.inter(&y))),
            (V::Set(x), V::Set(y)) => {
                let mut s = (*x).clone();
                s.inter_with(&y);
                Ok(self.set_v(s))
            }
            (V::ValSet(t, x), V::ValSet(_, y)) => {
                let mut out = Vec::new();
                for v in x.iter() {
                    if vs_contains(&y, v).map_err(|m| e0(span, m))? {
                        out.push(v.clone());
                    }
                }
                Ok(V::ValSet(t, Rc::new(out)))
            }
            (V::Unv, r) | (r, V::Unv) => Ok(r),
            (V::Empty, _) | (_, V::Empty) => Ok(V::Empty),
            (x, y) => err(span, format!("intersection on {} and {}", pp_ty(&type_val(&x)), pp_ty(&type_val(&y)))),
        }
    }

    /// `v ++ s`: add an element to a set or a pair to a relation.
    fn eval_add(&self, env: &Env<'m, R>, span: Span, args: &'m [Expr]) -> EResult<Value<'m, R>> {
        use Value as V;
        let v1 = self.eval(env, &args[0])?;
        let v2 = self.eval(env, &args[1])?;
        let setop = |t: Ty, s: &Vec<Value<'m, R>>, v: Value<'m, R>| -> EResult<Value<'m, R>> {
            let mut s = s.clone();
            vs_insert(&mut s, v).map_err(|m| e0(span, m))?;
            Ok(V::ValSet(t, Rc::new(s)))
        };
        match (v1, v2) {
            (V::Unv, _) => err(span, "universe in set ++"),
            (_, V::Unv) => Ok(V::Unv),
            (V::Event(e), V::Empty) => {
                let mut s = R::zeros(self.n);
                s.insert(e);
                Ok(self.set_v(s))
            }
            (V::Pair(a, b), V::Empty) => {
                let mut r = Rel::empty(self.n);
                r.insert(a, b);
                Ok(self.rel_v(r))
            }
            (v1, V::Empty) => {
                let t = type_val(&v1);
                Ok(V::ValSet(t, Rc::new(vec![v1])))
            }
            (V::Empty, V::ValSet(Ty::Set(e2), s2)) => {
                let t2 = Ty::Set(e2.clone());
                let v1 = V::ValSet(*e2, Rc::new(Vec::new()));
                setop(t2, &s2, v1)
            }
            (v1, V::ValSet(_, s2)) => {
                let t1 = type_val(&v1);
                setop(t1, &s2, v1)
            }
            (V::Pair(a, b), V::Rel(r)) => {
                let mut r = (*r).clone();
                r.insert(a, b);
                Ok(self.rel_v(r))
            }
            (V::Tuple(t), V::Rel(r)) if matches!(&t[..], [V::Event(_), V::Event(_)]) => {
                let mut r = (*r).clone();
                if let [V::Event(a), V::Event(b)] = &t[..] {
                    r.insert(*a, *b);
                }
                Ok(self.rel_v(r))
            }
            (v1, V::Rel(_)) => {
                err(args[0].span(), format!("this expression of type '{}' should be a pair", pp_ty(&type_val(&v1))))
            }
            (V::Event(e), V::Set(s)) => {
                let mut s = (*s).clone();
                s.insert(e);
                Ok(self.set_v(s))
            }
            (v1, V::Set(_)) => {
                err(args[0].span(), format!("this expression of type '{}' should be an event", pp_ty(&type_val(&v1))))
            }
            (_, v2) => {
                err(args[1].span(), format!("this expression of type '{}' should be a set", pp_ty(&type_val(&v2))))
            }
        }
    }
    fn eval_diff(&self, env: &Env<'m, R>, span: Span, a: &'m Expr, b: &'m Expr) -> EResult<Value<'m, R>> {
        use Value as V;
        let v1 = tag2set(self.eval(env, a)?);
        let v2 = tag2set(self.eval(env, b)?);
        match (v1, v2) {
            (V::Rel(x), V::Rel(y)) => Ok(self.rel_v(x.diff(&y))),
            (V::Set(x), V::Set(y)) => {
                let mut s = (*x).clone();
                s.diff_with(&y);
                Ok(self.set_v(s))
            }
            (V::ValSet(t, x), V::ValSet(_, y)) => {
                let mut out = Vec::new();
                for v in x.iter() {
                    if !vs_contains(&y, v).map_err(|m| e0(span, m))? {
                        out.push(v.clone());
                    }
                }
                Ok(V::ValSet(t, Rc::new(out)))
            }
            (V::Unv, V::Rel(r)) => Ok(self.rel_v(r.complement())),
            (V::Unv, V::Set(s)) => {
                let mut a = (*self.all).clone();
                a.diff_with(&s);
                Ok(self.set_v(a))
            }
            (V::Unv, V::ValSet(Ty::Tag(ts), s)) => {
                let mut u = self.tags_universe(ts);
                u.retain(|t| !vs_contains(&s, t).unwrap_or(false));
                Ok(V::ValSet(Ty::Tag(ts), Rc::new(u)))
            }
            (V::Unv, V::Empty) => Ok(V::Unv),
            (V::Rel(_) | V::Set(_) | V::Empty | V::Unv | V::ValSet(..), V::Unv) => Ok(V::Empty),
            (V::Empty, V::Rel(_) | V::Set(_) | V::Empty | V::ValSet(..)) => Ok(V::Empty),
            (v1 @ (V::Rel(_) | V::Set(_) | V::ValSet(..)), V::Empty) => Ok(v1),
            (x, y) => err(span, format!("difference on {} and {}", pp_ty(&type_val(&x)), pp_ty(&type_val(&y)))),
        }
    }

    fn eval_cond(&self, env: &Env<'m, R>, span: Span, c: &'m Cond) -> EResult<bool> {
        match c {
            Cond::Variant(v) => Ok(self.variant(v)),
            Cond::Eq(a, b) => {
                let v1 = self.eval(env, a)?;
                let v2 = self.eval(env, b)?;
                cmp_val(&v1, &v2).map(|o| o == Ordering::Equal).map_err(|m| e0(span, m))
            }
            Cond::Subset(a, b) => {
                let v1 = self.eval(env, a)?;
                let v2 = self.eval(env, b)?;
                let t = self.type_list(&[(a.span(), v1.clone()), (b.span(), v2.clone())])?;
                match t {
                    Ty::Rel => Ok(self.as_rel(v1, a.span())?.is_subset(&*self.as_rel(v2, b.span())?)),
                    Ty::Events => Ok(self.as_events(v1, a.span())?.is_subset(&*self.as_events(v2, b.span())?)),
                    Ty::Set(_) => match (&v1, &v2) {
                        (Value::ValSet(_, x), Value::ValSet(_, y)) => {
                            for v in x.iter() {
                                if !vs_contains(y, v).map_err(|m| e0(span, m))? {
                                    return Ok(false);
                                }
                            }
                            Ok(true)
                        }
                        (Value::Empty, _) => Ok(true),
                        (_, _) => Ok(matches!(&v1, Value::ValSet(_, x) if x.is_empty())),
                    },
                    t => err(span, format!("cannot perform subset on type '{}'", pp_ty(&t))),
                }
            }
            Cond::In(a, b) => {
                let v1 = self.eval(env, a)?;
                match v1 {
                    Value::Event(e) => Ok(self.eval_events(env, b)?.contains(e)),
                    Value::Pair(x, y) => Ok(self.eval_rel(env, b)?.contains(x, y)),
                    Value::Tuple(ref t) if matches!(&t[..], [Value::Event(_), Value::Event(_)]) => {
                        let r = self.eval_rel(env, b)?;
                        match &t[..] {
                            [Value::Event(x), Value::Event(y)] => Ok(r.contains(*x, *y)),
                            _ => Ok(false),
                        }
                    }
                    v1 => match self.eval(env, b)? {
                        Value::ValSet(t2, vs) => {
                            let t1 = type_val(&v1);
                            if eq_type(&t1, &t2).is_some() {
                                vs_contains(&vs, &v1).map_err(|m| e0(span, m))
                            } else {
                                err(a.span(), format!("type {} expected, {} found", pp_ty(&t2), pp_ty(&t1)))
                            }
                        }
                        v2 => err(b.span(), format!("set expected, found {}", pp_ty(&type_val(&v2)))),
                    },
                }
            }
        }
    }

    fn variant(&self, v: &VariantCond) -> bool {
        match v {
            VariantCond::Variant(s) => self.m.variants.contains(s),
            VariantCond::Not(x) => !self.variant(x),
            VariantCond::And(a, b) => self.variant(a) && self.variant(b),
            VariantCond::Or(a, b) => self.variant(a) || self.variant(b),
        }
    }

    fn match_set(
        &self,
        env: &Env<'m, R>,
        span: Span,
        xspan: Span,
        v: Value<'m, R>,
        ife: &'m Expr,
        cl: &'m SetClause,
    ) -> EResult<Value<'m, R>> {
        use Value as V;
        // Elements as values, in increasing order.
        let elems: Vec<Value<'m, R>> = match &v {
            V::Empty => return self.eval(env, ife),
            V::Unv => return err(span, "Cannot set-match on universe"),
            V::Set(s) => s.iter().map(V::Event).collect(),
            V::Rel(r) => r.pairs().map(|(a, b)| V::Pair(a, b)).collect(),
            V::ValSet(_, s) => s.to_vec(),
            v => return err(xspan, format!("set-matching on non-set value of type '{}'", pp_ty(&type_val(v)))),
        };
        if elems.is_empty() {
            return self.eval(env, ife);
        }
        let rebuild = |xs: &[Value<'m, R>]| -> Value<'m, R> {
            match &v {
                V::Set(_) => {
                    let mut s = R::zeros(self.n);
                    for x in xs {
                        if let V::Event(e) = x {
                            s.insert(*e);
                        }
                    }
                    V::Set(Rc::new(s))
                }
                V::Rel(_) => {
                    let mut r = Rel::empty(self.n);
                    for x in xs {
                        if let V::Pair(a, b) = x {
                            r.insert(*a, *b);
                        }
                    }
                    V::Rel(Rc::new(r))
                }
                V::ValSet(t, _) => V::ValSet(t.clone(), Rc::new(xs.to_vec())),
                _ => V::Empty,
            }
        };
        match cl {
            SetClause::EltRem(x, xs, body) => {
                let env2 = env.bind_opt(*x, Thunk::ready(elems[0].clone()));
                let env2 = env2.bind_opt(*xs, Thunk::ready(rebuild(&elems[1..])));
                self.eval(&env2, body)
            }
            SetClause::PreEltPost(xs1, x, xs2, body) => {
                let k = elems.len() / 2;
                let env2 = env.bind_opt(*x, Thunk::ready(elems[k].clone()));
                let env2 = env2.bind_opt(*xs1, Thunk::ready(rebuild(&elems[..k])));
                let env2 = env2.bind_opt(*xs2, Thunk::ready(rebuild(&elems[k + 1..])));
                self.eval(&env2, body)
            }
        }
    }

    // -------------------------------------------------------- functions

    fn add_args(&self, span: Span, pat: &Pat, v: Value<'m, R>, env: &Env<'m, R>) -> EResult<Env<'m, R>> {
        match pat {
            Pat::Var(x) => Ok(env.bind_opt(*x, Thunk::ready(v))),
            Pat::Tuple(xs) => {
                let vs = v_as_vs(&v);
                if vs.len() != xs.len() {
                    return err(span, "argument_mismatch");
                }
                let mut e = env.clone();
                for (x, v) in xs.iter().zip(vs) {
                    e = e.bind_opt(*x, Thunk::ready(v));
                }
                Ok(e)
            }
        }
    }

    fn apply(&self, span: Span, f: Value<'m, R>, a: Value<'m, R>) -> EResult<Value<'m, R>> {
        match f {
            Value::Clo(c) => {
                let env = self.add_args(span, &c.def.pat, a, &c.env)?;
                self.eval(&env, &c.def.body)
            }
            Value::Prim(p) => self.prim(span, p, a),
            _ => err(span, "closure or primitive expected"),
        }
    }

    fn prim(&self, span: Span, p: Prim, a: Value<'m, R>) -> EResult<Value<'m, R>> {
        use Value as V;
        let mismatch = |name: &str| err(span, format!("primitive {name}: argument mismatch"));
        match p {
            Prim::Domain => match a {
                V::Empty => Ok(V::Empty),
                V::Unv => Ok(V::Unv),
                V::Rel(r) => Ok(self.set_v(r.domain())),
                _ => mismatch("domain"),
            },
            Prim::Range => match a {
                V::Empty => Ok(V::Empty),
                V::Unv => Ok(V::Unv),
                V::Rel(r) => Ok(self.set_v(r.range())),
                _ => mismatch("range"),
            },
            Prim::ClassesLoc => match a {
                V::Set(s) => {
                    let mut classes: Vec<R> = Vec::new();
                    let mut by_loc: FxHashMap<u32, usize> = FxHashMap::default();
                    for e in s.iter() {
                        match self.ex.event(e).loc {
                            Some(l) => {
                                let k = *by_loc.entry(l).or_insert_with(|| {
                                    classes.push(R::zeros(self.n));
                                    classes.len() - 1
                                });
                                classes[k].insert(e);
                            }
                            None => {
                                let mut c = R::zeros(self.n);
                                c.insert(e);
                                classes.push(c);
                            }
                        }
                    }
                    let vs =
                        vs_of(classes.into_iter().map(|c| V::Set(Rc::new(c))).collect()).map_err(|m| e0(span, m))?;
                    Ok(V::ValSet(Ty::Events, Rc::new(vs)))
                }
                _ => mismatch("classes-loc"),
            },
            Prim::Linearisations => match a {
                V::Tuple(t) if t.len() == 2 => {
                    let es = match &t[0] {
                        V::Set(s) => (**s).clone(),
                        V::Empty => R::zeros(self.n),
                        _ => return mismatch("linearisations"),
                    };
                    let r = match &t[1] {
                        V::Rel(r) => (**r).clone(),
                        V::Empty => Rel::empty(self.n),
                        _ => return mismatch("linearisations"),
                    };
                    let orders = crate::bits::linearisations(self.n, &es, &r);
                    if crate::budget::exceeded() {
                        return Err(e0(
                            span,
                            format!(
                                "too many coherence orders: more than {} MiB (the memory bound)",
                                crate::budget::limit() >> 20
                            ),
                        ));
                    }
                    let vs =
                        vs_of(orders.into_iter().map(|o| V::Rel(Rc::new(o))).collect()).map_err(|m| e0(span, m))?;
                    Ok(V::ValSet(Ty::Rel, Rc::new(vs)))
                }
                _ => mismatch("linearisations"),
            },
            Prim::DifferentValues => match a {
                V::Rel(r) => {
                    let mut out = Rel::empty(self.n);
                    for (x, y) in r.pairs() {
                        let (vx, vy) = (self.ex.event(x).value, self.ex.event(y).value);
                        let same = matches!((vx, vy), (Some(a), Some(b)) if a == b);
                        if !same {
                            out.insert(x, y);
                        }
                    }
                    Ok(self.rel_v(out))
                }
                _ => mismatch("different-values"),
            },
            Prim::Fromto => match a {
                V::Set(fs) => {
                    let po = &self.base.po;
                    let mut out = Rel::empty(self.n);
                    for f in fs.iter() {
                        if !self.base.f.contains(f) {
                            continue;
                        }
                        let mut before = R::zeros(self.n);
                        for i in 0..self.n {
                            if po.contains(i, f) {
                                before.insert(i);
                            }
                        }
                        out.union_with(&Rel::cartesian(self.n, &before, po.row(f)));
                    }
                    Ok(self.rel_v(out))
                }
                _ => mismatch("fromto"),
            },
            Prim::Tag2Events => match a {
                V::Tag(_, t) => {
                    let name = super::annotation_set_name(self.name(t));
                    match self.m.int.get(&name).and_then(|x| self.init.get(&x)) {
                        Some(v @ (V::Empty | V::Unv | V::Set(_))) => Ok(v.clone()),
                        Some(v) => {
                            err(span, format!("value {name} is not a set of events, found {}", pp_ty(&type_val(v))))
                        }
                        None => err(span, format!("primitive tag2events: cannot find event set {name}")),
                    }
                }
                _ => mismatch("tag2events"),
            },
            Prim::Fail => err(span, "primitive fail: fail"),
            Prim::Unsupported(n) => err(span, format!("primitive {n} is not supported by kvet")),
        }
    }

    // ---------------------------------------------------------- bindings

    fn bind_pat(&self, env: &Env<'m, R>, pat: &Pat, t: Rc<Thunk<'m, R>>, span: Span) -> Env<'m, R> {
        match pat {
            Pat::Var(x) => env.bind_opt(*x, t),
            Pat::Tuple(xs) => {
                let mut e = env.clone();
                for (i, x) in xs.iter().enumerate() {
                    let p = Rc::new(Thunk { st: RefCell::new(ThunkState::Proj(t.clone(), i, span)) });
                    e = e.bind_opt(*x, p);
                }
                e
            }
        }
    }

    fn eval_bds(&self, env: &Env<'m, R>, bds: &'m [Binding]) -> Env<'m, R> {
        let mut out = env.clone();
        for b in bds.iter().rev() {
            let t = Thunk::pending(env.clone(), &b.expr);
            out = self.bind_pat(&out, &b.pat, t, b.span);
        }
        out
    }

    fn env_rec(
        &self,
        env: &Env<'m, R>,
        span: Span,
        bds: &'m [Binding],
        check: Option<&'m Test>,
    ) -> EResult<FixResult<'m, R>> {
        let mut funs: Vec<(Sym, &'m FunDef)> = Vec::new();
        let mut vals: Vec<&'m Binding> = Vec::new();
        for b in bds {
            match (&b.expr, &b.pat) {
                (Expr::Fun(_, d), Pat::Var(Some(x))) => funs.push((*x, d)),
                (Expr::Fun(_, _), _) => return err(b.span, "binding mismatch"),
                _ => vals.push(b),
            }
        }
        let funs = Rc::new(funs);
        let add_funs = |e: &Env<'m, R>| -> Env<'m, R> {
            if funs.is_empty() {
                e.clone()
            } else {
                Env(Some(Rc::new(Node::Funs(funs.clone(), e.clone()))))
            }
        };
        if vals.is_empty() {
            return Ok(FixResult::Ok(add_funs(env)));
        }
        // Fixpoint iteration from empty values (herd's env_rec_vals).
        let mut cur = env.clone();
        let mut olds: Vec<Value<'m, R>> = Vec::new();
        for b in &vals {
            let empty = match &b.pat {
                Pat::Var(_) => Value::Empty,
                Pat::Tuple(xs) => Value::Tuple(Rc::new(xs.iter().map(|_| Value::Empty).collect())),
            };
            cur = self.bind_pat(&cur, &b.pat, Thunk::ready(empty.clone()), b.span);
            olds.push(empty);
        }
        cur = add_funs(&cur);
        for _round in 0..100_000 {
            let mut news = Vec::with_capacity(vals.len());
            for b in &vals {
                let v = self.eval(&cur, &b.expr)?;
                cur = self.bind_pat(&cur, &b.pat, Thunk::ready(v.clone()), b.span);
                news.push(v);
            }
            cur = add_funs(&cur);
            if let Some(t) = check {
                if !self.eval_test(&cur, t)? {
                    return Ok(FixResult::CheckFailed);
                }
            }
            let mut over = true;
            for (v, w) in olds.iter().zip(&news) {
                if !self.stabilised(span, v, w)? {
                    over = false;
                    break;
                }
            }
            if over {
                return Ok(FixResult::Ok(cur));
            }
            olds = news;
        }
        err(span, "fixpoint computation does not terminate")
    }

    fn stabilised(&self, span: Span, v: &Value<'m, R>, w: &Value<'m, R>) -> EResult<bool> {
        use Value as V;
        Ok(match (v, w) {
            (_, V::Empty) | (V::Unv, _) => true,
            (V::Empty, V::Rel(w)) => w.is_empty(),
            (V::Rel(v), V::Unv) => self.unv.is_subset(v),
            (V::Rel(v), V::Rel(w)) => w.is_subset(v),
            (V::Empty, V::Set(w)) => w.is_empty(),
            (V::Set(v), V::Unv) => self.all.is_subset(v),
            (V::Set(v), V::Set(w)) => w.is_subset(v),
            (V::Empty, V::ValSet(_, w)) => w.is_empty(),
            (V::ValSet(Ty::Tag(t), v), V::Unv) => {
                for x in self.tags_universe(*t) {
                    if !vs_contains(v, &x).map_err(|m| e0(span, m))? {
                        return Ok(false);
                    }
                }
                true
            }
            (V::ValSet(_, v), V::ValSet(_, w)) => {
                for x in w.iter() {
                    if !vs_contains(v, x).map_err(|m| e0(span, m))? {
                        return Ok(false);
                    }
                }
                true
            }
            (_, w) => return err(span, format!("illegal recursion on type '{}'", pp_ty(&type_val(w)))),
        })
    }

    fn eval_test(&self, env: &Env<'m, R>, t: &'m Test) -> EResult<bool> {
        let v = self.eval(env, &t.expr)?;
        let span = t.expr.span();
        let ok = match (t.kind, v) {
            (TestKind::Empty, Value::Set(s)) => s.is_empty(),
            (TestKind::Empty, Value::Event(_)) => false,
            (_, Value::Set(_) | Value::Event(_)) => return err(span, "relation expected"),
            (k, v) => {
                let r = self.as_rel(v, span).map_err(|_| e0(span, "relation or set expected".into()))?;
                match k {
                    TestKind::Acyclic => r.is_acyclic(),
                    TestKind::Irreflexive => r.is_irreflexive(),
                    TestKind::Empty => r.is_empty(),
                }
            }
        };
        Ok(ok != t.negated)
    }

    // ----------------------------------------------------------- machine

    fn verdict(&self, st: &St<'m, R>, allowed: bool) -> Verdict {
        let mut flags: Vec<Arc<str>> = Vec::new();
        if allowed {
            flags = st.flags.iter().map(|x| self.m.int.name_arc(*x)).collect();
            if st.undef {
                flags.push(self.m.undefined_flag.clone());
            }
            flags.sort();
            flags.dedup();
        }
        Verdict { allowed, flags }
    }

    fn run(&self, mut st: St<'m, R>, mut stack: Vec<Frame<'m, R>>, out: &mut Vec<Verdict>) -> EResult<()> {
        loop {
            let Some(top) = stack.pop() else {
                out.push(self.verdict(&st, true));
                return Ok(());
            };
            let ins = match top {
                Frame::Seq(list, i) => {
                    if i >= list.len() {
                        continue;
                    }
                    stack.push(Frame::Seq(list, i + 1));
                    &list[i]
                }
                Frame::Restore(env) => {
                    st.env = env;
                    continue;
                }
                Frame::Forall { x, vals, next, env0, body } => {
                    if next < vals.len() {
                        st.env = env0.bind_val(x, vals[next].clone());
                        stack.push(Frame::Forall { x, vals, next: next + 1, env0, body });
                        stack.push(Frame::Seq(body, 0));
                    } else {
                        st.env = env0;
                    }
                    continue;
                }
            };
            match ins {
                Ins::Nop(_) => {}
                Ins::Let(_, bds) => st.env = self.eval_bds(&st.env, bds),
                Ins::Rec(span, bds, test) => match self.env_rec(&st.env, *span, bds, test.as_ref())? {
                    FixResult::Ok(env) => st.env = env,
                    FixResult::CheckFailed => {
                        out.push(self.verdict(&st, false));
                        return Ok(());
                    }
                },
                Ins::Match(span, e, cls, d) => match self.eval(&st.env, e)? {
                    Value::Tag(_, s) => {
                        if let Some((_, body)) = cls.iter().find(|(t, _)| *t == s) {
                            stack.push(Frame::Seq(body, 0));
                        } else if let Some(body) = d {
                            stack.push(Frame::Seq(body, 0));
                        } else {
                            return err(*span, format!("pattern matching failed on value '{}'", self.name(s)));
                        }
                    }
                    Value::Empty => return err(e.span(), "matching on empty"),
                    Value::Unv => return err(e.span(), "matching on universe"),
                    v => return err(e.span(), format!("matching on non-tag value of type '{}'", pp_ty(&type_val(&v)))),
                },
                Ins::Test(t, ty) => {
                    if t.name.is_some_and(|n| self.m.skip.contains(&n)) {
                        continue;
                    }
                    let ok = self.eval_test(&st.env, t)?;
                    match (ok, ty) {
                        (true, TestType::Flagged) => {
                            if let Some(n) = t.name {
                                st.flags.push(n);
                            }
                        }
                        (true, _) | (false, TestType::Flagged) => {}
                        (false, TestType::Check) if self.m.through => {}
                        (false, TestType::Check) => {
                            out.push(self.verdict(&st, false));
                            return Ok(());
                        }
                        (false, TestType::UndefinedUnless) => st.undef = true,
                    }
                }
                Ins::Include(_, _, inc) => match inc {
                    Included::Ok(list) => stack.push(Frame::Seq(list, 0)),
                    Included::Err(e) => {
                        return Err(Err0 { span: Span::default(), msg: e.msg.clone(), full: Some(e.clone()) });
                    }
                },
                Ins::Procedure(_, name, pat, body, is_rec) => {
                    let p = ProcV { name: *name, pat, body, env: st.env.clone(), is_rec: *is_rec };
                    st.env = st.env.bind_val(*name, Value::Proc(Rc::new(p)));
                }
                Ins::Call(span, name, arg, tname) => {
                    if self.m.skip.contains(name) || tname.is_some_and(|n| self.m.skip.contains(&n)) {
                        continue;
                    }
                    let p = match self.find(&st.env, *name, *span)? {
                        Value::Proc(p) => p,
                        _ => return err(*span, "procedure expected"),
                    };
                    let a = self.eval(&st.env, arg)?;
                    let penv = if p.is_rec { p.env.bind_val(p.name, Value::Proc(p.clone())) } else { p.env.clone() };
                    let env1 = self.add_args(*span, p.pat, a, &penv)?;
                    stack.push(Frame::Restore(st.env.clone()));
                    stack.push(Frame::Seq(p.body, 0));
                    st.env = env1;
                }
                Ins::Forall(_, x, e, body) => match tag2set(self.eval(&st.env, e)?) {
                    Value::Empty => {}
                    Value::ValSet(_, vs) => {
                        stack.push(Frame::Forall { x: *x, vals: vs, next: 0, env0: st.env.clone(), body });
                    }
                    _ => return err(e.span(), "forall instruction applied to non-set value"),
                },
                Ins::WithFrom(_, x, e) => {
                    match self.eval(&st.env, e)? {
                        Value::Empty => {}
                        Value::ValSet(_, vs) => {
                            for v in vs.iter() {
                                let mut st2 = st.clone();
                                st2.env = st.env.bind_val(*x, v.clone());
                                self.run(st2, stack.clone(), out)?;
                            }
                        }
                        _ => return err(e.span(), "set expected"),
                    }
                    return Ok(());
                }
                Ins::Enum(_, name, _) => {
                    let all = self.tags_universe(*name);
                    st.env = st.env.bind_val(*name, Value::ValSet(Ty::Tag(*name), Rc::new(all)));
                }
                Ins::IfVariant(_, c, a, b) => {
                    let body = if self.variant(c) { a } else { b };
                    stack.push(Frame::Seq(body, 0));
                }
            }
        }
    }
}

fn tag2set<'m, R: Row>(v: Value<'m, R>) -> Value<'m, R> {
    match v {
        Value::Tag(t, _) => Value::ValSet(Ty::Tag(t), Rc::new(vec![v])),
        v => v,
    }
}

fn v_as_vs<'m, R: Row>(v: &Value<'m, R>) -> Vec<Value<'m, R>> {
    match v {
        Value::Tuple(vs) => vs.to_vec(),
        Value::Pair(a, b) => vec![Value::Event(*a), Value::Event(*b)],
        v => vec![v.clone()],
    }
}
