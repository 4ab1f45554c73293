//! Shared helpers for the integration tests (hand-built executions).
#![allow(dead_code)]

use kvet_axiom::{CatError, CatModel, CatOptions, Cfg, Execution, Model, Tag, Verdict};
use std::path::{Path, PathBuf};

pub fn lkmm_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/lkmm"))
}

pub fn libdir() -> PathBuf {
    lkmm_dir().join("herd-libdir")
}

pub fn lkmm() -> CatModel {
    read_cfg(&lkmm_dir().join("linux-kernel.cfg"), &[libdir()]).expect("load LKMM")
}

pub fn sc_kernel() -> CatModel {
    read_cfg(&lkmm_dir().join("sc-kernel.cfg"), &[libdir()]).expect("load sc-kernel")
}

/// A cat file, its includes searched in its directory then in `dirs`
/// (the engine does no I/O: the tests read the files, as the CLI does).
pub fn read_cat(path: &Path, dirs: &[PathBuf], opts: &CatOptions) -> Result<CatModel, CatError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CatError::io(&name, format!("cannot read {name}: {e}")))?;
    let mut search = vec![path.parent().map_or(PathBuf::from("."), Path::to_path_buf)];
    search.extend(dirs.iter().cloned());
    let loader = move |n: &str| {
        search
            .iter()
            .map(|d| d.join(n))
            .find_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
    };
    CatModel::with_loader(&name, text, &loader, opts)
}

/// A herd configuration file, its model in its directory.
pub fn read_cfg(cfg: &Path, dirs: &[PathBuf]) -> Result<CatModel, CatError> {
    let name = cfg.display().to_string();
    let text = std::fs::read_to_string(cfg).map_err(|e| CatError::io(&name, format!("cannot read {name}: {e}")))?;
    let conf = Cfg::parse(&name, &text)?;
    let opts = CatOptions { bell: conf.bell, variants: conf.variants, ..Default::default() };
    read_cat(&cfg.with_file_name(&conf.model), dirs, &opts)
}

pub fn verdicts(m: &dyn Model, ex: &Execution) -> Vec<Verdict> {
    let mut v = m.check(ex).expect("model evaluation");
    v.sort();
    v
}

pub fn allowed(m: &dyn Model, ex: &Execution) -> bool {
    verdicts(m, ex).iter().any(|v| v.allowed)
}

pub fn flags_of_allowed(m: &dyn Model, ex: &Execution) -> Vec<String> {
    let mut f: Vec<String> =
        verdicts(m, ex).iter().filter(|v| v.allowed).flat_map(|v| v.flags.iter().map(|s| s.to_string())).collect();
    f.sort();
    f.dedup();
    f
}

pub const ONCE: &[Tag] = &[Tag::ONCE];

/// SB: P0: W x=1; [fence]; R y=0 || P1: W y=1; [fence]; R x=0.
pub fn sb(fence: Option<Tag>) -> Execution {
    let mut e = Execution::new();
    let x = e.location("x");
    let y = e.location("y");
    let ix = e.init_write(x, 0);
    let iy = e.init_write(y, 0);
    let w0 = e.write(0, x, 1, ONCE);
    if let Some(f) = fence {
        e.fence(0, &[f]);
    }
    let r0 = e.read(0, y, 0, ONCE);
    let w1 = e.write(1, y, 1, ONCE);
    if let Some(f) = fence {
        e.fence(1, &[f]);
    }
    let r1 = e.read(1, x, 0, ONCE);
    e.add_rf(iy, r0);
    e.add_rf(ix, r1);
    e.add_final(w0);
    e.add_final(w1);
    e
}

/// MP: P0: W x=1 (wtag); W y=1 (flag tag) || P1: R y=1 (rtag); R x=0.
pub fn mp(wflag: &[Tag], rflag: &[Tag], f0: Option<Tag>, f1: Option<Tag>) -> Execution {
    let mut e = Execution::new();
    let x = e.location("x");
    let y = e.location("y");
    let ix = e.init_write(x, 0);
    let _iy = e.init_write(y, 0);
    let wx = e.write(0, x, 1, ONCE);
    if let Some(f) = f0 {
        e.fence(0, &[f]);
    }
    let wy = e.write(0, y, 1, wflag);
    let ry = e.read(1, y, 1, rflag);
    if let Some(f) = f1 {
        e.fence(1, &[f]);
    }
    let rx = e.read(1, x, 0, ONCE);
    e.add_rf(wy, ry);
    e.add_rf(ix, rx);
    e.add_final(wx);
    e.add_final(wy);
    e
}

