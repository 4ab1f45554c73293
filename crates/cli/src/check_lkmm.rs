//! `kvet check --model lkmm|both`: run the LKMM checks of
//! `kvet_axiom::gen::check` on one scenario, and say what they cover.
//! A construct the LKMM engine cannot model is never dropped silently:
//! it is an error (exit 2) under `--model lkmm`, and under `both` the
//! verdict line says that the LKMM was not checked, and why.

use kvet_axiom::gen::check::{Finding, FindingKind};
use kvet_axiom::gen::{GenError, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use kvet_axiom::repair::RepairSearch;
use kvet_ir::Program;
use std::time::Instant;

/// Which memory model(s) `kvet check` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckModel {
    /// Sequential consistency: the explicit-state explorer.
    Sc,
    /// The Linux-kernel memory model: the axiomatic engine.
    Lkmm,
    /// Both: SC findings, then the findings only the LKMM allows.
    Both,
}

impl CheckModel {
    pub fn sc(self) -> bool {
        self != CheckModel::Lkmm
    }
    pub fn lkmm(self) -> bool {
        self != CheckModel::Sc
    }
}

/// The LKMM side of a check.
pub enum LkmmRun {
    /// The engine ran, with loops unrolled `unroll` times more.
    Ran { result: Box<LitmusResult>, unroll: u32, seconds: f64 },
    /// A construct is not modelled: `short` for the verdict line
    /// (`rcu_barrier() at x.kvet:12:3 is not modelled`), `rendered` the
    /// full diagnostic with the source line underlined.
    NotChecked { short: String, rendered: String },
    /// Stopped by a size bound (`why`), or by the time or work bound
    /// (`why` empty) `during` a phase of the search.
    Stopped { why: String, during: &'static str },
}

/// The LKMM engine's default bound per file under `--model both` (unless
/// `--timeout` is given), in the generator's units of work (see
/// kvet-axiom's `GenOptions::max_work`): deterministic, unlike a time
/// bound, so the same file gives the same line on any machine and under
/// any load. About 1 to 4 s of an idle core on the slowest examples.
pub const BOTH_WORK: u64 = 10_000;

/// Loop unrolling bound of check mode (herd's `-unroll`): polling loops
/// are awaits (spin-assume), other loops run this many extra times, and
/// more (up to [`MAX_UNROLL`]) when an allowed execution goes past it.
pub const UNROLL: u32 = 2;

/// The deepest unrolling bound that check mode tries on its own: a
/// check that finds nothing but is incomplete at [`UNROLL`] (an allowed
/// execution ran a loop past it) is run again with the bound one higher, up to this one,
/// while its bound (work or time) leaves room.
pub const MAX_UNROLL: u32 = 6;

/// The units of work that the deeper runs of a check with no bound of
/// its own may spend in all (ten times [`BOTH_WORK`]), so that an
/// unbounded `--model lkmm` check still ends; past it, the check keeps
/// the shallower, incomplete, answer.
pub const DEEPEN_WORK: u64 = 10 * BOTH_WORK;

/// The unrolling bound the user fixed with `KVET_LKMM_UNROLL`, if any:
/// then check mode does not deepen it.
fn fixed_unroll() -> Option<u32> {
    std::env::var("KVET_LKMM_UNROLL").ok().and_then(|v| v.parse().ok())
}

/// The generator's options of check mode.
fn options(unroll: u32, timeout: Option<f64>, max_work: Option<u64>, max_memory: Option<u64>) -> GenOptions {
    GenOptions {
        unroll,
        max_seconds: timeout,
        max_work,
        max_memory,
        deadlocks: true,
        kernel: true,
        ..Default::default()
    }
}

/// Search the repair of each weak-memory finding in `weak` (findings of
/// `result`, the LKMM check of `prog` with loops unrolled `unroll` times
/// more), each re-check under the check's own bounds (ten times
/// `BOTH_WORK` when it had none, so that the search stays bounded and
/// deterministic).
pub fn repairs(
    prog: &Program,
    result: &LitmusResult,
    unroll: u32,
    weak: &[&Finding],
    timeout: Option<f64>,
    max_work: Option<u64>,
    max_memory: Option<u64>,
) -> Vec<RepairSearch> {
    let model = NativeLkmm::new().allowed_only();
    let work = if timeout.is_none() { Some(max_work.unwrap_or(10 * BOTH_WORK)) } else { max_work };
    let opts = options(unroll, timeout, work, max_memory);
    let base = kinds(&result.findings);
    weak.iter().map(|f| kvet_axiom::repair::search(prog, &model, &opts, f, &base)).collect()
}

/// Run the LKMM checks on `prog`, within `timeout` seconds, `max_work`
/// units and `max_memory` bytes of coherence orders per candidate
/// execution. A check that finds nothing but is incomplete at the
/// unrolling bound runs again one deeper, up to [`MAX_UNROLL`], within
/// what is left of the bounds (kvet-axiom's `run_deepening`), unless
/// `KVET_LKMM_UNROLL` fixes the bound.
pub fn run(
    prog: &Program,
    file: &str,
    src: &str,
    timeout: Option<f64>,
    max_work: Option<u64>,
    max_memory: Option<u64>,
    color: bool,
) -> LkmmRun {
    let model = NativeLkmm::new().allowed_only();
    let fixed = fixed_unroll();
    let opts = options(fixed.unwrap_or(UNROLL), timeout, max_work, max_memory);
    let t0 = Instant::now();
    match kvet_axiom::gen::run_deepening(prog, &model, &opts, fixed.unwrap_or(MAX_UNROLL), DEEPEN_WORK) {
        Ok(d) => LkmmRun::Ran { result: Box::new(d.result), unroll: d.unroll, seconds: t0.elapsed().as_secs_f64() },
        Err(GenError::Construct { what, name, span, .. }) => {
            let pre = kvet_ir::PRELUDE;
            let (l, c, f) = if span.is_prelude() {
                let (l, c) = kvet_syntax::line_col(pre, span.lo - kvet_syntax::PRELUDE_BASE);
                (l, c, "<kvet prelude>".to_string())
            } else {
                let (l, c) = kvet_syntax::line_col(src, span.lo);
                (l, c, file.to_string())
            };
            let short = format!("{name} at {f}:{l}:{c} is not modelled");
            let err = kvet_syntax::Error::new(span, what).with_label("the LKMM engine does not model this yet");
            let rendered = kvet_report::render_error(file, src, pre, &err, color);
            LkmmRun::NotChecked { short, rendered }
        }
        Err(GenError::Timeout) => LkmmRun::Stopped { why: String::new(), during: stopped_during() },
        Err(e) => LkmmRun::Stopped { why: e.to_string(), during: "" },
    }
}

/// Where a search stopped by its bound was (what it covered), from the
/// units it spent per phase: "while enumerating the threads' paths" when it
/// built no candidate execution yet, else "while checking candidate
/// executions".
fn stopped_during() -> &'static str {
    use kvet_axiom::deadline::{spent, Phase};
    let s = spent();
    if s[Phase::Candidates as usize] + s[Phase::Partial as usize] + s[Phase::Model as usize] == 0 {
        "while enumerating the threads' paths (no candidate execution built)"
    } else {
        "while checking candidate executions"
    }
}

