//! C statements: blocks, declarations inside bodies, control flow,
//! labels, `switch`/`case`, and expression statements.

use std::rc::Rc;

use super::types::DeclMode;
use super::{Parser, R};
use crate::ast::*;
use crate::lexer::{Tok, P};
use crate::Error;

impl Parser {
    /// `{ stmts }`
    pub(crate) fn block(&mut self) -> R<Block> {
        let start = self.expect(P::LBrace, "to start a block")?;
        let mut stmts = Vec::new();
        loop {
            if self.eat(P::RBrace) {
                return Ok(Block { stmts, span: self.since(start) });
            }
            if self.at_eof() {
                return Err(Error::new(start, "this '{' is never closed")
                    .with_label("unclosed block")
                    .with_note("the file ends before the matching '}'"));
            }
            stmts.push(self.stmt()?);
        }
    }

    pub(crate) fn stmt(&mut self) -> R<Stmt> {
        self.enter()?;
        let r = self.stmt_inner();
        self.leave();
        r
    }

    fn stmt_inner(&mut self) -> R<Stmt> {
        let start = self.span();
        let kind = match &self.peek().tok {
            Tok::P(P::LBrace) => StmtKind::Block(self.block()?),
            Tok::P(P::Semi) => {
                self.bump();
                StmtKind::Empty
            }
            Tok::Ident(s) => {
                let s: Rc<str> = Rc::clone(s);
                match &*s {
                    "__label__" => {
                        // GNU local labels: labels are already per function
                        self.bump();
                        while !self.at(P::Semi) && !self.at_eof() {
                            self.bump();
                        }
                        self.expect(P::Semi, "after the local label names")?;
                        StmtKind::Empty
                    }
                    "if" => {
                        self.bump();
                        let c = self.paren_cond("if")?;
                        let then = self.stmt()?;
                        let els = if self.at_ident("else") {
                            self.bump();
                            Some(Box::new(self.stmt()?))
                        } else {
                            None
                        };
                        StmtKind::If(c, Box::new(then), els)
                    }
                    "else" => {
                        return Err(
                            Error::new(start, "'else' without a matching 'if'").with_label("no 'if' before this")
                        )
                    }
                    "while" => {
                        self.bump();
                        let c = self.paren_cond("while")?;
                        StmtKind::While(c, Box::new(self.stmt()?))
                    }
                    "do" => {
                        self.bump();
                        let body = self.stmt()?;
                        if !self.at_ident("while") {
                            return Err(self.expected("'while'", "after the body of 'do'"));
                        }
                        self.bump();
                        let c = self.paren_cond("do ... while")?;
                        self.expect(P::Semi, "after 'do ... while (...)'")?;
                        StmtKind::DoWhile(Box::new(body), c)
                    }
                    "for" => self.for_stmt()?,
                    "switch" => {
                        self.bump();
                        let c = self.paren_cond("switch")?;
                        StmtKind::Switch(c, Box::new(self.stmt()?))
                    }
                    "case" => {
                        self.bump();
                        let e = self.conditional()?;
                        if self.at(P::Ellipsis) {
                            return Err(Error::new(self.span(), "case ranges ('case a ... b:') are not supported")
                                .with_label("here"));
                        }
                        self.expect(P::Colon, "after the 'case' value")?;
                        StmtKind::Case(e)
                    }
                    "default" if self.peek_at(1).is_p(P::Colon) => {
                        self.bump();
                        self.bump();
                        StmtKind::Default
                    }
                    "break" => {
                        self.bump();
                        self.expect(P::Semi, "after 'break'")?;
                        StmtKind::Break
                    }
                    "continue" => {
                        self.bump();
                        self.expect(P::Semi, "after 'continue'")?;
                        StmtKind::Continue
                    }
                    "return" => {
                        self.bump();
                        let e = if self.at(P::Semi) { None } else { Some(self.expr()?) };
                        self.expect(P::Semi, "after the return value")?;
                        StmtKind::Return(e)
                    }
                    "goto" => {
                        self.bump();
                        let (l, _) = self.expect_ident("after 'goto' (a label name)")?;
                        self.expect(P::Semi, "after 'goto' label")?;
                        StmtKind::Goto(l)
                    }
                    _ if self.peek_at(1).is_p(P::Colon) && !super::is_keyword(&s) => {
                        self.bump();
                        self.bump();
                        let inner = if self.at(P::RBrace) {
                            Stmt { kind: StmtKind::Empty, span: self.prev_span() }
                        } else {
                            self.stmt()?
                        };
                        StmtKind::Label(s.to_string(), Box::new(inner))
                    }
                    _ if self.is_type_start() => self.decl_stmt()?,
                    _ => self.expr_stmt()?,
                }
            }
            _ => self.expr_stmt()?,
        };
        Ok(Stmt { kind, span: self.since(start) })
    }

    fn expr_stmt(&mut self) -> R<StmtKind> {
        let e = self.expr()?;
        self.expect(P::Semi, "after expression")?;
        Ok(StmtKind::Expr(e))
    }

    fn paren_cond(&mut self, what: &str) -> R<Expr> {
        self.expect(P::LParen, &format!("after '{what}'"))?;
        let c = self.expr()?;
        self.expect(P::RParen, &format!("to close the '{what}' condition"))?;
        Ok(c)
    }

    fn for_stmt(&mut self) -> R<StmtKind> {
        self.bump();
        self.expect(P::LParen, "after 'for'")?;
        let init_start = self.span();
        let init = if self.eat(P::Semi) {
            None
        } else if self.is_type_start() {
            let k = self.decl_stmt()?;
            Some(Box::new(Stmt { kind: k, span: self.since(init_start) }))
        } else {
            let e = self.expr()?;
            self.expect(P::Semi, "after the 'for' initializer")?;
            Some(Box::new(Stmt { kind: StmtKind::Expr(e), span: self.since(init_start) }))
        };
        let cond = if self.at(P::Semi) { None } else { Some(self.expr()?) };
        self.expect(P::Semi, "after the 'for' condition")?;
        let step = if self.at(P::RParen) { None } else { Some(self.expr()?) };
        self.expect(P::RParen, "to close 'for (...)'")?;
        let body = self.stmt()?;
        Ok(StmtKind::For(init, cond, step, Box::new(body)))
    }

    /// A declaration statement, through its `;`. Typedefs and struct
    /// definitions in bodies become top-level items.
    fn decl_stmt(&mut self) -> R<StmtKind> {
        let start = self.span();
        let Some(spec) = self.decl_specs(false)? else {
            return Err(self.expected("a declaration", ""));
        };
        if self.eat(P::Semi) {
            return Ok(StmtKind::Empty);
        }
        let mut decls = Vec::new();
        let mut first = true;
        loop {
            let dstart = if first { start } else { self.span() };
            first = false;
            let d = self.declarator(spec.ty.clone(), DeclMode::Named)?;
            let (name, _) = d.name.unwrap_or_default();
            if spec.is_typedef {
                self.typedefs.insert(Rc::from(name.as_str()));
                let span = self.since(dstart);
                self.pending.push(Item::Typedef(Typedef { name, ty: d.ty, span }));
            } else if d.params.is_some() && matches!(d.ty, Type::Func(..)) {
                // A local function prototype: dropped.
            } else {
                let init = if self.eat(P::Assign) { Some(self.initializer()?) } else { None };
                decls.push(VarDecl { ty: d.ty, name, init, span: self.since(dstart) });
            }
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::Semi, "after the declaration")?;
        if decls.is_empty() {
            return Ok(StmtKind::Empty);
        }
        Ok(StmtKind::Decl(decls))
    }
}
