//! The `kvet` command line: `check` (explore every interleaving and run
//! all checks), `litmus` (herd7's output block), `replay` (turn a replay
//! token back into its trace). Exit codes: 0 = a complete search and no
//! violation (or the expected outcome), 1 = violation found, 2 = bad
//! input or usage, 3 = stopped at a bound with nothing found so far.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use kvet::axiomatic::LitmusModel;
use kvet::{Input, LoadError};
use kvet_explore::{Options, SearchOrder, ViolationKind};
use kvet_ir::Program;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

mod check_lkmm;
mod dist;
mod litmus_cmd;
mod progress;

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

#[derive(Parser)]
#[command(name = "kvet", version, about = "A model checker for Linux-kernel concurrency")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone)]
struct SearchArgs {
    /// Depth-first search instead of breadth-first (traces are then not shortest).
    #[arg(long)]
    dfs: bool,
    /// Stop after this many states and report what was covered.
    #[arg(long, default_value_t = 50_000_000)]
    max_states: u64,
    /// Stop after this many seconds per file.
    #[arg(long, value_parser = seconds)]
    timeout: Option<f64>,
    /// Stop before the process uses this many MiB (default: three
    /// quarters of the memory available when kvet starts).
    #[arg(long)]
    max_memory: Option<u64>,
    /// Print the peak resident memory to stderr at the end.
    #[arg(long)]
    stats: bool,
    /// Stop at the first bug found.
    #[arg(long)]
    stop_at_first: bool,
    /// Explore every interleaving, without partial-order reduction.
    #[arg(long)]
    no_reduce: bool,

    /// Symmetry reduction over interchangeable CPUs (same code and
    /// handlers, no per-CPU data): one state per orbit; traces stay real
    #[arg(long)]
    symmetry: bool,
}

