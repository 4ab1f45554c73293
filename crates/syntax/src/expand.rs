//! The macro expander: runs the preprocessor lines (`#define`, `#undef`,
//! `#if`/`#ifdef`/`#else`/`#endif`, ignored `#include`) over a token
//! stream and expands macro uses, before parsing.
//!
//! Expansion follows the hide-set scheme of C's preprocessor: a token
//! produced by expanding `M` is never expanded by `M` again, arguments
//! are expanded before substitution, and the result is rescanned with
//! the rest of the input. Tokens of a macro body get the span of the
//! macro use (`NAME` up to the closing parenthesis), so errors underline
//! the use; argument tokens keep their own spans.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::lexer::{self, Directive, Hide, HideNode, Tok, Token, P};
use crate::{Error, Span};

/// More tokens than this from expansion means a runaway macro.
const MAX_TOKENS: usize = 2_000_000;
/// Nesting limit for macro arguments containing macro uses.
const MAX_DEPTH: u32 = 200;

#[derive(Clone, Debug)]
struct Macro {
    /// `None` for an object-like macro.
    params: Option<Vec<Rc<str>>>,
    /// The last parameter collects the remaining arguments.
    variadic: bool,
    body: Vec<Token>,
}

/// The macro table, shared between the prelude and the file.
#[derive(Default)]
pub(crate) struct Macros {
    map: FxHashMap<Rc<str>, Rc<Macro>>,
    produced: usize,
}

struct CondFrame {
    /// The enclosing region is active.
    parent: bool,
    /// Some branch of this `#if` chain was taken.
    taken: bool,
    /// The current branch is active.
    active: bool,
    seen_else: bool,
    span: Span,
}

impl Macros {
    /// Run the directives of `tokens` and expand macros; the result
    /// holds no `Directive` or `Bad` tokens.
    pub(crate) fn expand_file(&mut self, tokens: Vec<Token>) -> Result<Vec<Token>, Error> {
        let mut input: Vec<Token> = tokens;
        input.reverse();
        let mut out = Vec::with_capacity(input.len());
        let mut conds: Vec<CondFrame> = Vec::new();
        while let Some(t) = input.pop() {
            let active = conds.iter().all(|c| c.active);
            match &t.tok {
                Tok::Directive(d) => {
                    let d = Rc::clone(d);
                    self.directive(&d, &mut conds, active)?;
                }
                _ if !active => {}
                _ => self.step(t, &mut input, &mut out, 0)?,
            }
        }
        if let Some(c) = conds.last() {
            return Err(Error::new(c.span, "this '#if' has no matching '#endif'").with_label("opened here"));
        }
        Ok(out)
    }

    /// Expand a token list that holds no directives (a macro argument,
    /// an `#if` expression).
    fn expand_list(&mut self, tokens: Vec<Token>, depth: u32) -> Result<Vec<Token>, Error> {
        let mut input = tokens;
        input.reverse();
        let mut out = Vec::with_capacity(input.len());
        while let Some(t) = input.pop() {
            self.step(t, &mut input, &mut out, depth)?;
        }
        Ok(out)
    }

