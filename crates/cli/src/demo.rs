//! `kvet demo`: the built-in scenarios (every example and seed, embedded
//! at build time) checked under both models, one line each against the
//! `Expect:`/`Expect-lkmm:` headers, then the first bug's trace and the
//! first weak-memory-only bug's trace with its repair.

use crate::args::TraceArgs;
use crate::{check_lkmm, color, worse};
use anyhow::{Context, Result};
use kvet::Input;
use kvet_explore::Options;
use std::time::Instant;

pub(crate) mod embedded {
    include!(concat!(env!("OUT_DIR"), "/examples.rs"));
}

/// The expected kinds a scenario's header states (`Expect: a, b`, or
/// `Expect-lkmm: a, b` with `key`).
pub(crate) fn expected_kinds(src: &str, key: &str) -> Option<String> {
    let line = src.lines().find(|l| l.contains(key))?;
    let raw = line.split(key).nth(1)?.trim().trim_end_matches("*)").trim().to_lowercase();
    let mut kinds: Vec<&str> = raw.split(',').map(str::trim).collect();
    kinds.sort();
    Some(kinds.join(", "))
}

pub(crate) fn demo_cmd(opts: &Options, targs: &TraceArgs) -> Result<u8> {
    let mut first_bug: Option<(String, String)> = None;
    let mut first_weak: Option<(String, String)> = None;
    let mut worst = 0u8;
    outln!(
        "{:<40} {:<28} {:>8} {:>8}  {:<28} {:>6} {:>8}",
        "scenario",
        "sc",
        "states",
        "time",
        "lkmm",
        "execs",
        "time"
    );
    for (name, src) in embedded::EXAMPLES {
        let pre = kvet_ir::PRELUDE;
        let prog = match Input::from_source(name.to_string(), src.to_string(), pre) {
            Ok(input) => input.prog,
            Err(e) => {
                eprint!("{}", e.render(color()));
                worst = worse(worst, 2);
                continue;
            }
        };
        let t0 = Instant::now();
        let ex = kvet_explore::explore(&prog, opts);
        let secs = t0.elapsed().as_secs_f64();
        let mut kinds: Vec<String> =
            ex.violations.iter().filter(|v| v.kind.is_bug()).map(|v| v.kind.name().to_lowercase()).collect();
        kinds.sort();
        kinds.dedup();
        let verdict = if kinds.is_empty() { "ok".to_string() } else { kinds.join(", ") };
        // the LKMM under `--model both`'s deterministic work bound
        let lk = check_lkmm::run(&prog, name, src, None, Some(check_lkmm::BOTH_WORK), None, false);
        let (lk_verdict, lk_execs, lk_secs) = check_lkmm::demo_verdict(&lk);
        let mut mark = "";
        let want = expected_kinds(src, "Expect:");
        if want.as_ref().is_some_and(|w| *w != verdict) {
            mark = "  (UNEXPECTED)";
        }
        // without `Expect-lkmm:`, the LKMM must find what SC finds
        if expected_kinds(src, "Expect-lkmm:").or(want).is_some_and(|w| w != lk_verdict) {
            mark = "  (UNEXPECTED)";
        }
        if !mark.is_empty() {
            worst = worse(worst, 1);
        }
        outln!(
            "{:<40} {:<28} {:>8} {:>7.3}s  {:<28} {:>6} {:>8}{mark}",
            name,
            verdict,
            ex.states,
            secs,
            lk_verdict,
            lk_execs,
            lk_secs
        );
        if first_bug.is_none() {
            if let Some(v) = ex.violations.iter().find(|v| v.kind.is_bug()) {
                let tr = kvet_explore::replay(&prog, &v.path).context("internal: replay failed")?;
                let head = tr.violation.as_ref().map(|v| format!(" {}", v.message)).unwrap_or_default();
                first_bug = Some((
                    format!("{name}:{head}"),
                    kvet_report::render_trace_with(&prog, &tr, src, pre, targs.style()),
                ));
            }
        }
        if first_weak.is_none() {
            if let check_lkmm::LkmmRun::Ran { result, unroll, .. } = &lk {
                let weak = check_lkmm::weak_only(&result.findings, &kinds);
                if let Some(w) = weak.first() {
                    let rep = check_lkmm::repairs(
                        &prog,
                        result,
                        *unroll,
                        &weak[..1],
                        None,
                        Some(check_lkmm::BOTH_WORK),
                        None,
                    );
                    let mut text = kvet_report::render_lkmm_trace(&prog, w, src, pre);
                    if let Some(r) = rep.first() {
                        text.push_str(&kvet_report::render_repairs(&prog, r, src, pre));
                    }
                    first_weak = Some((format!("{name}: {}", w.message), text));
                }
            }
        }
    }
    if let Some((name, trace)) = first_bug {
        outln!("");
        outln!("The first bug, in {name}");
        out!("{trace}");
    }
    if let Some((name, trace)) = first_weak {
        outln!("");
        outln!("The first weak-memory-only bug, in {name}");
        out!("{trace}");
    }
    Ok(worst)
}
