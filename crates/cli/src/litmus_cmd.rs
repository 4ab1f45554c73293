//! The `kvet litmus` and `kvet bench-corpus` commands: herd7's block for
//! each test, from the SC explorer (`--model explore`) or an axiomatic
//! model (`kvet::axiomatic`), and the corpus benchmark against herd7's
//! verdict table. The block printed is herd7's (herd/top_herd.ml); after
//! an axiomatic model's block kvet adds one `Deadlock` line per lock
//! deadlock the model allows (herd's lock.cat silently drops those
//! executions; see `kvet_axiom::gen::search`).

use crate::{color, load_or_report, worse, UserError, INCOMPLETE};
use anyhow::{Context, Result};
use kvet::axiomatic::{self, ModelChoice};
use kvet::Input;
use kvet_axiom::gen::{GenError, GenOptions};
use kvet_axiom::native::NativeLkmm;
use kvet_explore::Options;
use kvet_ir::Observation;
use std::path::{Path, PathBuf};
use std::time::Instant;

macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `kvet litmus --model explore`: herd7's block from the SC explorer.
pub fn explore(files: &[PathBuf], opts: &Options, json: bool) -> Result<u8> {
    let mut worst = 0u8;
    let mut out = Vec::new();
    for f in files {
        let Some(input) = load_or_report(f) else {
            worst = worse(worst, 2);
            continue;
        };
        let prog = &input.prog;
        let t0 = Instant::now();
        let ex = kvet_explore::explore(prog, opts);
        let secs = t0.elapsed().as_secs_f64();
        if !ex.complete {
            // herd's block would state an Observation the search has not earned
            eprintln!("kvet: {}: incomplete, no Observation{}", f.display(), kvet_report::stop_text(&ex));
            worst = worse(worst, INCOMPLETE);
            continue;
        }
        let outcomes: Vec<Vec<i64>> = ex.outcomes.keys().cloned().collect();
        let mut counts = kvet_report::Counts::default();
        if let Some((_, c)) = &prog.quant {
            for (o, n) in &ex.outcomes {
                if c.eval(o) {
                    counts.pos += n;
                } else {
                    counts.neg += n;
                }
            }
        }
        let mut block = kvet_report::herd_block(prog, &outcomes, counts, &[], secs);
        block.push_str(&kvet_report::hash_line(input.hash()));
        if json {
            out.push(serde_json::json!({ "file": f.display().to_string(), "output": block }));
        } else {
            say!("{block}");
        }
        if let Some(expected) = input.expected_result() {
            if Observation::parse(expected) != Some(counts.observation()) {
                worst = worse(worst, 1);
            }
        }
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(worst)
}

/// `kvet litmus --model lkmm|sc|FILE.cat|FILE.cfg`, within `timeout`
/// seconds and `max_memory` bytes of coherence orders per evaluation
/// (`--max-memory`, as `kvet check`).
#[allow(clippy::too_many_arguments)]
pub fn axiomatic(
    files: &[PathBuf],
    choice: &ModelChoice,
    unroll: u32,
    dot: bool,
    json: bool,
    timeout: Option<f64>,
    max_memory: Option<u64>,
    speed: Speedcheck,
) -> Result<u8> {
    let m = axiomatic::load_model(choice, &[], kvet_axiom::Through::None)
        .map_err(|e| UserError(format!("kvet: cannot load model `{}`: {e}\n", model_name(choice))))?;
    let opts = GenOptions {
        unroll,
        max_seconds: timeout,
        max_memory,
        keep_witness: dot,
        deadlocks: true,
        speedcheck: speed == Speedcheck::Fast,
        speedcheck_discard: speed != Speedcheck::False,
        ..Default::default()
    };
    let mut worst = 0u8;
    let mut out = Vec::new();
    for f in files {
        let Some(input) = load_or_report(f) else {
            worst = worse(worst, 2);
            continue;
        };
        let (src, prog) = (&input.src, &input.prog);
        let mut run = match axiomatic::run_program(prog, &*m, &opts) {
            Ok(r) => r,
            Err(GenError::Timeout) => {
                eprintln!(
                    "kvet: {}: incomplete: the time limit was reached before a verdict (no Observation)",
                    f.display()
                );
                worst = worse(worst, INCOMPLETE);
                continue;
            }
            Err(GenError::Construct { what, span, .. }) => {
                // a located error: never a silent drop
                let err = kvet_syntax::Error::new(span, what).with_label("the LKMM engine does not model this yet");
                eprint!("{}", kvet_report::render_error(&input.name, src, kvet_ir::PRELUDE, &err, color()));
                worst = 2;
                continue;
            }
            Err(e) => {
                eprintln!("kvet: {}: {e}", f.display());
                worst = worse(worst, 2);
                continue;
            }
        };
        // herd7's Hash line, from the file as it was parsed.
        run.block.push_str(&kvet_report::hash_line(input.hash()));
        if json {
            out.push(serde_json::json!({
                "file": f.display().to_string(),
                "output": run.block,
                "deadlocks": run.result.deadlocks,
                "seconds": run.seconds,
            }));
        } else {
            say!("{}", run.block);
            for l in &run.extra {
                say!("{l}");
            }
            if !run.extra.is_empty() {
                say!(); // the next test's block after a blank line
            }
            if dot {
                say!("{}", kvet_report::execution_dot(prog, &run.result));
            }
        }
        if run.result.toofar {
            eprintln!("Warning: File \"{}\", unrolling limit exceeded, legal outcomes may be missing.", f.display());
        }
        if let Some(expected) = input.expected_result() {
            let r = &run.result;
            let matches = Observation::parse(expected) == Some(Observation::of(r.pos, r.neg))
                || (expected.eq_ignore_ascii_case("DEADLOCK") && !r.deadlocks.is_empty());
            if !matches {
                worst = worse(worst, 1);
            }
        }
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(worst)
}

/// How the user wrote a model choice (for messages).
fn model_name(choice: &ModelChoice) -> String {
    match choice {
        ModelChoice::Lkmm => "lkmm".to_string(),
        ModelChoice::Sc => "sc".to_string(),
        ModelChoice::Cfg(p) => p.display().to_string(),
        ModelChoice::Cat { cat, .. } => cat.display().to_string(),
    }
}

/// `kvet bench-corpus DIR`.
pub fn bench(dir: &Path, filter: Option<&str>, timeout: Option<f64>) -> Result<u8> {
    let rows = bench_corpus(dir, filter, timeout)?;
    let (mut herd_total, mut kvet_total) = (0.0, 0.0);
    let (mut agree, mut n) = (0, 0);
    let mut slow_herd = Vec::new();
    say!("{:>9} {:>9}  agree  file", "herd_s", "kvet_s");
    for r in &rows {
        n += 1;
        let h = r.herd_s.unwrap_or(0.0);
        herd_total += h;
        match r.kvet_s {
            Some(k) => {
                kvet_total += k;
                if r.agree == Some(true) {
                    agree += 1;
                }
                say!("{h:>9.3} {k:>9.4}  {:<5}  {}", if r.agree == Some(true) { "yes" } else { "NO" }, r.file);
                if h > 10.0 {
                    slow_herd.push((r.file.clone(), h, k));
                }
            }
            None => say!("{h:>9.3} {:>9}  {:<5}  {} ({})", "-", "-", r.file, r.note),
        }
    }
    say!("");
    say!("files: {n}, agreeing with herd7: {agree}");
    say!(
        "total: herd7 {herd_total:.1}s, kvet {kvet_total:.2}s ({:.0}x faster)",
        if kvet_total > 0.0 { herd_total / kvet_total } else { 0.0 }
    );
    for (f, h, k) in &slow_herd {
        say!("herd7 over 10 s: {f}: herd7 {h:.1}s, kvet {k:.3}s");
    }
    Ok(if agree == n { 0 } else { 1 })
}

/// One row of the corpus benchmark.
pub struct BenchRow {
    pub file: String,
    pub herd_s: Option<f64>,
    pub kvet_s: Option<f64>,
    pub agree: Option<bool>,
    pub note: String,
}

/// `kvet bench-corpus DIR`: every file herd decided, timed.
pub fn bench_corpus(dir: &Path, filter: Option<&str>, timeout: Option<f64>) -> Result<Vec<BenchRow>> {
    let tsv = dir.join("herd7-verdicts.tsv");
    let text = std::fs::read_to_string(&tsv).with_context(|| format!("cannot read {}", tsv.display()))?;
    let rows = kvet_syntax::herd_verdicts(&text);
    let model = NativeLkmm::new().allowed_only();
    let mut out = Vec::new();
    for r in rows {
        if !r.decided() {
            continue;
        }
        if let Some(f) = filter {
            if !r.file.contains(f) {
                continue;
            }
        }
        let path = dir.join(&r.file);
        let herd_s = r.wall_s.parse::<f64>().ok();
        let src = kvet::input::read_source(&path)?;
        let prog = match Input::from_source(r.file.clone(), src, kvet_ir::PRELUDE) {
            Ok(input) => input.prog,
            Err(kvet::LoadError::Front { error: e, .. }) => {
                out.push(BenchRow {
                    file: r.file.clone(),
                    herd_s,
                    kvet_s: None,
                    agree: None,
                    note: format!("front end: {}", e.message),
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let opts = GenOptions { max_seconds: timeout, ..Default::default() };
        let t0 = Instant::now();
        match kvet_axiom::gen::run(&prog, &model, &opts) {
            Ok(res) => {
                let secs = t0.elapsed().as_secs_f64();
                let verdict = Observation::of(res.pos, res.neg);
                let agree = verdict.as_str() == r.verdict
                    && res.pos.to_string() == r.positive
                    && res.neg.to_string() == r.negative
                    && res.outcomes.len().to_string() == r.states
                    && res.flags.join(",") == r.flags;
                out.push(BenchRow {
                    file: r.file.clone(),
                    herd_s,
                    kvet_s: Some(secs),
                    agree: Some(agree),
                    note: String::new(),
                });
            }
            Err(e) => {
                out.push(BenchRow { file: r.file.clone(), herd_s, kvet_s: None, agree: None, note: e.to_string() })
            }
        }
    }
    Ok(out)
}

/// herd's `-speedcheck` (`--speedcheck` of `kvet litmus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speedcheck {
    /// Every execution counts.
    False,
    /// The executions that cannot settle the condition are discarded.
    True,
    /// As `True`, and the search stops at the first that settles it.
    Fast,
}

impl Speedcheck {
    /// `false`, `true` or `fast` (clap has checked the word).
    pub fn parse(s: &str) -> Speedcheck {
        match s {
            "fast" => Speedcheck::Fast,
            "true" => Speedcheck::True,
            _ => Speedcheck::False,
        }
    }
}
