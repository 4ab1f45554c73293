//! C types and declarations: declaration specifiers (with the typedef-name
//! table that tells casts and declarations from expressions),
//! declarators, parameters, struct/union/enum definitions, brace
//! initializers, and top-level declarations.

use std::rc::Rc;

use super::{is_keyword, proc_index, Parser, TypeName, R};
use crate::ast::*;
use crate::lexer::{Tok, P};
use crate::{Error, Span};

/// Kernel and C library type names that are always types.
const BUILTIN_TYPES: &[&str] = &[
    "spinlock_t",
    "raw_spinlock_t",
    "arch_spinlock_t",
    "rwlock_t",
    "atomic_t",
    "atomic64_t",
    "atomic_long_t",
    "refcount_t",
    "seqcount_t",
    "seqcount_spinlock_t",
    "seqlock_t",
    "wait_queue_head_t",
    "wait_queue_entry_t",
    "local_t",
    "u8",
    "u16",
    "u32",
    "u64",
    "s8",
    "s16",
    "s32",
    "s64",
    "__u8",
    "__u16",
    "__u32",
    "__u64",
    "__s8",
    "__s16",
    "__s32",
    "__s64",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
    "int8_t",
    "int16_t",
    "int32_t",
    "int64_t",
    "size_t",
    "ssize_t",
    "ptrdiff_t",
    "uintptr_t",
    "intptr_t",
    "pid_t",
    "gfp_t",
    "ktime_t",
    "loff_t",
    "cpumask_t",
];

/// Kernel struct tags that kvet also accepts bare, where a declarator
/// follows (`mutex m;`).
const WEAK_TYPES: &[&str] = &[
    "mutex",
    "srcu_struct",
    "rw_semaphore",
    "completion",
    "list_head",
    "hlist_head",
    "hlist_node",
    "llist_head",
    "llist_node",
    "rcu_head",
    "wait_queue_head",
    "wait_queue_entry",
];

/// Words that qualify a declaration and are dropped.
fn is_qualifier_word(s: &str) -> bool {
    matches!(
        s,
        "const"
            | "volatile"
            | "static"
            | "extern"
            | "inline"
            | "register"
            | "auto"
            | "restrict"
            | "_Atomic"
            | "_Noreturn"
            | "_Thread_local"
            | "noinline"
            | "notrace"
            | "asmlinkage"
    )
}

/// Words that name (part of) a base type.
fn is_base_word(s: &str) -> bool {
    matches!(
        s,
        "void" | "char" | "short" | "int" | "long" | "signed" | "unsigned" | "_Bool" | "bool" | "float" | "double"
    )
}

fn is_attribute_word(s: &str) -> bool {
    matches!(s, "__attribute__" | "__attribute" | "__declspec" | "__asm__" | "asm" | "__asm")
}

fn is_typeof_word(s: &str) -> bool {
    matches!(s, "typeof" | "__typeof__" | "__typeof")
}

/// Parsed declaration specifiers.
pub(crate) struct Spec {
    pub ty: Type,
    pub is_typedef: bool,
    /// `volatile` was among the specifiers (kept for [`Param::volatile`]).
    pub volatile: bool,
}

/// Whether a declarator must, may or must not name something.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeclMode {
    Named,
    Abstract,
    Either,
}

/// A parsed declarator.
pub(crate) struct Declarator {
    pub name: Option<(String, Span)>,
    pub ty: Type,
    /// The parameters when the declared thing is a function.
    pub params: Option<Vec<Param>>,
}

enum Op {
    Ptr,
    Array(Option<Box<Expr>>),
    Func(Vec<Param>),
}

impl Parser {
    /// What kind of type name `name` is, if any.
    pub(crate) fn type_name_kind(&self, name: &str) -> Option<TypeName> {
        if self.typedefs.contains(name) {
            Some(TypeName::Typedef)
        } else if BUILTIN_TYPES.contains(&name) {
            Some(TypeName::Builtin)
        } else if WEAK_TYPES.contains(&name) || (name.ends_with("_t") && name.len() > 2) {
            Some(TypeName::Weak)
        } else {
            None
        }
    }

