//! Byte-offset spans into one source text, and line/column lookup.

/// A half-open byte range `lo..hi` in the source text of one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The first byte.
    pub lo: u32,
    /// One past the last byte.
    pub hi: u32,
}

impl Span {
    /// The span `lo..hi`.
    pub fn new(lo: usize, hi: usize) -> Span {
        Span { lo: lo as u32, hi: hi as u32 }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { lo: self.lo.min(other.lo), hi: self.hi.max(other.hi) }
    }

    /// As a range of byte offsets.
    pub fn range(self) -> std::ops::Range<usize> {
        self.lo as usize..self.hi as usize
    }
}

/// Spans at or above this offset point into the prelude text (the
/// kernel-like C kept with the engine), at `offset - PRELUDE_BASE`.
pub const PRELUDE_BASE: u32 = 0x8000_0000;

impl Span {
    /// Does it point into the prelude?
    pub fn is_prelude(self) -> bool {
        self.lo >= PRELUDE_BASE
    }
}

/// 1-based line and 0-based byte offset within that line of a byte
/// offset in `text`: OCaml's `Lexing` position (`pos_lnum`,
/// `pos_cnum - pos_bol`), as herd7 prints `line L, character C`.
pub fn line_byte_col(text: &str, offset: u32) -> (u32, u32) {
    let offset = (offset as usize).min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let col_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    (line, (offset - col_start) as u32)
}

/// 1-based line and column of a byte offset in `text`.
pub fn line_col(text: &str, offset: u32) -> (u32, u32) {
    let mut offset = (offset as usize).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let col_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let col = text[col_start..offset].chars().count() as u32 + 1;
    (line, col)
}
