//! herd7's test hash, the `Hash=<32 hex>` line of its output, as
//! herdtools7 computes it for C tests (lib/CGenParser_lib.ml calls
//! lib/CTestHash.ml):
//!
//! ```text
//! to_hex (md5 (info ^ init ^ code ^ observed))
//! ```
//!
//! where each part is a raw 16-byte MD5 digest of a text:
//!
//! - `info` (lib/testHash.ml, `digest_info`): the header's `key=value`
//!   lines whose key is `MemoryType` or `MT` (any case), sorted by key,
//!   as `lowercase(key)=value` concatenated in reverse order; no such
//!   line gives the empty string, not a digest.
//! - `init` (lib/testHash.ml, `digest_init`): the init block sorted by
//!   location (registers `N:r` first, by process then name, then globals
//!   by name), one entry per location, joined by `"; "`: `x=v`,
//!   `int x=v`, `int *x=v` or `int a[2]`. The parameters of the processes
//!   are not part of it.
//! - `code` (lib/dumpCAst.ml and `Misc.string_of_prog`, lib/misc.ml):
//!   each process as herd's shallow C parser keeps it, printed
//!   `P<n>(<params>) {\n<body>\n}\n`, where a parameter `int *x` prints
//!   `int* x` (its type with the top pointer stripped, lib/CAstUtils.ml,
//!   printed by `CType.dump` and followed by `*`) and the body is the raw
//!   text between the braces (lib/CLexer.mll, `get_body`: braces are
//!   counted naively, comments included); the processes are then the
//!   cells of one line, `" p0 | p1 ;\n"`.
//! - `observed` (lib/CTestHash.ml, `digest_observed`): the locations of
//!   the `locations [...]` clause and of the final condition's atoms (not
//!   the filter's), as a set, printed `N:r`, `x` or `x[i]` and joined by
//!   `"; "`.
//!
//! A test that gives its own `Hash=` info line keeps it.
//!
//! herd reads the file with its own lexers; kvet uses its AST and, for
//! the bodies and literal values, the source text at the AST's spans.
//! Qualifiers kvet drops from types (other than a parameter's leading
//! `volatile`) are therefore not in kvet's hash; for the tests herd7
//! accepts, the rest is as herd prints it.

use std::collections::BTreeSet;

use crate::ast::*;
use crate::md5;
use crate::Span;

/// herd7's `Hash=` value for a parsed C litmus test and its source text
/// (the text `file` was parsed from).
pub fn herd_hash(file: &File, src: &str) -> String {
    if let Some((_, h)) = file.info.iter().find(|(k, _)| k.eq_ignore_ascii_case("Hash")) {
        return h.clone();
    }
    let mut all = Vec::with_capacity(64);
    all.extend_from_slice(&digest_info(&file.info));
    all.extend_from_slice(&md5::digest(init_text(file, src).as_bytes()));
    all.extend_from_slice(&md5::digest(code_text(file, src).as_bytes()));
    all.extend_from_slice(&md5::digest(observed_text(&file.fin).as_bytes()));
    md5::to_hex(&md5::digest(&all))
}

/// A location as herd orders them (`MiscParser.location_compare`):
/// registers first, by process then name, then globals by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum HerdLoc {
    Reg(u32, String),
    Global(String),
}

impl HerdLoc {
    fn dump(&self) -> String {
        match self {
            HerdLoc::Reg(t, r) => format!("{t}:{r}"),
            HerdLoc::Global(g) => g.clone(),
        }
    }
}

/// A location of the final condition (`ConstrGen.rloc`): a location or
/// an array cell `x[i]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum HerdRloc {
    Loc(HerdLoc),
    Cell(HerdLoc, i64),
}

impl HerdRloc {
    fn dump(&self) -> String {
        match self {
            HerdRloc::Loc(l) => l.dump(),
            HerdRloc::Cell(l, i) => format!("{}[{i}]", l.dump()),
        }
    }
}

// ----- info -----

fn digest_info(info: &[(String, String)]) -> Vec<u8> {
    let mut kept: Vec<&(String, String)> =
        info.iter().filter(|(k, _)| k.eq_ignore_ascii_case("MemoryType") || k.eq_ignore_ascii_case("MT")).collect();
    if kept.is_empty() {
        return Vec::new();
    }
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let text: String = kept.iter().rev().map(|(k, v)| format!("{}={v}", k.to_ascii_lowercase())).collect();
    md5::digest(text.as_bytes()).to_vec()
}

// ----- init -----

