//! Hand-written lexer for the cat language.
//!
//! Source: herdtools7 `lib/modelLexer.mll`.  Identifiers follow herd's
//! `name` regexp `'_'? alpha (alpha|digit|'_'|'.'|'-')* '\''?`, so `po-loc`
//! is one identifier and `rf^-1` lexes as `rf`, `^`, `-1`.  Comments are
//! `(* ... *)` (nesting), `// ...` and `# ...` to end of line.

/// Keywords.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum Kw {
    Let,
    Rec,
    And,
    When,
    Acyclic,
    Irreflexive,
    Show,
    Unshow,
    Empty,
    Subset,
    As,
    Fun,
    In,
    UndefinedUnless,
    Flag,
    Include,
    Begin,
    End,
    Procedure,
    Call,
    Enum,
    Debug,
    Match,
    With,
    Forall,
    From,
    Do,
    Try,
    If,
    Then,
    Else,
    Instructions,
    Default,
}

/// Tokens.
#[derive(Clone, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum Tok {
    Var(String),
    Tag(String),
    Str(String),
    Kw(Kw),
    LPar,
    RPar,
    LAcc,
    RAcc,
    LBrac,
    RBrac,
    Underscore,
    Zero,
    Union,
    Alt,
    Inter,
    Star,
    Comp,
    Plus,
    PlusPlus,
    Hat,
    Inv,
    Diff,
    Opt,
    Equal,
    Semi,
    Comma,
    Arrow,
    Eof,
}

fn keyword(s: &str) -> Option<Kw> {
    Some(match s {
        "let" => Kw::Let,
        "rec" => Kw::Rec,
        "and" => Kw::And,
        "when" => Kw::When,
        "acyclic" => Kw::Acyclic,
        "irreflexive" => Kw::Irreflexive,
        "show" => Kw::Show,
        "unshow" => Kw::Unshow,
        "empty" => Kw::Empty,
        "subset" => Kw::Subset,
        "as" => Kw::As,
        "fun" => Kw::Fun,
        "in" => Kw::In,
        "undefined_unless" => Kw::UndefinedUnless,
        "flag" => Kw::Flag,
        "include" => Kw::Include,
        "begin" => Kw::Begin,
        "end" => Kw::End,
        "procedure" => Kw::Procedure,
        "call" => Kw::Call,
        "enum" => Kw::Enum,
        "debug" => Kw::Debug,
        "match" => Kw::Match,
        "with" => Kw::With,
        "forall" => Kw::Forall,
        "from" => Kw::From,
        "do" => Kw::Do,
        "try" => Kw::Try,
        "if" => Kw::If,
        "then" => Kw::Then,
        "else" => Kw::Else,
        "instructions" => Kw::Instructions,
        "default" => Kw::Default,
        _ => return None,
    })
}

/// A token with its byte span.
#[derive(Clone, Debug)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Start offset.
    pub lo: usize,
    /// End offset.
    pub hi: usize,
}

/// Lexing error: message and byte span.
#[derive(Debug)]
pub struct LexError {
    /// Message.
    pub msg: String,
    /// Start.
    pub lo: usize,
    /// End.
    pub hi: usize,
}

fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic()
}

/// Tokenize a whole file.
pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
            i += 1;
            continue;
        }
        if c == b'#' || (c == b'/' && b.get(i + 1) == Some(&b'/')) {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'(' && b.get(i + 1) == Some(&b'*') {
            let start = i;
            let mut depth = 1;
            i += 2;
            while depth > 0 {
                if i >= b.len() {
                    return Err(LexError { msg: "unterminated comment".into(), lo: start, hi: start + 2 });
                }
                if b[i] == b'(' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b')') {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            continue;
        }
        let lo = i;
        let two = |x: u8| b.get(i + 1) == Some(&x);
        let (tok, len) = match c {
            b'(' => (Tok::LPar, 1),
            b')' => (Tok::RPar, 1),
            b'{' => (Tok::LAcc, 1),
            b'}' => (Tok::RAcc, 1),
            b'[' => (Tok::LBrac, 1),
            b']' => (Tok::RBrac, 1),
            b'0' => (Tok::Zero, 1),
            b'|' if two(b'|') => (Tok::Alt, 2),
            b'|' => (Tok::Union, 1),
            b'&' => (Tok::Inter, 1),
            b'*' => (Tok::Star, 1),
            b'~' => (Tok::Comp, 1),
            b'+' if two(b'+') => (Tok::PlusPlus, 2),
            b'+' => (Tok::Plus, 1),
            b'^' => (Tok::Hat, 1),
            b'-' if two(b'1') => (Tok::Inv, 2),
            b'-' if two(b'>') => (Tok::Arrow, 2),
            b'\\' => (Tok::Diff, 1),
            b'?' => (Tok::Opt, 1),
            b'=' => (Tok::Equal, 1),
            b';' => (Tok::Semi, 1),
            b',' => (Tok::Comma, 1),
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += 1;
                }
                if j >= b.len() {
                    return Err(LexError { msg: "unterminated string".into(), lo, hi: lo + 1 });
                }
                (Tok::Str(src[i + 1..j].to_string()), j + 1 - i)
            }
            b'\'' => match name_len(b, i + 1) {
                Some(n) => (Tok::Tag(src[i + 1..i + 1 + n].to_string()), n + 1),
                None => return Err(LexError { msg: "bad tag".into(), lo, hi: lo + 1 }),
            },
            b'_' if !b.get(i + 1).is_some_and(|&x| is_alpha(x)) => (Tok::Underscore, 1),
            _ => match name_len(b, i) {
                Some(n) => {
                    let s = &src[i..i + n];
                    (keyword(s).map_or_else(|| Tok::Var(s.to_string()), Tok::Kw), n)
                }
                None => {
                    let ch = src[i..].chars().next().unwrap_or('?');
                    return Err(LexError { msg: format!("unexpected character '{ch}'"), lo, hi: lo + ch.len_utf8() });
                }
            },
        };
        i += len;
        out.push(Token { tok, lo, hi: i });
    }
    out.push(Token { tok: Tok::Eof, lo: b.len(), hi: b.len() });
    Ok(out)
}

/// Length of herd's `name` starting at `i`, if any.
fn name_len(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    if b.get(j) == Some(&b'_') {
        j += 1;
    }
    if !b.get(j).is_some_and(|&c| is_alpha(c)) {
        return None;
    }
    j += 1;
    while let Some(&c) = b.get(j) {
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-' {
            j += 1;
        } else {
            break;
        }
    }
    if b.get(j) == Some(&b'\'') {
        j += 1;
    }
    Some(j - i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_names_and_inverse() {
        let t: Vec<Tok> = lex("let po-loc = rf^-1 ; [~Srcu-unlock] (* c (* n *) *) # x\n'rcu-lock")
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect();
        assert_eq!(
            t,
            vec![
                Tok::Kw(Kw::Let),
                Tok::Var("po-loc".into()),
                Tok::Equal,
                Tok::Var("rf".into()),
                Tok::Hat,
                Tok::Inv,
                Tok::Semi,
                Tok::LBrac,
                Tok::Comp,
                Tok::Var("Srcu-unlock".into()),
                Tok::RBrac,
                Tok::Tag("rcu-lock".into()),
                Tok::Eof
            ]
        );
    }
}
