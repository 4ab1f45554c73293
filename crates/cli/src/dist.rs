//! `kvet check`'s parallel and distributed search (the kvet-dist crate,
//! on timely dataflow): the flags `--workers`, `--processes`/`--process`/
//! `--hostfile` (timely's cluster conventions: the same command on every
//! host, one `host:port` line per process) and `--swarm`; reading the
//! hostfile; choosing the sequential or the parallel search; the progress
//! line summed over every worker. docs/distributed.md says how to use it.

use crate::UserError;
use anyhow::Result;
use kvet_explore::{Exploration, Options, Progress, SearchOrder, StopReason};
use kvet_ir::Program;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

#[derive(clap::Args, Clone, Default, Debug)]
pub struct DistArgs {
    /// Worker threads for the search (default: 1; on a machine with 4 or
    /// more cores, every core once the search outgrows 200,000 states,
    /// where the answer stays the same; see docs/distributed.md).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Run as one of N processes of a cluster (with --process and --hostfile).
    #[arg(long, value_name = "N", requires_all = ["process", "hostfile"])]
    pub processes: Option<usize>,
    /// This process's number in the cluster, 0 to N-1.
    #[arg(long, value_name = "I", requires = "processes")]
    pub process: Option<usize>,
    /// The cluster's addresses: one `host:port` line per process, in order.
    #[arg(long, value_name = "FILE", requires = "processes")]
    pub hostfile: Option<PathBuf>,
    /// Seconds a process of a cluster waits for the others to connect
    /// (default 120); past it, an error (exit 2).
    #[arg(long, value_name = "SECONDS", requires = "processes")]
    pub connect_timeout: Option<f64>,
    /// Bug hunting in spaces too large to exhaust: K randomised
    /// depth-first searches with bitstate visited sets, spread over the
    /// workers; the first finding wins (its replay token replays).
    #[arg(long, value_name = "K")]
    pub swarm: Option<usize>,
}

/// States after which the automatic choice moves to every core.
const AUTO_STATES: u64 = 200_000;

/// Cores the automatic choice needs before it moves to them: a worker
/// that exchanges costs about 3.2 times the sequential search's CPU per
/// state (docs/distributed.md, measured on an idle 2-core machine: two
/// workers ran at 0.57 times the sequential speed), so fewer cores than
/// this would only slow the search down.
const AUTO_MIN_CORES: usize = 4;

/// Whether the sequential search's cycle proviso is the level-based one
/// that the parallel search uses (then their answers are the same with
/// partial-order reduction too, and the automatic choice may switch
/// under reduction): it is (search.rs `try_ample`; kvet-dist's bfs.rs).
const SEQUENTIAL_LEVEL_PROVISO: bool = true;

struct Setup {
    /// Explicit workers or a cluster.
    cfg: Option<kvet_dist::Config>,
    swarm: Option<usize>,
    stats: bool,
}

static SETUP: OnceLock<Setup> = OnceLock::new();

/// Check the flags and read the hostfile (errors are bad input, exit 2).
pub fn configure(a: &DistArgs, opts: &Options, stats: bool) -> Result<()> {
    let bad = |m: String| -> anyhow::Error { UserError(format!("kvet: {m}\n")).into() };
    if a.workers == Some(0) {
        return Err(bad("--workers must be at least 1".into()));
    }
    if a.swarm == Some(0) {
        return Err(bad("--swarm must be at least 1".into()));
    }
    let cluster = match (a.processes, a.process, &a.hostfile) {
        (Some(n), Some(i), Some(f)) => {
            if n == 0 || i >= n {
                return Err(bad(format!("--process {i} is not one of the {n} processes (0 to {})", n.max(1) - 1)));
            }
            let addresses = read_hostfile(f)?;
            if addresses.len() != n {
                return Err(bad(format!(
                    "{}: {} address(es) for --processes {n} (one `host:port` line per process)",
                    f.display(),
                    addresses.len()
                )));
            }
            let connect_timeout = match a.connect_timeout {
                None => kvet_dist::Cluster::CONNECT_TIMEOUT,
                Some(t) if t.is_finite() && t > 0.0 => Duration::from_secs_f64(t),
                Some(t) => return Err(bad(format!("--connect-timeout {t}: expected a positive number of seconds"))),
            };
            Some(kvet_dist::Cluster { process: i, addresses, connect_timeout })
        }
        _ => None,
    };
    let explicit = a.workers.is_some() || cluster.is_some();
    if explicit && opts.order == SearchOrder::Dfs && a.swarm.is_none() {
        return Err(bad("--dfs runs on one worker: the parallel search is breadth-first".into()));
    }
    if cluster.is_some() {
        quiet_timely_panics();
    }
    let cfg = explicit.then(|| kvet_dist::Config { workers: a.workers.unwrap_or(1), cluster });
    let _ = SETUP.set(Setup { cfg, swarm: a.swarm, stats });
    Ok(())
}

