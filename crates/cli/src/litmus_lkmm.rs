//! `kvet litmus` with an axiomatic model: the candidate-execution generator
//! of `kvet_axiom::gen` and a model (the native LKMM, the native LKMM+SC,
//! or any `.cat`/`.cfg` file run by the cat interpreter), printed as
//! herd7's block (`herd/top_herd.ml`).  Also the Graphviz view of one
//! execution (`--dot`) and the per-file corpus benchmark.

use anyhow::{Context, Result};
use kvet_axiom::gen::{GenError, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::{CatModel, EventKind, Model, Through};
use kvet_ir::Program;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Which model to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelChoice {
    /// The native LKMM (`linux-kernel.cfg`).
    Lkmm,
    /// The native LKMM plus SC (`sc-kernel.cfg`).
    Sc,
    /// A `.cfg` file, run by the interpreter.
    Cfg(PathBuf),
    /// A `.cat` file, run by the interpreter.
    Cat { cat: PathBuf, bell: Option<PathBuf>, variants: Vec<String> },
}

impl ModelChoice {
    /// `lkmm`, `sc`, `FILE.cfg` or `FILE.cat`.
    pub fn parse(s: &str) -> ModelChoice {
        match s {
            "lkmm" | "linux-kernel" => ModelChoice::Lkmm,
            "sc" | "sc-kernel" => ModelChoice::Sc,
            f if f.ends_with(".cfg") => ModelChoice::Cfg(PathBuf::from(f)),
            f => ModelChoice::Cat { cat: PathBuf::from(f), bell: None, variants: Vec::new() },
        }
    }
}

/// Directories searched for model files: `-I` dirs, the file's own
/// directory, `KVET_LKMM_DIR`/`HERDLIB`, then `../shared/lkmm` next to
/// the working directory or the executable.
pub fn search_dirs(extra: &[PathBuf], file: Option<&Path>) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = extra.to_vec();
    if let Some(d) = file.and_then(|f| f.parent()) {
        v.push(if d.as_os_str().is_empty() { PathBuf::from(".") } else { d.to_path_buf() });
    }
    for var in ["KVET_LKMM_DIR", "HERDLIB"] {
        if let Some(p) = std::env::var_os(var) {
            let p = PathBuf::from(p);
            v.push(p.join("herd-libdir"));
            v.push(p);
        }
    }
    let mut roots = vec![PathBuf::from(".")];
    if let Ok(exe) = std::env::current_exe() {
        if let Some(d) = exe.parent() {
            roots.push(d.to_path_buf());
        }
    }
    for r in roots {
        for up in ["", "..", "../..", "../../.."] {
            let base = r.join(up).join("../shared/lkmm");
            if base.is_dir() {
                v.push(base.join("herd-libdir"));
                v.push(base);
            }
        }
    }
    v
}

fn find(name: &Path, dirs: &[PathBuf]) -> Option<PathBuf> {
    if name.exists() {
        return Some(name.to_path_buf());
    }
    if name.is_absolute() {
        return None;
    }
    dirs.iter().map(|d| d.join(name)).find(|p| p.exists())
}

/// Load a model; `through` is herd's `-through` (give the generator the
/// same setting).
pub fn load_model(choice: &ModelChoice, include: &[PathBuf], through: Through) -> Result<Box<dyn Model>> {
    let dirs = search_dirs(include, None);
    Ok(match choice {
        ModelChoice::Lkmm => Box::new(NativeLkmm::new().allowed_only().through(through)),
        ModelChoice::Sc => Box::new(NativeLkmm::sc().allowed_only().through(through)),
        ModelChoice::Cfg(p) => {
            let f = find(p, &dirs).with_context(|| format!("cannot find {}", p.display()))?;
            let mut d = dirs.clone();
            if let Some(parent) = f.parent() {
                d.insert(0, parent.to_path_buf());
            }
            let mut m = CatModel::load_cfg(&f, &d).map_err(|e| anyhow::anyhow!("{e}"))?;
            m.set_through(through);
            Box::new(m)
        }
        ModelChoice::Cat { cat, bell, variants } => {
            let f = find(cat, &dirs).with_context(|| format!("cannot find {}", cat.display()))?;
            let mut d = dirs.clone();
            if let Some(parent) = f.parent() {
                d.insert(0, parent.to_path_buf());
            }
            let opts = kvet_axiom::CatOptions {
                include_dirs: d.clone(),
                bell: match bell {
                    Some(b) => {
                        Some(find(b, &d).with_context(|| format!("cannot find {}", b.display()))?.display().to_string())
                    }
                    None => None,
                },
                variants: variants.clone(),
                through,
                ..Default::default()
            };
            Box::new(CatModel::load_with(&f, &opts).map_err(|e| anyhow::anyhow!("{e}"))?)
        }
    })
}