    /// Handle one token `t` popped from `input`: output it, or expand the
    /// macro it names, pushing the expansion back onto `input`.
    fn step(&mut self, t: Token, input: &mut Vec<Token>, out: &mut Vec<Token>, depth: u32) -> Result<(), Error> {
        let name = match &t.tok {
            Tok::Bad(msg) => return Err(Error::new(t.span, msg.to_string()).with_label("here")),
            Tok::Directive(d) => {
                return Err(Error::new(d.span, "a preprocessor line cannot appear inside macro arguments"))
            }
            Tok::Ident(name) => Rc::clone(name),
            _ => {
                out.push(t);
                return Ok(());
            }
        };
        let Some(m) = self.map.get(&name).cloned() else {
            out.push(t);
            return Ok(());
        };
        if hidden(&t.hide, &name) {
            out.push(t);
            return Ok(());
        }
        let hide = Some(Rc::new(HideNode { name: Rc::clone(&name), next: t.hide.clone() }));
        let expansion = match &m.params {
            None => {
                let mut res = Vec::with_capacity(m.body.len());
                for b in &m.body {
                    let mut b = b.clone();
                    b.span = t.span;
                    b.nl_before = false;
                    b.hide = hide.clone();
                    res.push(b);
                }
                if let Some(first) = res.first_mut() {
                    first.nl_before = t.nl_before;
                }
                res
            }
            Some(params) => {
                // A function-like macro name not followed by `(` is a plain name.
                if !input.last().is_some_and(|n| n.is_p(P::LParen)) {
                    out.push(t);
                    return Ok(());
                }
                input.pop();
                let (args, close) = collect_args(input, &t, &name)?;
                let use_span = t.span.to(close);
                let args = match_args(args, params, m.variadic, &name, use_span)?;
                let mut res = self.substitute(&m, params, &args, use_span, depth)?;
                for r in &mut res {
                    r.hide = union(&hide, &r.hide);
                }
                if let Some(first) = res.first_mut() {
                    first.nl_before = t.nl_before;
                }
                res
            }
        };
        self.produced = self.produced.saturating_add(expansion.len());
        if self.produced > MAX_TOKENS {
            return Err(Error::new(t.span, format!("the expansion of macro '{name}' is too large"))
                .with_label("expanded here")
                .with_note("macros expanding to ever more tokens are not supported"));
        }
        input.extend(expansion.into_iter().rev());
        Ok(())
    }

    /// The body of `m` with parameters replaced by arguments.
    fn substitute(
        &mut self,
        m: &Macro,
        params: &[Rc<str>],
        args: &[Vec<Token>],
        use_span: Span,
        depth: u32,
    ) -> Result<Vec<Token>, Error> {
        if depth > MAX_DEPTH {
            return Err(Error::new(use_span, "macro arguments are nested too deeply").with_label("here"));
        }
        let param_of = |tok: &Token| -> Option<usize> {
            let id = tok.ident()?;
            params.iter().position(|p| &**p == id)
        };
        let mut expanded: Vec<Option<Vec<Token>>> = vec![None; args.len()];
        let mut res: Vec<Token> = Vec::new();
        let body = &m.body;
        let mut i = 0;
        // Whether the last pushed piece may be pasted with `##`.
        while i < body.len() {
            let b = &body[i];
            let next_is_paste = body.get(i + 1).is_some_and(|n| n.is_p(P::HashHash));
            if b.is_p(P::Hash) {
                // Stringification.
                let Some(k) = body.get(i + 1).and_then(param_of) else {
                    return Err(Error::new(use_span, "'#' in a macro body must be followed by a parameter name")
                        .with_label("in this macro use"));
                };
                let s = spell_tokens(args.get(k).map_or(&[][..], |a| &a[..]));
                res.push(Token::new(Tok::Str(Rc::from(s.as_str())), use_span));
                i += 2;
                continue;
            }
            if b.is_p(P::HashHash) {
                // Paste the last token with the first of the next piece.
                let Some(rhs_tok) = body.get(i + 1) else {
                    return Err(Error::new(use_span, "'##' cannot end a macro body").with_label("in this macro use"));
                };
                let rhs: Vec<Token> = match param_of(rhs_tok) {
                    Some(k) => args.get(k).cloned().unwrap_or_default(),
                    None => vec![relocate(rhs_tok, use_span)],
                };
                // GNU: `, ## __VA_ARGS__` drops the comma when there are no variadic args.
                let is_va = m.variadic && param_of(rhs_tok) == Some(params.len().saturating_sub(1));
                if is_va && rhs.is_empty() && res.last().is_some_and(|t| t.is_p(P::Comma)) {
                    res.pop();
                    i += 2;
                    continue;
                }
                let mut rhs = rhs.into_iter();
                match (res.pop(), rhs.next()) {
                    (Some(l), Some(r)) => {
                        if is_va && l.is_p(P::Comma) {
                            res.push(l);
                            res.push(relocate(&r, r.span));
                        } else {
                            res.push(paste(&l, &r, use_span)?);
                        }
                    }
                    (Some(l), None) => res.push(l),
                    (None, Some(r)) => res.push(r),
                    (None, None) => {}
                }
                res.extend(rhs);
                i += 2;
                continue;
            }
            match param_of(b) {
                Some(k) => {
                    let raw = args.get(k).cloned().unwrap_or_default();
                    if next_is_paste {
                        res.extend(raw);
                    } else {
                        if expanded[k].is_none() {
                            expanded[k] = Some(self.expand_list(raw, depth + 1)?);
                        }
                        res.extend(expanded[k].clone().unwrap_or_default());
                    }
                }
                None => res.push(relocate(b, use_span)),
            }
            i += 1;
        }
        Ok(res)
    }

