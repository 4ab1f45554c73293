//! The `kvet` command line: `check` (explore every interleaving and run
//! all checks), `litmus` (herd7's output block), `replay` (turn a replay
//! token back into its trace). Exit codes: 0 = a complete search and no
//! violation (or the expected outcome), 1 = violation found, 2 = bad
//! input or usage, 3 = stopped at a bound with nothing found so far.

use anyhow::Result;
use args::{Cli, Cmd, TraceArgs};
use clap::Parser;
use kvet::axiomatic::LitmusModel;
use kvet::{Input, LoadError};
use kvet_explore::ViolationKind;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Print to stdout; a closed pipe (`kvet ... | head`) ends the program
/// quietly instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if write!(std::io::stdout().lock(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod args;
mod check_cmd;
mod check_lkmm;
mod demo;
mod dist;
mod litmus_cmd;
mod memory;
mod progress;

/// A user error already rendered for the terminal.
#[derive(Debug)]
pub(crate) struct UserError(pub(crate) String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match on_big_stack(move || run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// Print an error that ends a file's check or the command: a user error
/// or a file that would not load as already rendered, anything else
/// after `kvet: `.
pub(crate) fn print_error(e: &anyhow::Error) {
    if let Some(u) = e.downcast_ref::<UserError>() {
        eprint!("{u}");
    } else if let Some(l) = e.downcast_ref::<LoadError>() {
        eprint!("{}", l.render(color()));
    } else {
        eprintln!("kvet: {e:#}");
    }
}

/// The front end's recursion is bounded (nesting depth, operator chains),
/// but lowering and the AST's destructor walk those trees recursively:
/// run the command on a thread whose stack fits the bounds in any build.
/// The stack is reserved, not committed up front.
fn on_big_stack<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    const STACK: usize = 512 << 20;
    std::thread::scope(|scope| {
        match std::thread::Builder::new().name("kvet".into()).stack_size(STACK).spawn_scoped(scope, f) {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(e) => Err(anyhow::anyhow!("cannot start the main thread: {e}")),
        }
    })
}

/// Exit code of a search that stopped at a bound before it was
/// complete, having found nothing so far: neither a pass (0) nor a
/// finding (1).
pub(crate) const INCOMPLETE: u8 = 3;

/// The exit code of several results: bad input (2) over a finding (1)
/// over an incomplete search (3) over a complete, clean one (0).
pub(crate) fn worse(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        0 => 0,
        INCOMPLETE => 1,
        1 => 2,
        _ => 3,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

pub(crate) fn color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Read and compile one file after the prelude.
fn load(path: &Path) -> Result<Input> {
    Ok(Input::load(path, kvet_ir::PRELUDE)?)
}

/// `load`, printing the error (the caller records exit code 2).
pub(crate) fn load_or_report(f: &Path) -> Option<Input> {
    match load(f) {
        Ok(x) => Some(x),
        Err(e) => {
            print_error(&e);
            None
        }
    }
}

/// The files the paths name: a directory stands for the `.kvet` and
/// `.litmus` files under it (at least one).
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let v = kvet::walk(p, &["litmus", "kvet"])?;
            if v.is_empty() {
                return Err(UserError(format!("kvet: no .kvet or .litmus file under {}\n", p.display())).into());
            }
            out.extend(v);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(UserError(format!("kvet: no such file or directory: {}\n", p.display())).into());
        }
    }
    Ok(out)
}

fn run(cli: Cli) -> Result<u8> {
    let stats = match &cli.cmd {
        Cmd::Check { search, .. } | Cmd::Litmus { search, .. } | Cmd::Demo { search, .. } => search.stats,
        _ => false,
    };
    let code = run_cmd(cli);
    if stats {
        if let Some(b) = memory::peak_rss() {
            eprintln!("kvet: peak resident memory {:.1} MiB", b as f64 / (1 << 20) as f64);
        }
    }
    code
}

fn run_cmd(cli: Cli) -> Result<u8> {
    match cli.cmd {
        Cmd::Check { paths, search, json, replay, out, model, dist, preempt } => {
            dist::configure(&dist, &search.options(), search.stats)?;
            let files = collect(&paths)?;
            if let Some(tok) = replay {
                let [f] = files.as_slice() else {
                    return Err(UserError("kvet: --replay takes exactly one file\n".into()).into());
                };
                return replay_cmd(f, &tok, &out.trace);
            }
            // the LKMM's coherence orders per evaluation: the user's
            // --max-memory, else the engine's fixed default (not a share
            // of the machine's memory: the verdict must not depend on it)
            let lk_memory = search.max_memory.map(|m| m.saturating_mul(1 << 20));
            check_cmd::check_cmd(&files, &search.options(), json, &out, model, preempt, lk_memory)
        }
        Cmd::Litmus { paths, search, model, json, unroll, dot, speedcheck } => match model {
            LitmusModel::Explore => litmus_cmd::explore(&collect(&paths)?, &search.options(), json),
            LitmusModel::Axiomatic(m) => {
                // (the bound of one model evaluation, in bytes)
                let mem = search.max_memory.map(|m| m.saturating_mul(1 << 20));
                let speed = litmus_cmd::Speedcheck::parse(&speedcheck);
                litmus_cmd::axiomatic(&collect(&paths)?, &m, unroll, dot, json, search.timeout, mem, speed)
            }
        },
        Cmd::Herd7 { args } => Ok(kvet::herd7::main_with(&args)),
        Cmd::BenchCorpus { dir, filter, timeout } => litmus_cmd::bench(&dir, filter.as_deref(), timeout),
        Cmd::Replay { file, token, trace } => replay_cmd(&file, &token, &trace),
        Cmd::Demo { search, trace } => demo::demo_cmd(&search.options(), &trace),
    }
}

fn replay_cmd(f: &Path, tok: &str, targs: &TraceArgs) -> Result<u8> {
    let Input { src, mut prog, .. } = load(f)?;
    prog.preempt |= kvet_explore::token_preempts(tok);
    let path = kvet_explore::decode_token(&prog, tok).map_err(|e| UserError(format!("kvet: {e}\n")))?;
    let tr = kvet_explore::replay(&prog, &path).map_err(|e| UserError(format!("kvet: {e}\n")))?;
    out!("{}", kvet_report::render_trace_with(&prog, &tr, &src, kvet_ir::PRELUDE, targs.style()));
    if let Some(v) = kvet_report::verdict_line(&tr) {
        outln!("{v}");
    }
    Ok(match &tr.violation {
        Some(v) if v.kind != ViolationKind::Bound => 1,
        _ => 0,
    })
}
