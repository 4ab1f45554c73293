//! Every model file of the LKMM distribution and of herd's library parses
//! and evaluates on trivial executions; cat errors are reported with
//! locations and never panic.

mod common;
use common::*;
use kvet_axiom::ErrorKind;
use kvet_axiom::{CatModel, CatOptions, Execution, Model, Tag};
use std::path::Path;

/// herd library files referenced by the library models but absent from
/// the shared directory, replaced by minimal stand-ins.
fn stub(name: &str) -> Option<String> {
    Some(
        match name {
            "fences.cat" => "fences\n",
            "x86fences.cat" => "X86fences\nlet MFENCE = emptyset\n",
            "cos-no-opt.cat" | "cos-ok-opt.cat" => "cos\ninclude \"cos-opt.cat\"\n",
            _ => return None,
        }
        .to_string(),
    )
}

fn resolver(name: &str) -> Option<String> {
    for d in [lkmm_dir(), libdir()] {
        if let Ok(t) = std::fs::read_to_string(d.join(name)) {
            return Some(t);
        }
    }
    stub(name)
}

fn load(name: &str, bell: bool) -> CatModel {
    let text = resolver(name).unwrap_or_else(|| panic!("missing {name}"));
    let opts = CatOptions {
        bell: bell.then(|| "linux-kernel.bell".to_string()),
        variants: vec!["lkmmv2".into()],
        ..Default::default()
    };
    CatModel::from_source_with(name, &text, &resolver, &opts).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn trivial() -> Vec<Execution> {
    let mut v = vec![Execution::new()];
    let mut e = Execution::new();
    let x = e.location("x");
    let i = e.init_write(x, 0);
    let w = e.write(0, x, 1, ONCE);
    let r = e.read(1, x, 0, ONCE);
    e.fence(1, &[Tag::MB]);
    e.add_rf(i, r);
    e.add_final(w);
    v.push(e);
    v.push(sb(None));
    v.push(lock_mp(1, 1, true));
    v
}

#[test]
fn all_model_files_evaluate() {
    let files: &[(&str, bool)] = &[
        ("linux-kernel.cat", true),
        ("sc-kernel.cat", true),
        ("lock.cat", true),
        ("stdlib.cat", false),
        ("cross.cat", false),
        ("cos.cat", false),
        ("cos-opt.cat", false),
        ("filters.cat", false),
        ("sc.cat", false),
        ("tso.cat", false),
        ("minimal.cat", false),
    ];
    for &(f, bell) in files {
        let m = load(f, bell);
        for ex in trivial() {
            let v = m.check(&ex).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert!(!v.is_empty() || f == "lock.cat", "{f}: no verdict");
        }
    }
    // The bell file alone, as a model.
    let m = load("linux-kernel.bell", false);
    for ex in trivial() {
        m.check(&ex).unwrap();
    }
}

#[test]
fn sc_cat_forbids_sb() {
    assert!(!allowed(&load("sc.cat", false), &sb(None)));
    assert!(allowed(&load("minimal.cat", false), &sb(None)));
}

#[test]
fn load_from_paths() {
    let m = read_cat(&lkmm_dir().join("sc-kernel.cat"), &[libdir()], &CatOptions::default());
    // No bell given: the model refers to bell sets and fails at run time.
    let m = m.expect("parses");
    assert!(m.check(&sb(None)).is_err());
    let m = read_cat(
        &lkmm_dir().join("linux-kernel.cat"),
        &[libdir()],
        &CatOptions { bell: Some("linux-kernel.bell".into()), variants: vec!["lkmmv2".into()], ..Default::default() },
    )
    .unwrap();
    assert!(allowed(&m, &sb(None)));
    assert!(read_cat(Path::new("/nonexistent/x.cat"), &[], &CatOptions::default()).is_err());
}

#[test]
fn variant_flag() {
    let mut m = lkmm();
    assert!(flags_of_allowed(&m, &sb(None)).is_empty());
    m.set_variants::<&str>(&[]);
    assert_eq!(flags_of_allowed(&m, &sb(None)), vec!["this-model-requires-variant-higher-than-lkmmv1"]);
    let n = kvet_axiom::native::NativeLkmm::new().with_lkmmv2(false);
    assert_eq!(flags_of_allowed(&n, &sb(None)), vec!["this-model-requires-variant-higher-than-lkmmv1"]);
}

fn src(text: &str) -> Result<CatModel, kvet_axiom::CatError> {
    CatModel::from_source_with("t.cat", text, &resolver, &CatOptions { no_stdlib: true, ..Default::default() })
}

#[test]
fn syntax_errors_are_located() {
    let e = src("\"t\"\nlet x = po |\n").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Parse);
    assert_eq!((e.file.as_str(), e.line), ("t.cat", 3));
    let e = src("let x = po\nlet y = $\n").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Lex);
    assert_eq!((e.line, e.col), (2, 9));
    let e = src("(* unterminated").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Lex);
}