/// The sorted, deduplicated kind names of the findings.
pub fn kinds(fs: &[Finding]) -> Vec<String> {
    let mut k: Vec<String> = fs.iter().map(|f| f.kind.name().to_lowercase()).collect();
    k.sort();
    k.dedup();
    k
}

/// The LKMM findings whose kind SC did not find (`sc_kinds`, lower case).
pub fn weak_only<'a>(fs: &'a [Finding], sc_kinds: &[String]) -> Vec<&'a Finding> {
    let mut seen: Vec<FindingKind> = Vec::new();
    fs.iter()
        .filter(|f| !sc_kinds.contains(&f.kind.name().to_lowercase()))
        .filter(|f| {
            // one trace per kind, like the explorer
            if seen.contains(&f.kind) {
                false
            } else {
                seen.push(f.kind);
                true
            }
        })
        .collect()
}

/// `  exists: Sometimes` under the LKMM, for files with a final condition.
pub fn condition(prog: &Program, r: &LitmusResult) -> String {
    let Some((q, _)) = &prog.quant else { return String::new() };
    let obs = kvet_ir::Observation::of(r.pos, r.neg);
    format!(" {q}: {obs} ({} of {} executions)", r.pos, r.pos + r.neg)
}

/// `kvet demo`'s LKMM column: the kinds found (sorted, lower case, as
/// the `Expect-lkmm:` headers write them), `ok`, `incomplete` (a loop ran
/// past the unrolling bound), `not checked` or `timeout` (stopped at the
/// work bound); the executions and the time.
pub fn demo_verdict(lk: &LkmmRun) -> (String, String, String) {
    match lk {
        LkmmRun::Ran { result, seconds, .. } => {
            let k = kinds(&result.findings);
            let v = if result.deadlocks_partial {
                "timeout".to_string()
            } else if !k.is_empty() {
                k.join(", ")
            } else if result.toofar {
                "incomplete".to_string()
            } else {
                "ok".to_string()
            };
            (v, result.candidates.to_string(), format!("{seconds:.3}s"))
        }
        LkmmRun::NotChecked { .. } => ("not checked".into(), "-".into(), "-".into()),
        LkmmRun::Stopped { .. } => ("timeout".into(), "-".into(), "-".into()),
    }
}
