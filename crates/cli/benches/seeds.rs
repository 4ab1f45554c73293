//! The seed scenarios as a benchmark (`cargo bench -p kvet --bench seeds`):
//! for each BUGGY seed, the time to its first counterexample and the
//! trace length; for each FIXED seed, the time for full verification and
//! its state count; and two scaled scenarios: seed 002 with N waiters on
//! a page lock (N = 1..5) and seed 004 with N CPUs, each with a writeback
//! interrupt (N = 1..8). Each scaled run is a child process of its own
//! (the bench re-executes itself), so that its peak memory (VmHWM) and
//! CPU seconds are its own: it prints states, bytes per stored state and
//! per frontier state, states per second, peak memory and CPU seconds.
//! Timing is measured here, never asserted in tests. `KVET_BENCH_SCALED=1`
//! runs only the scaled scenarios; `KVET_BENCH_MAX_MIB` bounds each run's
//! memory (default 4096), `KVET_BENCH_MAX_SECS` its wall time (default
//! 300), and `KVET_BENCH_ONLY=seed004-8,seed002-5` picks scaled runs by
//! scenario and N (every variant of each). Both scaled scenarios run without and
//! with symmetry reduction (seed 004's CPUs are all interchangeable, seed 002's
//! waiters P1..PN with their task_structs and wait entries; `+sym` marks where
//! it applied).

use kvet_explore::{explore, Options};
use kvet_scenario_gen::scaled::{seed002, seed004};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn compile(src: &str) -> kvet_ir::Program {
    kvet_ir::compile(src).unwrap_or_else(|e| panic!("{} at {:?}", e.message, kvet_syntax::line_col(src, e.span.lo)))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "kvet") {
            out.push(p);
        }
    }
}

/// Median of three runs (one if it takes over a second): (seconds, exploration).
fn run(p: &kvet_ir::Program, opts: &Options) -> (f64, kvet_explore::Exploration) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        if times.iter().any(|&t: &f64| t > 1.0) {
            break;
        }
        let t0 = Instant::now();
        let ex = explore(p, opts);
        times.push(t0.elapsed().as_secs_f64());
        last = Some(ex);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (times[times.len() / 2], last.unwrap_or_default())
}

/// CPU seconds (user + system) of this process, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // the fields after the command name (which may hold spaces)
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based), 12 and 13 here
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident memory of this process in MiB (VmHWM).
fn peak_mib() -> f64 {
    let st = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    st.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map_or(0.0, |k| k / 1024.0)
}

/// One scaled run, in this (child) process: prints its line.
fn scaled_child(which: &str, fixed: bool, n: usize, symmetry: bool) {
    let src = if which == "seed002" { seed002(n, fixed) } else { seed004(n, fixed) };
    let p = compile(&src);
    let mib: u64 = std::env::var("KVET_BENCH_MAX_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(4096);
    let secs: f64 = std::env::var("KVET_BENCH_MAX_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(300.0);
    let opts = Options {
        max_states: 500_000_000,
        max_seconds: Some(secs),
        max_memory: mib << 20,
        stop_at_first: !fixed,
        symmetry,
        ..Options::default()
    };
    let c0 = cpu_seconds();
    let t0 = Instant::now();
    let ex = explore(&p, &opts);
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c0;
    let kinds: Vec<&str> = ex.violations.iter().map(|v| v.kind.name()).collect();
    let stop = ex.stopped.map(|s| format!("  STOPPED at {s:?}")).unwrap_or_default();
    println!(
        "{which} {}{} N={n:<2} states {:>11}  B/state {:>5.1}  B/vector {:>4}  B/frontier-state {:>4}  states/s {:>10.0}  peak {:>7.1} MiB  cpu {:>8.3}s  wall {secs:>8.3}s  {}{stop}",
        if fixed { "fixed" } else { "buggy" },
        if ex.symmetric { "+sym" } else { "" },
        ex.states,
        ex.stored_bytes as f64 / ex.states.max(1) as f64,
        ex.state_bytes,
        ex.frontier_state_bytes,
        ex.states as f64 / secs.max(1e-9),
        peak_mib(),
        cpu,
        kinds.join(", ")
    );
}

/// Run one scaled scenario in a child process (this bench binary again).
fn scaled(which: &str, fixed: bool, n: usize, symmetry: bool) {
    if let Ok(only) = std::env::var("KVET_BENCH_ONLY") {
        if !only.split(',').any(|o| o.trim() == format!("{which}-{n}")) {
            return;
        }
    }
    let me = std::env::current_exe().expect("the bench binary");
    let out = std::process::Command::new(me)
        .env("KVET_BENCH_ONE", format!("{which} {} {n} {}", if fixed { "fixed" } else { "buggy" }, symmetry as u8))
        .output();
    match out {
        Ok(o) => print!("{}", String::from_utf8_lossy(&o.stdout)),
        Err(e) => println!("{which} N={n}: could not run: {e}"),
    }
}

fn main() {
    if let Ok(one) = std::env::var("KVET_BENCH_ONE") {
        let w: Vec<&str> = one.split_whitespace().collect();
        scaled_child(w[0], w[1] == "fixed", w[2].parse().unwrap_or(1), w.get(3) == Some(&"1"));
        return;
    }
    if std::env::var("KVET_BENCH_SCALED").is_err() {
        seeds();
    }
    // seed 002's waiters are interchangeable: without and with symmetry
    for symmetry in [false, true] {
        for fixed in [false, true] {
            for n in 1..=5 {
                scaled("seed002", fixed, n, symmetry);
            }
        }
    }
    println!();
    // seed 004's CPUs are interchangeable: without and with symmetry
    for symmetry in [false, true] {
        for fixed in [false, true] {
            for n in 1..=8 {
                scaled("seed004", fixed, n, symmetry);
            }
        }
    }
}

fn seeds() {
    // bounded, so that the scaled scenarios stop cleanly where they explode
    let bound = Options { max_states: 5_000_000, max_seconds: Some(60.0), max_memory: 6 << 30, ..Options::default() };
    let first = Options { stop_at_first: true, ..bound.clone() };
    let full = bound;
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seeds"));
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    println!("{:<52} {:>10} {:>10} {:>8}  finding", "seed scenario", "states", "seconds", "trace");
    for f in &all {
        let src = std::fs::read_to_string(f).unwrap_or_default();
        let p = compile(&src);
        let buggy = !src.to_lowercase().contains("expect: ok");
        let (secs, ex) = run(&p, if buggy { &first } else { &full });
        let (len, kind) = match ex.violations.iter().find(|v| v.kind.is_bug()) {
            Some(v) => (v.path.len().to_string(), v.kind.name()),
            None => ("-".into(), "none"),
        };
        let name = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        println!("{name:<52} {:>10} {secs:>10.4} {len:>8}  {kind}", ex.states);
        if buggy {
            // every finding of the full search, with its trace length
            let (fsecs, fex) = run(&p, &full);
            let all: Vec<String> =
                fex.violations.iter().map(|v| format!("{} (trace {})", v.kind.name(), v.path.len())).collect();
            println!("{:<52} {:>10} {fsecs:>10.4}           full search: {}", "", fex.states, all.join(", "));
        }
    }
    println!();
}
