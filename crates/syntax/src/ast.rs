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
    /// Where it is in the source.
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
    /// Its name.
    pub name: String,
    /// The initial value; `None` means zero.
    pub value: Option<Expr>,
    /// Where it is in the source.
    pub span: Span,
}

/// A top-level item of the file.
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

/// A litmus process `P<n>(params) { body }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Proc {
    /// The n of `P<n>`.
    pub index: u32,
    /// Its parameters.
    pub params: Vec<Param>,
    /// Its body.
    pub body: Block,
    /// Where it is in the source.
    pub span: Span,
}

/// A parameter of a process or function.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its type.
    pub ty: Type,
    /// Its name.
    pub name: String,
    /// The base type is written `volatile` (`volatile int *x`): kvet
    /// drops qualifiers from types, herd7's test hash keeps this one.
    pub volatile: bool,
    /// Where it is in the source.
    pub span: Span,
}

/// A function definition (a helper, a handler, a task).
#[derive(Clone, Debug, PartialEq)]
pub struct FuncDef {
    /// Its name.
    pub name: String,
    /// The return type.
    pub ret: Type,
    /// Its parameters.
    pub params: Vec<Param>,
    /// Its body.
    pub body: Block,
    /// Where it is in the source.
    pub span: Span,
    /// sparse's lock-context annotations on the definition
    /// (`__acquires(l)`, `__releases(l)`, `__must_hold(l)`).
    pub locks: Vec<(LockAnnot, Expr)>,
}

/// A sparse lock-context annotation (include/linux/compiler_types.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockAnnot {
    /// `__acquires(l)`: the function takes `l`.
    Acquires,
    /// `__releases(l)`: the function releases `l`.
    Releases,
    /// `__must_hold(l)`: `l` is held at entry and exit.
    MustHold,
}

impl LockAnnot {
    /// The annotation as written in the source.
    pub fn name(self) -> &'static str {
        match self {
            LockAnnot::Acquires => "__acquires",
            LockAnnot::Releases => "__releases",
            LockAnnot::MustHold => "__must_hold",
        }
    }
}

/// What a declared handler is.
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

/// An interrupt handler or a task, declared with `IRQ()`, `SOFTIRQ()` or `TASK()`.
#[derive(Clone, Debug, PartialEq)]
pub struct Handler {
    /// Hard interrupt, softirq or task.
    pub kind: HandlerKind,
    /// The CPU the handler may fire on.
    pub cpu: u32,
    /// How many times it may fire (default 1).
    pub times: u32,
    /// The function it runs.
    pub func: FuncDef,
    /// Where it is in the source.
    pub span: Span,
}

/// A `struct` or `union` definition.
#[derive(Clone, Debug, PartialEq)]
pub struct StructDef {
    /// Its tag.
    pub name: String,
    /// A `union` rather than a `struct`.
    pub is_union: bool,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// Where it is in the source.
    pub span: Span,
}

/// A field of a struct or union.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Its type.
    pub ty: Type,
    /// Its name.
    pub name: String,
    /// Where it is in the source.
    pub span: Span,
}

/// An `enum` definition.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumDef {
    /// Empty for an anonymous enum.
    pub name: String,
    /// Each constant with its explicit value, if given.
    pub variants: Vec<(String, Option<Expr>, Span)>,
    /// Where it is in the source.
    pub span: Span,
}

/// A `typedef`.
#[derive(Clone, Debug, PartialEq)]
pub struct Typedef {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Where it is in the source.
    pub span: Span,
}

/// A type as written. Integer types of every width and signedness are
/// `Base("int")`, `Base("unsigned long")`, ... with their words joined by
/// one space; kernel types keep their name: `Base("spinlock_t")`.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    /// `void`.
    Void,
    /// A base type (`int`, `unsigned long`, `spinlock_t`).
    Base(String),
    /// A name introduced by `typedef`.
    Named(String),
    /// `struct name`.
    Struct(String),
    /// `union name`.
    Union(String),
    /// `enum name`.
    Enum(String),
    /// A pointer.
    Ptr(Box<Type>),
    /// An array, with its length if written.
    Array(Box<Type>, Option<Box<Expr>>),
    /// A function type `ret (params)`; a function pointer is `Ptr(Func)`.
    Func(Box<Type>, Vec<Type>),
    /// `typeof(expr)` / `__typeof__(expr)`.
    TypeOf(Box<Expr>),
}

/// A variable declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct VarDecl {
    /// Its type.
    pub ty: Type,
    /// Its name.
    pub name: String,
    /// The initializer, if any.
    pub init: Option<Expr>,
    /// `static`, `const` and similar qualifiers are accepted and dropped.
    pub span: Span,
}

/// A `{ ... }` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// The statements, in order.
    pub stmts: Vec<Stmt>,
    /// Where it is in the source.
    pub span: Span,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What statement it is.
    pub kind: StmtKind,
    /// Where it is in the source.
    pub span: Span,
}