/// The result of one file: herd's block and kvet's extra lines.
pub struct FileRun {
    pub result: LitmusResult,
    pub seconds: f64,
    pub block: String,
    /// Lines kvet prints after herd's block (lock deadlocks, one a line).
    pub extra: Vec<String>,
}

/// Run the generator and print herd's block.
pub fn run_program(prog: &Program, model: &dyn Model, opts: &GenOptions) -> Result<FileRun, GenError> {
    let t0 = Instant::now();
    let result = kvet_axiom::gen::run(prog, model, opts)?;
    let seconds = t0.elapsed().as_secs_f64();
    let counts = kvet_report::Counts { pos: result.pos, neg: result.neg };
    let mut block = kvet_report::herd_block(prog, &result.outcomes, counts, &result.flags, seconds);
    if result.toofar {
        block = block.replacen("\nOk\n", "\nLoop Ok\n", 1).replacen("\nNo\n", "\nLoop No\n", 1);
    }
    let mut extra = Vec::new();
    for d in &result.deadlocks {
        extra.push(format!("Deadlock {} {d}", prog.name));
    }
    if result.deadlocks_partial {
        extra.push(format!("Deadlock {} search stopped at the time limit: more deadlocks may exist", prog.name));
    }
    Ok(FileRun { result, seconds, block, extra })
}

/// The Graphviz graph of the kept witness: events per thread, po, rf,
/// the dependencies and the final writes.
pub fn dot(prog: &Program, r: &LitmusResult) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "digraph \"{}\" {{", prog.name);
    let _ = writeln!(s, "  node [shape=box, fontsize=10]; rankdir=TB;");
    let Some(w) = &r.witness else {
        let _ = writeln!(s, "  label=\"no allowed execution\";\n}}");
        return s;
    };
    let ex = &w.exec;
    let _ = writeln!(
        s,
        "  label=\"{} ({})\";",
        prog.name,
        if w.satisfies { "satisfies the condition" } else { "does not satisfy the condition" }
    );
    let mut threads: Vec<Option<u32>> = Vec::new();
    for e in ex.events() {
        if !threads.contains(&e.thread) {
            threads.push(e.thread);
        }
    }
    for t in &threads {
        let name = t.map_or("init".to_string(), |t| format!("P{t}"));
        let _ = writeln!(s, "  subgraph cluster_{name} {{ label=\"{name}\";");
        for (i, e) in ex.events().iter().enumerate().filter(|(_, e)| e.thread == *t) {
            let kind = match e.kind {
                EventKind::Read => "R",
                EventKind::Write => "W",
                EventKind::Fence => "F",
                EventKind::LockRead => "LKR",
                EventKind::LockWrite => "LKW",
                EventKind::Unlock => "UL",
                EventKind::LockFail => "LF",
                EventKind::ReadLocked => "RL",
                EventKind::ReadUnlocked => "RU",
                EventKind::Srcu => "SRCU",
            };
            let tags: Vec<&str> = e.tags.iter().map(|t| ex.tag_name(t)).collect();
            let tags = if tags.is_empty() { String::new() } else { format!("[{}]", tags.join(",")) };
            let loc = e.loc.map(|l| ex.locations()[l as usize].clone()).unwrap_or_default();
            let val = e.value.map(|v| format!("={}", prog.show_val(v, true))).unwrap_or_default();
            let _ = writeln!(s, "    e{i} [label=\"e{i}: {kind}{tags} {loc}{val}\"];");
        }
        let _ = writeln!(s, "  }}");
    }
    for (i, e) in ex.events().iter().enumerate() {
        if e.thread.is_none() {
            continue;
        }
        if let Some(j) = (i + 1..ex.len()).find(|&j| ex.event(j).thread == e.thread) {
            let _ = writeln!(s, "  e{i} -> e{j} [label=po, color=black];");
        }
    }
    for &(a, b) in ex.rf() {
        let _ = writeln!(s, "  e{a} -> e{b} [label=rf, color=red, constraint=false];");
    }
    for (name, rel, color) in [
        ("addr", ex.addr(), "indigo"),
        ("data", ex.data(), "indigo"),
        ("ctrl", ex.ctrl(), "indigo"),
        ("rmw", ex.rmw(), "darkorange"),
    ] {
        for &(a, b) in rel {
            let _ = writeln!(s, "  e{a} -> e{b} [label={name}, color={color}, style=dashed, constraint=false];");
        }
    }
    // fr towards the final writes: a read that does not read the co-last write.
    for &fw in ex.finals() {
        for &(w, r) in ex.rf() {
            if w != fw && ex.event(w).loc == ex.event(fw).loc {
                let _ = writeln!(s, "  e{r} -> e{fw} [label=fr, color=orange, constraint=false];");
            }
        }
        let _ = writeln!(s, "  e{fw} [penwidth=2];");
    }
    let _ = writeln!(s, "}}");
    s
}

