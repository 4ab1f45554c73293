//! `kvet check`: one file at a time, the SC explorer's part and the
//! LKMM's part, the verdict line of both models, the traces, the repairs
//! of weak-memory-only findings, and the `--json`, SARIF and HTML output.

use crate::args::OutputArgs;
use crate::{check_lkmm, color, dist, load_or_report, worse, INCOMPLETE};
use anyhow::{Context, Result};
use kvet::Input;
use kvet_explore::{Options, ViolationKind};
use kvet_ir::Program;
use std::path::PathBuf;
use std::time::Instant;

pub(crate) fn check_cmd(
    files: &[PathBuf],
    opts: &Options,
    json: bool,
    oargs: &OutputArgs,
    model: check_lkmm::CheckModel,
    preempt: bool,
    lk_memory: Option<u64>,
) -> Result<u8> {
    use check_lkmm::{CheckModel, LkmmRun};
    let style = oargs.trace.style();
    let mut worst = 0u8;
    let mut jsons = Vec::new();
    let mut checked = Vec::new();
    for f in files {
        let Some(Input { src, mut prog, .. }) = load_or_report(f) else {
            worst = worse(worst, 2);
            continue;
        };
        prog.preempt |= preempt;
        let name = f.display().to_string();
        // The LKMM side first: under `--model lkmm`, a construct it does
        // not model is a located error.
        // under `both`, the LKMM part's default bound is deterministic work
        let lk_secs = opts.max_seconds;
        let lk_work = (model == CheckModel::Both && lk_secs.is_none()).then_some(check_lkmm::BOTH_WORK);
        let lk = model.lkmm().then(|| check_lkmm::run(&prog, &name, &src, lk_secs, lk_work, lk_memory, color()));
        if model == CheckModel::Lkmm {
            if let Some(LkmmRun::NotChecked { rendered, .. }) = &lk {
                eprint!("{rendered}");
                worst = worse(worst, 2);
                continue;
            }
        }
        // SC, as it always was.
        let sc = if model.sc() {
            sc_part(&prog, &src, &name, opts, json)?
        } else {
            ScPart { complete: true, ..ScPart::default() }
        };
        let ScPart { summary: sc_summary, kinds: sc_kinds, first: sc_first, complete: sc_complete, traces, .. } = &sc;
        let sc_complete = *sc_complete;
        // The LKMM's findings beyond SC's kinds.
        let LkmmPart { weak, cover: lk_cover, line: lk_line, complete: lk_complete } =
            lkmm_part(lk.as_ref(), &prog, sc_kinds, model, lk_secs);
        if sc_first.is_some() || !weak.is_empty() {
            worst = worse(worst, 1);
        }
        // the repair of each weak-memory-only finding, re-checked
        let repairs = match (&lk, model.sc()) {
            (Some(LkmmRun::Ran { result, unroll, .. }), true) if !weak.is_empty() => {
                check_lkmm::repairs(&prog, result, *unroll, &weak, lk_secs, lk_work, lk_memory)
            }
            _ => Vec::new(),
        };
        let verdict = match (&sc_first, weak.first()) {
            (Some(k), _) => k.clone(),
            (None, Some(w)) => w.kind.name().to_uppercase(),
            // under both, an LKMM part that stopped or was not checked
            // leaves the SC verdict standing; the bracket says so
            (None, None) if sc_complete && (lk_complete || model != CheckModel::Lkmm) => "OK".to_string(),
            (None, None) => "INCOMPLETE".to_string(),
        };
        if verdict == "INCOMPLETE" {
            worst = worse(worst, INCOMPLETE);
        }
        if oargs.wanted() {
            // SARIF and HTML carry the SC findings and their traces
            let findings = traces
                .iter()
                .map(|(v, tok, tr)| kvet_report::Finding {
                    violation: v.clone(),
                    replay: tok.clone(),
                    trace: tr.clone(),
                })
                .collect();
            checked.push(kvet_report::CheckedFile {
                path: name.clone(),
                src: src.clone(),
                prog: prog.clone(),
                verdict: verdict.clone(),
                states: sc.states,
                findings,
            });
        }
        if json {
            let covers =
                Covers { sc_ok: model.sc() && sc_first.is_none() && sc_complete, lk_complete, lk_cover: &lk_cover };
            let parts = JsonParts { weak: &weak, repairs: &repairs, verdict: &verdict };
            jsons.push(json_value(sc.json, &name, &prog, &src, &parts, model, lk.as_ref(), &covers)?);
            continue;
        }
        match model {
            CheckModel::Sc => outln!("{name}: {verdict}  {sc_summary}"),
            CheckModel::Both => {
                let sc_cover = match (sc_kinds.is_empty(), sc_complete) {
                    (true, true) => "sc: ok".to_string(),
                    (true, false) => "sc: incomplete".to_string(),
                    (false, _) => format!("sc: {}", sc_kinds.join(", ")),
                };
                // the SC summary under the verdict of both models
                let lk_more = if lk_line.is_empty() { String::new() } else { format!("  ({lk_line})") };
                outln!("{name}: {verdict}  {sc_summary}  [{sc_cover}; {lk_cover}]{lk_more}");
            }
            CheckModel::Lkmm => outln!("{name}: {verdict}  {lk_line}  [{lk_cover}]"),
        }
        for (v, tok, tr) in traces {
            outln!("");
            outln!("{} in {}: {}", v.kind.name(), f.display(), v.message);
            out!("{}", kvet_report::render_trace_with(&prog, tr, &src, kvet_ir::PRELUDE, style));
            outln!("replay: kvet replay {} {tok}", f.display());
        }
        for (i, w) in weak.iter().enumerate() {
            outln!("");
            let label = if model.sc() { " (weak memory only)" } else { " (lkmm)" };
            outln!("{}{label} in {}: {}", w.kind.name(), f.display(), w.message);
            out!("{}", kvet_report::render_lkmm_trace(&prog, w, &src, kvet_ir::PRELUDE));
            if let Some(r) = repairs.get(i) {
                out!("{}", kvet_report::render_repairs(&prog, r, &src, kvet_ir::PRELUDE));
            }
            outln!("");
        }
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&jsons)?);
    }
    oargs.write_reports(&checked)?;
    Ok(worst)
}

