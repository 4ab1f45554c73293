//! Naming the repair of a weak-memory finding: the barriers and stronger
//! accesses a kernel developer would try (`smp_mb()` between two accesses
//! of one CPU, `READ_ONCE()` as `smp_load_acquire()`, `WRITE_ONCE()` as
//! `smp_store_release()`, `smp_mb__before_atomic()` before and
//! `smp_mb__after_atomic()` after a void atomic),
//! each tried on the IR ([`kvet_ir::patch`]) and re-checked under the
//! LKMM with the same generator and bounds.  A repair is kept when the
//! re-check completes, the finding's kind is gone, and no kind of finding
//! appears that the original check did not have.
//!
//! The candidates come from the failing execution: only the accesses of
//! that execution's events are touched.  Single fixes are tried before
//! pairs, and lighter pairs before heavier ones, as a reviewer would
//! suggest them: first the message-passing pairs of
//! Documentation/memory-barriers.txt ("pairing"), a writer-side ordering
//! (a store as `smp_store_release()`, or `smp_mb__before_atomic()`
//! before a void atomic) on one CPU with a load as `smp_load_acquire()`
//! on another; then `smp_mb()`s on two different CPUs (store buffering
//! needs a full barrier on both sides).  The first tier that has a
//! repair ends the search.  The number of re-checks is bounded, and each
//! has the original run's work bound, so the search is deterministic.
//!
//! Sources: tools/memory-model/linux-kernel.def (the fences and the
//! acquire/release accesses), Documentation/memory-barriers.txt (pairing
//! of barriers), and the kernel's own repairs of the same patterns
//! (include/linux/sched.h: set_current_state() is smp_store_mb()).

use crate::exec::EventKind;
use crate::gen::check::Finding;
use crate::gen::{GenOptions, LitmusResult};
use crate::Model;
use kvet_ir::{FenceKind, Instr, Order, Program, NO_CALL};

/// One edit of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixKind {
    /// `smp_mb()` before the step at `pc`.
    Mb,
    /// `smp_mb__after_atomic()` after the void atomic at `pc`.
    AfterAtomic,
    /// `smp_mb__before_atomic()` before the void atomic at `pc`.
    BeforeAtomic,
    /// The load at `pc` as `smp_load_acquire()`.
    Acquire,
    /// The store at `pc` as `smp_store_release()`.
    Release,
}

/// One edit: what, on which thread, at which step of the original
/// program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fix {
    /// The edit.
    pub kind: FixKind,
    /// The thread (CPU) it is on.
    pub thread: u32,
    /// The step: the one the fence goes before (`Mb`), the atomic it goes
    /// after (`AfterAtomic`) or before (`BeforeAtomic`), or the access
    /// strengthened.
    pub pc: u32,
    /// For `Mb`: the thread's access just before, in the failing
    /// execution (what the fence orders against `pc`).
    pub after: Option<u32>,
}

/// A set of edits that forbids every failing execution.
#[derive(Clone, Debug)]
pub struct Repair {
    /// The edits (one, or a pair).
    pub fixes: Vec<Fix>,
    /// The kinds the re-check still finds (lower case, sorted; kinds the
    /// original check found too).
    pub left: Vec<String>,
    /// Executions the re-check explored.
    pub executions: u64,
}

/// The outcome of a repair search.
#[derive(Clone, Debug, Default)]
pub struct RepairSearch {
    /// The repairs found, smallest first (all of one size).
    pub repairs: Vec<Repair>,
    /// Re-checks run.
    pub tried: usize,
    /// Candidates were left untried at the bound on re-checks.
    pub bounded: bool,
}

/// The most re-checks one search runs.
pub const MAX_TRIALS: usize = 48;
/// The most re-checks of message-passing pairs, so that the full-barrier
/// pairs after them still get tried.
const MAX_MP_TRIALS: usize = 16;

/// The first step of the scenario-level statement step `pc` belongs to
/// (a call of a prelude function is one statement).
fn unit_start(prog: &Program, t: usize, pc: u32) -> u32 {
    let b = &prog.threads[t].body;
    let c = b.scenario_call(pc);
    if c == NO_CALL {
        return pc;
    }
    let mut q = pc;
    while q > 0 && b.scenario_call(q - 1) == c {
        q -= 1;
    }
    q
}