    /// Whether the identifier at `k` is a `__qualifier` (like `__rcu`):
    /// it starts with `__`, is not a type, and a type or declarator
    /// follows.
    fn is_dunder_qualifier(&self, k: usize) -> bool {
        let Some(s) = self.peek_at(k).ident() else {
            return false;
        };
        if !s.starts_with("__") || is_typeof_word(s) || is_attribute_word(s) || self.type_name_kind(s).is_some() {
            return false;
        }
        match &self.peek_at(k + 1).tok {
            Tok::P(P::Star) => true,
            Tok::Ident(n) => !is_keyword(n) || is_base_word(n) || is_qualifier_word(n) || is_tag_word(n),
            _ => false,
        }
    }

    /// Whether the token at `k` can follow a type name in a declaration.
    fn declarator_follows(&self, k: usize) -> bool {
        match &self.peek_at(k).tok {
            Tok::Ident(s) => !is_keyword(s) || is_qualifier_word(s),
            Tok::P(P::Star) => {
                matches!(&self.peek_at(k + 1).tok, Tok::Ident(_) | Tok::P(P::Star | P::RParen | P::Comma))
            }
            _ => false,
        }
    }

    /// Whether the tokens at the cursor start a declaration (or a type).
    pub(crate) fn is_type_start(&self) -> bool {
        self.is_type_start_at(0, false)
    }

    /// `in_parens`: the type would be inside `( )` (a cast, a sizeof or
    /// a macro argument), where `T)` and `T*)` also mark a type.
    pub(crate) fn is_type_start_at(&self, k: usize, in_parens: bool) -> bool {
        let Some(s) = self.peek_at(k).ident() else {
            return false;
        };
        if is_base_word(s)
            || is_qualifier_word(s)
            || is_tag_word(s)
            || is_typeof_word(s)
            || s == "typedef"
            || (is_attribute_word(s) && self.peek_at(k + 1).is_p(P::LParen))
        {
            return true;
        }
        match self.type_name_kind(s) {
            Some(TypeName::Typedef | TypeName::Builtin) => {
                !matches!(
                    self.peek_at(k + 1).tok,
                    Tok::P(
                        P::Assign
                            | P::Dot
                            | P::Arrow
                            | P::LParen
                            | P::LBracket
                            | P::PlusPlus
                            | P::MinusMinus
                            | P::Semi
                            | P::PlusEq
                            | P::MinusEq
                            | P::AmpEq
                            | P::PipeEq
                    )
                ) || (in_parens && self.peek_at(k + 1).is_p(P::RParen))
            }
            Some(TypeName::Weak) => {
                self.declarator_follows(k + 1)
                    || (in_parens
                        && (self.peek_at(k + 1).is_p(P::RParen)
                            || (self.peek_at(k + 1).is_p(P::Star)
                                && matches!(self.peek_at(k + 2).tok, Tok::P(P::RParen | P::Star)))))
            }
            None => {
                self.is_dunder_qualifier(k)
                    || (!is_keyword(s)
                        && !in_parens
                        && matches!(&self.peek_at(k + 1).tok, Tok::Ident(n) if !is_keyword(n) || is_qualifier_word(n)))
            }
        }
    }

    /// Skip `__attribute__((...))` and similar; true if something was skipped.
    fn skip_attribute(&mut self) -> R<bool> {
        let is_attr = self.peek().ident().is_some_and(is_attribute_word)
            || (self.peek().ident().is_some_and(|s| {
                // `__aligned(8)`, `__acquires(l)`: known attribute-like
                // macros only; `__list_add(` is a function's name
                matches!(
                    s,
                    "__aligned"
                        | "__section"
                        | "__printf"
                        | "__scanf"
                        | "__acquires"
                        | "__releases"
                        | "__must_hold"
                        | "__cond_acquires"
                        | "__cond_releases"
                        | "__alloc_size"
                        | "__assume_aligned"
                        | "__counted_by"
                        | "__diag_ignore"
                ) && self.type_name_kind(s).is_none()
            }) && self.peek_at(1).is_p(P::LParen)
                && self.peek().ident().is_some_and(|s| !is_typeof_word(s)));
        if !is_attr {
            return Ok(false);
        }
        let word = self.peek().ident().map(str::to_string).unwrap_or_default();
        self.bump();
        let annot = match word.as_str() {
            "__acquires" => Some(LockAnnot::Acquires),
            "__releases" => Some(LockAnnot::Releases),
            "__must_hold" => Some(LockAnnot::MustHold),
            _ => None,
        };
        if let (Some(a), true) = (annot, self.at(P::LParen)) {
            // keep sparse's lock context: its argument is an expression
            self.bump();
            let e = self.expr()?;
            self.expect(P::RParen, "to close the lock annotation")?;
            self.locks.push((a, e));
        } else if self.at(P::LParen) {
            self.skip_balanced()?;
        }
        Ok(true)
    }

