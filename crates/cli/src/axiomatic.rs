//! The axiomatic side of `kvet litmus` and `kvet herd7`: which model runs
//! (the native LKMM, the native LKMM+SC, or any `.cat`/`.cfg` file run by
//! the cat interpreter), where model files are found, and one run of
//! `kvet_axiom::gen`'s candidate-execution generator under it, printed as
//! herd7's block (`herd/top_herd.ml`). Also the Graphviz view of one
//! execution (`--dot`, herd's `-o`/`-gv`).

use kvet_axiom::gen::{GenError, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::{CatError, CatModel, EventKind, Model, Through};
use kvet_ir::Program;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Which axiomatic model to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelChoice {
    /// The native LKMM (`linux-kernel.cfg`).
    Lkmm,
    /// The native LKMM plus SC (`sc-kernel.cfg`).
    Sc,
    /// A `.cfg` file, run by the interpreter.
    Cfg(PathBuf),
    /// A `.cat` file, run by the interpreter.
    Cat {
        /// The model file.
        cat: PathBuf,
        /// herd's `-bell` file.
        bell: Option<PathBuf>,
        /// herd's `-variant`s.
        variants: Vec<String>,
    },
}

/// `kvet litmus --model`: an axiomatic model, or the SC explorer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LitmusModel {
    /// The SC explorer (`explore`).
    Explore,
    /// The generator under an axiomatic model (`lkmm`, `sc`, `FILE.cat`,
    /// `FILE.cfg`).
    Axiomatic(ModelChoice),
}

impl LitmusModel {
    /// The values `--model` accepts, for help and errors.
    pub const HELP: &'static str = "lkmm, sc, explore, FILE.cat or FILE.cfg";

    /// Parse a `--model` value: `lkmm` (or `linux-kernel`), `sc` (or
    /// `sc-kernel`), `explore`, or a file ending in `.cat` or `.cfg`.
    pub fn parse(s: &str) -> Result<LitmusModel, String> {
        Ok(match s {
            "lkmm" | "linux-kernel" => LitmusModel::Axiomatic(ModelChoice::Lkmm),
            "sc" | "sc-kernel" => LitmusModel::Axiomatic(ModelChoice::Sc),
            "explore" => LitmusModel::Explore,
            f if f.ends_with(".cfg") => LitmusModel::Axiomatic(ModelChoice::Cfg(PathBuf::from(f))),
            f if f.ends_with(".cat") => {
                LitmusModel::Axiomatic(ModelChoice::Cat { cat: PathBuf::from(f), bell: None, variants: Vec::new() })
            }
            _ => return Err(format!("expected {}", Self::HELP)),
        })
    }
}

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A model file is in none of the search directories.
    #[error("cannot find {}", .0.display())]
    NotFound(PathBuf),
    /// The cat interpreter refused a model file.
    #[error("{0}")]
    Cat(#[from] CatError),
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
pub fn load_model(choice: &ModelChoice, include: &[PathBuf], through: Through) -> Result<Box<dyn Model>, ModelError> {
    let dirs = search_dirs(include, None);
    Ok(match choice {
        ModelChoice::Lkmm => Box::new(NativeLkmm::new().allowed_only().through(through)),
        ModelChoice::Sc => Box::new(NativeLkmm::sc().allowed_only().through(through)),
        ModelChoice::Cfg(p) => {
            let f = find(p, &dirs).ok_or_else(|| ModelError::NotFound(p.clone()))?;
            let mut d = dirs.clone();
            if let Some(parent) = f.parent() {
                d.insert(0, parent.to_path_buf());
            }
            let mut m = CatModel::load_cfg(&f, &d)?;
            m.set_through(through);
            Box::new(m)
        }
        ModelChoice::Cat { cat, bell, variants } => {
            let f = find(cat, &dirs).ok_or_else(|| ModelError::NotFound(cat.clone()))?;
            let mut d = dirs.clone();
            if let Some(parent) = f.parent() {
                d.insert(0, parent.to_path_buf());
            }
            let opts = kvet_axiom::CatOptions {
                include_dirs: d.clone(),
                bell: match bell {
                    Some(b) => Some(find(b, &d).ok_or_else(|| ModelError::NotFound(b.clone()))?.display().to_string()),
                    None => None,
                },
                variants: variants.clone(),
                through,
                ..Default::default()
            };
            Box::new(CatModel::load_with(&f, &opts)?)
        }
    })
}

/// The result of one file: herd's block and kvet's extra lines.
pub struct FileRun {
    /// The generator's result.
    pub result: LitmusResult,
    /// Its wall time.
    pub seconds: f64,
    /// herd's block, without the Hash line.
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
