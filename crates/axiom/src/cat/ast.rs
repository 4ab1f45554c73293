//! Abstract syntax of herd7's cat language.
//!
//! Source: herdtools7 `lib/AST.mli` and `lib/modelParser.mly`.  The shapes
//! follow herd's AST closely so that the evaluator can mirror
//! `herd/interpreter.ml`.

use super::intern::Sym;

/// A source span: file index (into the model's file table) and byte range.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Span {
    /// File index.
    pub file: u32,
    /// Start byte offset.
    pub lo: u32,
    /// End byte offset (exclusive).
    pub hi: u32,
}

/// Unary operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op1 {
    /// `r+`
    Plus,
    /// `r*`
    Star,
    /// `r?`
    Opt,
    /// `~e`
    Comp,
    /// `r^-1`
    Inv,
    /// `[s]`
    ToId,
}

/// N-ary operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OpN {
    /// `|` (flattened)
    Union,
    /// `;` (flattened)
    Seq,
    /// `&` (binary)
    Inter,
    /// `\` (binary)
    Diff,
    /// `*` (binary)
    Cartesian,
    /// `++` (binary)
    Add,
    /// `(a, b, ...)`
    Tuple,
}

/// Binding pattern: a variable (or `_`), or a tuple of them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Pat {
    /// `x` or `_`.
    Var(Option<Sym>),
    /// `(x, y, ...)`.
    Tuple(Vec<Option<Sym>>),
}

/// A function literal.
#[derive(Debug)]
// Every node keeps its source span, as the parser builds it, though the
// evaluator reports errors on expressions only: the spans of
// definitions, tests and instructions are unread today.
#[allow(dead_code)]
pub struct FunDef {
    /// Span.
    pub span: Span,
    /// Parameters.
    pub pat: Pat,
    /// Body.
    pub body: Expr,
    /// Name (for messages).
    pub name: Sym,
}

/// One binding `pat = expr`.
#[derive(Debug)]
pub struct Binding {
    /// Span.
    pub span: Span,
    /// Bound pattern.
    pub pat: Pat,
    /// Bound expression.
    pub expr: Expr,
}

/// Set-matching clause (`|| e ++ es -> ...`).
#[derive(Debug)]
pub enum SetClause {
    /// `x ++ xs -> e`
    EltRem(Option<Sym>, Option<Sym>, Box<Expr>),
    /// `xs1 | x ++ xs2 -> e`
    PreEltPost(Option<Sym>, Option<Sym>, Option<Sym>, Box<Expr>),
}

/// Variant conditions (`if "variant" ...`).
#[derive(Debug, Clone)]
pub enum VariantCond {
    /// A variant name.
    Variant(String),
    /// Negation.
    Not(Box<VariantCond>),
    /// Conjunction.
    And(Box<VariantCond>, Box<VariantCond>),
    /// Disjunction.
    Or(Box<VariantCond>, Box<VariantCond>),
}

/// Condition of an `if` expression.
#[derive(Debug)]
pub enum Cond {
    /// `e1 = e2`
    Eq(Box<Expr>, Box<Expr>),
    /// `e1 subset e2`
    Subset(Box<Expr>, Box<Expr>),
    /// `e1 in e2`
    In(Box<Expr>, Box<Expr>),
    /// Variant test.
    Variant(VariantCond),
}

