//! `kvet herd7 ...` and the `herd7` binary: herd7's command line (single-dash
//! flags, as parsed by herd/herd.ml with OCaml's `Arg`) over kvet's
//! generator, printing herd7's block for each test (herd/top_herd.ml).
//!
//! Supported: `-conf FILE`, `-model FILE`/`-cat FILE`, `-bell FILE`,
//! `-macros FILE`, `-I DIR`, `-set-libdir DIR`, `-unroll N`, `-show X`,
//! `-through none|invalid|all` (herd's semantics for cat models: the
//! executions failing a check count too; see `kvet_axiom::Through`),
//! `-speedcheck true|false|fast`, `-o DIR` (one Graphviz
//! file per test), `-nshow N`, `-gv` (without `-o`: the graph goes to a
//! temporary `.dot` file whose path is printed, as kvet runs no viewer;
//! `-show`/`-nshow` without `-o` or `-gv` do nothing, as in herd7),
//! `-variant X`, `-timeout S`,
//! `-version`, and test files (a directory is searched for `*.litmus`;
//! without any, file names are read from standard input, as herd7 does).
//! Errors as herd7 reports them: a call of an unknown function is
//! `Warning: File "X": Unknown macro NAME (User error)` and the run goes
//! on (exit 0); a bad `-show` tag is refused with herd's `bad tag`
//! message (exit 2); an unreadable file ends the run (exit 2).
//! `-conf` naming `linux-kernel.cfg` or `sc-kernel.cfg` runs the native
//! models; any other `.cfg` or `.cat` runs the cat interpreter.  Without
//! a model the LKMM is used.

use crate::axiomatic::{self, ModelChoice};
use crate::input::{Input, LoadError};
use kvet_axiom::gen::{GenError, GenOptions};
use kvet_axiom::Through;
use std::io::Write;
use std::path::PathBuf;

const VERSION: &str = "7.58+1 (kvet)";

/// herd7's `-show` tags (PrettyConf.tags_show).
const SHOW_TAGS: [&str; 6] = ["prop", "all", "neg", "cond", "none", "wit"];

/// Parsed herd7 options.
#[derive(Debug, Default)]
pub struct Herd7Opts {
    /// `-conf FILE`: a configuration file (`linux-kernel.cfg`).
    pub conf: Option<PathBuf>,
    /// `-model FILE`/`-cat FILE`: a cat model.
    pub model: Option<PathBuf>,
    /// `-bell FILE`.
    pub bell: Option<PathBuf>,
    /// `-macros FILE` (accepted; kvet's front end expands the kernel's macros itself).
    pub macros: Option<PathBuf>,
    /// `-I DIR`/`-set-libdir DIR`: model search directories.
    pub include: Vec<PathBuf>,
    /// `-unroll N`.
    pub unroll: Option<u32>,
    /// `-show X` (lowercased).
    pub show: Option<String>,
    /// `-speedcheck fast`: stop at the first execution that settles the
    /// condition.
    pub speedcheck: bool,
    /// `-speedcheck true` or `fast`: discard the executions that cannot
    /// settle it (herd's top_herd.ml; see `GenOptions::speedcheck_discard`).
    pub speedcheck_discard: bool,
    /// `-through none|invalid|all`.
    pub through: Through,
    /// `-o DIR`: one Graphviz file per test.
    pub outdir: Option<PathBuf>,
    /// `-nshow N`.
    pub nshow: Option<u32>,
    /// `-gv`.
    pub gv: bool,
    /// `-variant X,Y`.
    pub variants: Vec<String>,
    /// `-timeout S`, per test.
    pub timeout: Option<f64>,
    /// `-max-memory MiB` (kvet's, not herd7's): the memory one model
    /// evaluation may spend on coherence orders (kvet-axiom's budget, 256
    /// MiB by default); past it the test ends with an error, no verdict.
    pub max_memory: Option<u64>,
    /// The test files and directories.
    pub files: Vec<PathBuf>,
    /// `-version`.
    pub version: bool,
}

fn usage() -> String {
    "Usage: herd7 [options]* [test]*\n  -conf <name> read configuration file <name>\n  -model <name> select model (a .cat file)\n  -cat <name> alias for -model\n  -bell <name> read bell file <name>\n  -macros <name> use macro definitions from file <name>\n  -I <dir> add <dir> to search path\n  -unroll <int> branch unrolling upper limit (default 2)\n  -show <prop|neg|cond|wit|all|none|flag> executions shown by -o\n  -through <all|invalid|none> let executions through the model\n  -speedcheck <false|true|fast> stop early\n  -o <dir> output one .dot file per test in <dir>\n  -nshow <int> number of executions shown\n  -gv show graphs with gv\n  -variant <name> model variant\n  -timeout <float> timeout in seconds per test\n  -max-memory <MiB> memory bound of one model evaluation (kvet)\n  -version show version number and exit\n".to_string()
}

