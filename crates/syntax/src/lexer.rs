//! Tokens and the lexer: turns source text into C tokens, herd's
//! condition operators (`/\`, `\/`, `=>`) and preprocessor lines.
//!
//! The lexer never fails outright: a malformed piece of text becomes a
//! [`Tok::Bad`] token carrying its message, and the macro expander
//! reports it only if it lies in code that is not skipped by `#if 0`.
//! herd's `(* ... *)` comments are recognised only outside braces and
//! parentheses (inside code `(*p)` is a dereference).

use std::rc::Rc;

use logos::Logos;

use crate::Span;

/// A punctuator or operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum P {
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Semi,
    Comma,
    Dot,
    Arrow,
    Ellipsis,
    Question,
    Colon,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Amp,
    Pipe,
    Caret,
    Tilde,
    Bang,
    Assign,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Shl,
    Shr,
    AndAnd,
    OrOr,
    PlusPlus,
    MinusMinus,
    PlusEq,
    MinusEq,
    StarEq,
    SlashEq,
    PercentEq,
    AmpEq,
    PipeEq,
    CaretEq,
    ShlEq,
    ShrEq,
    /// herd's `/\`
    CondAnd,
    /// herd's `\/`
    CondOr,
    /// herd's `=>`
    Implies,
    Hash,
    HashHash,
}

impl P {
    pub(crate) fn text(self) -> &'static str {
        use P::*;
        match self {
            LParen => "(",
            RParen => ")",
            LBrace => "{",
            RBrace => "}",
            LBracket => "[",
            RBracket => "]",
            Semi => ";",
            Comma => ",",
            Dot => ".",
            Arrow => "->",
            Ellipsis => "...",
            Question => "?",
            Colon => ":",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            Amp => "&",
            Pipe => "|",
            Caret => "^",
            Tilde => "~",
            Bang => "!",
            Assign => "=",
            EqEq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Shl => "<<",
            Shr => ">>",
            AndAnd => "&&",
            OrOr => "||",
            PlusPlus => "++",
            MinusMinus => "--",
            PlusEq => "+=",
            MinusEq => "-=",
            StarEq => "*=",
            SlashEq => "/=",
            PercentEq => "%=",
            AmpEq => "&=",
            PipeEq => "|=",
            CaretEq => "^=",
            ShlEq => "<<=",
            ShrEq => ">>=",
            CondAnd => "/\\",
            CondOr => "\\/",
            Implies => "=>",
            Hash => "#",
            HashHash => "##",
        }
    }
}

/// A preprocessor line: `#name rest...`.
#[derive(Debug, PartialEq)]
pub(crate) struct Directive {
    /// The directive word (`define`, `if`, ...); empty for a lone `#`.
    pub name: String,
    pub name_span: Span,
    /// The tokens after the directive word.
    pub rest: Vec<Token>,
    /// The raw text after the directive word (for `#error`).
    pub raw: String,
    /// The whole line, from `#` to its end.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(Rc<str>),
    Int(i64),
    Str(Rc<str>),
    P(P),
    Directive(Rc<Directive>),
    /// A lexical error, reported if the token is not skipped.
    Bad(Rc<str>),
    Eof,
}

/// The macro names a token may no longer be expanded by (a persistent
/// list; see the expander).
pub(crate) type Hide = Option<Rc<HideNode>>;

#[derive(Debug, PartialEq)]
pub(crate) struct HideNode {
    pub name: Rc<str>,
    pub next: Hide,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
    /// A line break separates this token from the previous one.
    pub nl_before: bool,
    pub hide: Hide,
    /// The C type of an integer literal whose type is not `int` (C11
    /// 6.4.4.1p5: its suffix, or a value that `int` cannot hold).
    pub lit: Option<&'static str>,
}

impl Token {
    pub(crate) fn new(tok: Tok, span: Span) -> Token {
        Token { tok, span, nl_before: false, hide: None, lit: None }
    }

    pub(crate) fn is_p(&self, p: P) -> bool {
        self.tok == Tok::P(p)
    }

