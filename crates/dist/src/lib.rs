//! kvet's parallel and distributed search on timely dataflow (the
//! `timely` crate): the same breadth-first search as kvet-explore's
//! sequential one, hash-partitioned over worker threads, processes and
//! machines, with the same answers (states, transitions, outcomes,
//! findings and their traces) whatever the number of workers; and swarm
//! search, independent randomised depth-first searches with a bitstate
//! visited set for bug hunting in spaces too large to exhaust.
//!
//! Timely runs the workers and does all networking: threads in one
//! process (`Config::workers`), or a cluster of processes, one line
//! `host:port` per process in a hostfile, the same binary on every host
//! (timely's conventions, docs/distributed.md). This crate does no other
//! I/O: results are plain data, as the engines' are.

mod bfs;
mod cluster;
mod net;
mod swarm;
mod wire;

use kvet_explore::{Exploration, Options, Progress, SearchOrder, Stepper};
use kvet_ir::Program;
use std::sync::{mpsc, Arc};
use std::time::Instant;

pub use swarm::SwarmOptions;

/// Where the workers run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Worker threads per process.
    pub workers: usize,
    /// Several processes (None: this process only).
    pub cluster: Option<Cluster>,
}

/// timely's cluster mode: `addresses[i]` is process i's `host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub process: usize,
    pub addresses: Vec<String>,
    /// How long a process waits for the others to connect before it
    /// gives up with `Error::Start`.
    pub connect_timeout: std::time::Duration,
}

impl Cluster {
    /// The default wait for the other processes: two minutes.
    pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
}

impl Config {
    pub fn threads(workers: usize) -> Config {
        Config { workers: workers.max(1), cluster: None }
    }

    /// Start `func` on every worker of this process.
    fn execute<T, F>(&self, session: &str, func: F) -> Result<timely::communication::WorkerGuards<T>, Error>
    where
        T: Send + 'static,
        F: Fn(&mut timely::worker::Worker) -> T + Send + Sync + 'static,
    {
        let threads = self.workers.max(1);
        let (builders, guard) = match &self.cluster {
            None => timely::CommunicationConfig::Process(threads).try_build().map_err(Error::Start)?,
            Some(c) => cluster::allocators(&c.addresses, c.process, threads, session, c.connect_timeout)?,
        };
        timely::execute::execute_from(builders, guard, timely::WorkerConfig::default(), func).map_err(Error::Start)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the distributed search could not start: {0}")]
    Start(String),
    #[error("a worker of the distributed search failed: {0}")]
    Worker(String),
    #[error("the program has too many moves for the distributed search's 16-bit move keys")]
    TooManyMoves,
    #[error(
        "the connection to another process of the cluster broke (did it stop?): the search stopped without an answer"
    )]
    Peer,
}

/// Wait for this process's workers. When a peer process dies or its
/// connection breaks, timely's network threads panic ("timely
/// communication error"), the workers then panic on the poisoned queues,
/// and joining the network threads panics in turn: that is a typed
/// error here, not a crash (the caller may silence the panic messages
/// of timely's threads, as the kvet binary does).
fn join<T: Send + 'static>(
    guards: timely::communication::WorkerGuards<T>,
    cluster: bool,
) -> Result<Vec<Result<T, String>>, Error> {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || guards.join())).map_err(|_| Error::Peer)?;
    if cluster && r.iter().any(|x| x.is_err()) {
        return Err(Error::Peer);
    }
    Ok(r)
}

/// What the workers of this process sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Bytes sent to other workers (threads or processes).
    pub bytes_out: u64,
    /// Of those, bytes sent to workers of other processes.
    pub bytes_remote: u64,
    /// Supersteps (exchanges) of worker 0.
    pub supersteps: u64,
}