    fn directive(&mut self, d: &Directive, conds: &mut Vec<CondFrame>, active: bool) -> Result<(), Error> {
        let name = d.name.as_str();
        match name {
            "if" | "ifdef" | "ifndef" => {
                let val = if active {
                    match name {
                        "if" => self.eval_if(d)?,
                        _ => {
                            let n = single_name(d)?;
                            self.map.contains_key(n) == (name == "ifdef")
                        }
                    }
                } else {
                    false
                };
                conds.push(CondFrame { parent: active, taken: val, active: val, seen_else: false, span: d.span });
                Ok(())
            }
            "elif" | "else" | "endif" => {
                let Some(top) = conds.last_mut() else {
                    return Err(Error::new(d.span, format!("'#{name}' without a matching '#if'"))
                        .with_label("no '#if' is open here"));
                };
                match name {
                    "endif" => {
                        conds.pop();
                    }
                    "else" => {
                        if top.seen_else {
                            return Err(Error::new(d.span, "a second '#else' for the same '#if'").with_label("here"));
                        }
                        top.seen_else = true;
                        top.active = top.parent && !top.taken;
                        top.taken = true;
                    }
                    _ => {
                        if top.seen_else {
                            return Err(Error::new(d.span, "'#elif' after '#else'").with_label("here"));
                        }
                        if top.parent && !top.taken {
                            let v = self.eval_if(d)?;
                            if let Some(top) = conds.last_mut() {
                                top.active = v;
                                top.taken = v;
                            }
                        } else {
                            top.active = false;
                        }
                    }
                }
                Ok(())
            }
            _ if !active => Ok(()),
            "define" => self.define(d),
            "undef" => {
                let n = single_name(d)?;
                self.map.remove(n);
                Ok(())
            }
            "include" | "pragma" | "warning" | "line" | "ident" | "" => Ok(()),
            "error" => Err(Error::new(d.span, format!("#error {}", d.raw)).with_label("reached here")),
            _ => Err(Error::new(d.name_span, format!("unknown preprocessor directive '#{name}'"))
                .with_label("not a directive kvet knows")
                .with_note(
                    "kvet handles #define, #undef, #if, #ifdef, #ifndef, #elif, #else, #endif and ignores #include",
                )),
        }
    }

    fn define(&mut self, d: &Directive) -> Result<(), Error> {
        let mut it = d.rest.iter().peekable();
        let Some(name_tok) = it.next() else {
            return Err(Error::new(d.span, "expected a macro name after '#define'").with_label("no name here"));
        };
        let Some(name) = name_tok.ident() else {
            return Err(
                Error::new(name_tok.span, "expected a macro name after '#define'").with_label("not an identifier")
            );
        };
        check_bad(&d.rest)?;
        let name: Rc<str> = Rc::from(name);
        let mut params = None;
        let mut variadic = false;
        if let Some(lp) = it.peek() {
            if lp.is_p(P::LParen) && lp.span.lo == name_tok.span.hi {
                it.next();
                let mut ps: Vec<Rc<str>> = Vec::new();
                loop {
                    let Some(t) = it.next() else {
                        return Err(Error::new(d.span, "unterminated macro parameter list")
                            .with_label("expected ')' in this line"));
                    };
                    match &t.tok {
                        Tok::P(P::RParen) if ps.is_empty() => break,
                        Tok::Ident(p) => {
                            if ps.iter().any(|q| q == p) {
                                return Err(Error::new(t.span, format!("duplicate macro parameter '{p}'"))
                                    .with_label("already a parameter"));
                            }
                            ps.push(Rc::clone(p));
                            if it.peek().is_some_and(|n| n.is_p(P::Ellipsis)) {
                                it.next();
                                variadic = true;
                            }
                        }
                        Tok::P(P::Ellipsis) => {
                            ps.push(Rc::from("__VA_ARGS__"));
                            variadic = true;
                        }
                        _ => {
                            return Err(Error::new(t.span, "expected a parameter name in the macro parameter list")
                                .with_label("not a parameter name"))
                        }
                    }
                    let Some(sep) = it.next() else {
                        return Err(Error::new(d.span, "unterminated macro parameter list")
                            .with_label("expected ')' in this line"));
                    };
                    match sep.tok {
                        Tok::P(P::RParen) => break,
                        Tok::P(P::Comma) if !variadic => {}
                        _ => {
                            return Err(Error::new(sep.span, "expected ',' or ')' in the macro parameter list")
                                .with_label("unexpected here"))
                        }
                    }
                }
                params = Some(ps);
            }
        }
        let body: Vec<Token> = it.cloned().collect();
        if body.first().is_some_and(|t| t.is_p(P::HashHash)) || body.last().is_some_and(|t| t.is_p(P::HashHash)) {
            return Err(Error::new(d.span, "'##' cannot start or end a macro body").with_label("in this definition"));
        }
        if params.is_none() && body.iter().any(|t| t.is_p(P::Hash)) {
            // `#` is only an operator in function-like macros; elsewhere it is stray.
            if let Some(h) = body.iter().find(|t| t.is_p(P::Hash)) {
                return Err(Error::new(h.span, "stray '#' in a macro body").with_label("here"));
            }
        }
        self.map.insert(name, Rc::new(Macro { params, variadic, body }));
        Ok(())
    }