    pub(crate) fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }

    /// The token written back as source text.
    pub(crate) fn spell(&self) -> String {
        match &self.tok {
            Tok::Ident(s) => s.to_string(),
            Tok::Int(n) => n.to_string(),
            Tok::Str(s) => format!("\"{}\"", escape(s)),
            Tok::P(p) => p.text().to_string(),
            Tok::Directive(d) => format!("#{}", d.name),
            Tok::Bad(_) => "?".to_string(),
            Tok::Eof => String::new(),
        }
    }

    /// How the token is named in an error message.
    pub(crate) fn describe(&self) -> String {
        match &self.tok {
            Tok::Eof => "the end of the file".to_string(),
            Tok::Str(_) => "a string literal".to_string(),
            Tok::Directive(d) => format!("'#{}'", d.name),
            _ => {
                let mut s = self.spell();
                if s.chars().count() > 40 {
                    s = s.chars().take(40).collect::<String>() + "...";
                }
                format!("'{s}'")
            }
        }
    }
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Logos, Debug, Clone, Copy, PartialEq)]
#[logos(skip r"[ \t\r\n\f\x0B]+")]
#[logos(skip r"\\\r?\n")]
#[logos(skip r"//[^\n]*")]
enum Raw {
    #[regex(r"[A-Za-z_$][A-Za-z0-9_$]*")]
    Ident,
    #[regex(r"[0-9][0-9A-Za-z_]*")]
    Number,
    #[regex(r#""([^"\\\n]|\\[^\n])*""#)]
    Str,
    #[regex(r"'([^'\\\n]|\\[^\n])*'")]
    Char,
    #[token("/*")]
    BlockComment,
    #[token("(*")]
    LParenStar,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(";")]
    Semi,
    #[token(",")]
    Comma,
    #[token(".")]
    Dot,
    #[token("->")]
    Arrow,
    #[token("...")]
    Ellipsis,
    #[token("?")]
    Question,
    #[token(":")]
    Colon,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("!")]
    Bang,
    #[token("=")]
    Assign,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("++")]
    PlusPlus,
    #[token("--")]
    MinusMinus,
    #[token("+=")]
    PlusEq,
    #[token("-=")]
    MinusEq,
    #[token("*=")]
    StarEq,
    #[token("/=")]
    SlashEq,
    #[token("%=")]
    PercentEq,
    #[token("&=")]
    AmpEq,
    #[token("|=")]
    PipeEq,
    #[token("^=")]
    CaretEq,
    #[token("<<=")]
    ShlEq,
    #[token(">>=")]
    ShrEq,
    #[token("/\\")]
    CondAnd,
    #[token("\\/")]
    CondOr,
    #[token("=>")]
    Implies,
    #[token("#")]
    Hash,
    #[token("##")]
    HashHash,
}

fn punct(r: Raw) -> Option<P> {
    use Raw as R;
    Some(match r {
        R::LParen => P::LParen,
        R::RParen => P::RParen,
        R::LBrace => P::LBrace,
        R::RBrace => P::RBrace,
        R::LBracket => P::LBracket,
        R::RBracket => P::RBracket,
        R::Semi => P::Semi,
        R::Comma => P::Comma,
        R::Dot => P::Dot,
        R::Arrow => P::Arrow,
        R::Ellipsis => P::Ellipsis,
        R::Question => P::Question,
        R::Colon => P::Colon,
        R::Plus => P::Plus,
        R::Minus => P::Minus,
        R::Star => P::Star,
        R::Slash => P::Slash,
        R::Percent => P::Percent,
        R::Amp => P::Amp,
        R::Pipe => P::Pipe,
        R::Caret => P::Caret,
        R::Tilde => P::Tilde,
        R::Bang => P::Bang,
        R::Assign => P::Assign,
        R::EqEq => P::EqEq,
        R::Ne => P::Ne,
        R::Lt => P::Lt,
        R::Le => P::Le,
        R::Gt => P::Gt,
        R::Ge => P::Ge,
        R::Shl => P::Shl,
        R::Shr => P::Shr,
        R::AndAnd => P::AndAnd,
        R::OrOr => P::OrOr,
        R::PlusPlus => P::PlusPlus,
        R::MinusMinus => P::MinusMinus,
        R::PlusEq => P::PlusEq,
        R::MinusEq => P::MinusEq,
        R::StarEq => P::StarEq,
        R::SlashEq => P::SlashEq,
        R::PercentEq => P::PercentEq,
        R::AmpEq => P::AmpEq,
        R::PipeEq => P::PipeEq,
        R::CaretEq => P::CaretEq,
        R::ShlEq => P::ShlEq,
        R::ShrEq => P::ShrEq,
        R::CondAnd => P::CondAnd,
        R::CondOr => P::CondOr,
        R::Implies => P::Implies,
        R::Hash => P::Hash,
        R::HashHash => P::HashHash,
        R::Ident | R::Number | R::Str | R::Char | R::BlockComment | R::LParenStar => return None,
    })
}