/// A command line herd7 refuses (each message ends with the usage, as
/// OCaml's `Arg` prints it).
#[derive(Debug, thiserror::Error)]
pub enum ArgError {
    /// `-help`: the usage alone.
    #[error("{}", usage())]
    Help,
    /// A flag without its value.
    #[error("herd7: option '{0}' needs an argument.\n{}", usage())]
    MissingValue(String),
    /// A flag's value of the wrong form.
    #[error("herd7: wrong argument '{value}'; option '{flag}' expects {expects}.\n{}", usage())]
    BadValue {
        /// The flag.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What the flag takes.
        expects: &'static str,
    },
    /// A `-show` tag herd does not know (herd's `ArgUtils.do_tag`).
    #[error("herd7: bad tag for -show, allowed tag are {}.\n{}", SHOW_TAGS.join(","), usage())]
    BadShowTag,
    /// An option herd7 does not have.
    #[error("herd7: unknown option '{0}'.\n{}", usage())]
    Unknown(String),
}

/// Parse herd7's arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Herd7Opts, ArgError> {
    let mut o = Herd7Opts::default();
    let mut i = 0;
    let need = |i: usize, flag: &str| -> Result<String, ArgError> {
        args.get(i + 1).cloned().ok_or_else(|| ArgError::MissingValue(flag.to_string()))
    };
    while i < args.len() {
        let a = args[i].as_str();
        let takes = |o: &mut Herd7Opts, v: String| -> Result<(), ArgError> {
            let bad =
                |flag: &'static str, expects: &'static str| ArgError::BadValue { flag, value: v.clone(), expects };
            match a {
                "-conf" => o.conf = Some(v.into()),
                "-model" | "-cat" => o.model = Some(v.into()),
                "-bell" => o.bell = Some(v.into()),
                "-macros" => o.macros = Some(v.into()),
                "-I" | "-set-libdir" => o.include.push(v.into()),
                "-unroll" => o.unroll = Some(v.parse().map_err(|_| bad("-unroll", "an integer"))?),
                "-show" => {
                    // PrettyConf.parse_show (lowercased tags); herd's
                    // ArgUtils.do_tag refuses any other
                    if !SHOW_TAGS.contains(&v.to_lowercase().as_str()) {
                        return Err(ArgError::BadShowTag);
                    }
                    o.show = Some(v.to_lowercase())
                }
                "-through" => {
                    o.through = Through::parse(&v).ok_or_else(|| bad("-through", "one of: all invalid none"))?
                }
                "-speedcheck" => {
                    (o.speedcheck, o.speedcheck_discard) = match v.as_str() {
                        "fast" => (true, true),
                        "true" => (false, true),
                        "false" => (false, false),
                        _ => return Err(bad("-speedcheck", "one of: false true fast")),
                    }
                }
                "-o" => o.outdir = Some(v.into()),
                "-nshow" => o.nshow = Some(v.parse().map_err(|_| bad("-nshow", "an integer"))?),
                "-variant" => o.variants.extend(v.split(',').map(|s| s.trim().to_string())),
                "-timeout" => o.timeout = Some(v.parse().map_err(|_| bad("-timeout", "a float"))?),
                "-max-memory" => o.max_memory = Some(v.parse().map_err(|_| bad("-max-memory", "an integer (MiB)"))?),
                _ => unreachable!(),
            }
            Ok(())
        };
        match a {
            "-conf" | "-model" | "-cat" | "-bell" | "-macros" | "-I" | "-set-libdir" | "-unroll" | "-show"
            | "-through" | "-speedcheck" | "-o" | "-nshow" | "-variant" | "-timeout" | "-max-memory" => {
                let v = need(i, a)?;
                takes(&mut o, v)?;
                i += 2;
                continue;
            }
            "-gv" => o.gv = true,
            "-version" | "--version" => o.version = true,
            "-help" | "--help" => return Err(ArgError::Help),
            _ if a.starts_with('-') && a.len() > 1 => return Err(ArgError::Unknown(a.to_string())),
            _ => o.files.push(PathBuf::from(a)),
        }
        i += 1;
    }
    Ok(o)
}

fn choice(o: &Herd7Opts) -> ModelChoice {
    if let Some(m) = &o.model {
        return ModelChoice::Cat { cat: m.clone(), bell: o.bell.clone(), variants: o.variants.clone() };
    }
    match &o.conf {
        None => ModelChoice::Lkmm,
        Some(c) => match c.file_name().and_then(|f| f.to_str()) {
            Some("linux-kernel.cfg") => ModelChoice::Lkmm,
            Some("sc-kernel.cfg") => ModelChoice::Sc,
            _ => ModelChoice::Cfg(c.clone()),
        },
    }
}

