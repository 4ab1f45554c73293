//! The SC explorer's throughput, in CPU time of the searching thread:
//! per scenario and search variant, its states, transitions and the best
//! of `--reps` runs' states per CPU second (the thread's own clock, so a
//! loaded machine disturbs it less than wall time).
//!
//! `cargo run --release -p kvet --example explore_rate -- [--reps K] [--variants full,reduced,sym,nosym] SCENARIO...`
//! where a scenario is a file, or `seed002:N` / `seed004:N` (the fixed
//! scaled seeds of `benches/seeds.rs`). Variants: `full` (no reduction),
//! `reduced` (reduction), `sym` (reduction and symmetry), `nosym` (an alias
//! of `reduced`); default `full,reduced`.

use kvet_explore::{explore, Options};
use kvet_scenario_gen::scaled::{seed002, seed004};

/// CPU seconds of the calling thread.
fn thread_cpu() -> f64 {
    let mut ts = libc_timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through the pointer.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

#[repr(C)]
struct libc_timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

extern "C" {
    fn clock_gettime(clk: i32, ts: *mut libc_timespec) -> i32;
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut reps = 3usize;
    let mut variants = vec!["full".to_string(), "reduced".to_string()];
    loop {
        match args.first().map(String::as_str) {
            Some("--reps") => {
                reps = args.get(1).and_then(|x| x.parse().ok()).unwrap_or(3).max(1);
                args.drain(..2.min(args.len()));
            }
            Some("--variants") => {
                variants = args.get(1).map(|v| v.split(',').map(str::to_string).collect()).unwrap_or_default();
                args.drain(..2.min(args.len()));
            }
            _ => break,
        }
    }
    println!(
        "{:<28} {:<8} {:>6} {:>10} {:>11} {:>9} {:>12}",
        "scenario", "variant", "bytes", "states", "transitions", "cpu s", "states/s"
    );
    for a in &args {
        let src = if let Some(n) = a.strip_prefix("seed002:") {
            seed002(n.parse().expect("N"), true)
        } else if let Some(n) = a.strip_prefix("seed004:") {
            seed004(n.parse().expect("N"), true)
        } else {
            std::fs::read_to_string(a).expect("readable scenario")
        };
        let prog = kvet_ir::compile(&src).expect("scenario compiles");
        for v in &variants {
            let opts = match v.as_str() {
                "full" => Options { reduce: false, ..Options::default() },
                "reduced" | "nosym" => Options::default(),
                "sym" => Options { symmetry: true, ..Options::default() },
                other => panic!("unknown variant {other}"),
            };
            let mut best = f64::MAX;
            let mut last = None;
            for _ in 0..reps {
                let t0 = thread_cpu();
                let ex = explore(&prog, &opts);
                best = best.min(thread_cpu() - t0);
                last = Some(ex);
            }
            let ex = last.expect("one run");
            let name = a.rsplit('/').next().unwrap_or(a);
            println!(
                "{:<28} {:<8} {:>6} {:>10} {:>11} {:>9.4} {:>12.0}",
                name,
                v,
                ex.state_bytes,
                ex.states,
                ex.transitions,
                best,
                ex.states as f64 / best.max(1e-9)
            );
        }
    }
}