/// Per thread, the (pc, kind) of each event of the finding's execution.
fn thread_events(f: &Finding, nthreads: usize) -> Vec<Vec<(u32, EventKind)>> {
    let mut out: Vec<Vec<(u32, EventKind)>> = vec![Vec::new(); nthreads];
    for e in f.exec.events() {
        let Some(t) = e.thread else { continue };
        let t = t as usize;
        if t >= nthreads {
            continue;
        }
        let k = out[t].len();
        if let Some(&pc) = f.pcs.get(t).and_then(|v| v.get(k)) {
            out[t].push((pc, e.kind));
        } else {
            // keep the count in step with `pcs`
            out[t].push((u32::MAX, e.kind));
        }
    }
    for v in &mut out {
        v.retain(|(pc, _)| *pc != u32::MAX);
    }
    out
}

fn is_access(k: EventKind) -> bool {
    matches!(k, EventKind::Read | EventKind::Write)
}

/// The single-edit candidates for `f`, in the order they are tried.
pub fn candidates(prog: &Program, f: &Finding) -> Vec<Fix> {
    let evs = thread_events(f, prog.threads.len());
    let mut atomics = Vec::new();
    let mut upgrades = Vec::new();
    let mut mbs = Vec::new();
    for (t, ev) in evs.iter().enumerate() {
        let steps = &prog.threads[t].body.steps;
        let mut prev_access: Option<u32> = None;
        for (i, &(pc, k)) in ev.iter().enumerate() {
            let earlier_access = prev_access.is_some_and(|a| a != pc);
            let Some(st) = steps.get(pc as usize) else { continue };
            let later_access = ev[i + 1..].iter().any(|&(q, k2)| q != pc && is_access(k2));
            match &st.instr {
                Instr::Load { ord: Order::Plain | Order::Once, .. } => {
                    upgrades.push(Fix { kind: FixKind::Acquire, thread: t as u32, pc, after: None })
                }
                Instr::Store { ord: Order::Plain | Order::Once, .. } => {
                    upgrades.push(Fix { kind: FixKind::Release, thread: t as u32, pc, after: None })
                }
                Instr::Rmw { ord: Order::NoReturn, .. } => {
                    let fence_at = |q: Option<usize>| {
                        matches!(q.and_then(|q| steps.get(q)).map(|s| &s.instr), Some(Instr::Fence(_)))
                    };
                    if later_access && !fence_at(Some(pc as usize + 1)) {
                        atomics.push(Fix { kind: FixKind::AfterAtomic, thread: t as u32, pc, after: None });
                    }
                    if earlier_access && !fence_at((pc as usize).checked_sub(1)) {
                        atomics.push(Fix { kind: FixKind::BeforeAtomic, thread: t as u32, pc, after: None });
                    }
                }
                _ => {}
            }
            if !is_access(k) {
                continue;
            }
            let start = unit_start(prog, t, pc);
            if let Some(a) = prev_access {
                if unit_start(prog, t, a) != start {
                    let already = start > 0
                        && matches!(steps[start as usize - 1].instr, Instr::Fence(FenceKind::Mb))
                        && a < start;
                    if !already {
                        mbs.push(Fix { kind: FixKind::Mb, thread: t as u32, pc: start, after: Some(a) });
                    }
                }
            }
            prev_access = Some(pc);
        }
    }
    let mut all = Vec::new();
    for f in atomics.into_iter().chain(upgrades).chain(mbs) {
        let dup = all.iter().any(|g: &Fix| g.kind == f.kind && g.thread == f.thread && g.pc == f.pc);
        if !dup {
            all.push(f);
        }
    }
    all
}