    /// Skip a parenthesized token group starting at `(`.
    fn skip_balanced(&mut self) -> R<()> {
        let open = self.expect(P::LParen, "")?;
        let mut depth = 1u32;
        while depth > 0 {
            match self.bump().tok {
                Tok::P(P::LParen) => depth += 1,
                Tok::P(P::RParen) => depth -= 1,
                Tok::Eof => return Err(Error::new(open, "this '(' is never closed").with_label("unclosed parenthesis")),
                _ => {}
            }
        }
        Ok(())
    }

    /// Declaration specifiers: qualifiers, base type words, struct/union/
    /// enum, typedef names, typeof. `None` if no type is written.
    /// `lenient`: an unknown name in first position followed by a
    /// declarator is taken as a type name (for parameters and items).
    pub(crate) fn decl_specs(&mut self, lenient: bool) -> R<Option<Spec>> {
        let start = self.span();
        let mut is_typedef = false;
        let mut volatile = false;
        let mut ty: Option<Type> = None;
        let mut words: Vec<(String, Span)> = Vec::new();
        loop {
            if self.skip_attribute()? {
                continue;
            }
            let Some(s) = self.peek().ident() else { break };
            let s: Rc<str> = Rc::from(s);
            let have = ty.is_some() || !words.is_empty();
            if &*s == "typedef" {
                is_typedef = true;
                self.bump();
            } else if is_qualifier_word(&s) || self.is_dunder_qualifier(0) && !(have && self.declarator_name_here()) {
                volatile |= &*s == "volatile";
                self.bump();
            } else if is_base_word(&s) && ty.is_none() {
                let sp = self.bump().span;
                words.push((s.to_string(), sp));
            } else if is_tag_word(&s) && !have {
                ty = Some(self.tagged_type()?);
            } else if is_typeof_word(&s) && !have {
                ty = Some(self.typeof_type()?);
            } else if !have {
                match self.type_name_kind(&s) {
                    Some(TypeName::Typedef) => {
                        self.bump();
                        ty = Some(Type::Named(s.to_string()));
                    }
                    Some(TypeName::Builtin) => {
                        self.bump();
                        ty = Some(Type::Base(s.to_string()));
                    }
                    Some(TypeName::Weak)
                        if self.declarator_follows(1) || lenient || self.peek_at(1).is_p(P::RParen) =>
                    {
                        self.bump();
                        ty = Some(Type::Base(s.to_string()));
                    }
                    None if !is_keyword(&s)
                        && if lenient {
                            self.declarator_follows(1)
                        } else {
                            matches!(&self.peek_at(1).tok, Tok::Ident(n) if !is_keyword(n) || is_qualifier_word(n))
                        } =>
                    {
                        self.bump();
                        ty = Some(Type::Named(s.to_string()));
                    }
                    _ => break,
                }
            } else {
                break;
            }
        }
        if !words.is_empty() {
            ty = Some(base_type(&words)?);
        }
        let _ = start;
        Ok(ty.map(|ty| Spec { ty, is_typedef, volatile }))
    }

    /// After a type, a `__name` followed by `;`/`=`/`,`... is the
    /// declared name, not a qualifier.
    fn declarator_name_here(&self) -> bool {
        matches!(
            self.peek_at(1).tok,
            Tok::P(P::Semi | P::Assign | P::Comma | P::RParen | P::LBracket | P::LParen | P::Colon)
        )
    }