#[test]
fn eval_errors_are_located() {
    let m = src("let x = po\nacyclic x | nosuch as t\n").unwrap();
    let e = m.check(&sb(None)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Eval);
    assert_eq!(e.line, 2);
    assert!(e.msg.contains("nosuch"), "{}", e.msg);
    let m = src("acyclic R as t\n").unwrap();
    assert!(m.check(&sb(None)).is_err());
    let m = src("include \"nosuch.cat\"\n").unwrap();
    assert!(m.check(&sb(None)).is_err());
    let m = src("let rec f x = f x\nlet y = f 0\nempty y\n").unwrap();
    assert!(m.check(&sb(None)).is_err());
    let m = src("include \"t2.cat\"\n");
    assert!(m.is_ok());
}

#[test]
fn language_features() {
    let text = r#"
"features"
enum Colors = 'red || 'green || 'blue
let f (a, b) = a | b
let g = fun x -> x ; x
let h = match 'red with 'red -> po || _ -> 0 end
let s = try nosuch with 0
let k = if po = po then po else 0
let pairs = { }
let rec evens = [R] | (evens ; po ; po)
procedure nonempty(r) =
  ~empty r
end
call nonempty(f(po, rf)) as ne
forall c in Colors do
  let z = c
end
let cnt = match W with || {} -> 0 || w ++ ws -> [{w}] end
let pre = match W with || {} -> 0 || a | w ++ b -> [{w}] end
empty h \ po as same
flag ~empty cnt as has-writes
with r from {po, 0}
flag empty r as empty-alt
"#;
    let m = src(text).unwrap_or_else(|e| panic!("{e}"));
    let v = verdicts(&m, &sb(None));
    assert_eq!(v.len(), 2);
    assert!(v.iter().all(|v| v.allowed && v.has_flag("has-writes")));
    assert_eq!(v.iter().filter(|v| v.has_flag("empty-alt")).count(), 1);
}

#[test]
fn garbage_never_panics() {
    let pieces = [
        "let",
        "rec",
        "x",
        "=",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "|",
        "||",
        ";",
        "*",
        "+",
        "?",
        "^-1",
        "~",
        "&",
        "\\",
        "po",
        "rf",
        "_",
        "0",
        "in",
        "match",
        "with",
        "end",
        "fun",
        "->",
        "acyclic",
        "as",
        "++",
        "'t",
        "\"v\"",
        "if",
        "then",
        "else",
        ",",
        "include",
        "procedure",
        "call",
        "forall",
        "do",
        "from",
        "try",
        "enum",
    ];
    let mut seed = 12345u64;
    for _ in 0..3000 {
        let mut s = String::new();
        let len = 1 + (seed % 14) as usize;
        for _ in 0..len {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            s.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            s.push(' ');
        }
        if let Ok(m) = src(&s) {
            let _ = m.check(&sb(None));
        }
    }
}