/// One row of the corpus benchmark.
pub struct BenchRow {
    pub file: String,
    pub herd_s: Option<f64>,
    pub kvet_s: Option<f64>,
    pub agree: Option<bool>,
    pub note: String,
}

/// Read herd's verdict table: file -> (verdict, pos, neg, states, flags, wall, status).
pub fn read_tsv(path: &Path) -> Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("file\t") && !l.trim().is_empty())
        .map(|l| l.split('\t').map(|s| s.to_string()).collect())
        .collect())
}

/// `kvet bench-corpus DIR`: every file herd decided, timed.
pub fn bench_corpus(dir: &Path, filter: Option<&str>, timeout: Option<f64>) -> Result<Vec<BenchRow>> {
    let rows = read_tsv(&dir.join("herd7-verdicts.tsv"))?;
    let model = NativeLkmm::new().allowed_only();
    let mut out = Vec::new();
    for r in rows {
        if r.len() < 8 || r[7] != "ok" {
            continue;
        }
        if let Some(f) = filter {
            if !r[0].contains(f) {
                continue;
            }
        }
        let path = dir.join(&r[0]);
        let herd_s = r[6].parse::<f64>().ok();
        let src = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let prog = match kvet_ir::compile(&src) {
            Ok(p) => p,
            Err(e) => {
                out.push(BenchRow {
                    file: r[0].clone(),
                    herd_s,
                    kvet_s: None,
                    agree: None,
                    note: format!("front end: {}", e.message),
                });
                continue;
            }
        };
        let opts = GenOptions { max_seconds: timeout, ..Default::default() };
        let t0 = Instant::now();
        match kvet_axiom::gen::run(&prog, &model, &opts) {
            Ok(res) => {
                let secs = t0.elapsed().as_secs_f64();
                let verdict = if res.pos == 0 {
                    "Never"
                } else if res.neg == 0 {
                    "Always"
                } else {
                    "Sometimes"
                };
                let agree = verdict == r[1]
                    && res.pos.to_string() == r[2]
                    && res.neg.to_string() == r[3]
                    && res.outcomes.len().to_string() == r[4]
                    && res.flags.join(",") == r[5];
                out.push(BenchRow {
                    file: r[0].clone(),
                    herd_s,
                    kvet_s: Some(secs),
                    agree: Some(agree),
                    note: String::new(),
                });
            }
            Err(e) => out.push(BenchRow { file: r[0].clone(), herd_s, kvet_s: None, agree: None, note: e.to_string() }),
        }
    }
    Ok(out)
}
