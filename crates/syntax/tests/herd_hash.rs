//! herd7's test hash: kvet's `herd_hash` gives the `Hash=` line of every
//! herd7 output in the catalogue (`*.litmus.expected`), and a well-formed
//! hash for every C test of the corpus.

use std::path::Path;

mod common;
use common::{litmus_files, CORPUS};

#[test]
fn catalogue_hashes_are_herd7s() {
    let dir = Path::new(CORPUS).join("herd-catalogue");
    let files = litmus_files(&dir);
    let mut checked = 0;
    let mut bad = Vec::new();
    for f in &files {
        let Ok(expected) = std::fs::read_to_string(format!("{}.expected", f.display())) else {
            continue;
        };
        let want = expected
            .lines()
            .find_map(|l| l.strip_prefix("Hash="))
            .unwrap_or_else(|| panic!("{}.expected has no Hash= line", f.display()));
        let src = std::fs::read_to_string(f).expect("readable");
        let file = kvet_syntax::parse(&src).unwrap_or_else(|e| panic!("{}: {}", f.display(), e.message));
        let got = kvet_syntax::herd_hash(&file, &src);
        if got != want {
            bad.push(format!("{}: herd7 {want}, kvet {got}", f.display()));
        }
        checked += 1;
    }
    assert_eq!(checked, 79, "catalogue not found or changed at {}", dir.display());
    assert!(bad.is_empty(), "{} of {checked} differ:\n{}", bad.len(), bad.join("\n"));
}

#[test]
fn every_c_test_has_a_hash() {
    let files = litmus_files(Path::new(CORPUS));
    let mut hashed = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).expect("readable");
        if src.split_whitespace().next() != Some("C") {
            continue;
        }
        let file = kvet_syntax::parse(&src).unwrap_or_else(|e| panic!("{}: {}", f.display(), e.message));
        let h = kvet_syntax::herd_hash(&file, &src);
        assert!(
            h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{}: {h}",
            f.display()
        );
        // Prelude items (as `kvet litmus` parses) are not part of it.
        let with_prelude =
            kvet_syntax::parse_with_prelude("struct s { int a; };\n", &src).expect("parses with a prelude too");
        assert_eq!(kvet_syntax::herd_hash(&with_prelude, &src), h, "{}", f.display());
        hashed += 1;
    }
    assert!(hashed > 850, "only {hashed} C tests hashed: corpus not found at {CORPUS}?");
}
