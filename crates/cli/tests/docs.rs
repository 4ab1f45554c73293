//! Generated documentation: every block in README.md, docs/language.md
//! and the seed READMEs that follows a `<!-- kvet-output: ARGS -->`
//! marker is the output of `kvet ARGS` run from the repository's root
//! (times aside), and every `kvet replay FILE TOKEN` in them replays.
//! `UPDATE_EXPECT=1 cargo test -p kvet --test docs` rewrites the blocks.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).canonicalize().unwrap()
}

fn docs() -> Vec<PathBuf> {
    let r = root();
    let mut v = vec![r.join("README.md"), r.join("docs/language.md")];
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(r.join("examples/seeds"))
        .unwrap()
        .map(|e| e.unwrap().path().join("README.md"))
        .filter(|p| p.exists())
        .collect();
    seeds.sort();
    v.extend(seeds);
    v
}

fn kvet(args: &[&str], cwd: &Path) -> (String, i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_kvet")).args(args).current_dir(cwd).output().unwrap();
    (String::from_utf8_lossy(&o.stdout).into_owned(), o.status.code().unwrap_or(-1))
}

/// Times (`0.123s`, also before a `)`) vary from run to run.
fn normal(s: &str) -> String {
    s.lines()
        .map(|l| {
            l.split(' ')
                .map(|t| {
                    // a time may close a parenthesis: `(executions 2  0.000s)`
                    let (w, close) = match t.strip_suffix(')') {
                        Some(w) => (w, ")"),
                        None => (t, ""),
                    };
                    let d = w.strip_suffix('s').unwrap_or("");
                    if !d.is_empty() && d.contains('.') && d.chars().all(|c| c.is_ascii_digit() || c == '.') {
                        format!("T{close}")
                    } else {
                        t.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const MARK: &str = "<!-- kvet-output: ";

#[test]
fn generated_blocks_are_kvets_output() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut stale = Vec::new();
    let mut blocks = 0;
    for doc in docs() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            out.push(lines[i].to_string());
            let Some(args) = lines[i].trim().strip_prefix(MARK).and_then(|r| r.strip_suffix(" -->")) else {
                i += 1;
                continue;
            };
            assert_eq!(
                lines.get(i + 1).copied(),
                Some("```text"),
                "{}:{}: a ```text block must follow the marker",
                doc.display(),
                i + 1
            );
            let end = (i + 2..lines.len())
                .find(|&j| lines[j] == "```")
                .unwrap_or_else(|| panic!("{}:{}: unclosed block", doc.display(), i + 1));
            let have = lines[i + 2..end].join("\n");
            let argv: Vec<&str> = args.split_whitespace().collect();
            let (got, _) = kvet(&argv, &root());
            let got = got.trim_end().to_string();
            blocks += 1;
            if normal(&have) != normal(&got) {
                stale.push(format!("{}:{}: kvet {args}", doc.display(), i + 1));
            }
            out.push("```text".into());
            if update && normal(&have) != normal(&got) {
                out.push(got);
            } else {
                out.push(have);
            }
            out.push("```".into());
            i = end + 1;
        }
        if update {
            let mut new = out.join("\n");
            new.push('\n');
            if new != text {
                std::fs::write(&doc, new).unwrap();
            }
        }
    }
    assert!(blocks >= 7, "only {blocks} generated blocks");
    assert!(
        update || stale.is_empty(),
        "stale generated docs (run UPDATE_EXPECT=1 cargo test -p kvet --test docs):\n{}",
        stale.join("\n")
    );
}

/// Every replay token shown in the docs still replays.
#[test]
fn replay_tokens_in_docs_replay() {
    let mut n = 0;
    for doc in docs() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (i, _) in text.match_indices("kvet replay ") {
            let rest = &text[i + "kvet replay ".len()..];
            let words: Vec<&str> = rest.split_whitespace().take(2).collect();
            let [file, tok] = words[..] else { continue };
            let tok = tok.trim_end_matches(['`', ')', ',', '.', ':']);
            let file = file.trim_matches('`');
            if !tok.starts_with("kv1.") || file.contains("FILE") {
                continue;
            }
            let dir = doc.parent().unwrap();
            let cwd = if dir.join(file).exists() { dir.to_path_buf() } else { root() };
            let (_, code) = kvet(&["replay", file, tok], &cwd);
            assert!(code == 0 || code == 1, "{}: `kvet replay {file} {tok}` fails (exit {code})", doc.display());
            n += 1;
        }
    }
    assert!(n >= 3, "only {n} replay tokens checked");
}