    /// Evaluate the condition of `#if`/`#elif`.
    fn eval_if(&mut self, d: &Directive) -> Result<bool, Error> {
        check_bad(&d.rest)?;
        let mut toks: Vec<Token> = Vec::new();
        let mut i = 0;
        let rest = &d.rest;
        while i < rest.len() {
            let t = &rest[i];
            if t.ident() == Some("defined") {
                let (name, used) = match (rest.get(i + 1), rest.get(i + 2), rest.get(i + 3)) {
                    (Some(a), Some(b), Some(c)) if a.is_p(P::LParen) && c.is_p(P::RParen) && b.ident().is_some() => {
                        (b.ident().unwrap_or(""), 4)
                    }
                    (Some(a), _, _) if a.ident().is_some() => (a.ident().unwrap_or(""), 2),
                    _ => {
                        return Err(
                            Error::new(t.span, "expected a macro name after 'defined'").with_label("in this '#if'")
                        )
                    }
                };
                let v = self.map.contains_key(name) as i64;
                toks.push(Token::new(Tok::Int(v), t.span));
                i += used;
                continue;
            }
            toks.push(t.clone());
            i += 1;
        }
        let toks = self.expand_list(toks, 0)?;
        let toks: Vec<Token> = toks
            .into_iter()
            .map(|t| match t.tok {
                Tok::Ident(ref s) if &**s == "true" => Token::new(Tok::Int(1), t.span),
                Tok::Ident(_) => Token::new(Tok::Int(0), t.span),
                _ => t,
            })
            .collect();
        if toks.is_empty() {
            return Err(Error::new(d.span, format!("'#{}' needs a condition", d.name)).with_label("empty condition"));
        }
        let v = crate::parser::const_expr(toks, d.span)?;
        Ok(v != 0)
    }
}

fn hidden(h: &Hide, name: &str) -> bool {
    let mut cur = h.as_ref();
    while let Some(n) = cur {
        if &*n.name == name {
            return true;
        }
        cur = n.next.as_ref();
    }
    false
}

/// The names of both hide sets (`a` first).
fn union(a: &Hide, b: &Hide) -> Hide {
    let mut names: Vec<Rc<str>> = Vec::new();
    let mut cur = b.as_ref();
    while let Some(n) = cur {
        if !hidden(a, &n.name) {
            names.push(Rc::clone(&n.name));
        }
        cur = n.next.as_ref();
    }
    let mut out = a.clone();
    for name in names.into_iter().rev() {
        out = Some(Rc::new(HideNode { name, next: out }));
    }
    out
}

fn check_bad(toks: &[Token]) -> Result<(), Error> {
    for t in toks {
        if let Tok::Bad(m) = &t.tok {
            return Err(Error::new(t.span, m.to_string()).with_label("here"));
        }
    }
    Ok(())
}

