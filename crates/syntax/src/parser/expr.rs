//! C expressions: precedence climbing for binary operators, casts and
//! `sizeof` (told apart from parenthesized expressions with the
//! typedef-name table), postfix forms, and calls whose arguments may be
//! types (`container_of(p, struct foo, member)`).

use super::{Parser, R};
use crate::ast::*;
use crate::lexer::{Tok, P};
use crate::{Error, Span};

fn binop(p: P) -> Option<(BinOp, u8)> {
    Some(match p {
        P::OrOr => (BinOp::Or, 1),
        P::AndAnd => (BinOp::And, 2),
        P::Pipe => (BinOp::BitOr, 3),
        P::Caret => (BinOp::BitXor, 4),
        P::Amp => (BinOp::BitAnd, 5),
        P::EqEq => (BinOp::Eq, 6),
        P::Ne => (BinOp::Ne, 6),
        P::Lt => (BinOp::Lt, 7),
        P::Le => (BinOp::Le, 7),
        P::Gt => (BinOp::Gt, 7),
        P::Ge => (BinOp::Ge, 7),
        P::Shl => (BinOp::Shl, 8),
        P::Shr => (BinOp::Shr, 8),
        P::Plus => (BinOp::Add, 9),
        P::Minus => (BinOp::Sub, 9),
        P::Star => (BinOp::Mul, 10),
        P::Slash => (BinOp::Div, 10),
        P::Percent => (BinOp::Rem, 10),
        _ => return None,
    })
}

fn assign_op(p: P) -> Option<Option<BinOp>> {
    Some(match p {
        P::Assign => None,
        P::PlusEq => Some(BinOp::Add),
        P::MinusEq => Some(BinOp::Sub),
        P::StarEq => Some(BinOp::Mul),
        P::SlashEq => Some(BinOp::Div),
        P::PercentEq => Some(BinOp::Rem),
        P::AmpEq => Some(BinOp::BitAnd),
        P::PipeEq => Some(BinOp::BitOr),
        P::CaretEq => Some(BinOp::BitXor),
        P::ShlEq => Some(BinOp::Shl),
        P::ShrEq => Some(BinOp::Shr),
        _ => return None,
    })
}

/// Most binary operators in one left-associative chain (`a + b + ...`).
const MAX_CHAIN: u32 = 1024;