/// The SC side of one file's check.
#[derive(Default)]
pub(crate) struct ScPart {
    /// `states N  T.TTTs` and the rest of the SC summary.
    pub(crate) summary: String,
    /// The kinds found, sorted, lower case.
    pub(crate) kinds: Vec<String>,
    /// The first finding's kind, upper case (the verdict word).
    pub(crate) first: Option<String>,
    /// Complete, and no path cut at a bound.
    pub(crate) complete: bool,
    /// Each finding with its replay token and replayed trace.
    pub(crate) traces: Vec<(kvet_explore::Violation, String, kvet_explore::TraceRecord)>,
    /// The `--json` object, when asked for.
    pub(crate) json: Option<kvet_report::CheckJson>,
    /// States stored.
    pub(crate) states: u64,
}

/// Explore `prog` under SC and replay every finding.
pub(crate) fn sc_part(prog: &Program, src: &str, name: &str, opts: &Options, json: bool) -> Result<ScPart> {
    let t0 = Instant::now();
    let ex = dist::explore(prog, opts, name)?;
    let secs = t0.elapsed().as_secs_f64();
    let bugs: Vec<_> = ex.violations.iter().filter(|v| v.kind.is_bug()).collect();
    let bounded = ex.violations.iter().any(|v| v.kind == ViolationKind::Bound);
    let complete = ex.complete && !bounded;
    let first = bugs.first().map(|v| v.kind.name().to_uppercase());
    let mut kinds: Vec<String> = bugs.iter().map(|v| v.kind.name().to_lowercase()).collect();
    kinds.sort();
    kinds.dedup();
    let verdict = match &first {
        Some(k) => k.clone(),
        None if complete => "OK".to_string(),
        None => "INCOMPLETE".to_string(),
    };
    let mut traces = Vec::new();
    for v in &ex.violations {
        let tok = kvet_explore::encode_token(prog, &v.path);
        let tr = kvet_explore::replay(prog, &v.path).context("internal: replay of a found violation failed")?;
        // the replay's message may say more (lockdep names the CPU
        // that took the lock with interrupts on)
        let mut v = v.clone();
        if let Some(tv) = tr.violation.as_ref().filter(|tv| tv.kind == v.kind) {
            v.message = tv.message.clone();
        }
        traces.push((v, tok, tr));
    }
    let json = json.then(|| {
        let tj = traces
            .iter()
            .map(|(v, tok, tr)| (v.clone(), tok.clone(), kvet_report::trace_rows(prog, tr, src, kvet_ir::PRELUDE)))
            .collect();
        kvet_report::check_json(name, prog, &ex, &verdict, tj)
    });
    Ok(ScPart {
        summary: kvet_report::explore_summary(prog, &ex, secs),
        kinds,
        first,
        complete,
        traces,
        json,
        states: ex.states,
    })
}

