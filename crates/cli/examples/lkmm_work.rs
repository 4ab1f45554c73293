//! Where the LKMM check mode's work budget goes, per file: time, verdict
//! and the units spent per phase (path enumeration, candidates, partial
//! checks, model evaluations), as `examples.rs` runs it (10,000 units).
//!
//! `cargo run --release -p kvet --example lkmm_work -- [-v] [--exhaustive] [--work N] [--unroll N] FILE...`
//! (`-v`: also the search's counters, `kvet_axiom::deadline::counters`;
//! `--work 0`: unbounded; `--exhaustive`: without the search's exact shortcuts;
//! `--unroll N`: the loop-unrolling bound of the run, 2 by default, as the
//! first run of `kvet check`)

use kvet_axiom::deadline::{counters, spent, Phase};
use kvet_axiom::gen::{GenError, GenOptions};
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut work = Some(10_000u64);
    let mut exhaustive = false;
    let mut verbose = false;
    if args.first().map(String::as_str) == Some("-v") {
        verbose = true;
        args.remove(0);
    }
    if args.first().map(String::as_str) == Some("--exhaustive") {
        exhaustive = true;
        args.remove(0);
    }
    if args.first().map(String::as_str) == Some("--work") {
        work = args.get(1).and_then(|w| w.parse().ok()).filter(|w| *w > 0);
        args.drain(..2.min(args.len()));
    }
    let mut unroll = 2;
    if args.first().map(String::as_str) == Some("--unroll") {
        unroll = args.get(1).and_then(|w| w.parse().ok()).unwrap_or(2);
        args.drain(..2.min(args.len()));
    }
    println!(
        "{:<48} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} verdict",
        "file", "secs", "cpu", "paths", "cands", "partial", "model", "checked"
    );
    for f in &args {
        let Ok(src) = std::fs::read_to_string(f) else {
            eprintln!("{f}: cannot read");
            continue;
        };
        let prog = match kvet_ir::compile(&src) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{f}: {}", e.message);
                continue;
            }
        };
        let model = kvet_axiom::native::NativeLkmm::new().allowed_only();
        let opts =
            GenOptions { deadlocks: true, kernel: true, max_work: work, unroll, exhaustive, ..Default::default() };
        let t0 = Instant::now();
        let c0 = cpu_secs();
        let r = kvet_axiom::gen::run(&prog, &model, &opts);
        let secs = t0.elapsed().as_secs_f64();
        let cpu = cpu_secs() - c0;
        let s = spent();
        let (verdict, cands) = match r {
            Ok(r) if r.deadlocks_partial => ("timeout (deadlock pass)".to_string(), r.candidates),
            Ok(r) => {
                let mut k: Vec<&str> = r.findings.iter().map(|f| f.kind.name()).collect();
                k.sort();
                k.dedup();
                let none = if r.toofar { "incomplete" } else { "ok" };
                (if k.is_empty() { none.to_string() } else { k.join(", ") }, r.candidates)
            }
            Err(GenError::Timeout) => ("timeout".to_string(), 0),
            Err(e) => (format!("error: {e}"), 0),
        };
        println!(
            "{:<48} {:>8.2} {:>8.2} {:>8} {:>8} {:>8} {:>8} {:>9} {verdict}",
            f,
            secs,
            cpu,
            s[Phase::Paths as usize],
            s[Phase::Candidates as usize],
            s[Phase::Partial as usize],
            s[Phase::Model as usize],
            cands
        );
        if verbose {
            println!("    {:?}", counters());
        }
    }
}

/// This process's CPU time (user and system), in seconds, from
/// `/proc/self/stat` (0 where it cannot be read): the measure that the
/// load of a shared machine does not inflate.
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // the fields after the command's closing parenthesis
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based), 11 and 12 here
    (ticks(11) + ticks(12)) / 100.0
}
