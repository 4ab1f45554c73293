//! The abstract syntax tree of a kvet input file.
//!
//! One tree covers both herd7's C litmus format (header, init block,
//! `P<n>` processes, final condition) and kvet's scenario extensions
//! (structs, helper functions, globals, interrupt handlers). Macros
//! (`#define`) are expanded by the parser, so they never appear here.
//! Every node that can be the subject of an error carries a [`Span`].

use crate::Span;

/// A whole input file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// The architecture word of the header: always `C` once parsed.
    pub arch: String,
    /// The test name after the architecture word.
    pub name: String,
    /// Free text on the header line after the name, and the `(* ... *)`
    /// or string doc text that herd7 keeps, verbatim (may be empty).
    pub doc: String,
    /// herd's info lines between the header and the init block
    /// (`Cycle=...`, `Hash=...`), as (key, value) in source order; the
    /// value is the rest of the line after `=` and any blanks.
    pub info: Vec<(String, String)>,
    /// The `{ ... }` init block (empty if the file has `{}`).
    pub init: Vec<InitEntry>,
    /// Top-level items in source order: processes, helper functions,
    /// type definitions, globals and handlers.
    pub items: Vec<Item>,
    /// The final clauses after the last process.
    pub fin: Final,
    pub span: Span,
}

/// One entry of the init block: `x=1;`, `int y = 2;`, `int *p = &x;`,
/// `spinlock_t l;`, `0:r1=x;`, `atomic_t a = ATOMIC_INIT(1);`, `int a[2];`.
#[derive(Clone, Debug, PartialEq)]
pub struct InitEntry {
    /// `Some(n)` for a register of process n (`0:r1=...`).
    pub thread: Option<u32>,
    /// The declared type, if one is written.
    pub ty: Option<Type>,
    pub name: String,
    /// The initial value; `None` means zero.
    pub value: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A litmus process `P<n>(params) { body }`.
    Proc(Proc),
    /// A helper function definition (prototypes are dropped by the parser).
    Func(FuncDef),
    /// `struct name { fields };` or `union name { ... };`
    Struct(StructDef),
    /// `enum name { A, B = 3 };` (also anonymous enums).
    Enum(EnumDef),
    /// `typedef T name;`
    Typedef(Typedef),
    /// A global variable declaration, possibly with an initializer.
    Global(VarDecl),
    /// An interrupt handler: `IRQ(cpu) void name(void) { ... }`,
    /// `IRQ(cpu, times)`, or `SOFTIRQ(cpu[, times])`.
    Handler(Handler),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Proc {
    /// The n of `P<n>`.
    pub index: u32,
    pub params: Vec<Param>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub ty: Type,
    pub name: String,
    /// The base type is written `volatile` (`volatile int *x`): kvet
    /// drops qualifiers from types, herd7's test hash keeps this one.
    pub volatile: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FuncDef {
    pub name: String,
    pub ret: Type,
    pub params: Vec<Param>,
    pub body: Block,
    pub span: Span,
    /// sparse's lock-context annotations on the definition
    /// (`__acquires(l)`, `__releases(l)`, `__must_hold(l)`).
    pub locks: Vec<(LockAnnot, Expr)>,
}

/// A sparse lock-context annotation (include/linux/compiler_types.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockAnnot {
    Acquires,
    Releases,
    MustHold,
}

impl LockAnnot {
    pub fn name(self) -> &'static str {
        match self {
            LockAnnot::Acquires => "__acquires",
            LockAnnot::Releases => "__releases",
            LockAnnot::MustHold => "__must_hold",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerKind {
    /// A hard interrupt handler (`IRQ(...)`).
    Hardirq,
    /// A softirq handler (`SOFTIRQ(...)`), masked by `local_bh_disable`.
    Softirq,
    /// A task of its own (`TASK(cpu)` pinned to a CPU, `TASK()` free):
    /// not a handler, but declared the same way.
    Task,
}

/// The `cpu` of a `TASK()` that is not pinned.
pub const FREE_CPU: u32 = u32::MAX;

#[derive(Clone, Debug, PartialEq)]
pub struct Handler {
    pub kind: HandlerKind,
    /// The CPU the handler may fire on.
    pub cpu: u32,
    /// How many times it may fire (default 1).
    pub times: u32,
    pub func: FuncDef,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StructDef {
    pub name: String,
    pub is_union: bool,
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub ty: Type,
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumDef {
    /// Empty for an anonymous enum.
    pub name: String,
    /// Each constant with its explicit value, if given.
    pub variants: Vec<(String, Option<Expr>, Span)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Typedef {
    pub name: String,
    pub ty: Type,
    pub span: Span,
}

/// A type as written. Integer types of every width and signedness are
/// `Base("int")`, `Base("unsigned long")`, ... with their words joined by
/// one space; kernel types keep their name: `Base("spinlock_t")`.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Void,
    Base(String),
    /// A name introduced by `typedef`.
    Named(String),
    Struct(String),
    Union(String),
    Enum(String),
    Ptr(Box<Type>),
    Array(Box<Type>, Option<Box<Expr>>),
    /// A function type `ret (params)`; a function pointer is `Ptr(Func)`.
    Func(Box<Type>, Vec<Type>),
    /// `typeof(expr)` / `__typeof__(expr)`.
    TypeOf(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct VarDecl {
    pub ty: Type,
    pub name: String,
    pub init: Option<Expr>,
    /// `static`, `const` and similar qualifiers are accepted and dropped.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Empty,
    Expr(Expr),
    /// One declaration statement may declare several variables.
    Decl(Vec<VarDecl>),
    Block(Block),
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    While(Expr, Box<Stmt>),
    DoWhile(Box<Stmt>, Expr),
    /// `for (init; cond; step) body`; the init may be a declaration.
    For(Option<Box<Stmt>>, Option<Expr>, Option<Expr>, Box<Stmt>),
    Break,
    Continue,
    Return(Option<Expr>),
    Goto(String),
    Label(String, Box<Stmt>),
    /// `switch (e) body`; `case`/`default` appear as statements in the body.
    Switch(Expr, Box<Stmt>),
    Case(Expr),
    Default,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    /// A string literal (only meaningful as an argument, e.g. to WARN).
    Str(String),
    Ident(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a = b` (op `None`) or `a op= b`.
    Assign(Option<BinOp>, Box<Expr>, Box<Expr>),
    /// `c ? a : b`
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    /// `a.b`
    Member(Box<Expr>, String),
    /// `a->b`
    Arrow(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Cast(Type, Box<Expr>),
    SizeofType(Type),
    SizeofExpr(Box<Expr>),
    /// `a, b`
    Comma(Box<Expr>, Box<Expr>),
    /// A brace initializer `{ .a = 1, 2, [3] = 4 }`.
    InitList(Vec<(Option<Designator>, Expr)>),
    /// A type written where a macro-like builtin takes one:
    /// `container_of(p, struct foo, member)`, `list_entry(p, type, m)`.
    TypeArg(Type),
    /// A GNU statement expression `({ stmts; e; })`: the value of the
    /// last statement if it is an expression.
    StmtExpr(Box<Block>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Designator {
    Field(String),
    Index(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    /// `!`
    Not,
    /// `~`
    BitNot,
    /// `*e`
    Deref,
    /// `&e`
    AddrOf,
    /// `+e`
    Plus,
    PreInc,
    PreDec,
    PostInc,
    PostDec,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Shl,
    Shr,
    BitAnd,
    BitOr,
    BitXor,
    /// `&&` (short-circuit)
    And,
    /// `||` (short-circuit)
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The clauses after the processes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Final {
    /// `locations [x; 0:r1; y;]`
    pub locations: Vec<Loc>,
    /// `filter (cond)`
    pub filter: Option<Cond>,
    /// `exists`, `~exists` or `forall` with its condition.
    pub quant: Option<(Quant, Cond)>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    Exists,
    NotExists,
    Forall,
}

/// herd's condition language: `/\`, `\/`, `~`, `=>`, atoms.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    True,
    False,
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Implies(Box<Cond>, Box<Cond>),
    /// `loc = value` or `loc != value`.
    Atom {
        loc: Loc,
        negated: bool,
        value: CondValue,
        span: Span,
    },
}

/// A location named in a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Loc {
    /// `0:r1`
    Reg { thread: u32, name: String, span: Span },
    /// `x`, or `x[2]` / `x.f` written as a path
    Global { path: LocPath, span: Span },
    /// `*x`: the variable pointed to by x's value (herd: same as `x` for a
    /// parameter-style name).
    Deref { inner: Box<Loc>, span: Span },
}

/// A global name with optional `[i]` indices and `.field` steps.
#[derive(Clone, Debug, PartialEq)]
pub struct LocPath {
    pub base: String,
    pub steps: Vec<PathStep>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PathStep {
    Index(i64),
    Field(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum CondValue {
    Int(i64),
    /// A symbolic address: `0:r1=x` means r1 holds &x.
    Addr(LocPath),
    /// Another location's value (`x=y`), rarely used.
    Loc(Loc),
}