fn mk(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

impl Parser {
    /// A full expression, comma operator included.
    pub(crate) fn expr(&mut self) -> R<Expr> {
        let mut e = self.assign()?;
        while self.eat(P::Comma) {
            let b = self.assign()?;
            let span = e.span.to(b.span);
            e = mk(ExprKind::Comma(Box::new(e), Box::new(b)), span);
        }
        Ok(e)
    }

    /// An assignment expression (no top-level comma).
    pub(crate) fn assign(&mut self) -> R<Expr> {
        let lhs = self.conditional()?;
        if let Tok::P(p) = self.peek().tok {
            if let Some(op) = assign_op(p) {
                self.bump();
                self.enter()?;
                let rhs = self.assign();
                self.leave();
                let rhs = rhs?;
                let span = lhs.span.to(rhs.span);
                return Ok(mk(ExprKind::Assign(op, Box::new(lhs), Box::new(rhs)), span));
            }
        }
        Ok(lhs)
    }

    /// `c ? a : b` and everything tighter.
    pub(crate) fn conditional(&mut self) -> R<Expr> {
        let c = self.binary(1)?;
        if self.eat(P::Question) {
            self.enter()?;
            let r = self.cond_rest(c);
            self.leave();
            return r;
        }
        Ok(c)
    }

    fn cond_rest(&mut self, c: Expr) -> R<Expr> {
        // GNU `a ?: b` is not supported: it needs `a` twice.
        if self.at(P::Colon) {
            return Err(self.expected("an expression", "between '?' and ':'"));
        }
        let a = self.expr()?;
        self.expect(P::Colon, "in the '?:' expression")?;
        let b = self.conditional()?;
        let span = c.span.to(b.span);
        Ok(mk(ExprKind::Cond(Box::new(c), Box::new(a), Box::new(b)), span))
    }

    fn binary(&mut self, min: u8) -> R<Expr> {
        let mut lhs = self.unary()?;
        // A left-associative chain is parsed by this loop, not by
        // recursion, but it builds a tree as deep as the chain is long,
        // which every later pass walks recursively: bound it.
        let mut chain = 0u32;
        while let Tok::P(p) = self.peek().tok {
            let Some((op, prec)) = binop(p) else { break };
            if prec < min {
                break;
            }
            chain += 1;
            if chain > MAX_CHAIN {
                return Err(Error::new(self.span(), "this expression is too long")
                    .with_label("operator limit reached here")
                    .with_note(format!(
                        "kvet accepts at most {MAX_CHAIN} binary operators in one chain; split the expression"
                    )));
            }
            self.bump();
            self.enter()?;
            let rhs = self.binary(prec + 1);
            self.leave();
            let rhs = rhs?;
            let span = lhs.span.to(rhs.span);
            lhs = mk(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span);
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> R<Expr> {
        self.enter()?;
        let r = self.unary_inner();
        self.leave();
        r
    }

    fn unary_inner(&mut self) -> R<Expr> {
        let start = self.span();
        let op = match self.peek().tok {
            Tok::P(P::Minus) => Some(UnOp::Neg),
            Tok::P(P::Plus) => Some(UnOp::Plus),
            Tok::P(P::Bang) => Some(UnOp::Not),
            Tok::P(P::Tilde) => Some(UnOp::BitNot),
            Tok::P(P::Star) => Some(UnOp::Deref),
            Tok::P(P::Amp) => Some(UnOp::AddrOf),
            Tok::P(P::PlusPlus) => Some(UnOp::PreInc),
            Tok::P(P::MinusMinus) => Some(UnOp::PreDec),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let e = self.unary()?;
            let span = start.to(e.span);
            // `-1` is the literal -1.
            if let (UnOp::Neg, ExprKind::Int(n)) = (op, &e.kind) {
                return Ok(mk(ExprKind::Int(n.wrapping_neg()), span));
            }
            return Ok(mk(ExprKind::Unary(op, Box::new(e)), span));
        }
        if self.at(P::AndAnd) {
            return Err(Error::new(start, "GNU label addresses ('&&label') are not supported").with_label("here"));
        }
        if self.at_ident("sizeof") {
            self.bump();
            if self.at(P::LParen) && self.is_type_start_at(1, true) {
                self.bump();
                let ty = self.type_name()?;
                self.expect(P::RParen, "to close 'sizeof('")?;
                return Ok(mk(ExprKind::SizeofType(ty), self.since(start)));
            }
            let e = self.unary()?;
            let span = start.to(e.span);
            return Ok(mk(ExprKind::SizeofExpr(Box::new(e)), span));
        }
        if self.at_ident("_Alignof") || self.at_ident("__alignof__") {
            return Err(Error::new(start, "'_Alignof' is not supported").with_label("here"));
        }
        // A cast `(T)e` or a compound literal `(T){...}`.
        if self.at(P::LParen) && self.is_type_start_at(1, true) {
            self.bump();
            let ty = self.type_name()?;
            self.expect(P::RParen, "to close the cast")?;
            let e = if self.at(P::LBrace) { self.initializer()? } else { self.unary()? };
            let span = start.to(e.span);
            return Ok(mk(ExprKind::Cast(ty, Box::new(e)), span));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> R<Expr> {
        // `(*p)++`: the postfix expression starts at the parenthesis
        let first = self.peek().span;
        let mut e = self.primary()?;
        loop {
            let start = if first.lo < e.span.lo && first.hi <= e.span.lo { first.to(e.span) } else { e.span };
            match self.peek().tok {
                Tok::P(P::LParen) => {
                    self.bump();
                    let args = self.call_args()?;
                    e = mk(ExprKind::Call(Box::new(e), args), self.since(start));
                }
                Tok::P(P::LBracket) => {
                    self.bump();
                    let i = self.expr()?;
                    self.expect(P::RBracket, "to close the index")?;
                    e = mk(ExprKind::Index(Box::new(e), Box::new(i)), self.since(start));
                }
                Tok::P(P::Dot) => {
                    self.bump();
                    let (f, _) = self.expect_ident("after '.' (a field name)")?;
                    e = mk(ExprKind::Member(Box::new(e), f), self.since(start));
                }
                Tok::P(P::Arrow) => {
                    self.bump();
                    let (f, _) = self.expect_ident("after '->' (a field name)")?;
                    e = mk(ExprKind::Arrow(Box::new(e), f), self.since(start));
                }
                Tok::P(P::PlusPlus) => {
                    self.bump();
                    e = mk(ExprKind::Unary(UnOp::PostInc, Box::new(e)), self.since(start));
                }
                Tok::P(P::MinusMinus) => {
                    self.bump();
                    e = mk(ExprKind::Unary(UnOp::PostDec, Box::new(e)), self.since(start));
                }
                _ => return Ok(e),
            }
        }
    }

    /// Call arguments after `(`, through `)`. An argument that starts
    /// like a type is a `TypeArg`.
    fn call_args(&mut self) -> R<Vec<Expr>> {
        let mut args = Vec::new();
        if self.eat(P::RParen) {
            return Ok(args);
        }
        loop {
            let start = self.span();
            if self.is_type_arg() {
                let ty = self.type_name()?;
                args.push(mk(ExprKind::TypeArg(ty), self.since(start)));
            } else {
                args.push(self.assign()?);
            }
            if self.eat(P::RParen) {
                return Ok(args);
            }
            if !self.at(P::Comma) {
                return Err(self.expected("',' or ')'", "in the argument list"));
            }
            self.bump();
        }
    }

    /// Whether a call argument at the cursor is a type: a type keyword,
    /// or a type name followed by `,`, `)` or `*`.
    fn is_type_arg(&self) -> bool {
        if let Some(s) = self.peek().ident() {
            if self.type_name_kind(s).is_some() && matches!(self.peek_at(1).tok, Tok::P(P::Comma | P::RParen)) {
                return true;
            }
        }
        if !self.is_type_start_at(0, true) {
            return false;
        }
        let s = self.peek().ident().unwrap_or("");
        if super::types::is_tag_word(s) || s == "typeof" || s == "__typeof__" || super::is_keyword(s) {
            return true;
        }
        matches!(self.peek_at(1).tok, Tok::P(P::Comma | P::RParen | P::Star)) || self.peek_at(1).ident().is_some()
    }

    fn primary(&mut self) -> R<Expr> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Int(n) => {
                self.bump();
                let lit = mk(ExprKind::Int(*n), t.span);
                // a literal that is not an `int` (`1UL`, `0x80000000`) is
                // a cast of its value to its type
                Ok(match t.lit {
                    Some(ty) => mk(ExprKind::Cast(Type::Base(ty.to_string()), Box::new(lit)), t.span),
                    None => lit,
                })
            }
            Tok::Str(s) => {
                self.bump();
                let mut text = s.to_string();
                let mut span = t.span;
                // Adjacent string literals are concatenated.
                while let Tok::Str(more) = &self.peek().tok {
                    text.push_str(more);
                    span = span.to(self.bump().span);
                }
                Ok(mk(ExprKind::Str(text), span))
            }
            Tok::Ident(s) if !super::is_keyword(s) => {
                self.bump();
                Ok(mk(ExprKind::Ident(s.to_string()), t.span))
            }
            Tok::P(P::LParen) => {
                self.bump();
                if self.at(P::LBrace) {
                    let b = self.block()?;
                    let end = self.expect(P::RParen, "to close the statement expression '({ ... })'")?;
                    return Ok(mk(ExprKind::StmtExpr(Box::new(b)), t.span.to(end)));
                }
                let mut e = self.expr()?;
                let end = self.expect(P::RParen, "to close the parenthesis")?;
                // (the parentheses belong to the expression's text: a
                // claim such as `!(r == 0)` is quoted whole)
                e.span = t.span.to(end);
                Ok(e)
            }
            Tok::Ident(s) => {
                let msg = format!("expected an expression, found the keyword '{s}'");
                Err(Error::new(t.span, msg).with_label("expected an expression here"))
            }
            _ => Err(self.expected("an expression", "")),
        }
    }
}
