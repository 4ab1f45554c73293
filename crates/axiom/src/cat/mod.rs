//! Interpreter for herd7's cat language.
//!
//! Sources: herdtools7 `lib/modelLexer.mll`, `lib/modelParser.mly`,
//! `herd/interpreter.ml`, `herd/machModelChecker.ml`, and the herd7 manual.
//!
//! A [`CatModel`] is a parsed model with its `include`s resolved.  Running
//! it on an [`Execution`] follows herd: `stdlib.cat` is executed first, then
//! the bell file (if any), then the model.  `let` bindings are lazy, `let rec`
//! computes herd's fixpoint, failed checks reject the current alternative,
//! `flag`s are collected, and `with x from S` forks one alternative per
//! element of `S` (this is how `cross.cat` enumerates coherence orders).
//! The result is one [`Verdict`] per alternative that reaches the end of
//! the model or fails a check.

pub mod ast;
mod eval;
pub mod intern;
pub mod lexer;
pub mod parser;

use crate::exec::Execution;
use crate::{Model, Verdict};
use ast::{Included, Ins};
use intern::{Interner, Sym};
use rustc_hash::{FxHashMap, FxHashSet};
use std::fmt;
use std::sync::Arc;
use thiserror::Error;

/// Category of a [`CatError`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    /// File could not be read / found.
    Io,
    /// Lexical error.
    Lex,
    /// Syntax error.
    Parse,
    /// Evaluation error (type error, unbound variable, ...).
    Eval,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Io => "error",
            ErrorKind::Lex => "lexical error",
            ErrorKind::Parse => "syntax error",
            ErrorKind::Eval => "evaluation error",
        })
    }
}

/// An error in a cat model, located in a source file.
#[derive(Clone, Debug, Error)]
#[error("{file}:{line}:{col}: {kind}: {msg}")]
pub struct CatError {
    /// Category.
    pub kind: ErrorKind,
    /// File name (as given or resolved).
    pub file: String,
    /// Byte span in the file.
    pub span: std::ops::Range<usize>,
    /// 1-based line of the span start.
    pub line: u32,
    /// 1-based column of the span start.
    pub col: u32,
    /// Message.
    pub msg: String,
}

impl CatError {
    pub(crate) fn placeholder() -> CatError {
        CatError {
            kind: ErrorKind::Io,
            file: String::new(),
            span: 0..0,
            line: 0,
            col: 0,
            msg: "unresolved include".into(),
        }
    }

    fn new(kind: ErrorKind, file: &SourceFile, lo: usize, hi: usize, msg: String) -> CatError {
        let lo = lo.min(file.text.len());
        let before = &file.text[..lo];
        let line = before.bytes().filter(|&b| b == b'\n').count() as u32 + 1;
        let col = (lo - before.rfind('\n').map_or(0, |p| p + 1)) as u32 + 1;
        CatError { kind, file: file.name.clone(), span: lo..hi.max(lo), line, col, msg }
    }

    /// A file that could not be found or read (reported by the caller's
    /// loader, or by the model for a missing include).
    pub fn io(file: &str, msg: String) -> CatError {
        CatError { kind: ErrorKind::Io, file: file.to_string(), span: 0..0, line: 0, col: 0, msg }
    }
}

/// One source file of a model.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Name (path or include name).
    pub name: String,
    /// Contents.
    pub text: Arc<str>,
}

/// Options controlling how a model is loaded and run (herd's `-bell`,
/// `-variant`, `-skipcheck`; herd's `-I` is the loader's search path).
#[derive(Clone, Debug, Default)]
pub struct CatOptions {
    /// Bell file run before the model (name resolved like an include).
    pub bell: Option<String>,
    /// Active variants (`if "variant" ...`).
    pub variants: Vec<String>,
    /// Checks (by name) that are skipped.
    pub skip_checks: Vec<String>,
    /// Do not run `stdlib.cat` first (herd always does).
    pub no_stdlib: bool,
    /// herd's `-through`: failed checks do not reject.
    pub through: crate::Through,
}

/// Interned names of the predefined environment.
#[derive(Debug, Clone)]
pub(crate) struct Builtins {
    pub sets: Vec<(Sym, eval::BaseSet)>,
    pub rels: Vec<(Sym, eval::BaseRel)>,
    pub prims: Vec<(Sym, eval::Prim)>,
    /// Annotation sets: (set name, tag name).
    pub annots: Vec<(Sym, String)>,
}

/// A parsed cat model with its includes resolved.
#[derive(Debug)]
pub struct CatModel {
    name: String,
    files: Vec<SourceFile>,
    pub(crate) int: Interner,
    pub(crate) prelude: Vec<Ins>,
    pub(crate) prog: Vec<Ins>,
    pub(crate) variants: FxHashSet<String>,
    pub(crate) skip: FxHashSet<Sym>,
    /// Failed checks let the execution through (herd's `-through`).
    pub(crate) through: bool,
    pub(crate) tag_types: FxHashMap<Sym, Sym>,
    pub(crate) enums: FxHashMap<Sym, Vec<Sym>>,
    pub(crate) builtins: Builtins,
    pub(crate) undefined_flag: Arc<str>,
}