fn single_name(d: &Directive) -> Result<&str, Error> {
    match d.rest.first().and_then(|t| t.ident()) {
        Some(n) => Ok(n),
        None => {
            Err(Error::new(d.span, format!("expected a macro name after '#{}'", d.name))
                .with_label("no macro name here"))
        }
    }
}

/// A body token placed at the macro use.
fn relocate(t: &Token, span: Span) -> Token {
    Token { tok: t.tok.clone(), span, nl_before: false, hide: None, lit: t.lit }
}

/// Read the arguments of a macro use up to the matching `)`; the `(`
/// has been consumed. Returns the raw arguments and the `)` span.
fn collect_args(input: &mut Vec<Token>, name_tok: &Token, name: &str) -> Result<(Vec<Vec<Token>>, Span), Error> {
    let mut args: Vec<Vec<Token>> = vec![Vec::new()];
    let mut depth = 0u32;
    loop {
        let Some(t) = input.pop() else {
            return Err(Error::new(name_tok.span, format!("unterminated use of macro '{name}'"))
                .with_label("the arguments of this use have no closing ')'"));
        };
        match &t.tok {
            Tok::Directive(d) => {
                return Err(Error::new(d.span, format!("a preprocessor line inside the arguments of macro '{name}'"))
                    .with_label("not supported here"))
            }
            Tok::P(P::LParen) | Tok::P(P::LBracket) | Tok::P(P::LBrace) => depth += 1,
            Tok::P(P::RParen) if depth == 0 => return Ok((args, t.span)),
            Tok::P(P::RParen) | Tok::P(P::RBracket) | Tok::P(P::RBrace) => depth = depth.saturating_sub(1),
            Tok::P(P::Comma) if depth == 0 => {
                args.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = args.last_mut() {
            last.push(t);
        }
    }
}

/// Check the argument count of a use; `F()` of a one-parameter macro
/// passes one empty argument; variadic extras are joined.
fn match_args(
    mut args: Vec<Vec<Token>>,
    params: &[Rc<str>],
    variadic: bool,
    name: &str,
    span: Span,
) -> Result<Vec<Vec<Token>>, Error> {
    if params.is_empty() && args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    if variadic {
        let fixed = params.len().saturating_sub(1);
        if args.len() < fixed {
            return Err(Error::new(
                span,
                format!(
                    "macro '{name}' takes at least {fixed} argument{}, but {} {} given",
                    plural(fixed),
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
            )
            .with_label("in this use"));
        }
        let mut extra: Vec<Token> = Vec::new();
        if args.len() > fixed {
            let tail = args.split_off(fixed);
            for (k, a) in tail.into_iter().enumerate() {
                if k > 0 {
                    extra.push(Token::new(Tok::P(P::Comma), span));
                }
                extra.extend(a);
            }
        }
        args.push(extra);
        return Ok(args);
    }
    if args.len() != params.len() {
        return Err(Error::new(
            span,
            format!(
                "macro '{name}' takes {} argument{}, but {} {} given",
                params.len(),
                plural(params.len()),
                args.len(),
                if args.len() == 1 { "was" } else { "were" }
            ),
        )
        .with_label("in this use"));
    }
    Ok(args)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn spell_tokens(ts: &[Token]) -> String {
    let mut s = String::new();
    for (i, t) in ts.iter().enumerate() {
        if i > 0 && ts[i - 1].span.hi != t.span.lo {
            s.push(' ');
        }
        s.push_str(&t.spell());
    }
    s
}

/// `l ## r`: the token spelled by both, which must lex as one token.
fn paste(l: &Token, r: &Token, span: Span) -> Result<Token, Error> {
    let text = format!("{}{}", l.spell(), r.spell());
    let toks = lexer::lex_fragment(&text, 0);
    match toks.as_slice() {
        [one] if !matches!(one.tok, Tok::Bad(_)) => Ok(Token::new(one.tok.clone(), span)),
        _ => Err(Error::new(span, format!("pasting '{}' and '{}' does not give a valid token", l.spell(), r.spell()))
            .with_label("in this macro use")),
    }
}
