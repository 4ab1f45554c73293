//! The `kvet litmus` (axiomatic models) and `kvet bench-corpus` commands.
//! The block printed is herd7's (herd/top_herd.ml); kvet adds, after it,
//! one `Deadlock` line per lock deadlock the model allows (herd's lock.cat
//! silently drops those executions; see `kvet_axiom::gen::search`).

use crate::litmus_lkmm::{self, ModelChoice};
use crate::{expected_result, load, UserError};
use anyhow::Result;
use kvet_axiom::gen::{GenError, GenOptions};
use std::path::{Path, PathBuf};

macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `kvet litmus --model lkmm|sc|FILE`.
pub fn litmus(files: &[PathBuf], model: &str, unroll: u32, dot: bool, json: bool, timeout: Option<f64>) -> Result<u8> {
    let choice = ModelChoice::parse(model);
    let m = litmus_lkmm::load_model(&choice, &[], kvet_axiom::Through::None)
        .map_err(|e| UserError(format!("kvet: cannot load model `{model}`: {e:#}\n")))?;
    let opts = GenOptions { unroll, max_seconds: timeout, keep_witness: dot, deadlocks: true, ..Default::default() };
    let mut worst = 0u8;
    let mut out = Vec::new();
    for f in files {
        let (src, prog) = match load(f) {
            Ok(x) => x,
            Err(e) => {
                if let Some(u) = e.downcast_ref::<UserError>() {
                    eprint!("{u}");
                } else {
                    eprintln!("kvet: {e:#}");
                }
                worst = crate::worse(worst, 2);
                continue;
            }
        };
        let mut run = match litmus_lkmm::run_program(&prog, &*m, &opts) {
            Ok(r) => r,
            Err(GenError::Timeout) => {
                eprintln!(
                    "kvet: {}: incomplete: the time limit was reached before a verdict (no Observation)",
                    f.display()
                );
                worst = crate::worse(worst, crate::INCOMPLETE);
                continue;
            }
            Err(GenError::Construct { what, span, .. }) => {
                // a located error: never a silent drop
                let err = kvet_syntax::Error::new(span, what).with_label("the LKMM engine does not model this yet");
                eprint!(
                    "{}",
                    kvet_report::render_error(&f.display().to_string(), &src, kvet_ir::PRELUDE, &err, crate::color())
                );
                worst = 2;
                continue;
            }
            Err(e) => {
                eprintln!("kvet: {}: {e}", f.display());
                worst = crate::worse(worst, 2);
                continue;
            }
        };
        // herd7's Hash line, from the file as `load` parsed it.
        if let Ok(file) = kvet_syntax::parse_with_prelude(kvet_ir::PRELUDE, &src) {
            run.block.push_str(&kvet_report::hash_line(&kvet_syntax::herd_hash(&file, &src)));
        }
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
                say!("{}", litmus_lkmm::dot(&prog, &run.result));
            }
        }
        if run.result.toofar {
            eprintln!("Warning: File \"{}\", unrolling limit exceeded, legal outcomes may be missing.", f.display());
        }
        if let Some(expected) = expected_result(&src) {
            let r = &run.result;
            let obs = if r.pos == 0 {
                "Never"
            } else if r.neg == 0 {
                "Always"
            } else {
                "Sometimes"
            };
            let matches = expected.eq_ignore_ascii_case(obs)
                || (expected.eq_ignore_ascii_case("DEADLOCK") && !r.deadlocks.is_empty());
            if !matches {
                worst = crate::worse(worst, 1);
            }
        }
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(worst)
}

/// `kvet bench-corpus DIR`.
pub fn bench(dir: &Path, filter: Option<&str>, timeout: Option<f64>) -> Result<u8> {
    let rows = litmus_lkmm::bench_corpus(dir, filter, timeout)?;
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