const MAX_INCLUDE_DEPTH: usize = 32;

/// The files of a model being parsed, its includes resolved through the
/// caller's loader.
struct Includes<'a> {
    files: Vec<SourceFile>,
    int: Interner,
    resolve: Loader<'a>,
}

impl Includes<'_> {
    fn parse_text(&mut self, name: &str, text: String, depth: usize) -> Result<Vec<Ins>, CatError> {
        let file = SourceFile { name: name.to_string(), text: Arc::from(text) };
        self.files.push(file);
        let fid = (self.files.len() - 1) as u32;
        let f = &self.files[fid as usize];
        let toks = lexer::lex(&f.text).map_err(|e| CatError::new(ErrorKind::Lex, f, e.lo, e.hi, e.msg))?;
        let mut ins = {
            let mut p = parser::Parser::new(&toks, fid, &mut self.int);
            p.parse_model()
        }
        .map_err(|e| CatError::new(ErrorKind::Parse, &self.files[fid as usize], e.lo, e.hi, e.msg))?;
        self.resolve_includes(&mut ins, depth)?;
        Ok(ins)
    }

    fn load(&mut self, name: &str, depth: usize) -> Result<Vec<Ins>, CatError> {
        match (self.resolve)(name) {
            Some((path, text)) => self.parse_text(&path, text, depth),
            None => Err(CatError::io(name, format!("cannot find file {name}"))),
        }
    }

    fn resolve_includes(&mut self, ins: &mut [Ins], depth: usize) -> Result<(), CatError> {
        for i in ins.iter_mut() {
            match i {
                Ins::Include(span, name, slot) => {
                    let here = &self.files[span.file as usize];
                    let located = |msg: String| {
                        Box::new(CatError::new(ErrorKind::Io, here, span.lo as usize, span.hi as usize, msg))
                    };
                    if depth >= MAX_INCLUDE_DEPTH {
                        *slot = Included::Err(located(format!("include nesting too deep ({name})")));
                        continue;
                    }
                    let name = name.clone();
                    *slot = match (self.resolve)(&name) {
                        None => Included::Err(located(format!("cannot find file {name}"))),
                        Some((path, text)) => match self.parse_text(&path, text, depth + 1) {
                            Ok(v) => Included::Ok(v),
                            Err(e) => Included::Err(Box::new(e)),
                        },
                    };
                }
                Ins::Rec(..) | Ins::Let(..) | Ins::Test(..) | Ins::Call(..) | Ins::WithFrom(..) => {}
                Ins::Match(_, _, cls, d) => {
                    for (_, b) in cls.iter_mut() {
                        self.resolve_includes(b, depth)?;
                    }
                    if let Some(b) = d {
                        self.resolve_includes(b, depth)?;
                    }
                }
                Ins::Procedure(_, _, _, b, _) | Ins::Forall(_, _, _, b) => self.resolve_includes(b, depth)?,
                Ins::IfVariant(_, _, a, b) => {
                    self.resolve_includes(a, depth)?;
                    self.resolve_includes(b, depth)?;
                }
                Ins::Enum(..) | Ins::Nop(_) => {}
            }
        }
        Ok(())
    }
}

fn collect_enums(ins: &[Ins], tag_types: &mut FxHashMap<Sym, Sym>, enums: &mut FxHashMap<Sym, Vec<Sym>>) {
    for i in ins {
        match i {
            Ins::Enum(_, name, tags) => {
                for t in tags {
                    tag_types.insert(*t, *name);
                }
                enums.insert(*name, tags.clone());
            }
            Ins::Include(_, _, Included::Ok(b)) | Ins::Procedure(_, _, _, b, _) | Ins::Forall(_, _, _, b) => {
                collect_enums(b, tag_types, enums)
            }
            Ins::IfVariant(_, _, a, b) => {
                collect_enums(a, tag_types, enums);
                collect_enums(b, tag_types, enums);
            }
            Ins::Match(_, _, cls, d) => {
                for (_, b) in cls {
                    collect_enums(b, tag_types, enums);
                }
                if let Some(b) = d {
                    collect_enums(b, tag_types, enums);
                }
            }
            _ => {}
        }
    }
}