/// The result of lexing one text.
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    /// herd `(* ... *)` comments outside code: their span and inner text.
    pub comments: Vec<(Span, String)>,
}

/// Lex `text`, whose first byte is at offset `base` in the file's span
/// space (the offset of the text in its file plus, for the prelude,
/// [`crate::PRELUDE_BASE`]).
pub(crate) fn lex(text: &str, base: u32) -> Lexed {
    let mut st = State { text, base, out: Vec::new(), comments: Vec::new(), herd_comments: true };
    st.run();
    Lexed { tokens: st.out, comments: st.comments }
}

/// Lex a piece of text that is not a whole file (a pasted token, a
/// directive line): no preprocessor lines, no herd comments.
pub(crate) fn lex_fragment(text: &str, base: u32) -> Vec<Token> {
    let mut st = State { text, base, out: Vec::new(), comments: Vec::new(), herd_comments: false };
    st.run_fragment();
    st.out
}

struct State<'a> {
    text: &'a str,
    base: u32,
    out: Vec<Token>,
    comments: Vec<(Span, String)>,
    herd_comments: bool,
}

impl State<'_> {
    fn span(&self, lo: usize, hi: usize) -> Span {
        let lo = self.base.saturating_add(u32::try_from(lo).unwrap_or(u32::MAX));
        let hi = self.base.saturating_add(u32::try_from(hi).unwrap_or(u32::MAX));
        Span { lo, hi }
    }

    fn bad(&mut self, lo: usize, hi: usize, msg: impl Into<Rc<str>>) {
        let span = self.span(lo, hi);
        self.out.push(Token::new(Tok::Bad(msg.into()), span));
    }

    fn run_fragment(&mut self) {
        let text = self.text;
        let mut lex = Raw::lexer(text);
        while let Some(r) = lex.next() {
            let range = lex.span();
            if !self.simple(r, range.clone(), &mut lex, false) {
                break;
            }
        }
    }

    /// Handle a token that needs no file-level context. Returns false
    /// when lexing must stop (the rest of the text is unusable).
    fn simple(
        &mut self,
        r: Result<Raw, ()>,
        range: std::ops::Range<usize>,
        lex: &mut logos::Lexer<Raw>,
        herd_comment: bool,
    ) -> bool {
        let text = self.text;
        let slice = text.get(range.clone()).unwrap_or("");
        let (lo, hi) = (range.start, range.end);
        let r = match r {
            Ok(r) => r,
            Err(()) => {
                let first = slice.chars().next().unwrap_or(' ');
                match first {
                    '"' => {
                        let end = line_end(text, lo);
                        self.bad(lo, end, "unterminated string literal");
                        lex.bump(end.saturating_sub(hi));
                    }
                    '\'' => {
                        let end = line_end(text, lo);
                        self.bad(lo, end, "unterminated character literal");
                        lex.bump(end.saturating_sub(hi));
                    }
                    c => {
                        let w = c.len_utf8();
                        self.bad(lo, lo + w, format!("unexpected character '{}'", c.escape_default()));
                    }
                }
                return true;
            }
        };
        let tok = match r {
            Raw::Ident => Tok::Ident(Rc::from(slice)),
            Raw::Number => match parse_int(slice) {
                Ok(n) => Tok::Int(n),
                Err(m) => Tok::Bad(Rc::from(m)),
            },
            Raw::Str => match unescape(slice.get(1..slice.len().saturating_sub(1)).unwrap_or("")) {
                Ok(s) => Tok::Str(Rc::from(s.as_str())),
                Err(m) => Tok::Bad(Rc::from(m)),
            },
            Raw::Char => match unescape(slice.get(1..slice.len().saturating_sub(1)).unwrap_or("")) {
                Ok(s) => {
                    let mut cs = s.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) => Tok::Int(c as i64),
                        (None, _) => Tok::Bad(Rc::from("empty character literal")),
                        _ => Tok::Bad(Rc::from("character literal has more than one character")),
                    }
                }
                Err(m) => Tok::Bad(Rc::from(m)),
            },
            Raw::BlockComment => {
                match text.get(hi..).and_then(|rest| rest.find("*/")) {
                    Some(k) => lex.bump(k + 2),
                    None => {
                        self.bad(lo, hi, "unterminated comment: '/*' has no matching '*/'");
                        return false;
                    }
                }
                return true;
            }
            Raw::LParenStar => {
                if herd_comment {
                    match text.get(hi..).and_then(|rest| rest.find("*)")) {
                        Some(k) => {
                            let inner = text.get(hi..hi + k).unwrap_or("");
                            let span = self.span(lo, hi + k + 2);
                            self.comments.push((span, inner.to_string()));
                            lex.bump(k + 2);
                        }
                        None => {
                            self.bad(lo, hi, "unterminated comment: '(*' has no matching '*)'");
                            return false;
                        }
                    }
                } else {
                    let s1 = self.span(lo, lo + 1);
                    let s2 = self.span(lo + 1, hi);
                    self.push(Tok::P(P::LParen), s1);
                    self.push(Tok::P(P::Star), s2);
                }
                return true;
            }
            other => match punct(other) {
                Some(p) => Tok::P(p),
                None => Tok::Bad(Rc::from("unexpected token")),
            },
        };
        let span = self.span(lo, hi);
        self.push(tok, span);
        true
    }

    fn push(&mut self, tok: Tok, span: Span) {
        let nl_before = match self.out.last() {
            Some(prev) => {
                let a = prev.span.hi.saturating_sub(self.base) as usize;
                let b = span.lo.saturating_sub(self.base) as usize;
                self.text.get(a..b).is_some_and(|g| g.contains('\n'))
            }
            None => true,
        };
        let lit = match &tok {
            Tok::Int(_) => self
                .text
                .get(span.lo.saturating_sub(self.base) as usize..span.hi.saturating_sub(self.base) as usize)
                .and_then(literal_type),
            _ => None,
        };
        self.out.push(Token { tok, span, nl_before, hide: None, lit });
    }

    fn run(&mut self) {
        let text = self.text;
        let mut lex = Raw::lexer(text);
        let mut braces: u32 = 0;
        let mut parens: u32 = 0;
        // Inside the init block, and from the final clauses on, the text
        // is herd's, where `(*` always starts a comment.
        let mut in_init = false;
        let mut in_final = false;
        while let Some(r) = lex.next() {
            let range = lex.span();
            let (lo, hi) = (range.start, range.end);
            let prev = self.out.last().map(|t| &t.tok);
            let at_item_start =
                matches!(prev, None | Some(Tok::P(P::Semi | P::RBrace)) | Some(Tok::Str(_)) | Some(Tok::Directive(_)));
            match r {
                Ok(Raw::Hash) | Ok(Raw::HashHash) if at_line_start(text, lo) => {
                    let end = directive_end(text, hi);
                    self.directive(lo, end);
                    lex.bump(end.saturating_sub(hi));
                    continue;
                }
                Ok(Raw::LBrace) => {
                    if braces == 0 && parens == 0 && at_item_start && !in_final {
                        in_init = true;
                    }
                    braces = braces.saturating_add(1);
                }
                Ok(Raw::RBrace) => {
                    braces = braces.saturating_sub(1);
                    if braces == 0 {
                        in_init = false;
                    }
                }
                Ok(Raw::LParen) => parens = parens.saturating_add(1),
                Ok(Raw::RParen) => parens = parens.saturating_sub(1),
                Ok(Raw::Ident)
                    if braces == 0
                        && parens == 0
                        && !matches!(prev, Some(Tok::Ident(_)) | Some(Tok::P(P::Star | P::Comma)))
                        && matches!(text.get(lo..hi), Some("exists" | "forall" | "filter" | "locations")) =>
                {
                    in_final = true;
                }
                Ok(Raw::LParenStar) => {
                    let comment = self.herd_comments
                        && (in_init
                            || in_final
                            || (braces == 0
                                && parens == 0
                                && !matches!(prev, Some(Tok::Ident(_)) | Some(Tok::P(P::Star)))));
                    if !comment {
                        parens = parens.saturating_add(1);
                    }
                    if !self.simple(r, range, &mut lex, comment) {
                        break;
                    }
                    continue;
                }
                _ => {}
            }
            if !self.simple(r, range, &mut lex, false) {
                break;
            }
        }
    }

    /// Lex the preprocessor line `text[lo..end]` (which starts with `#`).
    fn directive(&mut self, lo: usize, end: usize) {
        let body_lo = lo + 1;
        let body = self.text.get(body_lo..end).unwrap_or("");
        let mut sub = State {
            text: body,
            base: self.span(body_lo, body_lo).lo,
            out: Vec::new(),
            comments: Vec::new(),
            herd_comments: false,
        };
        sub.run_fragment();
        let mut toks = sub.out;
        // `##` at line start lexes as one token: only `#` matters here.
        let (name, name_span, raw_from) = match toks.first() {
            Some(Token { tok: Tok::Ident(s), span, .. }) => {
                let n = s.to_string();
                let sp = *span;
                toks.remove(0);
                (n, sp, (sp.hi.saturating_sub(self.base)) as usize)
            }
            _ => (String::new(), self.span(lo, body_lo), body_lo),
        };
        let raw = self.text.get(raw_from..end).unwrap_or("").trim().to_string();
        let span = self.span(lo, end);
        let d = Directive { name, name_span, rest: toks, raw, span };
        self.push(Tok::Directive(Rc::new(d)), span);
    }
}