fn init_text(file: &File, src: &str) -> String {
    let mut entries: Vec<(HerdLoc, String)> = file
        .init
        .iter()
        .map(|e| {
            let loc = match e.thread {
                Some(t) => HerdLoc::Reg(t, e.name.clone()),
                None => HerdLoc::Global(e.name.clone()),
            };
            let l = loc.dump();
            let v = || e.value.as_ref().map_or_else(|| "0".to_string(), |v| value_text(v, src));
            let text = match &e.ty {
                None => format!("{l}={}", v()),
                Some(Type::Array(elem, size)) => {
                    let size = size.as_deref().map_or_else(String::new, |s| value_text(s, src));
                    format!("{} {l}[{size}]", type_name(elem))
                }
                Some(Type::Ptr(to)) => format!("{} *{l}={}", type_name(to), v()),
                Some(t) => format!("{} {l}={}", type_name(t), v()),
            };
            (loc, text)
        })
        .collect();
    // Stable: of several entries for one location, the first is kept.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|later, first| later.0 == first.0);
    entries.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join("; ")
}

/// A type as one herd type name (`int`, `spinlock_t`, `struct s`).
fn type_name(t: &Type) -> String {
    match t {
        Type::Void => "void".to_string(),
        Type::Base(s) | Type::Named(s) => s.clone(),
        Type::Struct(s) => format!("struct {s}"),
        Type::Union(s) => format!("union {s}"),
        Type::Enum(s) => format!("enum {s}"),
        Type::Ptr(to) => format!("{}*", type_name(to)),
        Type::Array(elem, _) => format!("{}[]", type_name(elem)),
        Type::Func(ret, _) => format!("{}()", type_name(ret)),
        Type::TypeOf(_) => "typeof".to_string(),
    }
}

/// The source text at `span`, if it is in `src`.
fn raw(src: &str, span: Span) -> Option<&str> {
    if span.is_prelude() {
        return None;
    }
    src.get(span.range())
}

/// herd's number token: `-?[0-9]+` or `0x` hex digits.
fn is_herd_num(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        return !s.starts_with('-') && !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// An init value as herd prints it: numbers as written, names, `&x` as
/// `x`, `ATOMIC_INIT(v)` as `v`.
fn value_text(e: &Expr, src: &str) -> String {
    let written = || raw(src, e.span).map(|s| s.split_whitespace().collect::<String>());
    match &e.kind {
        ExprKind::Int(n) => match written() {
            Some(s) if is_herd_num(&s) => s,
            _ => n.to_string(),
        },
        ExprKind::Unary(UnOp::Neg, inner) if matches!(inner.kind, ExprKind::Int(_)) => match written() {
            Some(s) if is_herd_num(&s) => s,
            _ => format!("-{}", value_text(inner, src)),
        },
        ExprKind::Unary(UnOp::AddrOf | UnOp::Plus, inner) => value_text(inner, src),
        ExprKind::Ident(s) => s.clone(),
        ExprKind::Call(f, args) if args.len() == 1 && matches!(&f.kind, ExprKind::Ident(n) if n == "ATOMIC_INIT") => {
            value_text(&args[0], src)
        }
        _ => written().unwrap_or_default(),
    }
}

// ----- code -----

fn code_text(file: &File, src: &str) -> String {
    let cells: Vec<String> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Proc(p) if !p.span.is_prelude() => Some(proc_text(p, src)),
            _ => None,
        })
        .collect();
    if cells.is_empty() {
        return String::new();
    }
    let line: Vec<String> = cells.iter().map(|c| format!(" {c} ")).collect();
    format!("{};\n", line.join("|"))
}

fn proc_text(p: &Proc, src: &str) -> String {
    let params: Vec<String> = p
        .params
        .iter()
        .map(|q| {
            // The top pointer is stripped, then CType.dump adds one `*`.
            let pointee = match &q.ty {
                Type::Ptr(to) => to,
                t => t,
            };
            format!("{}* {}", param_type(pointee, q.volatile), q.name)
        })
        .collect();
    format!("P{}({}) {{\n{}\n}}\n", p.index, params.join(", "), body_text(&p.body, src))
}

/// `CType.dump`: pointers as trailing `*`, a volatile base as
/// `volatile int`.
fn param_type(t: &Type, volatile: bool) -> String {
    match t {
        Type::Ptr(to) => format!("{}*", param_type(to, volatile)),
        t if volatile => format!("volatile {}", type_name(t)),
        t => type_name(t),
    }
}

