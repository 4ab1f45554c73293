//! The recursive-descent parser: the file structure of a C litmus test
//! or scenario (header, init block, items, final clauses), herd's
//! condition language, and the entry points [`parse`] and
//! [`parse_with_prelude`].
//!
//! C declarations, statements and expressions live in the submodules.
//! Every recursive rule goes through [`Parser::enter`], which bounds the
//! nesting depth so that no input can overflow the stack.

mod expr;
mod stmt;
mod types;

use std::rc::Rc;

use rustc_hash::FxHashSet;

use crate::ast::*;
use crate::expand::Macros;
use crate::lexer::{self, Tok, Token, P};
use crate::{Error, Span, PRELUDE_BASE};

pub(crate) type R<T> = Result<T, Error>;

/// Deeper nesting than this (of expressions, statements, declarators
/// or conditions) is refused.
const MAX_DEPTH: u32 = 256;

/// Processes are `P0` to `P{MAX_CPUS - 1}`: a CPU mask (IPIs) is one
/// 64-bit word, and lock words record their holder in a byte.
pub const MAX_CPUS: u32 = 64;

/// Parse one input file: a herd7 C litmus test or a kvet scenario.
pub fn parse(src: &str) -> Result<File, Error> {
    parse_with_prelude("", src)
}

/// Parse `src` with the prelude's items and #defines visible first. Prelude items come first in File.items.
/// Spans of prelude tokens are offset by PRELUDE_BASE (i.e. span.lo = PRELUDE_BASE + offset in prelude).
pub fn parse_with_prelude(prelude: &str, src: &str) -> Result<File, Error> {
    // Nesting is bounded by MAX_DEPTH, but unoptimised builds use a lot
    // of stack per level: parse on a thread with a stack that fits the
    // bound whatever the build, or inline if no thread can be started.
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("kvet-parse".to_string())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, || parse_here(prelude, src));
        match worker {
            Ok(handle) => match handle.join() {
                Ok(res) => res,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(_) => parse_here(prelude, src),
        }
    })
}

/// The stack of the parsing thread (reserved, not committed up front).
const PARSE_STACK: usize = 64 << 20;

fn parse_here(prelude: &str, src: &str) -> Result<File, Error> {
    if src.len() >= PRELUDE_BASE as usize {
        return Err(Error::new(Span::new(0, 0), "the file is too large (2 GiB or more)"));
    }
    if prelude.len() >= (u32::MAX - PRELUDE_BASE) as usize {
        return Err(Error::new(Span { lo: PRELUDE_BASE, hi: PRELUDE_BASE }, "the prelude is too large"));
    }
    let header = header(src)?;
    let mut macros = Macros::default();
    let mut p = Parser::new();

    // The prelude: items only.
    let mut items = Vec::new();
    if !prelude.is_empty() {
        let lexed = lexer::lex(prelude, PRELUDE_BASE);
        let toks = macros.expand_file(lexed.tokens)?;
        let end = PRELUDE_BASE + prelude.len() as u32;
        p.reset(toks, Span { lo: end, hi: end });
        p.prelude_items(&mut items)?;
    }

    let body_at = header.end;
    let lexed = lexer::lex(src.get(body_at..).unwrap_or(""), body_at as u32);
    let toks = macros.expand_file(lexed.tokens)?;
    let end = src.len() as u32;
    p.reset(toks, Span { lo: end, hi: end });
    let mut file = p.file(header, &lexed.comments, items)?;
    file.span = Span::new(0, src.len());
    Ok(file)
}

/// Evaluate the integer constant expression of an `#if` line.
pub(crate) fn const_expr(toks: Vec<Token>, span: Span) -> R<i64> {
    let mut p = Parser::new();
    p.reset(toks, Span { lo: span.hi, hi: span.hi });
    let e = p.expr()?;
    if !p.at_eof() {
        return Err(p.unexpected("in the '#if' condition"));
    }
    eval_const(&e)
}

