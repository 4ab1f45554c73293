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
    let line_start = text[..lo].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[lo..].find('\n').map_or(text.len(), |i| lo + i);
    if line_end - line_start > MAX_EXCERPT {
        let name = if id == pre { "<kvet prelude>" } else { file_name };
        return render_long_line(name, text, (line_start, line_end), (lo, hi), err);
    }
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

/// Source lines longer than this are shown as a window around the error.
const MAX_EXCERPT: usize = 200;

/// codespan prints the whole source line; for a line of megabytes (a
/// generated file, a file on one line) print a window of it instead, in
/// the same layout, with `…` where it is cut.
fn render_long_line(name: &str, text: &str, line: (usize, usize), span: (usize, usize), err: &Error) -> String {
    let (line_start, line_end) = line;
    let (lo, hi) = span;
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let from = floor(lo.saturating_sub(MAX_EXCERPT / 2).max(line_start));
    let to = floor((from + MAX_EXCERPT).min(line_end));
    let hi = hi.clamp(lo, to.max(lo));
    let (l, c) = kvet_syntax::line_col(text, lo as u32);
    let num = l.to_string();
    let pad = " ".repeat(num.len());
    let lead = if from > line_start { "…" } else { "" };
    let tail = if to < line_end { "…" } else { "" };
    let indent = lead.chars().count() + text[from..lo].chars().count();
    let carets = text[lo..hi].chars().count().max(1);
    let mut out = format!("error: {}\n{pad} ┌─ {name}:{l}:{c}\n{pad} │\n", err.message);
    out += &format!("{num} │ {lead}{}{tail}\n", &text[from..to]);
    out += &format!("{pad} │ {}{} {}\n", " ".repeat(indent), "^".repeat(carets), err.label);
    for n in &err.notes {
        out += &format!("{pad} │\n{pad} = {n}\n");
    }
    out
}