/// Expressions.
#[derive(Debug)]
pub enum Expr {
    /// `0`: the empty relation.
    EmptyRel(Span),
    /// `_`: the universe.
    Universe(Span),
    /// `'tag`
    Tag(Span, Sym),
    /// Variable.
    Var(Span, Sym),
    /// `{e1, ..., en}`
    ExplicitSet(Span, Vec<Expr>),
    /// Unary operator.
    Op1(Span, Op1, Box<Expr>),
    /// N-ary operator.
    Op(Span, OpN, Vec<Expr>),
    /// Application.
    App(Span, Box<Expr>, Box<Expr>),
    /// `let ... in e`
    Bind(Span, Vec<Binding>, Box<Expr>),
    /// `let rec ... in e`
    BindRec(Span, Vec<Binding>, Box<Expr>),
    /// `fun p -> e`
    Fun(Span, Box<FunDef>),
    /// `match e with 'tag -> e || ... || _ -> e end`
    Match(Span, Box<Expr>, Vec<(Sym, Expr)>, Option<Box<Expr>>),
    /// `match e with {} -> e || x ++ xs -> e end`
    MatchSet(Span, Box<Expr>, Box<Expr>, SetClause),
    /// `try e with e`
    Try(Span, Box<Expr>, Box<Expr>),
    /// `if c then e else e`
    If(Span, Cond, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Span of the expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::EmptyRel(s)
            | Expr::Universe(s)
            | Expr::Tag(s, _)
            | Expr::Var(s, _)
            | Expr::ExplicitSet(s, _)
            | Expr::Op1(s, _, _)
            | Expr::Op(s, _, _)
            | Expr::App(s, _, _)
            | Expr::Bind(s, _, _)
            | Expr::BindRec(s, _, _)
            | Expr::Fun(s, _)
            | Expr::Match(s, _, _, _)
            | Expr::MatchSet(s, _, _, _)
            | Expr::Try(s, _, _)
            | Expr::If(s, _, _, _) => *s,
        }
    }
}

/// Kinds of checks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TestKind {
    /// `acyclic`
    Acyclic,
    /// `irreflexive`
    Irreflexive,
    /// `empty`
    Empty,
}

/// How a test failure is handled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TestType {
    /// Plain check: failure rejects the execution.
    Check,
    /// `undefined_unless`: failure flags the execution as undefined.
    UndefinedUnless,
    /// `flag`: success raises the named flag.
    Flagged,
}

/// A test `[~]kind expr [as name]`.
#[derive(Debug)]
// Every node keeps its source span, as the parser builds it, though the
// evaluator reports errors on expressions only: the spans of
// definitions, tests and instructions are unread today.
#[allow(dead_code)]
pub struct Test {
    /// Span of the whole test.
    pub span: Span,
    /// Negated (`~acyclic` ...)?
    pub negated: bool,
    /// Kind.
    pub kind: TestKind,
    /// Tested expression.
    pub expr: Expr,
    /// Name (`as name`).
    pub name: Option<Sym>,
}

/// The resolution of an `include`.
#[derive(Debug)]
pub enum Included {
    /// Parsed content of the included file.
    Ok(Vec<Ins>),
    /// The file could not be found or parsed; the error is raised only if
    /// the `include` is executed (herd resolves includes lazily as well).
    Err(Box<super::CatError>),
}

/// Instructions.
#[derive(Debug)]
// Every node keeps its source span, as the parser builds it, though the
// evaluator reports errors on expressions only: the spans of
// definitions, tests and instructions are unread today.
#[allow(dead_code)]
pub enum Ins {
    /// `let ...`
    Let(Span, Vec<Binding>),
    /// `let rec ... [when test]`
    Rec(Span, Vec<Binding>, Option<Test>),
    /// `match e with 'tag -> ins || ... end`
    Match(Span, Expr, Vec<(Sym, Vec<Ins>)>, Option<Vec<Ins>>),
    /// A test.
    Test(Test, TestType),
    /// `include "file"`
    Include(Span, String, Included),
    /// `procedure name(args) = ins end`
    Procedure(Span, Sym, Pat, Vec<Ins>, bool),
    /// `call name arg [as name]`
    Call(Span, Sym, Expr, Option<Sym>),
    /// `forall x in e do ins end`
    Forall(Span, Sym, Expr, Vec<Ins>),
    /// `with x from e`
    WithFrom(Span, Sym, Expr),
    /// `enum Name = 'a || 'b`
    Enum(Span, Sym, Vec<Sym>),
    /// `if "variant" [then] ins [else ins] end`
    IfVariant(Span, VariantCond, Vec<Ins>, Vec<Ins>),
    /// Instructions without effect on verdicts (`show`, `unshow`, `debug`,
    /// bell `instructions` / `default` declarations).
    Nop(Span),
}
