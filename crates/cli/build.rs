//! Embeds every scenario under `examples/` into the binary, for `kvet demo`.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "kvet") {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files);
    // the seed scenarios first, then the others
    files.sort_by_key(|f| (!f.to_string_lossy().contains("/seeds/"), f.clone()));
    let mut code = String::from(
        "/// (path under examples/, source) of every built-in scenario.\npub const EXAMPLES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        let abs = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
        code.push_str(&format!("    ({rel:?}, include_str!({:?})),\n", abs.display().to_string()));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("examples.rs");
    std::fs::write(out, code).expect("write examples.rs");
}
