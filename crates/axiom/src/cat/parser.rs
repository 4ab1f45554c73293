//! Hand-written recursive-descent parser for the cat language.
//!
//! Source: herdtools7 `lib/modelParser.mly`.  Operator precedences, from
//! loosest to tightest: `|` (right), `++` (right), `;` (right), `\` (left),
//! `&` (right), `*` (cartesian product), then prefix `~` and the postfix
//! operators `*`, `+`, `?`, `^-1`; application `f x` binds tightest.  A `*`
//! is the cartesian product when the next token can start an expression and
//! the reflexive-transitive closure otherwise (what yacc does for herd).
//! `|` and `;` chains are flattened into n-ary nodes, like herd's `do_op`.

use super::ast::*;
use super::intern::{Interner, Sym};
use super::lexer::{Kw, Tok, Token};

/// Parse error: message and byte span.
#[derive(Debug)]
pub struct ParseError {
    /// Message.
    pub msg: String,
    /// Start.
    pub lo: usize,
    /// End.
    pub hi: usize,
}

type PResult<T> = Result<T, ParseError>;

/// Parser state.
pub struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    file: u32,
    int: &'a mut Interner,
    depth: usize,
}

const MAX_DEPTH: usize = 400;

impl<'a> Parser<'a> {
    /// New parser over a token stream (ending with `Eof`).
    pub fn new(toks: &'a [Token], file: u32, int: &'a mut Interner) -> Self {
        Parser { toks, pos: 0, file, int, depth: 0 }
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }
    fn peek_at(&self, k: usize) -> &Tok {
        let i = (self.pos + k).min(self.toks.len() - 1);
        &self.toks[i].tok
    }
    fn lo(&self) -> usize {
        self.toks[self.pos].lo
    }
    fn prev_hi(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].hi
        }
    }
    fn span(&self, lo: usize) -> Span {
        Span { file: self.file, lo: lo as u32, hi: self.prev_hi().max(lo) as u32 }
    }
    fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].tok.clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        let t = &self.toks[self.pos];
        let what = match &t.tok {
            Tok::Eof => "end of file".to_string(),
            tok => format!("{tok:?}"),
        };
        Err(ParseError { msg: format!("{} (found {what})", msg.into()), lo: t.lo, hi: t.hi.max(t.lo + 1) })
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.bump();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: &Tok, what: &str) -> PResult<()> {
        if self.eat(t) {
            Ok(())
        } else {
            self.err(format!("expected {what}"))
        }
    }
    fn var(&mut self) -> PResult<Sym> {
        match self.peek().clone() {
            Tok::Var(s) => {
                self.bump();
                Ok(self.int.intern(&s))
            }
            _ => self.err("expected an identifier"),
        }
    }
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("expression nested too deeply");
        }
        Ok(())
    }

    /// Parse a whole model file: optional identity line then instructions.
    pub fn parse_model(&mut self) -> PResult<Vec<Ins>> {
        match (self.peek().clone(), self.peek_at(1).clone()) {
            (Tok::Var(_), Tok::Var(_)) | (Tok::Var(_), Tok::Str(_)) => {
                self.bump();
                self.bump();
            }
            (Tok::Var(_), _) | (Tok::Str(_), _) => {
                self.bump();
            }
            _ => {}
        }
        let ins = self.ins_list()?;
        if *self.peek() != Tok::Eof {
            return self.err("unexpected token at top level");
        }
        Ok(ins)
    }

    fn ins_list(&mut self) -> PResult<Vec<Ins>> {
        let mut v = Vec::new();
        loop {
            match self.peek() {
                Tok::Eof | Tok::Alt | Tok::Kw(Kw::End) | Tok::Kw(Kw::Else) => return Ok(v),
                _ => v.push(self.ins()?),
            }
        }
    }

    fn is_test_start(&self) -> bool {
        match self.peek() {
            Tok::Kw(Kw::Acyclic | Kw::Irreflexive | Kw::Empty) => true,
            Tok::Comp => matches!(self.peek_at(1), Tok::Kw(Kw::Acyclic | Kw::Irreflexive | Kw::Empty)),
            _ => false,
        }
    }

    fn ins(&mut self) -> PResult<Ins> {
        let lo = self.lo();
        if self.is_test_start() {
            let t = self.test(lo)?;
            return Ok(Ins::Test(t, TestType::Check));
        }
        let tok = self.peek().clone();
        match tok {
            Tok::Kw(Kw::Let) => self.ins_let(lo),
            Tok::Kw(Kw::Match) => self.ins_match(lo),
            Tok::Kw(Kw::Flag) => {
                self.bump();
                let t = self.test(lo)?;
                Ok(Ins::Test(t, TestType::Flagged))
            }
            Tok::Kw(Kw::UndefinedUnless) => {
                self.bump();
                let t = self.test(lo)?;
                Ok(Ins::Test(t, TestType::UndefinedUnless))
            }
            Tok::Kw(Kw::Show) => {
                self.bump();
                let _ = self.base()?;
                if self.eat(&Tok::Kw(Kw::As)) {
                    self.var()?;
                } else {
                    while self.eat(&Tok::Comma) {
                        self.var()?;
                    }
                }
                Ok(Ins::Nop(self.span(lo)))
            }
            Tok::Kw(Kw::Unshow) => {
                self.bump();
                self.var()?;
                while self.eat(&Tok::Comma) {
                    self.var()?;
                }
                Ok(Ins::Nop(self.span(lo)))
            }
            Tok::Kw(Kw::Include) => {
                self.bump();
                match self.bump() {
                    Tok::Str(s) => {
                        Ok(Ins::Include(self.span(lo), s, Included::Err(Box::new(super::CatError::placeholder()))))
                    }
                    _ => {
                        self.pos -= 1;
                        self.err("expected a file name string")
                    }
                }
            }
            Tok::Kw(Kw::Procedure) => self.ins_procedure(lo),
            Tok::Kw(Kw::Call) => {
                self.bump();
                let name = self.var()?;
                let arg = self.simple()?;
                let tname = if self.eat(&Tok::Kw(Kw::As)) { Some(self.var()?) } else { None };
                Ok(Ins::Call(self.span(lo), name, arg, tname))
            }
            Tok::Kw(Kw::Debug) => {
                self.bump();
                self.exp()?;
                Ok(Ins::Nop(self.span(lo)))
            }
            Tok::Kw(Kw::Forall) => {
                self.bump();
                let x = self.var()?;
                self.expect(&Tok::Kw(Kw::In), "'in'")?;
                let e = self.exp()?;
                self.expect(&Tok::Kw(Kw::Do), "'do'")?;
                let body = self.ins_list()?;
                self.expect(&Tok::Kw(Kw::End), "'end'")?;
                Ok(Ins::Forall(self.span(lo), x, e, body))
            }
            Tok::Kw(Kw::With) => {
                self.bump();
                let x = self.var()?;
                self.expect(&Tok::Kw(Kw::From), "'from'")?;
                let e = self.exp()?;
                Ok(Ins::WithFrom(self.span(lo), x, e))
            }
            Tok::Kw(Kw::Instructions) | Tok::Kw(Kw::Default) => {
                self.bump();
                self.var()?;
                self.expect(&Tok::LBrac, "'['")?;
                if *self.peek() != Tok::RBrac {
                    self.base()?;
                    while self.eat(&Tok::Comma) {
                        self.base()?;
                    }
                }
                self.expect(&Tok::RBrac, "']'")?;
                Ok(Ins::Nop(self.span(lo)))
            }
            Tok::Kw(Kw::Enum) => self.ins_enum(lo),
            Tok::Kw(Kw::If) => {
                self.bump();
                let c = self.vcond()?;
                self.eat(&Tok::Kw(Kw::Then));
                let a = self.ins_list()?;
                let b = if self.eat(&Tok::Kw(Kw::Else)) { self.ins_list()? } else { Vec::new() };
                self.expect(&Tok::Kw(Kw::End), "'end'")?;
                Ok(Ins::IfVariant(self.span(lo), c, a, b))
            }
            _ => self.err("expected an instruction"),
        }
    }

    /// `let [rec] bindings [when test] [in]`.
    fn ins_let(&mut self, lo: usize) -> PResult<Ins> {
        self.bump();
        if self.eat(&Tok::Kw(Kw::Rec)) {
            let bds = self.bindings()?;
            let test = if self.eat(&Tok::Kw(Kw::When)) {
                let tlo = self.lo();
                Some(self.test(tlo)?)
            } else {
                None
            };
            self.eat(&Tok::Kw(Kw::In));
            Ok(Ins::Rec(self.span(lo), bds, test))
        } else {
            let bds = self.bindings()?;
            self.eat(&Tok::Kw(Kw::In));
            Ok(Ins::Let(self.span(lo), bds))
        }
    }

    /// `match e with tag -> ins | ... | _ -> ins end`.
    fn ins_match(&mut self, lo: usize) -> PResult<Ins> {
        self.bump();
        let e = self.exp()?;
        self.expect(&Tok::Kw(Kw::With), "'with'")?;
        self.eat(&Tok::Alt);
        let mut cls = Vec::new();
        let mut dflt = None;
        loop {
            match self.peek().clone() {
                Tok::Tag(t) => {
                    self.bump();
                    self.expect(&Tok::Arrow, "'->'")?;
                    let body = self.ins_list()?;
                    cls.push((self.int.intern(&t), body));
                }
                Tok::Underscore => {
                    self.bump();
                    self.expect(&Tok::Arrow, "'->'")?;
                    dflt = Some(self.ins_list()?);
                    break;
                }
                _ => return self.err("expected a match clause"),
            }
            if !self.eat(&Tok::Alt) {
                break;
            }
        }
        self.expect(&Tok::Kw(Kw::End), "'end'")?;
        Ok(Ins::Match(self.span(lo), e, cls, dflt))
    }

    /// `procedure [rec] name(formals) = ins end`.
    fn ins_procedure(&mut self, lo: usize) -> PResult<Ins> {
        self.bump();
        let is_rec = self.eat(&Tok::Kw(Kw::Rec));
        let name = self.var()?;
        let pat = if self.eat(&Tok::LPar) {
            let f = self.formals()?;
            self.expect(&Tok::RPar, "')'")?;
            tuple_pat(f)
        } else {
            Pat::Var(self.pat0()?)
        };
        self.expect(&Tok::Equal, "'='")?;
        let body = self.ins_list()?;
        self.expect(&Tok::Kw(Kw::End), "'end'")?;
        Ok(Ins::Procedure(self.span(lo), name, pat, body, is_rec))
    }

    /// `enum name = tag | tag ...`.
    fn ins_enum(&mut self, lo: usize) -> PResult<Ins> {
        self.bump();
        let name = self.var()?;
        self.expect(&Tok::Equal, "'='")?;
        self.eat(&Tok::Alt);
        let mut tags = Vec::new();
        loop {
            match self.bump() {
                Tok::Tag(t) => tags.push(self.int.intern(&t)),
                _ => {
                    self.pos -= 1;
                    return self.err("expected a tag");
                }
            }
            if !self.eat(&Tok::Alt) {
                break;
            }
        }
        Ok(Ins::Enum(self.span(lo), name, tags))
    }
    fn test(&mut self, lo: usize) -> PResult<Test> {
        let negated = self.eat(&Tok::Comp);
        let kind = match self.bump() {
            Tok::Kw(Kw::Acyclic) => TestKind::Acyclic,
            Tok::Kw(Kw::Irreflexive) => TestKind::Irreflexive,
            Tok::Kw(Kw::Empty) => TestKind::Empty,
            _ => {
                self.pos -= 1;
                return self.err("expected 'acyclic', 'irreflexive' or 'empty'");
            }
        };
        let expr = self.exp()?;
        let name = if self.eat(&Tok::Kw(Kw::As)) { Some(self.var()?) } else { None };
        Ok(Test { span: self.span(lo), negated, kind, expr, name })
    }

    fn pat0(&mut self) -> PResult<Option<Sym>> {
        match self.peek() {
            Tok::Underscore => {
                self.bump();
                Ok(None)
            }
            Tok::Var(_) => Ok(Some(self.var()?)),
            _ => self.err("expected an identifier or '_'"),
        }
    }

    fn formals(&mut self) -> PResult<Vec<Option<Sym>>> {
        let mut v = Vec::new();
        if matches!(self.peek(), Tok::Var(_) | Tok::Underscore) {
            v.push(self.pat0()?);
            while self.eat(&Tok::Comma) {
                v.push(self.pat0()?);
            }
        }
        Ok(v)
    }

    fn bindings(&mut self) -> PResult<Vec<Binding>> {
        let mut v = vec![self.binding()?];
        while self.eat(&Tok::Kw(Kw::And)) {
            v.push(self.binding()?);
        }
        Ok(v)
    }

    fn binding(&mut self) -> PResult<Binding> {
        let lo = self.lo();
        if self.eat(&Tok::LPar) {
            let f = self.formals()?;
            self.expect(&Tok::RPar, "')'")?;
            self.expect(&Tok::Equal, "'='")?;
            let expr = self.exp()?;
            return Ok(Binding { span: self.span(lo), pat: tuple_pat(f), expr });
        }
        let first = self.pat0()?;
        match (self.peek().clone(), first) {
            (Tok::Comma, _) => {
                let mut f = vec![first];
                while self.eat(&Tok::Comma) {
                    f.push(self.pat0()?);
                }
                self.expect(&Tok::Equal, "'='")?;
                let expr = self.exp()?;
                Ok(Binding { span: self.span(lo), pat: Pat::Tuple(f), expr })
            }
            (Tok::Equal, _) => {
                self.bump();
                let expr = self.exp()?;
                Ok(Binding { span: self.span(lo), pat: Pat::Var(first), expr })
            }
            (Tok::Var(_) | Tok::Underscore, Some(f)) => {
                let p = self.pat0()?;
                self.expect(&Tok::Equal, "'='")?;
                let body = self.exp()?;
                let span = self.span(lo);
                let fun = FunDef { span, pat: Pat::Var(p), body, name: f };
                Ok(Binding { span, pat: Pat::Var(Some(f)), expr: Expr::Fun(span, Box::new(fun)) })
            }
            (Tok::LPar, Some(f)) => {
                self.bump();
                let formals = self.formals()?;
                self.expect(&Tok::RPar, "')'")?;
                self.expect(&Tok::Equal, "'='")?;
                let body = self.exp()?;
                let span = self.span(lo);
                let fun = FunDef { span, pat: tuple_pat(formals), body, name: f };
                Ok(Binding { span, pat: Pat::Var(Some(f)), expr: Expr::Fun(span, Box::new(fun)) })
            }
            _ => self.err("expected '=' in binding"),
        }
    }

    fn vcond(&mut self) -> PResult<VariantCond> {
        let mut l = self.vand()?;
        loop {
            let is_or = matches!(self.peek(), Tok::Alt | Tok::Union) || matches!(self.peek(), Tok::Var(s) if s == "or");
            if !is_or {
                return Ok(l);
            }
            self.bump();
            let r = self.vand()?;
            l = VariantCond::Or(Box::new(l), Box::new(r));
        }
    }
    fn vand(&mut self) -> PResult<VariantCond> {
        let mut l = self.vnot()?;
        loop {
            let is_and = matches!(self.peek(), Tok::Inter | Tok::Kw(Kw::And));
            if !is_and {
                return Ok(l);
            }
            self.bump();
            let r = self.vnot()?;
            l = VariantCond::And(Box::new(l), Box::new(r));
        }
    }
    fn vnot(&mut self) -> PResult<VariantCond> {
        match self.peek().clone() {
            Tok::Comp => {
                self.bump();
                Ok(VariantCond::Not(Box::new(self.vnot()?)))
            }
            Tok::Var(s) if s == "not" => {
                self.bump();
                Ok(VariantCond::Not(Box::new(self.vnot()?)))
            }
            Tok::Str(s) => {
                self.bump();
                Ok(VariantCond::Variant(s))
            }
            Tok::LPar => {
                self.bump();
                let c = self.vcond()?;
                self.expect(&Tok::RPar, "')'")?;
                Ok(c)
            }
            _ => self.err("expected a variant condition"),
        }
    }

    /// Parse an expression (`exp` in herd's grammar).
    pub fn exp(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.exp_inner();
        self.depth -= 1;
        r
    }

    fn exp_inner(&mut self) -> PResult<Expr> {
        let lo = self.lo();
        match self.peek().clone() {
            Tok::Kw(Kw::Let) => {
                self.bump();
                let is_rec = self.eat(&Tok::Kw(Kw::Rec));
                let bds = self.bindings()?;
                self.expect(&Tok::Kw(Kw::In), "'in'")?;
                let body = self.exp()?;
                let span = self.span(lo);
                Ok(if is_rec {
                    Expr::BindRec(span, bds, Box::new(body))
                } else {
                    Expr::Bind(span, bds, Box::new(body))
                })
            }
            Tok::Kw(Kw::Fun) => {
                self.bump();
                let pat = if self.eat(&Tok::LPar) {
                    let f = self.formals()?;
                    self.expect(&Tok::RPar, "')'")?;
                    tuple_pat(f)
                } else {
                    Pat::Var(self.pat0()?)
                };
                self.expect(&Tok::Arrow, "'->'")?;
                let body = self.exp()?;
                let span = self.span(lo);
                let name = self.int.intern("*fun*");
                Ok(Expr::Fun(span, Box::new(FunDef { span, pat, body, name })))
            }
            Tok::Kw(Kw::Try) => {
                self.bump();
                let a = self.exp()?;
                self.expect(&Tok::Kw(Kw::With), "'with'")?;
                let b = self.exp()?;
                Ok(Expr::Try(self.span(lo), Box::new(a), Box::new(b)))
            }
            Tok::Kw(Kw::If) => {
                self.bump();
                let c = if matches!(self.peek(), Tok::Str(_)) {
                    Cond::Variant(self.vcond()?)
                } else {
                    let a = self.exp()?;
                    match self.bump() {
                        Tok::Equal => Cond::Eq(Box::new(a), Box::new(self.exp()?)),
                        Tok::Kw(Kw::Subset) => Cond::Subset(Box::new(a), Box::new(self.exp()?)),
                        Tok::Kw(Kw::In) => Cond::In(Box::new(a), Box::new(self.exp()?)),
                        _ => {
                            self.pos -= 1;
                            return self.err("expected '=', 'subset' or 'in' in condition");
                        }
                    }
                };
                self.expect(&Tok::Kw(Kw::Then), "'then'")?;
                let a = self.exp()?;
                self.expect(&Tok::Kw(Kw::Else), "'else'")?;
                let b = self.exp()?;
                Ok(Expr::If(self.span(lo), c, Box::new(a), Box::new(b)))
            }
            Tok::Kw(Kw::Match) => self.match_exp(lo),
            _ => {
                let b = self.base()?;
                if *self.peek() == Tok::Comma {
                    let mut v = vec![b];
                    while self.eat(&Tok::Comma) {
                        v.push(self.base()?);
                    }
                    Ok(Expr::Op(self.span(lo), OpN::Tuple, v))
                } else {
                    Ok(b)
                }
            }
        }
    }

    fn match_exp(&mut self, lo: usize) -> PResult<Expr> {
        self.bump();
        let e = self.exp()?;
        self.expect(&Tok::Kw(Kw::With), "'with'")?;
        self.eat(&Tok::Alt);
        let is_tag =
            matches!(self.peek(), Tok::Tag(_)) || (*self.peek() == Tok::Underscore && *self.peek_at(1) == Tok::Arrow);
        let r = if is_tag {
            let mut cls = Vec::new();
            let mut dflt = None;
            loop {
                match self.peek().clone() {
                    Tok::Tag(t) => {
                        self.bump();
                        self.expect(&Tok::Arrow, "'->'")?;
                        let body = self.exp()?;
                        cls.push((self.int.intern(&t), body));
                    }
                    Tok::Underscore => {
                        self.bump();
                        self.expect(&Tok::Arrow, "'->'")?;
                        dflt = Some(Box::new(self.exp()?));
                        break;
                    }
                    _ => return self.err("expected a match clause"),
                }
                if !self.eat(&Tok::Alt) {
                    break;
                }
            }
            self.expect(&Tok::Kw(Kw::End), "'end'")?;
            Expr::Match(self.span(lo), Box::new(e), cls, dflt)
        } else {
            let mut empty = None;
            let mut elt = None;
            for i in 0..2 {
                if *self.peek() == Tok::LAcc {
                    self.bump();
                    self.expect(&Tok::RAcc, "'}'")?;
                    self.expect(&Tok::Arrow, "'->'")?;
                    if empty.is_some() {
                        return self.err("duplicate empty-set clause");
                    }
                    empty = Some(self.exp()?);
                } else {
                    let a = self.pat0()?;
                    if self.eat(&Tok::PlusPlus) {
                        let b = self.pat0()?;
                        self.expect(&Tok::Arrow, "'->'")?;
                        elt = Some(SetClause::EltRem(a, b, Box::new(self.exp()?)));
                    } else {
                        self.expect(&Tok::Union, "'++' or '|'")?;
                        let b = self.pat0()?;
                        self.expect(&Tok::PlusPlus, "'++'")?;
                        let c = self.pat0()?;
                        self.expect(&Tok::Arrow, "'->'")?;
                        elt = Some(SetClause::PreEltPost(a, b, c, Box::new(self.exp()?)));
                    }
                }
                if i == 0 {
                    self.expect(&Tok::Alt, "'||'")?;
                }
            }
            self.expect(&Tok::Kw(Kw::End), "'end'")?;
            match (empty, elt) {
                (Some(em), Some(el)) => Expr::MatchSet(self.span(lo), Box::new(e), Box::new(em), el),
                _ => return self.err("set matching needs one empty clause and one element clause"),
            }
        };
        Ok(r)
    }

    fn starts_base(&self, k: usize) -> bool {
        match self.peek_at(k) {
            Tok::Var(_)
            | Tok::Tag(_)
            | Tok::LPar
            | Tok::LAcc
            | Tok::LBrac
            | Tok::Underscore
            | Tok::Zero
            | Tok::Kw(Kw::Begin) => true,
            Tok::Comp => !matches!(self.peek_at(k + 1), Tok::Kw(Kw::Acyclic | Kw::Irreflexive | Kw::Empty)),
            _ => false,
        }
    }

    /// Parse a `base` expression (operators, no `let`/`fun`/...).
    pub fn base(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.bin(0);
        self.depth -= 1;
        r
    }

    fn bin(&mut self, min: u8) -> PResult<Expr> {
        let lo = self.lo();
        let mut lhs = self.unary()?;
        loop {
            let (op, prec, right) = match self.peek() {
                Tok::Union => (OpN::Union, 1, true),
                Tok::PlusPlus => (OpN::Add, 2, true),
                Tok::Semi => (OpN::Seq, 3, true),
                Tok::Diff => (OpN::Diff, 4, false),
                Tok::Inter => (OpN::Inter, 5, true),
                Tok::Star if self.starts_base(1) => (OpN::Cartesian, 6, false),
                _ => break,
            };
            if prec < min {
                break;
            }
            self.bump();
            self.enter()?;
            let rhs = self.bin(if right { prec } else { prec + 1 });
            self.depth -= 1;
            let rhs = rhs?;
            let span = self.span(lo);
            lhs = match op {
                OpN::Union | OpN::Seq => {
                    let mut v = as_op(op, lhs);
                    v.extend(as_op(op, rhs));
                    Expr::Op(span, op, v)
                }
                _ => Expr::Op(span, op, vec![lhs, rhs]),
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let lo = self.lo();
        if self.eat(&Tok::Comp) {
            self.enter()?;
            let e = self.unary();
            self.depth -= 1;
            return Ok(Expr::Op1(self.span(lo), Op1::Comp, Box::new(e?)));
        }
        let mut e = self.primary()?;
        loop {
            let op = match self.peek() {
                Tok::Hat => {
                    self.bump();
                    self.expect(&Tok::Inv, "'-1' after '^'")?;
                    Op1::Inv
                }
                Tok::Plus => {
                    self.bump();
                    Op1::Plus
                }
                Tok::Opt => {
                    self.bump();
                    Op1::Opt
                }
                Tok::Star if !self.starts_base(1) => {
                    self.bump();
                    Op1::Star
                }
                _ => break,
            };
            e = Expr::Op1(self.span(lo), op, Box::new(e));
        }
        Ok(e)
    }

    fn starts_arg(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Var(_)
                | Tok::Tag(_)
                | Tok::LPar
                | Tok::LAcc
                | Tok::LBrac
                | Tok::Underscore
                | Tok::Zero
                | Tok::Kw(Kw::Begin)
        )
    }

    fn primary(&mut self) -> PResult<Expr> {
        let lo = self.lo();
        if let Tok::Var(s) = self.peek().clone() {
            self.bump();
            let x = self.int.intern(&s);
            let mut e = Expr::Var(self.span(lo), x);
            while self.starts_arg() {
                let arg = if let Tok::Var(a) = self.peek().clone() {
                    let alo = self.lo();
                    self.bump();
                    let y = self.int.intern(&a);
                    Expr::Var(self.span(alo), y)
                } else {
                    self.simple()?
                };
                e = Expr::App(self.span(lo), Box::new(e), Box::new(arg));
            }
            return Ok(e);
        }
        self.simple()
    }

    fn simple(&mut self) -> PResult<Expr> {
        let lo = self.lo();
        match self.peek().clone() {
            Tok::Zero => {
                self.bump();
                Ok(Expr::EmptyRel(self.span(lo)))
            }
            Tok::Underscore => {
                self.bump();
                Ok(Expr::Universe(self.span(lo)))
            }
            Tok::Tag(t) => {
                self.bump();
                let x = self.int.intern(&t);
                Ok(Expr::Tag(self.span(lo), x))
            }
            Tok::LAcc => {
                self.bump();
                let mut v = Vec::new();
                if *self.peek() != Tok::RAcc {
                    v.push(self.base()?);
                    while self.eat(&Tok::Comma) {
                        v.push(self.base()?);
                    }
                }
                self.expect(&Tok::RAcc, "'}'")?;
                Ok(Expr::ExplicitSet(self.span(lo), v))
            }
            Tok::LPar => {
                self.bump();
                if self.eat(&Tok::RPar) {
                    return Ok(Expr::Op(self.span(lo), OpN::Tuple, Vec::new()));
                }
                let e = self.exp()?;
                self.expect(&Tok::RPar, "')'")?;
                Ok(e)
            }
            Tok::Kw(Kw::Begin) => {
                self.bump();
                let e = self.exp()?;
                self.expect(&Tok::Kw(Kw::End), "'end'")?;
                Ok(e)
            }
            Tok::LBrac => {
                self.bump();
                let e = self.exp()?;
                self.expect(&Tok::RBrac, "']'")?;
                Ok(Expr::Op1(self.span(lo), Op1::ToId, Box::new(e)))
            }
            _ => self.err("expected an expression"),
        }
    }
}

fn as_op(op: OpN, e: Expr) -> Vec<Expr> {
    match e {
        Expr::Op(_, o, v) if o == op => v,
        e => vec![e],
    }
}

fn tuple_pat(mut f: Vec<Option<Sym>>) -> Pat {
    if f.len() == 1 {
        Pat::Var(f.pop().flatten())
    } else {
        Pat::Tuple(f)
    }
}