/// The breadth-first search of `prog` on the workers of `cfg`: the same
/// result as `kvet_explore::explore` (with its level-based cycle proviso
/// under reduction), on every process of a cluster. `observer` sees the
/// summed progress after every level.
///
/// One worker in one process has nobody to exchange with: it runs the
/// sequential search itself (breadth-first), without timely, the
/// per-state paths or the level-end gathers (the same answer, which the
/// parallel search is tested against, at the sequential search's cost).
pub fn explore(
    prog: Arc<Program>,
    opts: &Options,
    cfg: &Config,
    observer: Option<&mut dyn FnMut(&Progress)>,
) -> Result<(Exploration, Traffic), Error> {
    if cfg.workers <= 1 && cfg.cluster.is_none() {
        let opts = Options { order: SearchOrder::Bfs, ..opts.clone() };
        let ex = match observer {
            Some(obs) => kvet_explore::explore_with(&prog, &opts, obs),
            None => kvet_explore::explore(&prog, &opts),
        };
        return Ok((ex, Traffic::default()));
    }
    if !Stepper::new(&prog, false).keys_fit() {
        return Err(Error::TooManyMoves);
    }
    let opts = opts.clone();
    let start = Instant::now();
    let (tx, rx) = mpsc::channel::<Progress>();
    let tx = std::sync::Mutex::new(Some(tx));
    let threads = cfg.workers.max(1);
    let has_worker0 = cfg.cluster.as_ref().is_none_or(|c| c.process == 0);
    let session = session(&prog, &opts, "bfs");
    let guards = cfg.execute(&session, move |worker| {
        let st = Stepper::with_options(&prog, &opts);
        let progress = if worker.index() == 0 { tx.lock().ok().and_then(|mut g| g.take()) } else { None };
        let local = opts.clone();
        let mut net = net::Net::new(worker, threads);
        let out = bfs::run(&mut net, &st, &local, start, progress.as_ref());
        drop(progress);
        (out.ex, Traffic { bytes_out: out.bytes_out, bytes_remote: out.bytes_remote, supersteps: out.supersteps })
    })?;
    if let Some(obs) = observer.filter(|_| has_worker0) {
        for p in rx.iter() {
            obs(&p);
        }
    }
    collect(join(guards, cfg.cluster.is_some())?)
}

/// What every process of a cluster must agree on: the program and the
/// search's options.
fn session(prog: &Program, opts: &Options, what: &str) -> String {
    format!(
        "{} {what} reduce={} max_states={} stop_at_first={}",
        kvet_explore::encode_token(prog, &[]),
        opts.reduce,
        opts.max_states,
        opts.stop_at_first
    )
}

fn collect(results: Vec<Result<(Exploration, Traffic), String>>) -> Result<(Exploration, Traffic), Error> {
    let mut ex = None;
    let mut traffic = Traffic::default();
    for r in results {
        let (e, t) = r.map_err(Error::Worker)?;
        traffic.bytes_out += t.bytes_out;
        traffic.bytes_remote += t.bytes_remote;
        traffic.supersteps = traffic.supersteps.max(t.supersteps);
        ex.get_or_insert(e);
    }
    ex.map(|e| (e, traffic)).ok_or_else(|| Error::Worker("no worker ran".into()))
}

/// Swarm search of `prog` on the workers of `cfg` (swarm.rs): the first
/// finding of `sw.searches` randomised depth-first searches, or none.
/// The result is never complete (bitstate tables may skip states).
pub fn swarm(prog: Arc<Program>, opts: &Options, sw: &SwarmOptions, cfg: &Config) -> Result<Exploration, Error> {
    let opts = opts.clone();
    let sw = sw.clone();
    let threads = cfg.workers.max(1);
    let start = Instant::now();
    let session = session(&prog, &opts, &format!("swarm {} {}", sw.searches, sw.bits_log2));
    let guards = cfg.execute(&session, move |worker| {
        let st = Stepper::with_options(&prog, &opts);
        let mut net = net::Net::new(worker, threads);
        let ex = swarm::run(&mut net, &st, &opts, &sw, start);
        (ex, Traffic::default())
    })?;
    collect(join(guards, cfg.cluster.is_some())?).map(|(e, _)| e)
}