impl SearchArgs {
    fn options(&self) -> Options {
        Options {
            order: if self.dfs { SearchOrder::Dfs } else { SearchOrder::Bfs },
            max_states: self.max_states,
            max_seconds: self.timeout,
            max_memory: search_memory(self.max_memory),
            stop_at_first: self.stop_at_first,
            reduce: !self.no_reduce,
            symmetry: self.symmetry,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Explore every interleaving of each scenario and run all checks.
    Check {
        /// Files or directories (searched for *.litmus and *.kvet files).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        search: SearchArgs,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Replay this token on the (single) file instead of searching.
        #[arg(long)]
        replay: Option<String>,
        #[command(flatten)]
        out: OutputArgs,
        /// The memory model: `sc` (every interleaving), `lkmm` (the
        /// Linux-kernel memory model), or `both` (SC findings, then the
        /// ones only the LKMM allows, marked "weak memory only").
        #[arg(long, value_enum, default_value_t = check_lkmm::CheckModel::Both)]
        model: check_lkmm::CheckModel,
        #[command(flatten)]
        dist: dist::DistArgs,
        /// Tasks may be preempted (CONFIG_PREEMPT), as the scenario line
        /// `Preempt=yes` says; replay tokens carry it.
        #[arg(long)]
        preempt: bool,
    },
    /// Print herd7's output block for each litmus test.
    Litmus {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        search: SearchArgs,
        /// The memory model: `lkmm` (native LKMM), `sc` (native LKMM+SC),
        /// `FILE.cat`/`FILE.cfg` (cat interpreter), or `explore` (the SC
        /// explorer).
        #[arg(long, default_value = "lkmm", value_parser = LitmusModel::parse)]
        model: LitmusModel,
        #[arg(long)]
        json: bool,
        /// Loop unrolling bound (herd's -unroll).
        #[arg(long, default_value_t = 2)]
        unroll: u32,
        /// Print a Graphviz graph of one execution (a witness if any).
        #[arg(long)]
        dot: bool,
        /// herd's -speedcheck: `true` discards the executions that cannot
        /// settle the condition, `fast` also stops at the first that does.
        #[arg(long, default_value = "false", value_parser = ["false", "true", "fast"])]
        speedcheck: String,
    },
    /// herd7's command line (`kvet herd7 -conf linux-kernel.cfg T.litmus`).
    #[command(disable_help_flag = true)]
    Herd7 {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Time every file herd7 decided (herd7-verdicts.tsv) against herd7.
    BenchCorpus {
        /// The corpus directory holding herd7-verdicts.tsv.
        #[arg(default_value = "../shared/litmus")]
        dir: PathBuf,
        /// Only files whose path contains this.
        #[arg(long)]
        filter: Option<String>,
        /// Seconds per file.
        #[arg(long, value_parser = seconds)]
        timeout: Option<f64>,
    },
    /// Turn a replay token back into its trace.
    Replay {
        file: PathBuf,
        token: String,
        #[command(flatten)]
        trace: TraceArgs,
    },
    /// Check the built-in scenarios (the seed bugs and their fixes): one
    /// line per scenario, then the trace of the first bug.
    Demo {
        #[command(flatten)]
        search: SearchArgs,
        #[command(flatten)]
        trace: TraceArgs,
    },
}

/// How traces are shown.
#[derive(clap::Args, Clone, Default)]
struct TraceArgs {
    /// `scenario`: a call into the prelude is one step, its inner steps
    /// shown only where another CPU runs inside it or the finding points
    /// into it; `full`: every step.
    #[arg(long, value_enum, default_value_t = TraceMode::Scenario)]
    trace: TraceMode,
}

#[derive(clap::ValueEnum, Clone, Copy, Default, PartialEq, Eq)]
enum TraceMode {
    #[default]
    Scenario,
    Full,
}

impl TraceArgs {
    /// The trace style; on a terminal, traces fit its width.
    fn style(&self) -> kvet_report::TraceStyle {
        use std::io::IsTerminal;
        let width = if std::io::stdout().is_terminal() {
            console::Term::stdout().size_checked().map(|(_, w)| w as usize)
        } else {
            None
        };
        let level = match self.trace {
            TraceMode::Scenario => kvet_report::TraceLevel::Scenario,
            TraceMode::Full => kvet_report::TraceLevel::Full,
        };
        kvet_report::TraceStyle { level, width }
    }
}

/// `check`'s output options besides the text on stdout.
#[derive(clap::Args, Clone, Default)]
struct OutputArgs {
    #[command(flatten)]
    trace: TraceArgs,
    /// Also write the findings as SARIF 2.1.0 to FILE (with the traces as
    /// codeFlows), for code review tools.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
    /// Also write a self-contained HTML report of every finding to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

impl OutputArgs {
    /// Write the file reports (`--sarif`, `--html`) of a check.
    fn write_reports(&self, checked: &[kvet_report::CheckedFile]) -> Result<()> {
        if let Some(p) = &self.sarif {
            let log = kvet_report::sarif_log(checked, kvet_ir::PRELUDE, env!("CARGO_PKG_VERSION"));
            std::fs::write(p, serde_json::to_string_pretty(&log)? + "\n")
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        if let Some(p) = &self.html {
            let page = kvet_report::html_report(checked, kvet_ir::PRELUDE);
            std::fs::write(p, page).with_context(|| format!("cannot write {}", p.display()))?;
        }
        Ok(())
    }

    fn wanted(&self) -> bool {
        self.sarif.is_some() || self.html.is_some()
    }
}

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

/// The search's memory budget in bytes: the bound (`--max-memory` MiB,
/// or three quarters of the machine's available memory) less what the
/// process already holds (its code, the program, the parse).
fn search_memory(mib: Option<u64>) -> u64 {
    let bound = match mib {
        Some(m) => m.saturating_mul(1 << 20),
        None => meminfo_kib("/proc/meminfo", "MemAvailable:").map_or(8 << 30, |k| k * 1024 / 4 * 3),
    };
    let held = meminfo_kib("/proc/self/status", "VmRSS:").map_or(0, |k| k * 1024);
    bound.saturating_sub(held)
}

/// A `Key:   N kB` line of a /proc file, in KiB (Linux; None elsewhere).
fn meminfo_kib(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// Peak resident memory of this process in bytes (Linux), for `--stats`.
fn peak_rss() -> Option<u64> {
    meminfo_kib("/proc/self/status", "VmHWM:").map(|k| k * 1024)
}

/// A `--timeout` value: a finite, positive number of seconds.
fn seconds(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err(format!("`{s}` is not a positive, finite number of seconds")),
        Err(e) => Err(format!("`{s}` is not a number of seconds: {e}")),
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
        if let Some(b) = peak_rss() {
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
            check_cmd(&files, &search.options(), json, &out, model, preempt)
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
        Cmd::Demo { search, trace } => demo_cmd(&search.options(), &trace),
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/examples.rs"));
}

/// The expected kinds a scenario's header states (`Expect: a, b`, or
/// `Expect-lkmm: a, b` with `key`).
fn expected_kinds(src: &str, key: &str) -> Option<String> {
    let line = src.lines().find(|l| l.contains(key))?;
    let raw = line.split(key).nth(1)?.trim().trim_end_matches("*)").trim().to_lowercase();
    let mut kinds: Vec<&str> = raw.split(',').map(str::trim).collect();
    kinds.sort();
    Some(kinds.join(", "))
}

fn demo_cmd(opts: &Options, targs: &TraceArgs) -> Result<u8> {
    let mut first_bug: Option<(String, String)> = None;
    let mut first_weak: Option<(String, String)> = None;
    let mut worst = 0u8;
    outln!(
        "{:<40} {:<28} {:>8} {:>8}  {:<28} {:>6} {:>8}",
        "scenario",
        "sc",
        "states",
        "time",
        "lkmm",
        "execs",
        "time"
    );
    for (name, src) in embedded::EXAMPLES {
        let pre = kvet_ir::PRELUDE;
        let prog = match Input::from_source(name.to_string(), src.to_string(), pre) {
            Ok(input) => input.prog,
            Err(e) => {
                eprint!("{}", e.render(color()));
                worst = worse(worst, 2);
                continue;
            }
        };
        let t0 = Instant::now();
        let ex = kvet_explore::explore(&prog, opts);
        let secs = t0.elapsed().as_secs_f64();
        let mut kinds: Vec<String> =
            ex.violations.iter().filter(|v| v.kind.is_bug()).map(|v| v.kind.name().to_lowercase()).collect();
        kinds.sort();
        kinds.dedup();
        let verdict = if kinds.is_empty() { "ok".to_string() } else { kinds.join(", ") };
        // the LKMM under `--model both`'s deterministic work bound
        let lk = check_lkmm::run(&prog, name, src, None, Some(check_lkmm::BOTH_WORK), None, false);
        let (lk_verdict, lk_execs, lk_secs) = check_lkmm::demo_verdict(&lk);
        let mut mark = "";
        let want = expected_kinds(src, "Expect:");
        if want.as_ref().is_some_and(|w| *w != verdict) {
            mark = "  (UNEXPECTED)";
        }
        // without `Expect-lkmm:`, the LKMM must find what SC finds
        if expected_kinds(src, "Expect-lkmm:").or(want).is_some_and(|w| w != lk_verdict) {
            mark = "  (UNEXPECTED)";
        }
        if !mark.is_empty() {
            worst = worse(worst, 1);
        }
        outln!(
            "{:<40} {:<28} {:>8} {:>7.3}s  {:<28} {:>6} {:>8}{mark}",
            name,
            verdict,
            ex.states,
            secs,
            lk_verdict,
            lk_execs,
            lk_secs
        );
        if first_bug.is_none() {
            if let Some(v) = ex.violations.iter().find(|v| v.kind.is_bug()) {
                let tr = kvet_explore::replay(&prog, &v.path).context("internal: replay failed")?;
                let head = tr.violation.as_ref().map(|v| format!(" {}", v.message)).unwrap_or_default();
                first_bug = Some((
                    format!("{name}:{head}"),
                    kvet_report::render_trace_with(&prog, &tr, src, pre, targs.style()),
                ));
            }
        }
        if first_weak.is_none() {
            if let check_lkmm::LkmmRun::Ran { result, .. } = &lk {
                let weak = check_lkmm::weak_only(&result.findings, &kinds);
                if let Some(w) = weak.first() {
                    let rep = check_lkmm::repairs(&prog, result, &weak[..1], None, Some(check_lkmm::BOTH_WORK), None);
                    let mut text = kvet_report::render_lkmm_trace(&prog, w, src, pre);
                    if let Some(r) = rep.first() {
                        text.push_str(&kvet_report::render_repairs(&prog, r, src, pre));
                    }
                    first_weak = Some((format!("{name}: {}", w.message), text));
                }
            }
        }
    }
    if let Some((name, trace)) = first_bug {
        outln!("");
        outln!("The first bug, in {name}");
        out!("{trace}");
    }
    if let Some((name, trace)) = first_weak {
        outln!("");
        outln!("The first weak-memory-only bug, in {name}");
        out!("{trace}");
    }
    Ok(worst)
}

fn check_cmd(
    files: &[PathBuf],
    opts: &Options,
    json: bool,
    oargs: &OutputArgs,
    model: check_lkmm::CheckModel,
    preempt: bool,
) -> Result<u8> {
    use check_lkmm::{CheckModel, LkmmRun};
    let style = oargs.trace.style();
    let mut worst = 0u8;
    let mut jsons = Vec::new();
    let mut checked = Vec::new();
    for f in files {
        let Some(Input { src, mut prog, .. }) = load_or_report(f) else {
            worst = worse(worst, 2);
            continue;
        };
        prog.preempt |= preempt;
        let name = f.display().to_string();
        // The LKMM side first: under `--model lkmm`, a construct it does
        // not model is a located error.
        // under `both`, the LKMM part's default bound is deterministic work
        let lk_secs = opts.max_seconds;
        let lk_work = (model == CheckModel::Both && lk_secs.is_none()).then_some(check_lkmm::BOTH_WORK);
        let lk =
            model.lkmm().then(|| check_lkmm::run(&prog, &name, &src, lk_secs, lk_work, Some(opts.max_memory), color()));
        if model == CheckModel::Lkmm {
            if let Some(LkmmRun::NotChecked { rendered, .. }) = &lk {
                eprint!("{rendered}");
                worst = worse(worst, 2);
                continue;
            }
        }
        // SC, as it always was.
        let sc = if model.sc() {
            sc_part(&prog, &src, &name, opts, json)?
        } else {
            ScPart { complete: true, ..ScPart::default() }
        };
        let ScPart { summary: sc_summary, kinds: sc_kinds, first: sc_first, complete: sc_complete, traces, .. } = &sc;
        let sc_complete = *sc_complete;
        // The LKMM's findings beyond SC's kinds.
        let LkmmPart { weak, cover: lk_cover, line: lk_line, complete: lk_complete } =
            lkmm_part(lk.as_ref(), &prog, sc_kinds, model, lk_secs);
        if sc_first.is_some() || !weak.is_empty() {
            worst = worse(worst, 1);
        }
        // the repair of each weak-memory-only finding, re-checked
        let repairs = match (&lk, model.sc()) {
            (Some(LkmmRun::Ran { result, .. }), true) if !weak.is_empty() => {
                check_lkmm::repairs(&prog, result, &weak, lk_secs, lk_work, Some(opts.max_memory))
            }
            _ => Vec::new(),
        };
        let verdict = match (&sc_first, weak.first()) {
            (Some(k), _) => k.clone(),
            (None, Some(w)) => w.kind.name().to_uppercase(),
            // under both, an LKMM part that stopped or was not checked
            // leaves the SC verdict standing; the bracket says so
            (None, None) if sc_complete && (lk_complete || model != CheckModel::Lkmm) => "OK".to_string(),
            (None, None) => "INCOMPLETE".to_string(),
        };
        if verdict == "INCOMPLETE" {
            worst = worse(worst, INCOMPLETE);
        }
        if oargs.wanted() {
            // SARIF and HTML carry the SC findings and their traces
            let findings = traces
                .iter()
                .map(|(v, tok, tr)| kvet_report::Finding {
                    violation: v.clone(),
                    replay: tok.clone(),
                    trace: tr.clone(),
                })
                .collect();
            checked.push(kvet_report::CheckedFile {
                path: name.clone(),
                src: src.clone(),
                prog: prog.clone(),
                verdict: verdict.clone(),
                states: sc.states,
                findings,
            });
        }
        if json {
            let covers =
                Covers { sc_ok: model.sc() && sc_first.is_none() && sc_complete, lk_complete, lk_cover: &lk_cover };
            let parts = JsonParts { weak: &weak, repairs: &repairs, verdict: &verdict };
            jsons.push(json_value(sc.json, &name, &prog, &src, &parts, model, lk.as_ref(), &covers)?);
            continue;
        }
        match model {
            CheckModel::Sc => outln!("{name}: {verdict}  {sc_summary}"),
            CheckModel::Both => {
                let sc_cover = match (sc_kinds.is_empty(), sc_complete) {
                    (true, true) => "sc: ok".to_string(),
                    (true, false) => "sc: incomplete".to_string(),
                    (false, _) => format!("sc: {}", sc_kinds.join(", ")),
                };
                // the SC summary under the verdict of both models
                let lk_more = if lk_line.is_empty() { String::new() } else { format!("  ({lk_line})") };
                outln!("{name}: {verdict}  {sc_summary}  [{sc_cover}; {lk_cover}]{lk_more}");
            }
            CheckModel::Lkmm => outln!("{name}: {verdict}  {lk_line}  [{lk_cover}]"),
        }
        for (v, tok, tr) in traces {
            outln!("");
            outln!("{} in {}: {}", v.kind.name(), f.display(), v.message);
            out!("{}", kvet_report::render_trace_with(&prog, tr, &src, kvet_ir::PRELUDE, style));
            outln!("replay: kvet replay {} {tok}", f.display());
        }
        for (i, w) in weak.iter().enumerate() {
            outln!("");
            let label = if model.sc() { " (weak memory only)" } else { " (lkmm)" };
            outln!("{}{label} in {}: {}", w.kind.name(), f.display(), w.message);
            out!("{}", kvet_report::render_lkmm_trace(&prog, w, &src, kvet_ir::PRELUDE));
            if let Some(r) = repairs.get(i) {
                out!("{}", kvet_report::render_repairs(&prog, r, &src, kvet_ir::PRELUDE));
            }
            outln!("");
        }
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&jsons)?);
    }
    oargs.write_reports(&checked)?;
    Ok(worst)
}

/// The SC side of one file's check.
#[derive(Default)]
struct ScPart {
    /// `states N  T.TTTs` and the rest of the SC summary.
    summary: String,
    /// The kinds found, sorted, lower case.
    kinds: Vec<String>,
    /// The first finding's kind, upper case (the verdict word).
    first: Option<String>,
    /// Complete, and no path cut at a bound.
    complete: bool,
    /// Each finding with its replay token and replayed trace.
    traces: Vec<(kvet_explore::Violation, String, kvet_explore::TraceRecord)>,
    /// The `--json` object, when asked for.
    json: Option<kvet_report::CheckJson>,
    /// States stored.
    states: u64,
}

/// Explore `prog` under SC and replay every finding.
fn sc_part(prog: &Program, src: &str, name: &str, opts: &Options, json: bool) -> Result<ScPart> {
    let t0 = Instant::now();
    let ex = dist::explore(prog, opts, name)?;
    let secs = t0.elapsed().as_secs_f64();
    let bugs: Vec<_> = ex.violations.iter().filter(|v| v.kind.is_bug()).collect();
    let bounded = ex.violations.iter().any(|v| v.kind == ViolationKind::Bound);
    let complete = ex.complete && !bounded;
    let first = bugs.first().map(|v| v.kind.name().to_uppercase());
    let mut kinds: Vec<String> = bugs.iter().map(|v| v.kind.name().to_lowercase()).collect();
    kinds.sort();
    kinds.dedup();
    let verdict = match &first {
        Some(k) => k.clone(),
        None if complete => "OK".to_string(),
        None => "INCOMPLETE".to_string(),
    };
    let mut traces = Vec::new();
    for v in &ex.violations {
        let tok = kvet_explore::encode_token(prog, &v.path);
        let tr = kvet_explore::replay(prog, &v.path).context("internal: replay of a found violation failed")?;
        // the replay's message may say more (lockdep names the CPU
        // that took the lock with interrupts on)
        let mut v = v.clone();
        if let Some(tv) = tr.violation.as_ref().filter(|tv| tv.kind == v.kind) {
            v.message = tv.message.clone();
        }
        traces.push((v, tok, tr));
    }
    let json = json.then(|| {
        let tj = traces
            .iter()
            .map(|(v, tok, tr)| (v.clone(), tok.clone(), kvet_report::trace_rows(prog, tr, src, kvet_ir::PRELUDE)))
            .collect();
        kvet_report::check_json(name, prog, &ex, &verdict, tj)
    });
    Ok(ScPart {
        summary: kvet_report::explore_summary(prog, &ex, secs),
        kinds,
        first,
        complete,
        traces,
        json,
        states: ex.states,
    })
}

/// The LKMM side of one file's check, in words.
struct LkmmPart<'a> {
    /// The LKMM's findings of kinds SC did not find.
    weak: Vec<&'a kvet_axiom::gen::check::Finding>,
    /// `lkmm: ...` in the verdict line's bracket.
    cover: String,
    /// `executions N  T.TTTs ...`.
    line: String,
    /// The LKMM part covered everything it checks.
    complete: bool,
}

/// What the LKMM run `lk` found beyond SC's `sc_kinds`, and how to say it.
fn lkmm_part<'a>(
    lk: Option<&'a check_lkmm::LkmmRun>,
    prog: &Program,
    sc_kinds: &[String],
    model: check_lkmm::CheckModel,
    lk_secs: Option<f64>,
) -> LkmmPart<'a> {
    use check_lkmm::LkmmRun;
    let mut weak: Vec<&kvet_axiom::gen::check::Finding> = Vec::new();
    let mut lk_cover = String::new();
    let mut lk_line = String::new();
    let mut lk_complete = true;
    match lk {
        None => {}
        Some(LkmmRun::Ran { result, seconds }) => {
            weak = check_lkmm::weak_only(&result.findings, sc_kinds);
            let kinds = check_lkmm::kinds(&result.findings);
            lk_complete = !result.toofar && !result.deadlocks_partial;
            if result.deadlocks_partial && kinds.is_empty() {
                lk_cover = match lk_secs {
                    Some(t) => format!("lkmm: stopped: time limit ({t}s) reached"),
                    None => "lkmm: stopped: work limit reached".to_string(),
                };
            }
            lk_cover = match (kinds.is_empty(), weak.is_empty()) {
                (true, _) if !lk_cover.is_empty() => lk_cover.clone(),
                (true, _) if lk_complete => "lkmm: ok".to_string(),
                (true, _) => {
                    format!("lkmm: incomplete: a loop ran past the unrolling bound ({})", check_lkmm::UNROLL)
                }
                (false, w) if w || !model.sc() => format!("lkmm: {}", kinds.join(", ")),
                (false, _) => {
                    let w = check_lkmm::kinds(&weak.iter().map(|f| (*f).clone()).collect::<Vec<_>>());
                    let rest: Vec<&String> = kinds.iter().filter(|k| !w.contains(k)).collect();
                    let mut s = format!("lkmm: {} (weak memory only)", w.join(", "));
                    if !rest.is_empty() {
                        s.push_str(&format!(", {}", rest.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")));
                    }
                    s
                }
            };
            lk_line = format!("executions {}  {seconds:.3}s{}", result.candidates, check_lkmm::condition(prog, result));
        }
        Some(LkmmRun::NotChecked { short, .. }) => lk_cover = format!("lkmm: not checked: {short}"),
        Some(LkmmRun::Stopped(why)) => {
            lk_complete = false;
            lk_cover = match lk_secs {
                Some(t) if why.contains("time limit") => format!("lkmm: stopped: time limit ({t}s) reached"),
                None if why.contains("time limit") => "lkmm: stopped: work limit reached".to_string(),
                _ => format!("lkmm: stopped: {why}"),
            };
        }
    }
    LkmmPart { weak, cover: lk_cover, line: lk_line, complete: lk_complete }
}

/// Which models the absence of findings covers, for `--json`.
struct Covers<'a> {
    /// SC ran, found nothing, and was complete.
    sc_ok: bool,
    /// The LKMM part was complete.
    lk_complete: bool,
    /// The LKMM's bracket words.
    lk_cover: &'a str,
}

/// One file's `--json` object (docs/json.md): the SC object with the
/// LKMM's findings added and the per-model fields.
/// The LKMM's part of one file's `--json` object.
struct JsonParts<'a> {
    /// The weak-memory-only findings.
    weak: &'a [&'a kvet_axiom::gen::check::Finding],
    /// Their repairs (same order; empty when none was searched).
    repairs: &'a [kvet_axiom::repair::RepairSearch],
    /// The verdict word.
    verdict: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn json_value(
    sc_json: Option<kvet_report::CheckJson>,
    name: &str,
    prog: &Program,
    src: &str,
    parts: &JsonParts,
    model: check_lkmm::CheckModel,
    lk: Option<&check_lkmm::LkmmRun>,
    covers: &Covers,
) -> Result<serde_json::Value> {
    use check_lkmm::{CheckModel, LkmmRun};
    let mut v = match sc_json {
        Some(j) => serde_json::to_value(j)?,
        None => serde_json::json!({ "file": name, "test": prog.name, "violations": [] }),
    };
    if let Some(vs) = v.get_mut("violations").and_then(|x| x.as_array_mut()) {
        for x in vs.iter_mut() {
            x["model"] = "sc".into();
        }
        for (i, w) in parts.weak.iter().enumerate() {
            let mut j = kvet_report::lkmm_finding_json(prog, w, model.sc(), src, kvet_ir::PRELUDE);
            if let Some(r) = parts.repairs.get(i) {
                j.repair = kvet_report::repairs_json(prog, r, src, kvet_ir::PRELUDE);
            }
            vs.push(serde_json::to_value(j)?);
        }
    }
    v["verdict"] = parts.verdict.into();
    v["models"] = match model {
        CheckModel::Sc => serde_json::json!(["sc"]),
        CheckModel::Lkmm => serde_json::json!(["lkmm"]),
        CheckModel::Both => serde_json::json!(["sc", "lkmm"]),
    };
    // Which models the absence of each kind covers.
    let mut ok_for: Vec<&str> = Vec::new();
    if covers.sc_ok {
        ok_for.push("sc");
    }
    if let Some(LkmmRun::Ran { result, .. }) = lk {
        if result.findings.is_empty() && covers.lk_complete {
            ok_for.push("lkmm");
        }
    }
    v["ok"] = serde_json::json!(ok_for);
    if model.lkmm() {
        v["lkmm"] = serde_json::json!(covers.lk_cover.trim_start_matches("lkmm: "));
    }
    Ok(v)
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