/// The test files: a directory stands for the `*.litmus` files under it.
fn collect(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(crate::walk(p, &["litmus"]).unwrap_or_default());
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Run herd7's command line; returns the exit code.
pub fn main_with(args: &[String]) -> u8 {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprint!("{e}");
            return 2;
        }
    };
    if o.version {
        println!("{VERSION}");
        return 0;
    }
    let model = match axiomatic::load_model(&choice(&o), &o.include, o.through) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("Fatal error: {e:#}");
            return 2;
        }
    };
    let opts = GenOptions {
        unroll: o.unroll.unwrap_or(2),
        max_seconds: o.timeout,
        max_memory: o.max_memory.map(|m| m.saturating_mul(1 << 20)),
        speedcheck: o.speedcheck,
        speedcheck_discard: o.speedcheck_discard,
        keep_witness: o.outdir.is_some() || o.gv,
        through: o.through,
        deadlocks: true,
        ..Default::default()
    };
    let mut code = 0u8;
    let stdout = std::io::stdout();
    // Misc.fold_argv_or_stdin: without test arguments, herd7 reads test
    // file names from standard input, one a line
    let files = if o.files.is_empty() {
        use std::io::BufRead;
        std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .collect()
    } else {
        o.files.clone()
    };
    for f in collect(&files) {
        let name = f.display().to_string();
        let input = match Input::load(&f, "") {
            Ok(input) => input,
            Err(LoadError::Read { error, .. }) => {
                // herd.ml: an exception other than herd's own (here
                // OCaml's Sys_error from opening the file) is reported
                // with "Adios" and ends the run uncaught (exit 2)
                let why = match error.kind() {
                    std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
                    std::io::ErrorKind::PermissionDenied => "Permission denied".to_string(),
                    _ => error.to_string(),
                };
                eprintln!("\nFatal: File \"{name}\" Adios");
                eprintln!("Fatal error: exception Sys_error(\"{name}: {why}\")");
                return 2;
            }
            Err(LoadError::NotUtf8 { .. }) => {
                eprintln!("\nFatal: File \"{name}\" Adios");
                eprintln!("Fatal error: exception Sys_error(\"{name}: stream did not contain valid UTF-8\")");
                return 2;
            }
            Err(LoadError::Front { error: e, src, .. }) if e.unknown_function.is_none() => {
                let (line, col) = kvet_syntax::line_byte_col(&src, e.span.lo);
                eprintln!("Warning: File \"{name}\", line {line}, character {col}: {}", e.message);
                code = 2;
                continue;
            }
            Err(LoadError::Front { error: e, .. }) => {
                // herd7 (herd.ml): a call the C front end cannot expand is
                // a user error, `Unknown macro NAME`, reported as a warning
                // for the file; the run goes on and exits 0, and the
                // kernel's judgelitmus.sh looks for exactly this line
                let name_ = e.unknown_function.as_deref().unwrap_or_default();
                eprintln!("Warning: File \"{name}\": Unknown macro {name_} (User error)");
                continue;
            }
        };
        let prog = &input.prog;
        match axiomatic::run_program(prog, &*model, &opts) {
            Ok(run) => {
                let mut out = stdout.lock();
                let mut text = run.block.clone();
                text.push_str(&kvet_report::hash_line(input.hash()));
                text.push('\n');
                for l in &run.extra {
                    text.push_str(l);
                    text.push('\n');
                }
                if !run.extra.is_empty() {
                    text.push('\n'); // the next test's block after a blank line
                }
                if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
                    return code;
                }
                if run.result.toofar {
                    eprintln!("Warning: File \"{name}\", unrolling limit exceeded, legal outcomes may be missing.");
                }
                // herd7 -gv without -o writes the shown executions to a
                // temporary .dot file and runs gv on it (top_herd.ml,
                // open_dot/do_show); kvet runs no viewer: it keeps the file
                // and says where it is.
                let target = match (&o.outdir, o.gv) {
                    (Some(d), _) => Some(d.join(format!("{}.dot", prog.name))),
                    (None, true) => Some(std::env::temp_dir().join(format!(
                        "kvet-herd7-{}-{}.dot",
                        std::process::id(),
                        prog.name.replace(['/', ' '], "_")
                    ))),
                    (None, false) => None,
                };
                if let Some(path) = target {
                    let dot = kvet_report::execution_dot(prog, &run.result);
                    match std::fs::write(&path, dot) {
                        Err(e) => eprintln!("Warning: Cannot create {}: {e}", path.display()),
                        Ok(()) if o.outdir.is_none() => eprintln!(
                            "Warning: -gv: kvet runs no viewer; the graph of {} is in {} (view it with `xdot` or `dot -Tpdf`)",
                            prog.name,
                            path.display()
                        ),
                        Ok(()) => {}
                    }
                }
            }
            Err(GenError::Timeout) => {
                eprintln!("Warning: File \"{name}\": timeout");
                code = code.max(1);
            }
            Err(e) => {
                eprintln!("Warning: File \"{name}\": {e}");
                code = 2;
            }
        }
    }
    code
}
