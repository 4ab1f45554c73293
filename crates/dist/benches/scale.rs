//! The parallel search's scaling on this machine (`cargo bench -p
//! kvet-dist --bench scale`): seed 004 scaled to N CPUs (each with a
//! writeback interrupt that takes the memcg lock; the scenario of
//! crates/cli/benches/seeds.rs), searched by the sequential search, by
//! kvet-dist with 1 and 2 worker threads, and by 2 processes of one
//! worker each on localhost (this binary starts itself as process 1).
//! Prints states, seconds, states per second and bytes sent per state;
//! nothing is asserted. docs/distributed.md's scaling model comes from
//! its numbers.

use kvet_dist::{Cluster, Config};
use kvet_explore::{Exploration, Options};
use kvet_scenario_gen::scaled::seed004;
use std::sync::Arc;
use std::time::Instant;

fn opts() -> Options {
    let reduce = std::env::var("KVET_BENCH_REDUCE").is_ok_and(|v| v == "1");
    Options { reduce, max_states: 100_000_000, ..Options::default() }
}

fn program(n: usize) -> Arc<kvet_ir::Program> {
    Arc::new(kvet_ir::compile(&seed004(n, true)).unwrap_or_else(|e| panic!("{}", e.message)))
}

/// CPU seconds this process has used (user + system, from /proc; the
/// machine may be shared, so states per CPU second is the steadier rate).
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<f64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn row(what: &str, secs: f64, cpu: f64, ex: &Exploration, bytes: Option<u64>) {
    let per = bytes.map_or("-".to_string(), |b| format!("{:.1}", b as f64 / ex.states.max(1) as f64));
    println!(
        "| {what} | {} | {} | {secs:.2} | {cpu:.2} | {:.0} | {:.0} | {per} |",
        ex.states,
        ex.transitions,
        ex.states as f64 / secs.max(1e-9),
        ex.states as f64 / cpu.max(1e-9)
    );
}

fn main() {
    // process 1 of the 2-process run
    if let Ok(spec) = std::env::var("KVET_BENCH_CHILD") {
        let (n, hosts) = spec.split_once(' ').unwrap_or(("4", ""));
        let addresses: Vec<String> = hosts.split(',').map(str::to_string).collect();
        let cfg = Config {
            workers: 1,
            cluster: Some(Cluster { process: 1, addresses, connect_timeout: Cluster::CONNECT_TIMEOUT }),
        };
        kvet_dist::explore(program(n.parse().unwrap_or(4)), &opts(), &cfg, None).unwrap();
        return;
    }
    let sizes: Vec<usize> = std::env::var("KVET_BENCH_N")
        .unwrap_or_else(|_| "5,6".into())
        .split(',')
        .filter_map(|x| x.parse().ok())
        .collect();
    println!("| run | states | transitions | seconds | CPU seconds | states/s | states/CPU s | bytes sent per state |");
    println!("|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let prog = program(n);
        let o = opts();
        let (t, c) = (Instant::now(), cpu());
        let ex = kvet_explore::explore(&prog, &o);
        row(&format!("seed004-{n} sequential"), t.elapsed().as_secs_f64(), cpu() - c, &ex, None);
        for w in [1, 2] {
            let (t, c) = (Instant::now(), cpu());
            let (ex, tr) = kvet_dist::explore(prog.clone(), &o, &Config::threads(w), None).unwrap();
            let what = format!("seed004-{n} {w} thread(s)");
            row(&what, t.elapsed().as_secs_f64(), cpu() - c, &ex, Some(tr.bytes_out));
        }
        let port = |()| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addresses = vec![format!("127.0.0.1:{}", port(())), format!("127.0.0.1:{}", port(()))];
        let (t, c) = (Instant::now(), cpu());
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .env("KVET_BENCH_CHILD", format!("{n} {}", addresses.join(",")))
            .spawn()
            .unwrap();
        let cfg = Config {
            workers: 1,
            cluster: Some(Cluster { process: 0, addresses, connect_timeout: Cluster::CONNECT_TIMEOUT }),
        };
        let (ex, tr) = kvet_dist::explore(prog.clone(), &o, &cfg, None).unwrap();
        let _ = child.wait_with_output();
        // process 0 sends about half of the traffic and uses about half the CPU
        let what = format!("seed004-{n} 2 processes");
        row(&what, t.elapsed().as_secs_f64(), (cpu() - c) * 2.0, &ex, Some(tr.bytes_remote * 2));
    }
}