/// herd's `BellName.tag2instrs_var`: upper-case the first letter.
pub fn annotation_set_name(tag: &str) -> String {
    let mut c = tag.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// herd's configuration file (`linux-kernel.cfg`): the `model`, `bell`
/// and `variant` lines kvet honours (herd/herd.ml's `-conf`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cfg {
    /// The model file (`model linux-kernel.cat`).
    pub model: String,
    /// The bell file (`bell linux-kernel.bell`).
    pub bell: Option<String>,
    /// The variants (`variant lkmmv2`).
    pub variants: Vec<String>,
}

impl Cfg {
    /// Read a configuration file's text (`name` for the error).
    pub fn parse(name: &str, text: &str) -> Result<Cfg, CatError> {
        let (mut model, mut bell, mut variants) = (None, None, Vec::new());
        for line in text.lines() {
            let mut w = line.split_whitespace();
            match (w.next(), w.next()) {
                (Some("model"), Some(m)) => model = Some(m.to_string()),
                (Some("bell"), Some(b)) => bell = Some(b.to_string()),
                (Some("variant"), Some(v)) => variants.extend(v.split(',').map(str::to_string)),
                _ => {}
            }
        }
        let model = model.ok_or_else(|| CatError::io(name, "no 'model' line".into()))?;
        Ok(Cfg { model, bell, variants })
    }
}

/// Where a model's files come from: the interpreter does no I/O. Given
/// a file name as the model writes it (`stdlib.cat`, the bell, an
/// `include`), a loader gives the name to report it under (its path) and
/// its text, or `None` when there is no such file.
pub type Loader<'a> = &'a dyn Fn(&str) -> Option<(String, String)>;

impl CatModel {
    /// Build a model from an in-memory source; `resolver` maps include names
    /// (and `stdlib.cat`, and the bell name) to file contents.
    pub fn from_source(
        name: &str,
        text: &str,
        resolver: &dyn Fn(&str) -> Option<String>,
    ) -> Result<CatModel, CatError> {
        Self::from_source_with(name, text, resolver, &CatOptions::default())
    }

    /// [`CatModel::from_source`] with options.
    pub fn from_source_with(
        name: &str,
        text: &str,
        resolver: &dyn Fn(&str) -> Option<String>,
        opts: &CatOptions,
    ) -> Result<CatModel, CatError> {
        let res = |n: &str| resolver(n).map(|t| (n.to_string(), t));
        Self::with_loader(name, text.to_string(), &res, opts)
    }

    /// Build a model from its text (`name` for messages), reading
    /// `stdlib.cat`, the bell and the includes through `loader` (whose
    /// names are used in messages).
    pub fn with_loader(name: &str, text: String, loader: Loader, opts: &CatOptions) -> Result<CatModel, CatError> {
        let mut ld = Includes { files: Vec::new(), int: Interner::default(), resolve: loader };
        let mut prelude = Vec::new();
        if !opts.no_stdlib {
            prelude.extend(ld.load("stdlib.cat", 1)?);
        }
        if let Some(b) = &opts.bell {
            prelude.extend(ld.load(b, 1)?);
        }
        let prog = ld.parse_text(name, text, 0)?;
        let mut tag_types = FxHashMap::default();
        let mut enums = FxHashMap::default();
        collect_enums(&prelude, &mut tag_types, &mut enums);
        collect_enums(&prog, &mut tag_types, &mut enums);
        let mut int = ld.int;
        let builtins = eval::builtins(&mut int, &tag_types);
        let skip = opts.skip_checks.iter().map(|s| int.intern(s)).collect();
        Ok(CatModel {
            name: name.to_string(),
            files: ld.files,
            int,
            prelude,
            prog,
            variants: opts.variants.iter().cloned().collect(),
            skip,
            through: opts.through.lets_invalid_through(),
            tag_types,
            enums,
            builtins,
            undefined_flag: Arc::from("undefined"),
        })
    }

    /// Model name (file name).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Source files (model, stdlib, bell and includes).
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }
    /// Set the active variants.
    pub fn set_variants<S: AsRef<str>>(&mut self, vs: &[S]) {
        self.variants = vs.iter().map(|s| s.as_ref().to_string()).collect();
    }
    /// herd's `-through`: let the executions that fail a check through.
    pub fn set_through(&mut self, t: crate::Through) {
        self.through = t.lets_invalid_through();
    }
    /// Skip checks by name.
    pub fn set_skip_checks<S: AsRef<str>>(&mut self, names: &[S]) {
        self.skip = names.iter().map(|s| self.int.intern(s.as_ref())).collect();
    }

    pub(crate) fn error_at(&self, span: ast::Span, msg: String) -> CatError {
        match self.files.get(span.file as usize) {
            Some(f) => CatError::new(ErrorKind::Eval, f, span.lo as usize, span.hi as usize, msg),
            None => CatError::io(&self.name, msg),
        }
    }
}

impl Model for CatModel {
    fn check_into(&self, ex: &Execution, out: &mut Vec<Verdict>) -> Result<(), CatError> {
        eval::run_model(self, ex, out)
    }
}
