//! The axiomatic side of `kvet litmus` and `kvet herd7`: which model runs
//! (the native LKMM, the native LKMM+SC, or any `.cat`/`.cfg` file run by
//! the cat interpreter), where model files are found, and one run of
//! `kvet_axiom::gen`'s candidate-execution generator under it, printed as
//! herd7's block (`herd/top_herd.ml`; the text is `kvet_report`'s).

use kvet_axiom::gen::{GenError, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::{CatError, CatModel, CatOptions, Cfg, Model, Through};
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
            let mut m = read_cfg(&f, &d)?;
            m.set_through(through);
            Box::new(m)
        }
        ModelChoice::Cat { cat, bell, variants } => {
            let f = find(cat, &dirs).ok_or_else(|| ModelError::NotFound(cat.clone()))?;
            let mut d = dirs.clone();
            if let Some(parent) = f.parent() {
                d.insert(0, parent.to_path_buf());
            }
            let opts = CatOptions {
                bell: match bell {
                    Some(b) => Some(find(b, &d).ok_or_else(|| ModelError::NotFound(b.clone()))?.display().to_string()),
                    None => None,
                },
                variants: variants.clone(),
                through,
                ..Default::default()
            };
            Box::new(read_cat(&f, &d, &opts)?)
        }
    })
}

/// The model's files from the file system (the interpreter does no I/O):
/// an absolute name as it is, any other in each directory in turn.
fn dir_loader(dirs: Vec<PathBuf>) -> impl Fn(&str) -> Option<(String, String)> {
    move |name: &str| {
        let p = Path::new(name);
        if p.is_absolute() {
            return std::fs::read_to_string(p).ok().map(|t| (name.to_string(), t));
        }
        for d in &dirs {
            let cand = d.join(name);
            if let Ok(t) = std::fs::read_to_string(&cand) {
                return Some((cand.display().to_string(), t));
            }
        }
        None
    }
}

/// A cat model file, its includes searched in its own directory then in
/// `include_dirs` (herd's `-I`); `stdlib.cat` must be found there.
pub fn read_cat(path: &Path, include_dirs: &[PathBuf], opts: &CatOptions) -> Result<CatModel, CatError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CatError::io(&name, format!("cannot read {name}: {e}")))?;
    let mut dirs = Vec::new();
    if let Some(d) = path.parent() {
        dirs.push(if d.as_os_str().is_empty() { PathBuf::from(".") } else { d.to_path_buf() });
    }
    dirs.extend(include_dirs.iter().cloned());
    CatModel::with_loader(&name, text, &dir_loader(dirs), opts)
}

/// A herd configuration file (`linux-kernel.cfg`): its `model`, `bell`
/// and `variant` lines, the model searched in the file's directory then
/// in `include_dirs`.
pub fn read_cfg(cfg: &Path, include_dirs: &[PathBuf]) -> Result<CatModel, CatError> {
    let name = cfg.display().to_string();
    let text = std::fs::read_to_string(cfg).map_err(|e| CatError::io(&name, format!("cannot read {name}: {e}")))?;
    let conf = Cfg::parse(&name, &text)?;
    let opts = CatOptions { bell: conf.bell, variants: conf.variants, ..Default::default() };
    let dir = cfg.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let mut dirs = include_dirs.to_vec();
    dirs.insert(0, dir.clone());
    let mp = Path::new(&conf.model);
    let path = if mp.is_absolute() { mp.to_path_buf() } else { dir.join(mp) };
    let path = if path.exists() { path } else { dirs.iter().map(|d| d.join(mp)).find(|p| p.exists()).unwrap_or(path) };
    read_cat(&path, &dirs, &opts)
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

/// Run the generator; herd's block and kvet's lines after it.
pub fn run_program(prog: &Program, model: &dyn Model, opts: &GenOptions) -> Result<FileRun, GenError> {
    let t0 = Instant::now();
    let result = kvet_axiom::gen::run(prog, model, opts)?;
    let seconds = t0.elapsed().as_secs_f64();
    let mut block = kvet_report::axiomatic_block(prog, &result, seconds);
    if opts.speedcheck_discard {
        block = kvet_report::speedcheck_observation(prog, &block, result.pos, result.neg);
    }
    let extra = kvet_report::deadlock_lines(prog, &result);
    Ok(FileRun { result, seconds, block, extra })
}