fn eval_const(e: &Expr) -> R<i64> {
    let bad = || Error::new(e.span, "not an integer constant expression").with_label("in this '#if' condition");
    Ok(match &e.kind {
        ExprKind::Int(n) => *n,
        ExprKind::Unary(op, a) => {
            let a = eval_const(a)?;
            match op {
                UnOp::Neg => a.wrapping_neg(),
                UnOp::Not => (a == 0) as i64,
                UnOp::BitNot => !a,
                UnOp::Plus => a,
                _ => return Err(bad()),
            }
        }
        ExprKind::Binary(op, a, b) => {
            let x = eval_const(a)?;
            if *op == BinOp::And && x == 0 {
                return Ok(0);
            }
            if *op == BinOp::Or && x != 0 {
                return Ok(1);
            }
            let y = eval_const(b)?;
            match op {
                BinOp::Add => x.wrapping_add(y),
                BinOp::Sub => x.wrapping_sub(y),
                BinOp::Mul => x.wrapping_mul(y),
                BinOp::Div | BinOp::Rem if y == 0 => {
                    return Err(Error::new(b.span, "division by zero in '#if'").with_label("this is zero"))
                }
                BinOp::Div => x.wrapping_div(y),
                BinOp::Rem => x.wrapping_rem(y),
                BinOp::Shl => x.wrapping_shl((y & 63) as u32),
                BinOp::Shr => x.wrapping_shr((y & 63) as u32),
                BinOp::BitAnd => x & y,
                BinOp::BitOr => x | y,
                BinOp::BitXor => x ^ y,
                BinOp::And | BinOp::Or => (y != 0) as i64,
                BinOp::Eq => (x == y) as i64,
                BinOp::Ne => (x != y) as i64,
                BinOp::Lt => (x < y) as i64,
                BinOp::Le => (x <= y) as i64,
                BinOp::Gt => (x > y) as i64,
                BinOp::Ge => (x >= y) as i64,
            }
        }
        ExprKind::Cond(c, a, b) => {
            if eval_const(c)? != 0 {
                eval_const(a)?
            } else {
                eval_const(b)?
            }
        }
        ExprKind::Comma(_, b) => eval_const(b)?,
        ExprKind::Cast(_, a) => eval_const(a)?,
        _ => return Err(bad()),
    })
}

/// The header line `C name free text`.
pub(crate) struct Header {
    name: String,
    doc: String,
    /// The info lines, see [`File::info`].
    info: Vec<(String, String)>,
    /// Offset just past the header line.
    end: usize,
}

fn header(src: &str) -> R<Header> {
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    // Skip a UTF-8 byte-order mark.
    if src.get(i..).is_some_and(|r| r.starts_with('\u{feff}')) {
        i += 3;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
    }
    if i >= bytes.len() {
        return Err(Error::new(Span::new(0, 0), "empty file: expected a header line like 'C name'")
            .with_label("the file has no header"));
    }
    let word_end = word_end(src, i);
    let word = src.get(i..word_end).unwrap_or("");
    let span = Span::new(i, word_end);
    if word != "C" {
        let is_word = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if is_word && word.chars().count() <= 20 {
            return Err(Error::new(
                span,
                format!("not a C litmus test: the header says {word} (kvet reads C litmus tests and scenarios)"),
            )
            .with_label("the architecture of the test"));
        }
        return Err(Error::new(span, "expected a header line like 'C name' at the start of the file")
            .with_label("not a header")
            .with_note("a C litmus test starts with 'C' and the name of the test"));
    }
    let line_end = src.get(word_end..).and_then(|r| r.find('\n')).map_or(src.len(), |k| word_end + k);
    let mut j = word_end;
    while j < line_end && bytes[j].is_ascii_whitespace() {
        j += 1;
    }
    if j >= line_end {
        return Err(Error::new(span, "expected the name of the test after 'C'")
            .with_label("the header line has no name")
            .with_note("a C litmus test starts with a line like 'C MP+pooncerelease+poacquireonce'"));
    }
    let name_end = word_end_before(src, j, line_end);
    let name = src.get(j..name_end).unwrap_or("").to_string();
    let mut doc = src.get(name_end..line_end).unwrap_or("").trim().to_string();
    // herd's info lines (`Cycle=...`, `Orig=...`) and a repeated header
    // line between the header and the rest are skipped.
    let mut end = line_end;
    let mut info = Vec::new();
    while end < src.len() {
        let next_end = src.get(end + 1..).and_then(|r| r.find('\n')).map_or(src.len(), |k| end + 1 + k);
        let line = src.get(end + 1..next_end).unwrap_or("").trim();
        let is_string = line.len() >= 2
            && line.starts_with('"')
            && line.ends_with('"')
            && line[1..line.len() - 1].find('"').is_none();
        if is_string {
            if !doc.is_empty() {
                doc.push('\n');
            }
            doc.push_str(&line[1..line.len() - 1]);
        }
        let is_info = is_info_line(line);
        if is_info {
            let raw = src.get(end + 1..next_end).unwrap_or("");
            if let Some((key, value)) = raw.split_once('=') {
                let value = value.trim_start_matches([' ', '\t', '\r']);
                info.push((key.trim().to_string(), value.to_string()));
            }
        }
        if line.is_empty() || is_string || is_info || is_header_line(line) {
            end = next_end;
        } else {
            break;
        }
    }
    Ok(Header { name, doc, info, end })
}

