//! Agreement with herd7 7.58 on the corpus: for every file herd7 decided
//! (`shared/litmus/herd7-verdicts.tsv`, status ok), the generator plus the
//! native LKMM give the same Observation (verdict, positive, negative), the
//! same flags and the same number of states.

use kvet_axiom::gen::{run, GenOptions};
use kvet_axiom::native::NativeLkmm;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

fn litmus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/litmus"))
}

/// Files whose disagreement is understood, with the reason.
const KNOWN: &[(&str, &str)] = &[];

struct Row {
    file: String,
    want: String,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(litmus_dir().join("herd7-verdicts.tsv")).expect("verdict table");
    kvet_syntax::herd_verdicts(&text)
        .into_iter()
        .filter(|f| f.decided())
        .filter(|f| std::env::var("KVET_ONLY").map_or(true, |only| f.file.contains(&only)))
        .map(|f| Row {
            want: format!("{} {} {} states={} flags={}", f.verdict, f.positive, f.negative, f.states, f.flags),
            file: f.file,
        })
        .collect()
}

fn kvet(file: &str, timeout: f64) -> String {
    let src = std::fs::read_to_string(litmus_dir().join(file)).expect("read");
    let prog = match kvet_ir::compile(&src) {
        Ok(p) => p,
        Err(e) => return format!("front end error: {}", e.message),
    };
    let opts = GenOptions { max_seconds: Some(timeout), ..Default::default() };
    match run(&prog, &NativeLkmm::new().allowed_only(), &opts) {
        Ok(r) => {
            let v = kvet_ir::Observation::of(r.pos, r.neg);
            format!("{v} {} {} states={} flags={}", r.pos, r.neg, r.outcomes.len(), r.flags.join(","))
        }
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn herd_agreement() {
    let rows = rows();
    let timeout: f64 = std::env::var("KVET_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(20.0);
    let next = Mutex::new(0usize);
    let results = Mutex::new(Vec::new());
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(r) = rows.get(i) else { break };
                let t = Instant::now();
                let got = kvet(&r.file, timeout);
                results.lock().unwrap().push((r.file.clone(), r.want.clone(), got, t.elapsed().as_secs_f64()));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut bad = Vec::new();
    let mut known = 0;
    for (f, want, got, secs) in &results {
        if want != got {
            if KNOWN.iter().any(|(k, _)| k == f) {
                known += 1;
            } else {
                bad.push(format!("{f}: herd `{want}` kvet `{got}` ({secs:.2}s)"));
            }
        }
    }
    let agree = results.len() - bad.len() - known;
    println!(
        "herd7 agreement: {agree} of {} files agree, {known} known differences, {} mismatches, {:.1}s",
        results.len(),
        bad.len(),
        t0.elapsed().as_secs_f64()
    );
    let mut slow: Vec<_> = results.iter().map(|r| (r.3, r.0.clone())).collect();
    slow.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (t, f) in slow.iter().take(5) {
        println!("slowest: {t:.3}s {f}");
    }
    for b in &bad {
        println!("MISMATCH {b}");
    }
    assert!(bad.is_empty(), "{} mismatches", bad.len());
}