/// The statements of C that kvet reads.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `;`
    Empty,
    /// An expression statement.
    Expr(Expr),
    /// One declaration statement may declare several variables.
    Decl(Vec<VarDecl>),
    /// A nested block.
    Block(Block),
    /// `if (c) a else b`.
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    /// `while (c) body`.
    While(Expr, Box<Stmt>),
    /// `do body while (c);`
    DoWhile(Box<Stmt>, Expr),
    /// `for (init; cond; step) body`; the init may be a declaration.
    For(Option<Box<Stmt>>, Option<Expr>, Option<Expr>, Box<Stmt>),
    /// `break;`
    Break,
    /// `continue;`
    Continue,
    /// `return e;`
    Return(Option<Expr>),
    /// `goto label;`
    Goto(String),
    /// `label: stmt`.
    Label(String, Box<Stmt>),
    /// `switch (e) body`; `case`/`default` appear as statements in the body.
    Switch(Expr, Box<Stmt>),
    /// `case e:`
    Case(Expr),
    /// `default:`
    Default,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What expression it is.
    pub kind: ExprKind,
    /// Where it is in the source.
    pub span: Span,
}

/// The expressions of C that kvet reads.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal.
    Int(i64),
    /// A string literal (only meaningful as an argument, e.g. to WARN).
    Str(String),
    /// A name.
    Ident(String),
    /// A unary operation.
    Unary(UnOp, Box<Expr>),
    /// A binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a = b` (op `None`) or `a op= b`.
    Assign(Option<BinOp>, Box<Expr>, Box<Expr>),
    /// `c ? a : b`
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A call `f(args)`.
    Call(Box<Expr>, Vec<Expr>),
    /// `a.b`
    Member(Box<Expr>, String),
    /// `a->b`
    Arrow(Box<Expr>, String),
    /// `a[i]`
    Index(Box<Expr>, Box<Expr>),
    /// `(T)e`
    Cast(Type, Box<Expr>),
    /// `sizeof(T)`
    SizeofType(Type),
    /// `sizeof e`
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

/// A designator of a brace initializer.
#[derive(Clone, Debug, PartialEq)]
pub enum Designator {
    /// `.field =`
    Field(String),
    /// `[i] =`
    Index(Expr),
}

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-e`
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
    /// `++e`
    PreInc,
    /// `--e`
    PreDec,
    /// `e++`
    PostInc,
    /// `e--`
    PostDec,
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
    /// `&&` (short-circuit)
    And,
    /// `||` (short-circuit)
    Or,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
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
    /// Where it is in the source.
    pub span: Span,
}

/// The quantifier of the final condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    /// `exists`: some outcome satisfies the condition.
    Exists,
    /// `~exists`: none does.
    NotExists,
    /// `forall`: all do.
    Forall,
}

/// herd's condition language: `/\`, `\/`, `~`, `=>`, atoms.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// `true`
    True,
    /// `false`
    False,
    /// `~c`
    Not(Box<Cond>),
    /// `a /\ b`
    And(Box<Cond>, Box<Cond>),
    /// `a \/ b`
    Or(Box<Cond>, Box<Cond>),
    /// `a => b`
    Implies(Box<Cond>, Box<Cond>),
    /// `loc = value` or `loc != value`.
    Atom {
        /// The location.
        loc: Loc,
        /// `!=` rather than `=`.
        negated: bool,
        /// The value compared with.
        value: CondValue,
        /// Where it is in the source.
        span: Span,
    },
}

/// A location named in a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Loc {
    /// `0:r1`
    Reg {
        /// The process.
        thread: u32,
        /// The register.
        name: String,
        /// Where it is in the source.
        span: Span,
    },
    /// `x`, or `x[2]` / `x.f` written as a path
    Global {
        /// The global and its steps.
        path: LocPath,
        /// Where it is in the source.
        span: Span,
    },
    /// `*x`: the variable pointed to by x's value (herd: same as `x` for a
    /// parameter-style name).
    Deref {
        /// The location dereferenced.
        inner: Box<Loc>,
        /// Where it is in the source.
        span: Span,
    },
}

/// A global name with optional `[i]` indices and `.field` steps.
#[derive(Clone, Debug, PartialEq)]
pub struct LocPath {
    /// The global variable.
    pub base: String,
    /// The `[i]` and `.field` steps after it, in order.
    pub steps: Vec<PathStep>,
}

/// One step of a [`LocPath`].
#[derive(Clone, Debug, PartialEq)]
pub enum PathStep {
    /// `[i]`
    Index(i64),
    /// `.field`
    Field(String),
}

/// The right-hand side of a condition atom.
#[derive(Clone, Debug, PartialEq)]
pub enum CondValue {
    /// An integer.
    Int(i64),
    /// A symbolic address: `0:r1=x` means r1 holds &x.
    Addr(LocPath),
    /// Another location's value (`x=y`), rarely used.
    Loc(Loc),
}