    fn typeof_type(&mut self) -> R<Type> {
        let kw = self.bump();
        self.expect(P::LParen, &format!("after '{}'", kw.ident().unwrap_or("typeof")))?;
        let ty = if self.is_type_start_at(0, true) { self.type_name()? } else { Type::TypeOf(Box::new(self.expr()?)) };
        self.expect(P::RParen, "to close 'typeof('")?;
        Ok(ty)
    }

    /// `struct X`, `struct X { ... }`, `struct { ... }`, same for union and enum.
    fn tagged_type(&mut self) -> R<Type> {
        let kw = self.bump();
        let word = kw.ident().unwrap_or("struct").to_string();
        while self.skip_attribute()? {}
        let name = match self.peek().ident() {
            Some(n) if !is_keyword(n) => {
                let n = n.to_string();
                self.bump();
                Some(n)
            }
            _ => None,
        };
        while self.skip_attribute()? {}
        if !self.at(P::LBrace) {
            let Some(name) = name else {
                return Err(self.expected("a name or '{'", &format!("after '{word}'")));
            };
            return Ok(match word.as_str() {
                "union" => Type::Union(name),
                "enum" => Type::Enum(name),
                _ => Type::Struct(name),
            });
        }
        let name = name.unwrap_or_else(|| {
            self.anon += 1;
            format!("<anonymous {}>", self.anon)
        });
        if word == "enum" {
            let variants = self.enum_body()?;
            let span = self.since(kw.span);
            self.pending.push(Item::Enum(EnumDef { name: name.clone(), variants, span }));
            return Ok(Type::Enum(name));
        }
        let fields = self.struct_body()?;
        let span = self.since(kw.span);
        let is_union = word == "union";
        self.pending.push(Item::Struct(StructDef { name: name.clone(), is_union, fields, span }));
        Ok(if is_union { Type::Union(name) } else { Type::Struct(name) })
    }

    fn struct_body(&mut self) -> R<Vec<Field>> {
        self.enter()?;
        let r = self.struct_body_inner();
        self.leave();
        r
    }

    fn struct_body_inner(&mut self) -> R<Vec<Field>> {
        self.expect(P::LBrace, "")?;
        let mut fields = Vec::new();
        loop {
            if self.eat(P::RBrace) {
                while self.skip_attribute()? {}
                return Ok(fields);
            }
            if self.eat(P::Semi) {
                continue;
            }
            let start = self.span();
            let Some(spec) = self.decl_specs(true)? else {
                return Err(self.expected("a field declaration", "in the struct body (like 'int x;')"));
            };
            if self.at(P::Semi) {
                // An anonymous struct or union member.
                self.bump();
                fields.push(Field { ty: spec.ty, name: String::new(), span: self.since(start) });
                continue;
            }
            loop {
                let fstart = self.span();
                let d = self.declarator(spec.ty.clone(), DeclMode::Either)?;
                if self.eat(P::Colon) {
                    // A bit-field width: accepted, ignored.
                    self.conditional()?;
                }
                while self.skip_attribute()? {}
                let name = d.name.map(|(n, _)| n).unwrap_or_default();
                fields.push(Field { ty: d.ty, name, span: self.since(fstart) });
                if !self.eat(P::Comma) {
                    break;
                }
            }
            self.expect(P::Semi, "after a field declaration")?;
        }
    }

    fn enum_body(&mut self) -> R<Vec<(String, Option<Expr>, Span)>> {
        self.expect(P::LBrace, "")?;
        let mut out = Vec::new();
        loop {
            if self.eat(P::RBrace) {
                return Ok(out);
            }
            let (name, span) = self.expect_ident("in the enum (an enumerator name)")?;
            let value = if self.eat(P::Assign) { Some(self.conditional()?) } else { None };
            out.push((name, value, self.since(span)));
            if !self.eat(P::Comma) {
                self.expect(P::RBrace, "to close the enum")?;
                return Ok(out);
            }
        }
    }

