//! Rendering of front-end errors: `file:line:col`, the source line and a
//! caret underline, via codespan-reporting.

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::Buffer};
use kvet_syntax::{Error, PRELUDE_BASE};

/// Render an error against its source (or the prelude, for prelude spans).
pub fn render_error(file_name: &str, src: &str, prelude: &str, err: &Error, color: bool) -> String {
    let mut files = SimpleFiles::new();
    let main = files.add(file_name.to_string(), src.to_string());
    let pre = files.add("<kvet prelude>".to_string(), prelude.to_string());
    let (id, lo, hi, text) = if err.span.lo >= PRELUDE_BASE {
        (pre, (err.span.lo - PRELUDE_BASE) as usize, err.span.hi.saturating_sub(PRELUDE_BASE) as usize, prelude)
    } else {
        (main, err.span.lo as usize, err.span.hi as usize, src)
    };
    let lo = lo.min(text.len());
    let mut hi = hi.clamp(lo, text.len());
    while !text.is_char_boundary(hi) {
        hi -= 1;
    }
    let lo = (0..=lo).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0).min(hi);
    let diag = Diagnostic::error()
        .with_message(err.message.clone())
        .with_labels(vec![Label::primary(id, lo..hi).with_message(err.label.clone())])
        .with_notes(err.notes.clone());
    let mut buf = if color { Buffer::ansi() } else { Buffer::no_color() };
    let config = term::Config::default();
    if term::emit(&mut buf, &config, &files, &diag).is_err() {
        let (l, c) = kvet_syntax::line_col(text, lo as u32);
        return format!("error: {}\n --> {file_name}:{l}:{c}\n", err.message);
    }
    String::from_utf8_lossy(buf.as_slice()).into_owned()
}