/// Whether only blanks precede offset `at` on its line.
fn at_line_start(text: &str, at: usize) -> bool {
    let before = text.as_bytes().get(..at).unwrap_or(&[]);
    for &b in before.iter().rev() {
        match b {
            b'\n' => return true,
            b' ' | b'\t' | b'\r' | 0x0c | 0x0b => {}
            _ => return false,
        }
    }
    true
}

fn line_end(text: &str, from: usize) -> usize {
    text.get(from..).and_then(|r| r.find('\n')).map_or(text.len(), |k| from + k)
}

/// The end of the logical line of a directive starting at `from`:
/// backslash-newline continues it, comments and literals are skipped.
fn directive_end(text: &str, from: usize) -> usize {
    let b = text.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\n' => return i,
            b'\\' => {
                if b.get(i + 1) == Some(&b'\n') {
                    i += 2;
                    continue;
                }
                if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                    i += 3;
                    continue;
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => match text.get(i + 2..).and_then(|r| r.find("*/")) {
                Some(k) => i = i + 2 + k + 2,
                None => return b.len(),
            },
            b'/' if b.get(i + 1) == Some(&b'/') => return line_end(text, i),
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i < b.len() && b[i] == q {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    b.len().max(from).min(b.len())
}

/// The type of an integer literal (C11 6.4.4.1p5, LP64: int and unsigned
/// int are 32 bits, long 64) when it is not `int`: the first of the
/// suffix's list that holds the value; an octal or hexadecimal literal may
/// also be unsigned. `None` for `int` and for anything not a number.
pub(crate) fn literal_type(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    if !lower.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let suffix = &lower[lower.trim_end_matches(['u', 'l']).len()..];
    let v = parse_int(s).ok()? as u64;
    let plain = !(lower.starts_with("0x") || lower.starts_with("0b") || (lower.len() > 1 && lower.starts_with('0')));
    let unsigned = suffix.contains('u');
    let long = suffix.contains('l');
    Some(match (unsigned, long) {
        (false, false) if v <= i32::MAX as u64 => return None,
        (false, false) if v <= u32::MAX as u64 && !plain => "unsigned int",
        (true, false) if v <= u32::MAX as u64 => "unsigned int",
        (false, _) if v <= i64::MAX as u64 => "long",
        (false, _) if plain => "long",
        _ => "unsigned long",
    })
}

/// The value of a C integer literal with optional `u`/`l` suffixes.
/// Values above `i64::MAX` wrap (as `unsigned long` would).
fn parse_int(s: &str) -> Result<i64, String> {
    let bad = || format!("invalid integer literal '{s}'");
    let lower = s.to_ascii_lowercase();
    let digits_end = lower.trim_end_matches(['u', 'l']).len();
    let (digits, suffix) = lower.split_at(digits_end);
    if !matches!(suffix, "" | "u" | "l" | "ul" | "lu" | "ll" | "ull" | "llu") {
        return Err(bad());
    }
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(b) = digits.strip_prefix("0b") {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() {
        return Err(bad());
    }
    match u64::from_str_radix(body, radix) {
        Ok(v) => Ok(v as i64),
        Err(e) => match e.kind() {
            std::num::IntErrorKind::PosOverflow => Err(format!("integer literal '{s}' is too large")),
            _ => Err(bad()),
        },
    }
}

/// Resolve C escapes in the inside of a string or character literal.
fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut cs = s.chars().peekable();
    while let Some(c) = cs.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = cs.next() else {
            return Err("unterminated escape sequence".to_string());
        };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            'e' => out.push('\x1b'),
            '\\' | '\'' | '"' | '?' => out.push(e),
            'x' => {
                let mut v: u32 = 0;
                let mut n = 0;
                while let Some(d) = cs.peek().and_then(|c| c.to_digit(16)) {
                    v = v.saturating_mul(16).saturating_add(d);
                    cs.next();
                    n += 1;
                }
                if n == 0 {
                    return Err("'\\x' escape without hex digits".to_string());
                }
                out.push(char::from_u32(v & 0xff).unwrap_or('\0'));
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match cs.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            cs.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v & 0xff).unwrap_or('\0'));
            }
            other => return Err(format!("unknown escape sequence '\\{other}'")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        lex(s, 0).tokens.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn ints() {
        assert_eq!(parse_int("0x10"), Ok(16));
        assert_eq!(parse_int("010"), Ok(8));
        assert_eq!(parse_int("10ul"), Ok(10));
        assert_eq!(parse_int("0"), Ok(0));
        assert_eq!(literal_type("1"), None);
        assert_eq!(literal_type("1UL"), Some("unsigned long"));
        assert_eq!(literal_type("1u"), Some("unsigned int"));
        assert_eq!(literal_type("0x80000000"), Some("unsigned int"));
        assert_eq!(literal_type("2147483648"), Some("long"));
        assert_eq!(literal_type("1L"), Some("long"));
        assert_eq!(literal_type("0xffffffffffffffff"), Some("unsigned long"));
        assert!(parse_int("08").is_err());
        assert!(parse_int("1abc").is_err());
        assert_eq!(parse_int("0xffffffffffffffff"), Ok(-1));
    }

    #[test]
    fn herd_operators_and_comments() {
        let t = kinds("exists (x=1 /\\ y=2 \\/ ~z=0) (* c *)");
        assert!(t.contains(&Tok::P(P::CondAnd)));
        assert!(t.contains(&Tok::P(P::CondOr)));
        assert_eq!(lex("P0(int *p) { (*p)++; } (* doc *)", 0).comments.len(), 1);
        assert!(kinds("P0(int *p) { (*p)++; }").contains(&Tok::P(P::Star)));
        // In the init block `(*` is a comment.
        assert_eq!(lex("{ x = 1; (* c *) }", 0).comments.len(), 1);
    }

    #[test]
    fn chars_and_strings() {
        assert_eq!(kinds("'a' '\\n'"), vec![Tok::Int(97), Tok::Int(10)]);
        assert!(matches!(kinds("\"abc").first(), Some(Tok::Bad(_))));
        assert!(matches!(kinds("/* abc").first(), Some(Tok::Bad(_))));
    }

    #[test]
    fn directives() {
        let t = kinds("#define F(a) \\\n  a+1\nx");
        assert_eq!(t.len(), 2);
        match &t[0] {
            Tok::Directive(d) => {
                assert_eq!(d.name, "define");
                assert_eq!(d.rest.len(), 7);
            }
            other => panic!("{other:?}"),
        }
    }
}