/// The LKMM side of one file's check, in words.
pub(crate) struct LkmmPart<'a> {
    /// The LKMM's findings of kinds SC did not find.
    pub(crate) weak: Vec<&'a kvet_axiom::gen::check::Finding>,
    /// `lkmm: ...` in the verdict line's bracket.
    pub(crate) cover: String,
    /// `executions N  T.TTTs ...`.
    pub(crate) line: String,
    /// The LKMM part covered everything it checks.
    pub(crate) complete: bool,
}

/// What the LKMM run `lk` found beyond SC's `sc_kinds`, and how to say it.
pub(crate) fn lkmm_part<'a>(
    lk: Option<&'a check_lkmm::LkmmRun>,
    prog: &Program,
    sc_kinds: &[String],
    model: check_lkmm::CheckModel,
    lk_secs: Option<f64>,
) -> LkmmPart<'a> {
    use check_lkmm::LkmmRun;
    let mut weak: Vec<&kvet_axiom::gen::check::Finding> = Vec::new();
    let mut lk_cover = String::new();
    let mut lk_line = String::new();
    let mut lk_complete = true;
    match lk {
        None => {}
        Some(LkmmRun::Ran { result, unroll, seconds }) => {
            weak = check_lkmm::weak_only(&result.findings, sc_kinds);
            let kinds = check_lkmm::kinds(&result.findings);
            lk_complete = !result.toofar && !result.deadlocks_partial;
            if result.deadlocks_partial && kinds.is_empty() {
                lk_cover = match lk_secs {
                    Some(t) => format!("lkmm: stopped: time limit ({t}s) reached in the deadlock pass"),
                    None => "lkmm: stopped: work limit reached in the deadlock pass".to_string(),
                };
            }
            lk_cover = match (kinds.is_empty(), weak.is_empty()) {
                (true, _) if !lk_cover.is_empty() => lk_cover.clone(),
                (true, _) if lk_complete => "lkmm: ok".to_string(),
                (true, _) => {
                    // (gen/thread/alloc.rs cuts a read of a reused slot's
                    // old contents the same way)
                    format!(
                        "lkmm: incomplete: a loop ran past the unrolling bound ({}), or a path read old contents of \
                         a reused kmalloc() slot",
                        unroll
                    )
                }
                (false, w) if w || !model.sc() => format!("lkmm: {}", kinds.join(", ")),
                (false, _) => {
                    let w = check_lkmm::kinds(&weak.iter().map(|f| (*f).clone()).collect::<Vec<_>>());
                    let rest: Vec<&String> = kinds.iter().filter(|k| !w.contains(k)).collect();
                    let mut s = format!("lkmm: {} (weak memory only)", w.join(", "));
                    if !rest.is_empty() {
                        s.push_str(&format!(", {}", rest.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")));
                    }
                    s
                }
            };
            lk_line = format!("executions {}  {seconds:.3}s{}", result.candidates, check_lkmm::condition(prog, result));
        }
        Some(LkmmRun::NotChecked { short, .. }) => lk_cover = format!("lkmm: not checked: {short}"),
        Some(LkmmRun::Stopped { why, during }) => {
            lk_complete = false;
            lk_cover = match lk_secs {
                _ if !why.is_empty() => format!("lkmm: stopped: {why}"),
                Some(t) => format!("lkmm: stopped: time limit ({t}s) reached {during}"),
                None => format!("lkmm: stopped: work limit reached {during}"),
            };
        }
    }
    LkmmPart { weak, cover: lk_cover, line: lk_line, complete: lk_complete }
}

/// Which models the absence of findings covers, for `--json`.
pub(crate) struct Covers<'a> {
    /// SC ran, found nothing, and was complete.
    pub(crate) sc_ok: bool,
    /// The LKMM part was complete.
    pub(crate) lk_complete: bool,
    /// The LKMM's bracket words.
    pub(crate) lk_cover: &'a str,
}