/// `prog` with the edits `fixes` made (pcs of the original program).
pub fn apply(prog: &Program, fixes: &[Fix]) -> Option<Program> {
    // insert from the highest pc down, so that lower pcs stay put
    let mut order: Vec<&Fix> = fixes.iter().collect();
    let at = |f: &Fix| match f.kind {
        FixKind::AfterAtomic => f.pc + 1,
        _ => f.pc,
    };
    order.sort_by_key(|f| (f.thread, std::cmp::Reverse(at(f))));
    let mut p = prog.clone();
    for f in order {
        let t = f.thread as usize;
        p = match f.kind {
            FixKind::Mb => kvet_ir::patch::insert_fence(&p, t, f.pc, FenceKind::Mb)?,
            FixKind::AfterAtomic => kvet_ir::patch::insert_fence(&p, t, f.pc + 1, FenceKind::AfterAtomic)?,
            FixKind::BeforeAtomic => kvet_ir::patch::insert_fence(&p, t, f.pc, FenceKind::BeforeAtomic)?,
            FixKind::Acquire => kvet_ir::patch::strengthen(&p, t, f.pc, Order::Acquire)?,
            FixKind::Release => kvet_ir::patch::strengthen(&p, t, f.pc, Order::Release)?,
        };
    }
    Some(p)
}

fn kinds_of(r: &LitmusResult) -> Vec<String> {
    let mut k: Vec<String> = r.findings.iter().map(|f| f.kind.name().to_lowercase()).collect();
    k.sort();
    k.dedup();
    k
}

/// Search the repairs of finding `f` of `prog`, whose LKMM check found
/// the kinds `base` (lower case); `opts` are that check's options.
pub fn search(prog: &Program, model: &dyn Model, opts: &GenOptions, f: &Finding, base: &[String]) -> RepairSearch {
    let target = f.kind.name().to_lowercase();
    let mut out = RepairSearch::default();
    let try_fixes = |fixes: &[Fix], out: &mut RepairSearch| -> Option<Repair> {
        out.tried += 1;
        let p = apply(prog, fixes)?;
        let r = crate::gen::run(&p, model, opts).ok()?;
        if r.toofar || r.deadlocks_partial {
            return None;
        }
        let left = kinds_of(&r);
        if left.contains(&target) || left.iter().any(|k| !base.contains(k)) {
            return None;
        }
        Some(Repair { fixes: fixes.to_vec(), left, executions: r.candidates })
    };
    let singles = candidates(prog, f);
    for c in &singles {
        if out.tried >= MAX_TRIALS {
            out.bounded = true;
            return out;
        }
        if let Some(r) = try_fixes(&[*c], &mut out) {
            out.repairs.push(r);
        }
    }
    if !out.repairs.is_empty() {
        keep_cleanest(&mut out.repairs);
        return out;
    }
    // pairs, lightest first: a message-passing pair (writer-side
    // ordering on one CPU, an acquire on another), then a full barrier on
    // each of two CPUs
    let writer = |c: &&Fix| matches!(c.kind, FixKind::Release | FixKind::BeforeAtomic);
    let reader = |c: &&Fix| c.kind == FixKind::Acquire;
    let mb = |c: &&Fix| c.kind == FixKind::Mb;
    let mut mp: Vec<[Fix; 2]> = Vec::new();
    for w in singles.iter().filter(writer) {
        for r in singles.iter().filter(reader).filter(|r| r.thread != w.thread) {
            mp.push([*w, *r]);
        }
    }
    let mbs: Vec<&Fix> = singles.iter().filter(mb).collect();
    let mut full: Vec<[Fix; 2]> = Vec::new();
    for (i, a) in mbs.iter().enumerate() {
        for b in mbs[i + 1..].iter().filter(|b| b.thread != a.thread) {
            full.push([**a, **b]);
        }
    }
    for (tier, cap) in [(mp, out.tried + MAX_MP_TRIALS), (full, MAX_TRIALS)] {
        for pair in &tier {
            if out.tried >= cap.min(MAX_TRIALS) {
                out.bounded = true;
                break;
            }
            if let Some(r) = try_fixes(pair, &mut out) {
                out.repairs.push(r);
            }
        }
        if !out.repairs.is_empty() {
            break;
        }
    }
    keep_cleanest(&mut out.repairs);
    out
}

/// Of repairs of one size, the ones whose re-check finds nothing at all
/// when there are such: a fix that leaves another finding standing is
/// only worth naming when nothing of its size fixes everything.
fn keep_cleanest(repairs: &mut Vec<Repair>) {
    if repairs.iter().any(|r| r.left.is_empty()) {
        repairs.retain(|r| r.left.is_empty());
    }
}