/// When a peer process dies, timely's network and worker threads panic;
/// kvet-dist turns that into its `Peer` error (exit code 2). Their panic
/// messages and backtraces would bury that error: print none for panics
/// raised inside timely_communication, and the usual message for others.
fn quiet_timely_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.location().is_some_and(|l| l.file().contains("timely_communication")) {
            return;
        }
        default(info)
    }));
}

/// The hostfile: one `host:port` per line; blank lines and `#` comments
/// are skipped.
fn read_hostfile(f: &std::path::Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(f).map_err(|e| UserError(format!("kvet: cannot read {}: {e}\n", f.display())))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ok = t.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if !ok {
            let col = line.len() - line.trim_start().len() + 1;
            return Err(UserError(format!(
                "error: {}:{}:{col}: expected `host:port`\n  | {line}\n  | {}{}\n",
                f.display(),
                n + 1,
                " ".repeat(col - 1),
                "^".repeat(t.len().max(1))
            ))
            .into());
        }
        out.push(t.to_string());
    }
    Ok(out)
}

/// Search `prog` as the flags say: the sequential search, the parallel
/// one, or a swarm.
pub fn explore(prog: &Program, opts: &Options, name: &str) -> Result<Exploration> {
    let Some(setup) = SETUP.get() else { return Ok(crate::progress::explore(prog, opts, name)) };
    if let Some(k) = setup.swarm {
        let cfg = setup.cfg.clone().unwrap_or_else(|| kvet_dist::Config::threads(cores()));
        let sw = kvet_dist::SwarmOptions { searches: k, ..kvet_dist::SwarmOptions::default() };
        return Ok(kvet_dist::swarm(Arc::new(prog.clone()), opts, &sw, &cfg)?);
    }
    if let Some(cfg) = &setup.cfg {
        return parallel(prog, opts, name, cfg, setup.stats);
    }
    // automatic: sequential, and every core once the search grows past
    // AUTO_STATES, where that gives the same answer
    let cores = cores();
    let same = !opts.reduce || SEQUENTIAL_LEVEL_PROVISO;
    if cores < AUTO_MIN_CORES
        || !same
        || opts.order != SearchOrder::Bfs
        || opts.stop_at_first
        || opts.max_states <= AUTO_STATES
    {
        return Ok(crate::progress::explore(prog, opts, name));
    }
    let t0 = std::time::Instant::now();
    let first = Options { max_states: AUTO_STATES, ..opts.clone() };
    let ex = crate::progress::explore(prog, &first, name);
    if ex.stopped != Some(StopReason::States(AUTO_STATES)) {
        return Ok(ex);
    }
    let rest =
        Options { max_seconds: opts.max_seconds.map(|t| (t - t0.elapsed().as_secs_f64()).max(0.0)), ..opts.clone() };
    let mut ex = parallel(prog, &rest, name, &kvet_dist::Config::threads(cores), setup.stats)?;
    if let (Some(StopReason::Time(_)), Some(t)) = (ex.stopped, opts.max_seconds) {
        ex.stopped = Some(StopReason::Time(t));
    }
    Ok(ex)
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// The parallel search, with a progress line on a terminal (the states of
/// every worker of every process, summed).
fn parallel(prog: &Program, opts: &Options, name: &str, cfg: &kvet_dist::Config, stats: bool) -> Result<Exploration> {
    let prog = Arc::new(prog.clone());
    let t0 = std::time::Instant::now();
    let (ex, traffic) = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr_with_hz(4));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {prefix}: {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_prefix(name.to_string());
        let mut shown = false;
        let r = kvet_dist::explore(
            prog,
            opts,
            cfg,
            Some(&mut |p: &Progress| {
                if p.elapsed_secs < 0.5 {
                    return;
                }
                if !shown {
                    bar.enable_steady_tick(Duration::from_millis(250));
                    shown = true;
                }
                bar.set_message(crate::progress::line(p));
            }),
        )?;
        if shown {
            bar.finish_and_clear();
            let how = if r.0.complete { "complete" } else { "partial: a bound was reached" };
            eprintln!(
                "{name}: covered {} states ({} transitions), depth {}; {how}",
                r.0.states, r.0.transitions, r.0.depth
            );
        }
        r
    } else {
        kvet_dist::explore(prog, opts, cfg, None)?
    };
    if stats {
        let procs = cfg.cluster.as_ref().map_or(1, |c| c.addresses.len());
        eprintln!(
            "kvet: {name}: {} worker(s) x {procs} process(es), {:.3}s, {} supersteps; this process sent {} bytes \
             to other workers ({:.1} per state), {} to other processes",
            cfg.workers,
            t0.elapsed().as_secs_f64(),
            traffic.supersteps,
            traffic.bytes_out,
            traffic.bytes_out as f64 / ex.states.max(1) as f64,
            traffic.bytes_remote
        );
    }
    Ok(ex)
}