/// LB: P0: R x=1; [dep]; W y=1 || P1: R y=1; [dep]; W x=1.
pub fn lb(ctrl: bool) -> Execution {
    let mut e = Execution::new();
    let x = e.location("x");
    let y = e.location("y");
    e.init_write(x, 0);
    e.init_write(y, 0);
    let rx = e.read(0, x, 1, ONCE);
    let wy = e.write(0, y, 1, ONCE);
    let ry = e.read(1, y, 1, ONCE);
    let wx = e.write(1, x, 1, ONCE);
    if ctrl {
        e.add_ctrl(rx, wy);
        e.add_ctrl(ry, wx);
    }
    e.add_rf(wx, rx);
    e.add_rf(wy, ry);
    e.add_final(wx);
    e.add_final(wy);
    e
}

/// Spinlock MP: P0: lock; W x=1; W y=1; unlock || P1: lock; R y=ry; R x=rx; unlock.
pub fn lock_mp(ry_v: i64, rx_v: i64, locked: bool) -> Execution {
    use kvet_axiom::EventKind;
    let mut e = Execution::new();
    let x = e.location("x");
    let y = e.location("y");
    let s = e.location("s");
    let ix = e.init_write(x, 0);
    let iy = e.init_write(y, 0);
    e.init_write(s, 0);
    if locked {
        e.spin_lock(0, s);
    }
    let wx = e.write(0, x, 1, ONCE);
    let wy = e.write(0, y, 1, ONCE);
    if locked {
        e.spin_unlock(0, s);
        e.lock_event(1, EventKind::LockRead, s);
        e.lock_event(1, EventKind::LockWrite, s);
    }
    let ry = e.read(1, y, ry_v, ONCE);
    let rx = e.read(1, x, rx_v, ONCE);
    if locked {
        e.spin_unlock(1, s);
    }
    e.add_rf(if ry_v == 1 { wy } else { iy }, ry);
    e.add_rf(if rx_v == 1 { wx } else { ix }, rx);
    e.add_final(wx);
    e.add_final(wy);
    e
}

/// RCU: P0: rcu_read_lock; R x=r0; R y=r1; rcu_read_unlock
///      P1: W y=1; synchronize_rcu (optional); W x=1.
pub fn rcu_gp(r0: i64, r1: i64, sync: bool) -> Execution {
    let mut e = Execution::new();
    let x = e.location("x");
    let y = e.location("y");
    let ix = e.init_write(x, 0);
    let iy = e.init_write(y, 0);
    e.fence(0, &[Tag::RCU_LOCK]);
    let rx = e.read(0, x, r0, ONCE);
    let ry = e.read(0, y, r1, ONCE);
    e.fence(0, &[Tag::RCU_UNLOCK]);
    let wy = e.write(1, y, 1, ONCE);
    if sync {
        e.fence(1, &[Tag::SYNC_RCU]);
    }
    let wx = e.write(1, x, 1, ONCE);
    e.add_rf(if r0 == 1 { wx } else { ix }, rx);
    e.add_rf(if r1 == 1 { wy } else { iy }, ry);
    e.add_final(wx);
    e.add_final(wy);
    e
}

/// Plain write racing with a read: P0: x = 1 (plain or ONCE) || P1: r = x (plain).
pub fn race(marked: bool, v: i64) -> Execution {
    let mut e = Execution::new();
    let x = e.location("x");
    let ix = e.init_write(x, 0);
    let tags: &[Tag] = if marked { ONCE } else { &[] };
    let w = e.write(0, x, 1, tags);
    let r = e.read(1, x, v, tags);
    e.add_rf(if v == 1 { w } else { ix }, r);
    e.add_final(w);
    e
}

/// Every file under `dir` whose extension is `ext`, in path order.
pub fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

/// What an exact shortcut of the generator must not change, from one run:
/// counts, states, flags, deadlocks and findings (and, with
/// `candidates`, the candidate count); `None` when the run stopped at a
/// bound, an error's text otherwise.
pub fn run_summary(
    r: Result<kvet_axiom::gen::LitmusResult, kvet_axiom::gen::GenError>,
    candidates: bool,
) -> Option<String> {
    use kvet_axiom::gen::GenError;
    let r = match r {
        Ok(r) if !r.deadlocks_partial => r,
        Ok(_) | Err(GenError::Timeout | GenError::TooLarge(_)) => return None,
        Err(e) => return Some(format!("error {e}")),
    };
    let mut outcomes = r.outcomes.clone();
    outcomes.sort();
    // (a deadlock of the deadlock pass has no step: its pc is an id
    // counted down from u32::MAX in the order the findings were met,
    // which the shortcuts may change)
    let pc = |pc: u32| if pc > u32::MAX - (1 << 16) { "-".to_string() } else { pc.to_string() };
    let mut found: Vec<String> =
        r.findings.iter().map(|f| format!("{} {} {} {}", f.kind.name(), f.cpu, pc(f.pc), f.message)).collect();
    found.sort();
    let mut s = format!(
        "pos {} neg {} toofar {} states {:?} flags {:?} deadlocks {:?} findings {:?}",
        r.pos, r.neg, r.toofar, outcomes, r.flags, r.deadlocks, found
    );
    if candidates {
        s += &format!(" candidates {}", r.candidates);
    }
    Some(s)
}