    /// A type name, as in a cast or `sizeof(...)`: specifiers and an
    /// abstract declarator.
    pub(crate) fn type_name(&mut self) -> R<Type> {
        let Some(spec) = self.decl_specs(true)? else {
            return Err(self.expected("a type", ""));
        };
        let d = self.declarator(spec.ty, DeclMode::Abstract)?;
        Ok(d.ty)
    }

    /// A declarator applied to `base`.
    pub(crate) fn declarator(&mut self, base: Type, mode: DeclMode) -> R<Declarator> {
        self.enter()?;
        let r = self.declarator_ops(mode);
        self.leave();
        let (name, ops) = r?;
        if mode == DeclMode::Named && name.is_none() {
            return Err(self.expected("a name", "in the declaration"));
        }
        let mut ty = base;
        let mut params = None;
        let n = ops.len();
        for (i, op) in ops.into_iter().enumerate() {
            ty = match op {
                Op::Ptr => Type::Ptr(Box::new(ty)),
                Op::Array(len) => Type::Array(Box::new(ty), len),
                Op::Func(ps) => {
                    let tys = ps.iter().map(|p| p.ty.clone()).collect();
                    if i + 1 == n {
                        params = Some(ps);
                    }
                    Type::Func(Box::new(ty), tys)
                }
            };
        }
        Ok(Declarator { name, ty, params })
    }

    #[allow(clippy::type_complexity)]
    fn declarator_ops(&mut self, mode: DeclMode) -> R<(Option<(String, Span)>, Vec<Op>)> {
        let mut ptrs = 0usize;
        loop {
            if self.eat(P::Star) {
                ptrs += 1;
            } else if self.peek().ident().is_some_and(is_qualifier_word)
                || (self.is_dunder_qualifier(0) && !self.declarator_name_here())
            {
                self.bump();
            } else if !self.skip_attribute()? {
                break;
            }
        }
        let mut name = None;
        let mut inner = Vec::new();
        let nested = self.at(P::LParen)
            && match &self.peek_at(1).tok {
                Tok::P(P::Star | P::LParen | P::Caret) => true,
                Tok::Ident(s) => mode != DeclMode::Abstract && !self.is_type_start_at(1, true) && !is_keyword(s),
                _ => false,
            };
        if nested {
            self.bump();
            self.enter()?;
            let r = self.declarator_ops(mode);
            self.leave();
            let (n, ops) = r?;
            name = n;
            inner = ops;
            self.expect(P::RParen, "to close the declarator")?;
        } else if mode != DeclMode::Abstract {
            if let Tok::Ident(s) = &self.peek().tok {
                if !is_keyword(s) {
                    let s = s.to_string();
                    name = Some((s, self.bump().span));
                }
            }
        }
        let mut suffixes = Vec::new();
        loop {
            if self.eat(P::LBracket) {
                let len = if self.at(P::RBracket) { None } else { Some(Box::new(self.assign()?)) };
                self.expect(P::RBracket, "to close the array size")?;
                suffixes.push(Op::Array(len));
            } else if self.at(P::LParen) {
                self.bump();
                suffixes.push(Op::Func(self.params()?));
            } else if !self.skip_attribute()? {
                break;
            }
        }
        let mut ops: Vec<Op> = (0..ptrs).map(|_| Op::Ptr).collect();
        ops.extend(suffixes.into_iter().rev());
        ops.extend(inner);
        Ok((name, ops))
    }

    /// A parameter list after its `(`, through the `)`.
    pub(crate) fn params(&mut self) -> R<Vec<Param>> {
        let mut out = Vec::new();
        if self.eat(P::RParen) {
            return Ok(out);
        }
        if self.at_ident("void") && self.peek_at(1).is_p(P::RParen) {
            self.bump();
            self.bump();
            return Ok(out);
        }
        loop {
            if self.eat(P::Ellipsis) {
                self.expect(P::RParen, "after '...'")?;
                return Ok(out);
            }
            let start = self.span();
            let spec = match self.decl_specs(true)? {
                Some(s) => s,
                None => {
                    // `f(x)`: a name without a type.
                    if self.peek().ident().is_some_and(|s| !is_keyword(s))
                        && matches!(self.peek_at(1).tok, Tok::P(P::Comma | P::RParen))
                    {
                        let t = self.bump();
                        Spec {
                            ty: Type::Named(t.ident().unwrap_or("").to_string()),
                            is_typedef: false,
                            volatile: false,
                        }
                    } else {
                        return Err(self.expected("a parameter", "(like 'int *x')"));
                    }
                }
            };
            let d = self.declarator(spec.ty, DeclMode::Either)?;
            let name = d.name.map(|(n, _)| n).unwrap_or_default();
            out.push(Param { ty: d.ty, name, volatile: spec.volatile, span: self.since(start) });
            if self.eat(P::RParen) {
                return Ok(out);
            }
            self.expect(P::Comma, "between parameters")?;
        }
    }

