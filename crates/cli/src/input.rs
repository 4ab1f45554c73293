//! One scenario file, read and compiled once: its source text, the AST,
//! the lowered program and herd7's `Hash=` value (herd's
//! lib/CTestHash.ml, by `kvet_syntax::herd_hash`, computed from the same
//! AST the first time it is asked for). Also the one directory walker of
//! the command line. Every command (`check`, `litmus`, `replay`, `demo`,
//! `herd7`, `bench-corpus`) loads its files here.

use kvet_ir::Program;
use kvet_syntax::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A scenario read and compiled.
#[derive(Debug)]
pub struct Input {
    /// The file's name as given (for messages).
    pub name: String,
    /// The source text (old Mac line ends read as newlines).
    pub src: String,
    /// The parsed file (with the prelude's items first, if any).
    pub file: File,
    /// The lowered program.
    pub prog: Program,
    hash: OnceLock<String>,
}

/// Why a file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// The file is not UTF-8.
    #[error("{}:{line}:{col}: the file is not valid UTF-8: byte 0x{byte:02x} at offset {offset}", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first bad byte.
        line: u32,
        /// 1-based column of the first bad byte.
        col: u32,
        /// The first bad byte.
        byte: u8,
        /// Its offset in the file.
        offset: usize,
    },
    /// Parsing or lowering failed.
    #[error("{}: {}", name, error.message)]
    Front {
        /// The file's name.
        name: String,
        /// Its source text.
        src: String,
        /// The prelude it was compiled with.
        prelude: &'static str,
        /// The located error.
        error: Box<kvet_syntax::Error>,
    },
}

impl LoadError {
    /// The error as the terminal shows it (a front-end error with its
    /// source line underlined), ending with a newline.
    pub fn render(&self, color: bool) -> String {
        match self {
            LoadError::Read { .. } => format!("kvet: {self}\n"),
            LoadError::NotUtf8 { .. } => format!("error: {self}\n"),
            LoadError::Front { name, src, prelude, error } => {
                kvet_report::render_error(name, src, prelude, error, color)
            }
        }
    }
}

impl Input {
    /// Read `path` and compile it after `prelude` (`kvet_ir::PRELUDE`, or
    /// `""` for herd7's plain litmus tests).
    pub fn load(path: &Path, prelude: &'static str) -> Result<Input, LoadError> {
        let src = read_source(path)?;
        Input::from_source(path.display().to_string(), src, prelude)
    }

    /// Compile a source text already in memory (`name` is for messages).
    pub fn from_source(name: String, src: String, prelude: &'static str) -> Result<Input, LoadError> {
        let compiled = kvet_syntax::parse_with_prelude(prelude, &src)
            .and_then(|file| Ok((kvet_ir::lower(&file, &src, prelude)?, file)));
        match compiled {
            Ok((prog, file)) => Ok(Input { name, src, file, prog, hash: OnceLock::new() }),
            Err(error) => Err(LoadError::Front { name, src, prelude, error: Box::new(error) }),
        }
    }

    /// herd7's `Hash=` value of the test.
    pub fn hash(&self) -> &str {
        self.hash.get_or_init(|| kvet_syntax::herd_hash(&self.file, &self.src))
    }

    /// The `Result: Never|Sometimes|Always` comment of a litmus file.
    pub fn expected_result(&self) -> Option<&str> {
        let i = self.src.find("Result:")?;
        self.src[i + 7..].split_whitespace().next()
    }
}

/// Read a source file: UTF-8 (an error names the first bad byte's
/// line, column and offset), with old Mac line ends (a lone `\r`) read
/// as newlines. The byte length is kept, so spans stay valid.
pub fn read_source(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|error| LoadError::Read { path: path.to_path_buf(), error })?;
    let mut src = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let good = std::str::from_utf8(&e.as_bytes()[..offset]).unwrap_or_default();
            let (line, col) = kvet_syntax::line_col(good, offset as u32);
            let byte = e.as_bytes()[offset];
            return Err(LoadError::NotUtf8 { path: path.to_path_buf(), line, col, byte, offset });
        }
    };
    if src.contains('\r') {
        src = cr_to_lf(&src);
    }
    Ok(src)
}

/// Replace every `\r` not followed by `\n` by `\n` (same length).
fn cr_to_lf(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut it = src.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\r' && it.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// The files under `dir` (recursively) whose extension is one of `exts`,
/// in path order (a directory's files and subdirectories sorted by name).
pub fn walk(dir: &Path, exts: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    fn go(d: &Path, exts: &[&str], out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for e in std::fs::read_dir(d)? {
            let p = e?.path();
            if p.is_dir() {
                go(&p, exts, out)?;
            } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&e)) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(dir, exts, &mut out)?;
    out.sort();
    Ok(out)
}