/// `Key=value` with a capitalised key, as herd's generators write.
fn is_info_line(line: &str) -> bool {
    let key_len = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(line.len());
    let key = &line[..key_len];
    let rest = line[key_len..].trim_start();
    key.starts_with(|c: char| c.is_ascii_uppercase())
        && rest.starts_with('=')
        && !rest.starts_with("==")
        && !line.ends_with(';')
}

/// A second `C name` line.
fn is_header_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    words.next() == Some("C") && words.next().is_some() && words.next().is_none()
}

fn word_end(src: &str, from: usize) -> usize {
    src.get(from..).and_then(|r| r.find(char::is_whitespace)).map_or(src.len(), |k| from + k)
}

fn word_end_before(src: &str, from: usize, limit: usize) -> usize {
    word_end(src, from).min(limit)
}

/// What a typed name is: a `typedef` of the input, or a kernel type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeName {
    /// Introduced by `typedef`: `Type::Named`.
    Typedef,
    /// A kernel type that is always a type: `Type::Base`.
    Builtin,
    /// A struct-like kernel name (`mutex`, `list_head`) or an unknown
    /// `_t` name: a type only where a declarator follows.
    Weak,
}

pub(crate) struct Parser {
    toks: Vec<Token>,
    pos: usize,
    eof: Token,
    typedefs: FxHashSet<Rc<str>>,
    depth: u32,
    /// Struct, union, enum and typedef definitions met inside other
    /// constructs, emitted as items before the item being parsed.
    pending: Vec<Item>,
    anon: u32,
    /// Lock annotations met since the current top-level item began.
    locks: Vec<(LockAnnot, Expr)>,
}

impl Parser {
    fn new() -> Parser {
        Parser {
            toks: Vec::new(),
            pos: 0,
            eof: Token::new(Tok::Eof, Span::default()),
            typedefs: FxHashSet::default(),
            depth: 0,
            pending: Vec::new(),
            anon: 0,
            locks: Vec::new(),
        }
    }

    fn reset(&mut self, toks: Vec<Token>, eof: Span) {
        self.toks = toks;
        self.pos = 0;
        self.eof = Token::new(Tok::Eof, eof);
        self.eof.nl_before = true;
        self.depth = 0;
    }

    // ----- the token cursor -----

    fn peek(&self) -> &Token {
        self.toks.get(self.pos).unwrap_or(&self.eof)
    }