/// The raw text between a body's braces, found as herd's lexer finds it:
/// from the `{`, counting braces wherever they are.
fn body_text<'s>(body: &Block, src: &'s str) -> &'s str {
    let lo = body.span.lo as usize;
    let bytes = src.as_bytes();
    if body.span.is_prelude() || bytes.get(lo) != Some(&b'{') {
        let inner = Span { lo: body.span.lo.saturating_add(1), hi: body.span.hi.saturating_sub(1) };
        return raw(src, inner).unwrap_or("");
    }
    let mut depth = 0u32;
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate().skip(lo + 1) {
        match b {
            b'{' => depth += 1,
            b'}' if depth == 0 => {
                end = i;
                break;
            }
            b'}' => depth -= 1,
            _ => {}
        }
    }
    src.get(lo + 1..end).unwrap_or("")
}

// ----- observed locations -----

fn observed_text(fin: &Final) -> String {
    let mut set = BTreeSet::new();
    for l in &fin.locations {
        set.insert(rloc(l));
    }
    if let Some((_, c)) = &fin.quant {
        cond_locs(c, &mut set);
    }
    set.iter().map(HerdRloc::dump).collect::<Vec<_>>().join("; ")
}

fn cond_locs(c: &Cond, out: &mut BTreeSet<HerdRloc>) {
    match c {
        Cond::True | Cond::False => {}
        Cond::Not(a) => cond_locs(a, out),
        Cond::And(a, b) | Cond::Or(a, b) | Cond::Implies(a, b) => {
            cond_locs(a, out);
            cond_locs(b, out);
        }
        Cond::Atom { loc, value, .. } => {
            out.insert(rloc(loc));
            if let CondValue::Loc(other) = value {
                out.insert(rloc(other));
            }
        }
    }
}

fn rloc(l: &Loc) -> HerdRloc {
    match l {
        Loc::Reg { thread, name, .. } => HerdRloc::Loc(HerdLoc::Reg(*thread, name.clone())),
        // `*x` on the right of an equality is x itself for herd.
        Loc::Deref { inner, .. } => rloc(inner),
        Loc::Global { path, .. } => match path.steps.as_slice() {
            [] => HerdRloc::Loc(HerdLoc::Global(path.base.clone())),
            [PathStep::Index(i)] => HerdRloc::Cell(HerdLoc::Global(path.base.clone()), *i),
            steps => {
                let mut s = path.base.clone();
                for st in steps {
                    match st {
                        PathStep::Index(i) => s.push_str(&format!("[{i}]")),
                        PathStep::Field(f) => {
                            s.push('.');
                            s.push_str(f);
                        }
                    }
                }
                HerdRloc::Loc(HerdLoc::Global(s))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(src: &str) -> String {
        herd_hash(&crate::parse(src).expect("parses"), src)
    }

    #[test]
    fn parts_as_herd_prints_them() {
        let src = "C t\n{\nint y=2; x=1; 1:r0=0; int *p=&x; int a[2];\n}\n\
                   P0(int *x, volatile int *y, int **p) { WRITE_ONCE(*x, 1); }\n\
                   P1(int *x) {\n\tint r0;\n}\n\
                   locations [y; 0:r1]\nexists (1:r0=1 /\\ x=0:r1 /\\ a[1]=0)\n";
        let f = crate::parse(src).unwrap();
        assert_eq!(init_text(&f, src), "1:r0=0; int a[2]; int *p=x; x=1; int y=2");
        assert_eq!(
            code_text(&f, src),
            " P0(int* x, volatile int* y, int** p) {\n WRITE_ONCE(*x, 1); \n}\n \
             | P1(int* x) {\n\n\tint r0;\n\n}\n ;\n"
        );
        assert_eq!(observed_text(&f.fin), "0:r1; 1:r0; x; y; a[1]");
    }

    #[test]
    fn init_values_as_written() {
        let src = "C t\n{ x=-1; int y = 0x10; atomic_t a = ATOMIC_INIT(2); int *p = &y; }\n\
                   P0(int *x) { }\nexists (x=1)\n";
        let f = crate::parse(src).unwrap();
        assert_eq!(init_text(&f, src), "atomic_t a=2; int *p=y; x=-1; int y=0x10");
    }

    #[test]
    fn a_hash_info_line_is_kept_and_memory_type_is_digested() {
        let body = "{ x=0; }\nP0(int *x) { WRITE_ONCE(*x, 1); }\nexists (x=1)\n";
        assert_eq!(hash(&format!("C t\nHash=abc\n{body}")), "abc");
        let plain = hash(&format!("C t\n{body}"));
        assert_eq!(hash(&format!("C t\nCycle=Rfe Fre\n{body}")), plain);
        assert_ne!(hash(&format!("C t\nMemoryType=x:WB\n{body}")), plain);
        assert_eq!(plain.len(), 32);
    }
}