    /// An initializer: an expression or a brace list.
    pub(crate) fn initializer(&mut self) -> R<Expr> {
        if self.at(P::LBrace) {
            self.enter()?;
            let r = self.init_list();
            self.leave();
            return r;
        }
        self.assign()
    }

    fn init_list(&mut self) -> R<Expr> {
        let start = self.expect(P::LBrace, "")?;
        let mut elems = Vec::new();
        loop {
            if self.eat(P::RBrace) {
                return Ok(Expr { kind: ExprKind::InitList(elems), span: self.since(start) });
            }
            let mut desigs: Vec<(Designator, Span)> = Vec::new();
            loop {
                let dstart = self.span();
                if self.eat(P::Dot) {
                    let (f, _) = self.expect_ident("after '.' in the initializer")?;
                    desigs.push((Designator::Field(f), self.since(dstart)));
                } else if self.eat(P::LBracket) {
                    let e = self.conditional()?;
                    self.expect(P::RBracket, "after the index in the initializer")?;
                    desigs.push((Designator::Index(e), self.since(dstart)));
                } else {
                    break;
                }
            }
            if !desigs.is_empty() {
                self.expect(P::Assign, "after the designator")?;
            }
            let mut value = self.initializer()?;
            // `.a.b = v` becomes `.a = { .b = v }`.
            while desigs.len() > 1 {
                let (d, sp) = desigs.pop().unwrap_or((Designator::Field(String::new()), Span::default()));
                let span = sp.to(value.span);
                value = Expr { kind: ExprKind::InitList(vec![(Some(d), value)]), span };
            }
            elems.push((desigs.pop().map(|(d, _)| d), value));
            if !self.eat(P::Comma) {
                self.expect(P::RBrace, "to close the initializer list")?;
                return Ok(Expr { kind: ExprKind::InitList(elems), span: self.since(start) });
            }
        }
    }

    /// A top-level declaration: function definition, prototype, globals,
    /// typedef, or a struct/union/enum definition.
    pub(crate) fn external_decl(&mut self, items: &mut Vec<Item>) -> R<()> {
        let start = self.span();
        self.locks.clear();
        let mut implicit = false;
        let spec = match self.decl_specs(true)? {
            Some(s) => s,
            None => {
                // `name(...) { ... }` without a return type.
                if self.peek().ident().is_some_and(|s| !is_keyword(s)) && self.peek_at(1).is_p(P::LParen) {
                    implicit = true;
                    Spec { ty: Type::Base("int".to_string()), is_typedef: false, volatile: false }
                } else {
                    return Err(self
                        .expected(
                            "an item",
                            "(a declaration, a function, a process 'P0(...) {...}' or the final condition)",
                        )
                        .with_note(
                            "items are processes, functions, types and globals; the test ends with 'exists (...)'",
                        ));
                }
            }
        };
        if self.eat(P::Semi) {
            // `struct foo { ... };` or `struct foo;`
            items.append(&mut self.pending);
            return Ok(());
        }
        let mut first = true;
        loop {
            let dstart = if first { start } else { self.span() };
            let d = self.declarator(spec.ty.clone(), DeclMode::Named)?;
            let (name, name_span) = d.name.clone().unwrap_or_default();
            if spec.is_typedef {
                self.typedefs.insert(Rc::from(name.as_str()));
                let item = Item::Typedef(Typedef { name, ty: d.ty, span: self.since(dstart) });
                self.push_item(items, item);
            } else if let (Some(params), Type::Func(ret, _)) = (&d.params, &d.ty) {
                if first && self.at(P::LBrace) {
                    let body = self.block()?;
                    let span = self.since(dstart);
                    let item = match proc_index(&name) {
                        Some(index) => Item::Proc(Proc { index, params: params.clone(), body, span }),
                        None => Item::Func(FuncDef {
                            name,
                            ret: (**ret).clone(),
                            params: params.clone(),
                            body,
                            span,
                            locks: std::mem::take(&mut self.locks),
                        }),
                    };
                    self.push_item(items, item);
                    return Ok(());
                }
                if implicit {
                    // `NAME(args);` at the top level: most likely a kernel
                    // macro that the prelude does not define.
                    return Err(Error::new(
                        name_span,
                        format!("'{name}(...)' at the top level is neither a declaration nor a function definition"),
                    )
                    .with_label("no type and no body")
                    .with_note(format!("if '{name}' is a kernel macro, define it with #define")));
                }
                // A prototype: dropped.
            } else {
                let init = if self.eat(P::Assign) { Some(self.initializer()?) } else { None };
                let item = Item::Global(VarDecl { ty: d.ty, name, init, span: self.since(dstart) });
                self.push_item(items, item);
            }
            first = false;
            while self.skip_attribute()? {}
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::Semi, "after the declaration")?;
        Ok(())
    }
}