/// The LKMM's part of one file's `--json` object.
pub(crate) struct JsonParts<'a> {
    /// The weak-memory-only findings.
    pub(crate) weak: &'a [&'a kvet_axiom::gen::check::Finding],
    /// Their repairs (same order; empty when none was searched).
    pub(crate) repairs: &'a [kvet_axiom::repair::RepairSearch],
    /// The verdict word.
    pub(crate) verdict: &'a str,
}

/// One file's `--json` object (docs/json.md): the SC object with the
/// LKMM's findings added and the per-model fields.
#[allow(clippy::too_many_arguments)]
pub(crate) fn json_value(
    sc_json: Option<kvet_report::CheckJson>,
    name: &str,
    prog: &Program,
    src: &str,
    parts: &JsonParts,
    model: check_lkmm::CheckModel,
    lk: Option<&check_lkmm::LkmmRun>,
    covers: &Covers,
) -> Result<serde_json::Value> {
    use check_lkmm::{CheckModel, LkmmRun};
    let mut v = match sc_json {
        Some(j) => serde_json::to_value(j)?,
        None => serde_json::json!({ "file": name, "test": prog.name, "violations": [] }),
    };
    if let Some(vs) = v.get_mut("violations").and_then(|x| x.as_array_mut()) {
        for x in vs.iter_mut() {
            x["model"] = "sc".into();
        }
        for (i, w) in parts.weak.iter().enumerate() {
            let mut j = kvet_report::lkmm_finding_json(prog, w, model.sc(), src, kvet_ir::PRELUDE);
            if let Some(r) = parts.repairs.get(i) {
                j.repair = kvet_report::repairs_json(prog, r, src, kvet_ir::PRELUDE);
            }
            vs.push(serde_json::to_value(j)?);
        }
    }
    v["verdict"] = parts.verdict.into();
    v["models"] = match model {
        CheckModel::Sc => serde_json::json!(["sc"]),
        CheckModel::Lkmm => serde_json::json!(["lkmm"]),
        CheckModel::Both => serde_json::json!(["sc", "lkmm"]),
    };
    // Which models the absence of each kind covers.
    let mut ok_for: Vec<&str> = Vec::new();
    if covers.sc_ok {
        ok_for.push("sc");
    }
    if let Some(LkmmRun::Ran { result, .. }) = lk {
        if result.findings.is_empty() && covers.lk_complete {
            ok_for.push("lkmm");
        }
    }
    v["ok"] = serde_json::json!(ok_for);
    if model.lkmm() {
        v["lkmm"] = serde_json::json!(covers.lk_cover.trim_start_matches("lkmm: "));
    }
    Ok(v)
}
