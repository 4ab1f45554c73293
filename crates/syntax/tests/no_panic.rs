//! `parse` never panics, nor `herd_hash` on what parses: seeded
//! mutations of every corpus C test (deleted, duplicated and inserted
//! bytes and tokens), and proptest over strings built from C and herd
//! tokens.

use std::path::Path;

use proptest::prelude::*;

mod common;
use common::{litmus_files, CORPUS};

/// Pieces worth inserting: they open and close constructs.
const PIECES: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ";",
    ",",
    "*",
    "&",
    "/\\",
    "\\/",
    "~",
    "=>",
    "=",
    "==",
    "!=",
    "->",
    ".",
    "...",
    "(*",
    "*)",
    "/*",
    "*/",
    "//",
    "\"",
    "'",
    "\\",
    "\n#define A(x) x x\n",
    "\n#define B B(B)\n",
    "\n#if 1\n",
    "\n#endif\n",
    "\n#else\n",
    "\n#undef A\n",
    "\n#include <x.h>\n",
    "#",
    "##",
    "A(",
    "B",
    "0:",
    "1:r1",
    "P0(",
    "IRQ(0)",
    "SOFTIRQ(1, 2)",
    "exists",
    "~exists",
    "forall",
    "filter",
    "locations [",
    "not",
    "true",
    "int",
    "struct",
    "typedef",
    "enum",
    "union",
    "unsigned long",
    "spinlock_t",
    "foo_t",
    "__rcu",
    "__attribute__((x))",
    "sizeof",
    "typeof(",
    "container_of(",
    "if",
    "else",
    "for",
    "while",
    "do",
    "switch",
    "case",
    "default:",
    "goto",
    "return",
    "0x",
    "9999999999999999999999",
    "-",
    "?",
    ":",
    "\u{e9}",
    "\0",
    "'\\x'",
    "({",
    "C ",
    "\n",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(src: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = src.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = b.len();
        let at = rng.below(len + 1);
        match rng.below(6) {
            0 => {
                let n = rng.below(16).min(len - at.min(len));
                b.drain(at..at + n);
            }
            1 => {
                let n = rng.below(32).min(len - at.min(len));
                let piece: Vec<u8> = b[at..at + n].to_vec();
                let to = rng.below(b.len() + 1);
                b.splice(to..to, piece);
            }
            2 | 3 => {
                let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                b.splice(at..at, piece.iter().copied());
            }
            4 => b.truncate(at),
            _ => {
                if at < len {
                    b[at] = (rng.next() & 0x7f) as u8;
                }
            }
        }
    }
    b
}

#[test]
fn mutated_corpus_never_panics() {
    let files = litmus_files(Path::new(CORPUS));
    assert!(!files.is_empty(), "corpus not found at {CORPUS}");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let prelude =
        "#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))\nstruct list_head { struct list_head *next, *prev; };\n";
    // KVET_FUZZ_ROUNDS=n runs n mutations per file (default 30).
    let rounds: usize = std::env::var("KVET_FUZZ_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    if let Some(seed) = std::env::var("KVET_FUZZ_SEED").ok().and_then(|s| s.parse().ok()) {
        rng = Rng(seed);
    }
    let mut parsed = 0usize;
    let mut total = 0usize;
    for f in &files {
        let Ok(text) = std::fs::read(f) else { continue };
        for k in 0..rounds {
            let m = mutate(&text, &mut rng);
            let s = String::from_utf8_lossy(&m);
            let res = if k % 3 == 0 { kvet_syntax::parse_with_prelude(prelude, &s) } else { kvet_syntax::parse(&s) };
            total += 1;
            match res {
                Ok(file) => {
                    parsed += 1;
                    // herd7's hash of whatever parsed never panics either.
                    let _ = kvet_syntax::herd_hash(&file, &s);
                }
                Err(e) => {
                    // Spans stay inside the text they point into.
                    let (lo, hi) = (e.span.lo as usize, e.span.hi as usize);
                    if e.span.is_prelude() {
                        let base = kvet_syntax::PRELUDE_BASE as usize;
                        assert!(lo - base <= prelude.len() && hi - base <= prelude.len(), "{}: {e:?}", f.display());
                    } else {
                        assert!(lo <= hi && hi <= s.len(), "{}: {e:?}", f.display());
                    }
                    assert!(!e.message.is_empty());
                }
            }
        }
    }
    eprintln!("{total} mutated inputs, {parsed} still parse");
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES.to_vec()), 0..60).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_string_never_panics(s in "\\PC*") {
        let _ = kvet_syntax::parse(&s);
        let _ = kvet_syntax::parse(&format!("C t\n{s}"));
    }

    #[test]
    fn token_soup_never_panics(s in token_soup()) {
        let _ = kvet_syntax::parse(&format!("C t\n{s}"));
        let src = format!("C t\n{{}}\nP0(int *x) {{ {s} }}\nexists ({s})");
        if let Ok(file) = kvet_syntax::parse(&src) {
            let _ = kvet_syntax::herd_hash(&file, &src);
        }
        let _ = kvet_syntax::parse_with_prelude(&s, "C t\n{}\n");
    }
}