pub(crate) fn is_tag_word(s: &str) -> bool {
    matches!(s, "struct" | "union" | "enum")
}

/// The canonical base type of integer type words.
fn base_type(words: &[(String, Span)]) -> R<Type> {
    let mut unsigned = false;
    let mut signed = false;
    let (mut short, mut long, mut int, mut char_, mut void, mut bool_, mut float, mut double) =
        (0, 0, 0, 0, 0, 0, 0, 0);
    for (w, _) in words {
        match w.as_str() {
            "unsigned" => unsigned = true,
            "signed" => signed = true,
            "short" => short += 1,
            "long" => long += 1,
            "int" => int += 1,
            "char" => char_ += 1,
            "void" => void += 1,
            "_Bool" | "bool" => bool_ += 1,
            "float" => float += 1,
            "double" => double += 1,
            _ => {}
        }
    }
    let span = match (words.first(), words.last()) {
        (Some(a), Some(b)) => a.1.to(b.1),
        _ => Span::default(),
    };
    let all = words.iter().map(|(w, _)| w.as_str()).collect::<Vec<_>>().join(" ");
    let bad =
        || Error::new(span, format!("'{all}' is not a valid type")).with_label("invalid combination of type words");
    let kinds = (short > 0) as u32
        + (char_ > 0) as u32
        + (void > 0) as u32
        + (bool_ > 0) as u32
        + (float > 0) as u32
        + (double > 0) as u32;
    if kinds > 1 || (unsigned && signed) || int > 1 || short > 1 || char_ > 1 || long > 2 || void > 1 || bool_ > 1 {
        return Err(bad());
    }
    let u = if unsigned { "unsigned " } else { "" };
    let name = if void > 0 {
        if unsigned || signed || long > 0 || int > 0 {
            return Err(bad());
        }
        return Ok(Type::Void);
    } else if bool_ > 0 {
        if unsigned || signed || long > 0 || int > 0 {
            return Err(bad());
        }
        "bool".to_string()
    } else if float > 0 || double > 0 {
        if unsigned || signed || int > 0 || (float > 0 && long > 0) || long > 1 {
            return Err(bad());
        }
        if float > 0 {
            "float".to_string()
        } else if long > 0 {
            "long double".to_string()
        } else {
            "double".to_string()
        }
    } else if char_ > 0 {
        if long > 0 || int > 0 {
            return Err(bad());
        }
        if signed {
            "signed char".to_string()
        } else {
            format!("{u}char")
        }
    } else if short > 0 {
        if long > 0 {
            return Err(bad());
        }
        format!("{u}short")
    } else if long == 2 {
        format!("{u}long long")
    } else if long == 1 {
        format!("{u}long")
    } else {
        format!("{u}int")
    };
    Ok(Type::Base(name))
}
