//! The command line's shape: clap's derive definitions of every
//! subcommand and of the option groups they share (search bounds, trace
//! style, report files), and the parsers of their values.

use crate::check_lkmm;
use crate::dist;
use crate::memory::search_memory;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use kvet::axiomatic::LitmusModel;
use kvet_explore::{Options, SearchOrder};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "kvet", version, about = "A model checker for Linux-kernel concurrency")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

#[derive(clap::Args, Clone)]
pub(crate) struct SearchArgs {
    /// Depth-first search instead of breadth-first (traces are then not shortest).
    #[arg(long)]
    pub(crate) dfs: bool,
    /// Stop after this many states and report what was covered.
    #[arg(long, default_value_t = 50_000_000)]
    pub(crate) max_states: u64,
    /// Stop after this many seconds per file.
    #[arg(long, value_parser = seconds)]
    pub(crate) timeout: Option<f64>,
    /// Stop before the process uses this many MiB (default: three
    /// quarters of the memory available when kvet starts).
    #[arg(long)]
    pub(crate) max_memory: Option<u64>,
    /// Print the peak resident memory to stderr at the end.
    #[arg(long)]
    pub(crate) stats: bool,
    /// Stop at the first bug found.
    #[arg(long)]
    pub(crate) stop_at_first: bool,
    /// Explore every interleaving, without partial-order reduction.
    #[arg(long)]
    pub(crate) no_reduce: bool,

    /// Symmetry reduction over interchangeable CPUs (same code and
    /// handlers, no per-CPU data): one state per orbit; traces stay real
    #[arg(long)]
    pub(crate) symmetry: bool,
}

impl SearchArgs {
    pub(crate) fn options(&self) -> Options {
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
pub(crate) enum Cmd {
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
pub(crate) struct TraceArgs {
    /// `scenario`: a call into the prelude is one step, its inner steps
    /// shown only where another CPU runs inside it or the finding points
    /// into it; `full`: every step.
    #[arg(long, value_enum, default_value_t = TraceMode::Scenario)]
    pub(crate) trace: TraceMode,
}

#[derive(clap::ValueEnum, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum TraceMode {
    #[default]
    Scenario,
    Full,
}

impl TraceArgs {
    /// The trace style; on a terminal, traces fit its width.
    pub(crate) fn style(&self) -> kvet_report::TraceStyle {
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
pub(crate) struct OutputArgs {
    #[command(flatten)]
    pub(crate) trace: TraceArgs,
    /// Also write the findings as SARIF 2.1.0 to FILE (with the traces as
    /// codeFlows), for code review tools.
    #[arg(long, value_name = "FILE")]
    pub(crate) sarif: Option<PathBuf>,
    /// Also write a self-contained HTML report of every finding to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
}

impl OutputArgs {
    /// Write the file reports (`--sarif`, `--html`) of a check.
    pub(crate) fn write_reports(&self, checked: &[kvet_report::CheckedFile]) -> Result<()> {
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

    pub(crate) fn wanted(&self) -> bool {
        self.sarif.is_some() || self.html.is_some()
    }
}

/// A `--timeout` value: a finite, positive number of seconds.
pub(crate) fn seconds(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err(format!("`{s}` is not a positive, finite number of seconds")),
        Err(e) => Err(format!("`{s}` is not a number of seconds: {e}")),
    }
}