    fn peek_at(&self, k: usize) -> &Token {
        self.toks.get(self.pos.saturating_add(k)).unwrap_or(&self.eof)
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn at(&self, p: P) -> bool {
        self.peek().is_p(p)
    }

    fn at_eof(&self) -> bool {
        self.pos >= self.toks.len()
    }

    fn eat(&mut self, p: P) -> bool {
        if self.at(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn at_ident(&self, name: &str) -> bool {
        self.peek().ident() == Some(name)
    }

    fn span(&self) -> Span {
        self.peek().span
    }

    /// The span of the last consumed token.
    fn prev_span(&self) -> Span {
        match self.pos.checked_sub(1).and_then(|k| self.toks.get(k)) {
            Some(t) => t.span,
            None => Span { lo: self.span().lo, hi: self.span().lo },
        }
    }

    /// A span from `lo` to the end of the last consumed token.
    fn since(&self, lo: Span) -> Span {
        let prev = self.prev_span();
        if prev.hi >= lo.lo {
            lo.to(prev)
        } else {
            lo
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(self.span(), "the input is nested too deeply")
                .with_label("nesting limit reached here")
                .with_note(format!("kvet accepts at most {MAX_DEPTH} levels of nesting")));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ----- errors -----

    /// "expected `what` `context`" at the current token; if that token
    /// is on a later line, at the end of the previous one.
    fn expected(&self, what: &str, context: &str) -> Error {
        let t = self.peek();
        let sep = if context.is_empty() { "" } else { " " };
        let span = if (t.nl_before || t.tok == Tok::Eof) && self.pos > 0 {
            let p = self.prev_span();
            Span { lo: p.hi, hi: p.hi }
        } else {
            t.span
        };
        Error::new(span, format!("expected {what}{sep}{context}"))
            .with_label(format!("expected {what} here"))
            .with_note(format!("found {}", t.describe()))
    }

    fn unexpected(&self, context: &str) -> Error {
        let t = self.peek();
        let sep = if context.is_empty() { "" } else { " " };
        Error::new(t.span, format!("unexpected {}{sep}{context}", t.describe())).with_label("unexpected here")
    }

    fn expect(&mut self, p: P, context: &str) -> R<Span> {
        if self.at(p) {
            Ok(self.bump().span)
        } else {
            Err(self.expected(&format!("'{}'", p.text()), context))
        }
    }

    fn expect_ident(&mut self, context: &str) -> R<(String, Span)> {
        match &self.peek().tok {
            Tok::Ident(s) if !is_keyword(s) => {
                let s = s.to_string();
                Ok((s, self.bump().span))
            }
            _ => Err(self.expected("a name", context)),
        }
    }

    /// A non-negative integer literal fitting in u32.
    fn expect_u32(&mut self, context: &str) -> R<(u32, Span)> {
        match self.peek().tok {
            Tok::Int(n) => {
                let t = self.bump();
                match u32::try_from(n) {
                    Ok(v) => Ok((v, t.span)),
                    Err(_) => Err(Error::new(t.span, format!("number out of range {context}"))
                        .with_label("must be between 0 and 4294967295")),
                }
            }
            _ => Err(self.expected("a number", context)),
        }
    }

    // ----- file structure -----

    fn prelude_items(&mut self, items: &mut Vec<Item>) -> R<()> {
        while !self.at_eof() {
            if self.eat(P::Semi) {
                continue;
            }
            if self.at(P::LBrace) {
                return Err(Error::new(self.span(), "the prelude cannot have an init block")
                    .with_label("init block in the prelude"));
            }
            if self.at_final_keyword() {
                return Err(Error::new(self.span(), "the prelude cannot have a final condition")
                    .with_label("final clause in the prelude"));
            }
            self.item(items)?;
        }
        Ok(())
    }

    fn file(&mut self, header: Header, comments: &[(Span, String)], mut items: Vec<Item>) -> R<File> {
        let mut docs: Vec<String> = Vec::new();
        if !header.doc.is_empty() {
            docs.push(header.doc.clone());
        }
        let mut init: Option<Vec<InitEntry>> = None;
        let mut seen_item = false;
        let mut doc_limit: Option<u32> = None;
        let mut fin = Final::default();
        while !self.at_eof() {
            if self.eat(P::Semi) {
                continue;
            }
            if let Tok::Str(s) = &self.peek().tok {
                if init.is_none() && !seen_item {
                    docs.push(s.to_string());
                    self.bump();
                    continue;
                }
            }
            if doc_limit.is_none() {
                doc_limit = Some(self.span().lo);
            }
            if self.at(P::LBrace) {
                if init.is_some() {
                    return Err(Error::new(self.span(), "a second init block")
                        .with_label("the file already has an init block")
                        .with_note("a litmus test has at most one '{ ... }' init block, before the processes"));
                }
                init = Some(self.init_block()?);
                continue;
            }
            if self.at_final_keyword() {
                fin = self.final_clauses()?;
                break;
            }
            seen_item = true;
            self.item(&mut items)?;
        }
        if !self.at_eof() {
            return Err(self.unexpected("after the final condition"));
        }
        let limit = doc_limit.unwrap_or(u32::MAX);
        for (span, text) in comments {
            if span.hi <= limit {
                let t = text.trim();
                if !t.is_empty() {
                    docs.push(t.to_string());
                }
            }
        }
        Ok(File {
            arch: "C".to_string(),
            name: header.name,
            doc: docs.join("\n"),
            info: header.info,
            init: init.unwrap_or_default(),
            items,
            fin,
            span: Span::default(),
        })
    }

    fn at_final_keyword(&self) -> bool {
        match self.peek().ident() {
            Some("exists" | "forall" | "filter") => true,
            Some("locations") => self.peek_at(1).is_p(P::LBracket),
            _ => self.at(P::Tilde) && self.peek_at(1).ident() == Some("exists"),
        }
    }

    /// One top-level item (with any struct/enum definitions hoisted out
    /// of it placed first).
    fn item(&mut self, items: &mut Vec<Item>) -> R<()> {
        let res = self.item_inner(items);
        items.append(&mut self.pending);
        // Hoisted definitions come before the item that contains them.
        res
    }

    fn item_inner(&mut self, items: &mut Vec<Item>) -> R<()> {
        let start = self.span();
        // A process `P<n>(...)`.
        if let Some(name) = self.peek().ident().filter(|n| looks_like_proc(n)) {
            if self.peek_at(1).is_p(P::LParen) && !matches!(proc_index(name), Some(i) if i < MAX_CPUS) {
                return Err(Error::new(start, format!("`{name}` is beyond the last CPU kvet models"))
                    .with_label("process number too large")
                    .with_note(format!("processes are P0 to P{} (one per CPU)", MAX_CPUS - 1)));
            }
        }
        if let Some(index) = self.peek().ident().and_then(proc_index) {
            if self.peek_at(1).is_p(P::LParen) {
                self.bump();
                self.bump();
                let params = self.params()?;
                if !self.at(P::LBrace) {
                    return Err(self.expected("'{'", "to start the body of the process"));
                }
                let body = self.block()?;
                let span = self.since(start);
                let item = Item::Proc(Proc { index, params, body, span });
                self.push_item(items, item);
                return Ok(());
            }
        }
        // An interrupt handler.
        let kind = match self.peek().ident() {
            Some("IRQ") => Some(HandlerKind::Hardirq),
            Some("SOFTIRQ") => Some(HandlerKind::Softirq),
            Some("TASK") => Some(HandlerKind::Task),
            _ => None,
        };
        if let Some(kind) = kind {
            if self.peek_at(1).is_p(P::LParen) {
                let word = self.bump().ident().unwrap_or("").to_string();
                self.bump();
                let ctx = if kind == HandlerKind::Task {
                    "in 'TASK(cpu)'".to_string()
                } else {
                    format!("in '{word}(cpu, times)'")
                };
                // `TASK()` is a task that is not pinned to a CPU
                let cpu = if kind == HandlerKind::Task && self.at(P::RParen) {
                    crate::ast::FREE_CPU
                } else {
                    self.expect_u32(&ctx)?.0
                };
                let mut times = 1;
                if kind != HandlerKind::Task && self.eat(P::Comma) {
                    let (t, tspan) = self.expect_u32(&ctx)?;
                    if t == 0 {
                        return Err(Error::new(tspan, "a handler must be allowed to fire at least once")
                            .with_label("times must be 1 or more"));
                    }
                    times = t;
                }
                self.expect(P::RParen, &format!("to close '{word}('"))?;
                let func = self.handler_func()?;
                let span = self.since(start);
                let item = Item::Handler(Handler { kind, cpu, times, func, span });
                self.push_item(items, item);
                return Ok(());
            }
        }
        self.external_decl(items)
    }

    fn push_item(&mut self, items: &mut Vec<Item>, item: Item) {
        items.append(&mut self.pending);
        items.push(item);
    }

    /// The function definition after `IRQ(...)`; the return type may be
    /// left out.
    fn handler_func(&mut self) -> R<FuncDef> {
        let start = self.span();
        let ret = if self.peek().ident().is_some() && self.peek_at(1).is_p(P::LParen) && !self.is_type_start() {
            Type::Void
        } else {
            match self.decl_specs(true)? {
                Some(s) => s.ty,
                None => return Err(self.expected("a handler function like 'void name(void) { ... }'", "")),
            }
        };
        let d = self.declarator(ret, types::DeclMode::Named)?;
        let (name, _) = d.name.clone().unwrap_or_default();
        let (Some(params), Type::Func(ret, _)) = (d.params, d.ty) else {
            return Err(Error::new(self.since(start), "expected a handler function like 'void name(void) { ... }'")
                .with_label("not a function"));
        };
        if !self.at(P::LBrace) {
            return Err(self.expected("'{'", "to start the body of the handler"));
        }
        let body = self.block()?;
        Ok(FuncDef { name, ret: *ret, params, body, span: self.since(start), locks: std::mem::take(&mut self.locks) })
    }

    // ----- the init block -----

    fn init_block(&mut self) -> R<Vec<InitEntry>> {
        self.expect(P::LBrace, "")?;
        let mut out = Vec::new();
        loop {
            if self.eat(P::RBrace) {
                return Ok(out);
            }
            if self.eat(P::Semi) {
                continue;
            }
            if self.at_eof() {
                return Err(self.expected("'}'", "to close the init block"));
            }
            self.init_entry(&mut out)?;
            if !self.at(P::RBrace) {
                self.expect(P::Semi, "after an init block entry")?;
            }
        }
    }

    fn init_entry(&mut self, out: &mut Vec<InitEntry>) -> R<()> {
        let start = self.span();
        // `0:r1 = v`
        if let (Tok::Int(_), true) = (&self.peek().tok, self.peek_at(1).is_p(P::Colon)) {
            let (thread, name) = self.register()?;
            let value = self.init_value()?;
            out.push(InitEntry { thread: Some(thread), ty: None, name, value, span: self.since(start) });
            return Ok(());
        }
        let typed = self.is_type_start();
        if !typed {
            // `x = v`, `x;`, `*x = v` (herd: same as x)
            let (name, _) = self.expect_ident("in the init block (like 'x = 1;' or 'int *p = &x;')")?;
            let value = self.init_value()?;
            out.push(InitEntry { thread: None, ty: None, name, value, span: self.since(start) });
            return Ok(());
        }
        let Some(spec) = self.decl_specs(false)? else {
            return Err(self.expected("an init block entry", "(like 'x = 1;' or 'int *p = &x;')"));
        };
        loop {
            let estart = if out.is_empty() { start } else { self.span() };
            // `int 0:r1 = v`, `int *0:r1 = v`
            let mut stars = 0;
            while self.peek().is_p(P::Star) && self.lookahead_register(stars + 1) {
                stars += 1;
            }
            if stars > 0 || self.lookahead_register(0) {
                for _ in 0..stars {
                    self.bump();
                }
                let mut ty = spec.ty.clone();
                for _ in 0..stars {
                    ty = Type::Ptr(Box::new(ty));
                }
                let (thread, name) = self.register()?;
                let value = self.init_value()?;
                out.push(InitEntry { thread: Some(thread), ty: Some(ty), name, value, span: self.since(estart) });
            } else {
                let d = self.declarator(spec.ty.clone(), types::DeclMode::Named)?;
                let Some((name, _)) = d.name else {
                    return Err(self.expected("a variable name", "in the init block"));
                };
                let value = self.init_value()?;
                out.push(InitEntry { thread: None, ty: Some(d.ty), name, value, span: self.since(estart) });
            }
            if !self.eat(P::Comma) {
                return Ok(());
            }
        }
    }

    /// Whether tokens from `k` on read `N : name`.
    fn lookahead_register(&self, k: usize) -> bool {
        matches!(self.peek_at(k).tok, Tok::Int(_))
            && self.peek_at(k + 1).is_p(P::Colon)
            && self.peek_at(k + 2).ident().is_some()
    }

    /// `N:name`
    fn register(&mut self) -> R<(u32, String)> {
        let (thread, _) = self.expect_u32("as a process number")?;
        self.expect(P::Colon, "between process number and register")?;
        let (name, _) = self.expect_ident("after 'N:' (a register name like 'r1')")?;
        Ok((thread, name))
    }

    fn init_value(&mut self) -> R<Option<Expr>> {
        if self.eat(P::Assign) {
            Ok(Some(self.initializer()?))
        } else {
            Ok(None)
        }
    }

    // ----- final clauses -----

    fn final_clauses(&mut self) -> R<Final> {
        let start = self.span();
        let mut fin = Final::default();
        let mut seen_locations = false;
        loop {
            if self.eat(P::Semi) {
                continue;
            }
            if self.at_eof() {
                break;
            }
            let kw_span = self.span();
            match self.peek().ident() {
                Some("locations") if self.peek_at(1).is_p(P::LBracket) => {
                    if seen_locations {
                        return Err(Error::new(kw_span, "a second 'locations' clause").with_label("duplicate"));
                    }
                    seen_locations = true;
                    self.bump();
                    fin.locations = self.locations()?;
                }
                Some("filter") => {
                    if fin.filter.is_some() {
                        return Err(Error::new(kw_span, "a second 'filter' clause").with_label("duplicate"));
                    }
                    self.bump();
                    fin.filter = Some(self.cond()?);
                }
                Some("exists" | "forall") | None if self.at_final_keyword() => {
                    if fin.quant.is_some() {
                        return Err(Error::new(kw_span, "a second final condition")
                            .with_label("the test already has an 'exists', '~exists' or 'forall'"));
                    }
                    let q = if self.eat(P::Tilde) {
                        Quant::NotExists
                    } else if self.at_ident("forall") {
                        Quant::Forall
                    } else {
                        Quant::Exists
                    };
                    self.bump();
                    let c = self.cond()?;
                    fin.quant = Some((q, c));
                }
                _ => {
                    return Err(self.unexpected("after the final condition").with_note(
                        "the final clauses are 'locations [...]', 'filter', then 'exists', '~exists' or 'forall'",
                    ))
                }
            }
        }
        fin.span = self.since(start);
        Ok(fin)
    }

    fn locations(&mut self) -> R<Vec<Loc>> {
        self.expect(P::LBracket, "after 'locations'")?;
        let mut out = Vec::new();
        loop {
            if self.eat(P::RBracket) {
                return Ok(out);
            }
            if self.eat(P::Semi) || self.eat(P::Comma) {
                continue;
            }
            out.push(self.loc()?);
            if !self.at(P::RBracket) && !self.at(P::Semi) && !self.at(P::Comma) {
                return Err(self.expected("';' or ']'", "in the 'locations' list"));
            }
        }
    }

    fn cond(&mut self) -> R<Cond> {
        self.enter()?;
        let r = self.cond_implies();
        self.leave();
        r
    }

    fn cond_implies(&mut self) -> R<Cond> {
        let a = self.cond_or()?;
        if self.eat(P::Implies) {
            let b = self.cond()?;
            return Ok(Cond::Implies(Box::new(a), Box::new(b)));
        }
        Ok(a)
    }

    fn cond_or(&mut self) -> R<Cond> {
        let mut a = self.cond_and()?;
        while self.eat(P::CondOr) {
            let b = self.cond_and()?;
            a = Cond::Or(Box::new(a), Box::new(b));
        }
        Ok(a)
    }

    fn cond_and(&mut self) -> R<Cond> {
        let mut a = self.cond_not()?;
        while self.eat(P::CondAnd) {
            let b = self.cond_not()?;
            a = Cond::And(Box::new(a), Box::new(b));
        }
        Ok(a)
    }

    fn cond_not(&mut self) -> R<Cond> {
        if self.at(P::Tilde) || (self.at_ident("not") && !self.peek_at(1).is_p(P::Assign)) {
            self.bump();
            self.enter()?;
            let c = self.cond_not();
            self.leave();
            return Ok(Cond::Not(Box::new(c?)));
        }
        self.cond_atom()
    }

    fn cond_atom(&mut self) -> R<Cond> {
        if self.eat(P::LParen) {
            let c = self.cond()?;
            self.expect(P::RParen, "to close the parenthesis in the condition")?;
            return Ok(c);
        }
        let next_is_op = matches!(self.peek_at(1).tok, Tok::P(P::Assign | P::EqEq | P::Ne));
        if self.at_ident("true") && !next_is_op {
            self.bump();
            return Ok(Cond::True);
        }
        if self.at_ident("false") && !next_is_op {
            self.bump();
            return Ok(Cond::False);
        }
        let start = self.span();
        if !matches!(self.peek().tok, Tok::Int(_) | Tok::Ident(_)) && !self.at(P::Star) {
            return Err(self.expected("a condition", "(like '0:r1=1' or 'x=2')"));
        }
        let loc = self.loc()?;
        let negated = match self.peek().tok {
            Tok::P(P::Assign | P::EqEq) => false,
            Tok::P(P::Ne) => true,
            _ => return Err(self.expected("'=' or '!='", "after the location in the condition")),
        };
        self.bump();
        let value = self.cond_value()?;
        Ok(Cond::Atom { loc, negated, value, span: self.since(start) })
    }

    fn loc(&mut self) -> R<Loc> {
        let start = self.span();
        if self.eat(P::Star) {
            self.enter()?;
            let inner = self.loc();
            self.leave();
            let inner = inner?;
            return Ok(Loc::Deref { inner: Box::new(inner), span: self.since(start) });
        }
        if let Tok::Int(_) = self.peek().tok {
            let (thread, name) = self.register()?;
            return Ok(Loc::Reg { thread, name, span: self.since(start) });
        }
        let path = self.loc_path()?;
        Ok(Loc::Global { path, span: self.since(start) })
    }

    fn loc_path(&mut self) -> R<LocPath> {
        let (base, _) = self.expect_ident("(a location like 'x' or '0:r1')")?;
        let mut steps = Vec::new();
        loop {
            if self.eat(P::LBracket) {
                let neg = self.eat(P::Minus);
                let n = match self.peek().tok {
                    Tok::Int(n) => n,
                    _ => return Err(self.expected("an index", "inside '[...]'")),
                };
                self.bump();
                steps.push(PathStep::Index(if neg { n.wrapping_neg() } else { n }));
                self.expect(P::RBracket, "after the index")?;
            } else if self.eat(P::Dot) {
                let (f, _) = self.expect_ident("after '.'")?;
                steps.push(PathStep::Field(f));
            } else {
                return Ok(LocPath { base, steps });
            }
        }
    }

    fn cond_value(&mut self) -> R<CondValue> {
        let neg = self.eat(P::Minus);
        match self.peek().tok {
            Tok::Int(n) if !self.peek_at(1).is_p(P::Colon) => {
                self.bump();
                Ok(CondValue::Int(if neg { n.wrapping_neg() } else { n }))
            }
            _ if neg => Err(self.expected("a number", "after '-'")),
            Tok::Int(_) => Ok(CondValue::Loc(self.loc()?)),
            Tok::P(P::Star) => Ok(CondValue::Loc(self.loc()?)),
            Tok::P(P::Amp) => {
                self.bump();
                Ok(CondValue::Addr(self.loc_path()?))
            }
            Tok::Ident(_) => Ok(CondValue::Addr(self.loc_path()?)),
            _ => Err(self.expected("a value", "(a number, a variable name or 'N:reg')")),
        }
    }
}

/// `P` followed by digits only.
fn looks_like_proc(name: &str) -> bool {
    name.strip_prefix('P').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// `P12` → 12.
fn proc_index(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('P')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// C keywords that cannot be variable names.
pub(crate) fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "if" | "else"
            | "while"
            | "do"
            | "for"
            | "switch"
            | "case"
            | "default"
            | "break"
            | "continue"
            | "return"
            | "goto"
            | "sizeof"
            | "typedef"
            | "struct"
            | "union"
            | "enum"
            | "void"
            | "char"
            | "short"
            | "int"
            | "long"
            | "signed"
            | "unsigned"
            | "_Bool"
            | "float"
            | "double"
            | "const"
            | "volatile"
            | "static"
            | "extern"
            | "inline"
            | "register"
            | "auto"
    )
}
