//! Reader/writer spinlocks (`rwlock_t`) under the LKMM.
//!
//! linux-kernel.def has no rwlocks, so they are modelled as the kernel
//! implements them, the queued rwlock (include/asm-generic/qrwlock.h,
//! kernel/locking/qrwlock.c), on the lock's word `cnts`: readers count in
//! units of `_QR_BIAS` (0x200), a waiting writer sets `_QW_WAITING`
//! (0x100), the holding writer `_QW_LOCKED` (0xff).  Each operation is the
//! kernel's RMW on `cnts` with the kernel's ordering; the spinning reads
//! of its slow paths are awaits (GenMC's spin-assume, as polling loops in
//! check mode: the loop's last read returns the value that lets it go
//! on, or it waits forever reading co-last values).  What each becomes:
//!
//! * `read_lock()`: `atomic_add_return_acquire(_QR_BIAS, &cnts)`
//!   (`R{acquire}`/`W{acquire}`), taken when it finds no writer bit
//!   (`_QW_WMASK`); otherwise `queued_read_lock_slowpath()` backs off and
//!   waits.  Its waits are elided to the RMW that finally succeeds: it
//!   reads a value without a writer bit or, when `in_interrupt()` (in a
//!   handler, or with bottom halves disabled), without `_QW_LOCKED` (such
//!   a reader passes a waiting writer); a read that does not let it in is
//!   an await ([`AwaitKind::Lock`]).
//! * `write_lock()`: `atomic_try_cmpxchg_acquire(&cnts, 0, _QW_LOCKED)`;
//!   if readers hold it (no writer bit), `queued_write_lock_slowpath()`
//!   sets `_QW_WAITING` (`atomic_or`, unordered) and waits until `cnts`
//!   is exactly `_QW_WAITING`, then `cmpxchg_acquire` to `_QW_LOCKED`; a
//!   writer finding another writer's bit waits behind it (the slow path's
//!   `wait_lock`, not modelled as a location of its own: writers queue in
//!   turn, as in the explorer).
//! * `read_unlock()`: `atomic_sub_return_release(_QR_BIAS, &cnts)`.
//! * `write_unlock()`: `smp_store_release(&lock->wlocked, 0)`, a byte
//!   store to `cnts`' low byte; the LKMM has no mixed-size accesses, so it
//!   is the RMW that clears that byte (`W{release}`), keeping the readers
//!   and the waiting bit other CPUs add meanwhile.
//! * `read_trylock()`/`write_trylock()`: the fast path's RMW, or a lone
//!   read returning 0 (queued_read_trylock(), queued_write_trylock()).
//!
//! A CPU waiting forever in an rwlock is a deadlock, as the explorer
//! reports it (the waits of readers behind a queued writer that waits for
//! them: read_lock() nested under a waiting writer).
//!
//! **Writers hold the LKMM's lock.**  Release/acquire RMWs on `cnts` alone
//! are weaker than the LKMM's locks: linux-kernel.cat gives an unlock
//! followed by a lock of the same lock `po-unlock-lock-po`
//! (`po ; [UL] ; (po|rf) ; [LKR] ; po`), which is in `cumul-fence`: a
//! third CPU that sees a store made after the lock also sees the stores
//! before the unlock, which `po-rel ; rfe ; acq-po` does not give.
//! memory-barriers.txt lists "R/W spin locks" among the lock kinds with
//! the lock semantics, and a write lock is an exclusive lock, so two write
//! sections must be ordered as two spinlock sections are.  Without it,
//! seed 001's rcu-walk.kvet had a false "data race (weak memory only)": a
//! writer's plain initialisation published by `rcu_assign_pointer()`
//! and re-published by the next writer's `WRITE_ONCE()` (list_del_rcu()
//! after list_add_tail_rcu()) raced with an RCU reader, which the same
//! program with a spinlock does not.  So each rwlock has a hidden writer
//! lock, a cell appended after the program's own (`l.writer`, see
//! [`with_rwlock_cells`]): `write_lock()` first takes it with lock.cat's
//! `LKR`/`LKW` (a writer waiting for another writer waits there, a
//! blocked prefix as at a `spin_lock()`), then does the RMWs on `cnts`
//! that exclude readers; `write_unlock()` releases `cnts`, then `UL`s the
//! writer lock; a successful `write_trylock()` takes it too, a failed one
//! makes no event on it.  The kernel's writers are serialised by `cnts`
//! alone, but the order of their sections is the same: every `cnts` RMW
//! of a write section is between its `LKW` and `UL`, so lock.cat's order
//! of the writer lock and the coherence order of `cnts` agree (an `UL`
//! read by the next `LKR` is `po-rel`, `rfe`, `acq-po` before that
//! writer's `cnts` read, which hence reads a later value).  A writer
//! whose own CPU holds the writer lock (a handler interrupting a write
//! section) does not take it again: it finds `_QW_LOCKED` in `cnts` and
//! waits there forever, the deadlock the explorer reports.
//!
//! **Readers stay release/acquire.**  A read section following a write
//! section (its `read_lock()` reads the writer's release of `cnts`), or a
//! write section following read sections, is ordered by `po-rel ; rf ;
//! acq-po` on `cnts` only, not by `po-unlock-lock-po`.  That is exactly
//! the ordering memory-barriers.txt gives every lock kind (ACQUIRE and
//! RELEASE implications (1)-(5): one-way barriers); the cumulativity of
//! an unlock/lock pair is the LKMM's own rule, and lock.cat defines it
//! only for exclusive locks: a shared lock has no `LKR`/`LKW`/`UL` form
//! (two readers hold it at once, which lock.cat's `critical` and
//! `unmatched-locks` forbid).  Giving a reader the hidden writer lock
//! would make readers exclude each other, and giving it a short section
//! of that lock around its RMWs would order the accesses *before*
//! `read_lock()` before the next writer's section, which an acquire RMW
//! does not do: stronger than the kernel, so it could hide a bug.  The
//! price of the weaker choice: a plain store of a writer that a
//! *reader* re-publishes to a third CPU with a relaxed store inside its
//! read section (no release, no dependency to the third CPU's access)
//! is a data race here but not with a spinlock (test
//! `rwlock_reader_republication_is_release_acquire` in
//! tests/lkmm_checks.rs).  The kernel's read_lock() is the same
//! acquire RMW a qspinlock's lock is, so real hardware may well give it
//! the spinlock's ordering; a finding of that shape is to be read with
//! this in mind.  No example has one.

use super::is_freed;
use super::{is_sym, Await, AwaitKind, Deps, GenError, St, TEv, Walker, SYMX};
use crate::exec::{EventKind, Tag, TagSet};
use kvet_ir::{Instr, LockKind, LockTy, Opd, Program, Reg, Val};

/// Switched on.  History: it was first off because check mode's value
/// fixpoint lost the two-reader lock word (each thread's range of write
/// sites was counted on the first round's complete paths, where a
/// reader has none; lkeng5's restart on a site overflow fixed it), then
/// because the writer side was only release/acquire on `cnts` (a false
/// data race on seed 001's rcu-walk.kvet); the writer lock (module doc)
/// fixed that.
pub(super) const MODELLED: bool = true;

const QW_WAITING: Val = 0x100;
const QW_LOCKED: Val = 0xff;
const QW_WMASK: Val = 0x1ff;
const QR_BIAS: Val = 0x200;

fn ev(kind: EventKind, cell: u32, val: Val, tags: TagSet, atomic: bool, addr: super::Deps) -> TEv {
    TEv { kind, cell: Some(cell), val: Some(val), tags, atomic, addr, data: Deps::NONE, ctrl: Deps::NONE }
}

/// What one RMW attempt does with the value it reads.
enum Step {
    /// Write this value (the lock is taken, released or queued).
    Write(Val),
    /// The value does not let it go on: it waits (or, for a trylock,
    /// fails).
    Wait,
    /// Not this path's value: another call covers it (a write trylock's
    /// success and failure are walked from different states).
    Never,
}

/// The most read locks of rwlocks one execution may hold at once: every
/// `read_lock()`/`read_trylock()` step of every thread, times the number
/// of times the unrolled loops around it (and, in a handler, its
/// firings) may run it.  A lock word with more readers is unreachable.
pub(super) fn max_readers(prog: &Program, unroll: u32) -> Val {
    let mut total: Val = 0;
    for th in &prog.threads {
        let steps = &th.body.steps;
        let back: Vec<(usize, usize)> = steps
            .iter()
            .enumerate()
            .flat_map(|(pc, s)| match s.instr {
                Instr::Jump(t) if t as usize <= pc => vec![(t as usize, pc)],
                Instr::Branch(_, a, b) => {
                    [a, b].into_iter().filter(|t| *t as usize <= pc).map(|t| (t as usize, pc)).collect()
                }
                _ => vec![],
            })
            .collect();
        let times = th.handlers.iter().map(|h| h.times.max(1)).max().unwrap_or(1) as Val;
        let entry = th.handlers.iter().map(|h| h.entry as usize).min().unwrap_or(usize::MAX);
        for (pc, s) in steps.iter().enumerate() {
            let read = matches!(
                s.instr,
                Instr::Lock { kind: LockKind::Read, .. } | Instr::Trylock { kind: LockKind::Read, .. }
            );
            if !read {
                continue;
            }
            let depth = back.iter().filter(|(t, j)| *t <= pc && pc <= *j).count() as u32;
            let mut n = (unroll as Val + 1).saturating_pow(depth);
            if pc >= entry {
                n = n.saturating_mul(times);
            }
            total = total.saturating_add(n);
        }
    }
    total
}

/// Can the lock word hold `v`: no negative count, the writer byte 0 or
/// `_QW_LOCKED` (and then no reader), at most `max` readers?  The RMWs
/// on it are atomic, so it goes through valid words only.
fn valid(v: Val, max: Val) -> bool {
    let locked = v & QW_LOCKED;
    v >= 0 && (locked == 0 || (locked == QW_LOCKED && v >> 9 == 0)) && v >> 9 <= max
}

/// The name of the hidden objects holding the rwlocks' writer locks.
const WRITER_OBJ: &str = "<rwlock writer lock>";

/// The rwlock_t cells of the program's own objects, in object order.
fn rwlock_cells(prog: &Program) -> Vec<u32> {
    prog.objects
        .iter()
        .filter(|o| o.name != WRITER_OBJ)
        .flat_map(|o| o.lock_cells.iter().filter(|(_, k)| *k == LockTy::Rw).map(move |(off, _)| o.base + off))
        .collect()
}

/// `prog` with one hidden writer-lock cell per rwlock_t cell appended
/// after its own cells (an object of its own, named after the rwlock:
/// `l.writer`), or `None` when it has no rwlock (or they are not
/// modelled).  The search sees them as any other lock cell.
pub(crate) fn with_rwlock_cells(prog: &Program) -> Option<Program> {
    if !MODELLED {
        return None;
    }
    let cells = rwlock_cells(prog);
    if cells.is_empty() {
        return None;
    }
    let mut p = prog.clone();
    for c in cells {
        p.push_hidden(WRITER_OBJ, vec![format!("{}.writer", prog.cell_name(c))], vec![(0, LockTy::Spin)]);
    }
    Some(p)
}

/// Per rwlock_t cell, its writer-lock cell (see [`with_rwlock_cells`]).
pub(super) fn writer_locks(prog: &Program) -> Vec<(u32, u32)> {
    let hidden = prog.objects.iter().filter(|o| o.name == WRITER_OBJ).map(|o| o.base);
    rwlock_cells(prog).into_iter().zip(hidden).collect()
}

impl Walker<'_> {
    /// The writer-lock cell of the rwlock at `cell`.
    fn writer_lock(&self, pc: u32, cell: u32) -> Result<u32, GenError> {
        match self.wlocks.iter().find(|(c, _)| *c == cell) {
            Some(&(_, w)) => Ok(w),
            None => Err(self.err(
                pc,
                format!(
                    "not supported by the LKMM engine: write_lock() of {}, not a declared rwlock_t",
                    self.prog.cell_name(cell)
                ),
            )),
        }
    }

    /// `in_interrupt()`: in a handler, or with bottom halves disabled.
    fn in_interrupt(&self, st: &St) -> bool {
        !st.ctx.is_empty() || st.bh > 0
    }

    /// One RMW on the lock word `cell`: per value it may read, either the
    /// write `f` decides (the path goes on at `next` with `then`
    /// applied) or a wait: an await prefix ([`AwaitKind::Lock`]), or for
    /// a trylock (`fail`: its result register) a failed attempt, a lone
    /// read returning 0.
    #[allow(clippy::too_many_arguments)]
    fn rwlock_rmw(
        &self,
        st: &St,
        stack: &mut Vec<St>,
        pc: u32,
        cell: u32,
        at: super::Deps,
        tags: TagSet,
        f: impl Fn(Val) -> Step,
        fail: Option<Reg>,
        then: impl Fn(&mut St, bool),
    ) -> Result<(), GenError> {
        for &old in self.values(st, cell).iter().rev() {
            let mut s2 = st.clone();
            let r = self.push(&mut s2, pc, ev(EventKind::Read, cell, old, tags, true, at))?;
            if is_freed(old) {
                self.freed_read(s2, pc, cell)?;
                continue;
            }
            let step = if is_sym(old) { Step::Write(SYMX) } else { f(old) };
            // unreachable words, and transitions out of them, do not occur
            if !is_sym(old)
                && (!valid(old, self.max_readers) || matches!(step, Step::Write(n) if !valid(n, self.max_readers)))
            {
                continue;
            }
            match step {
                Step::Never => {}
                Step::Write(new) => {
                    let mut w = ev(EventKind::Write, cell, new, tags, true, at);
                    w.data = Deps::bit(r);
                    let w = self.push(&mut s2, pc, w)?;
                    s2.rmw.push((r as u16, w as u16));
                    then(&mut s2, true);
                    stack.push(s2);
                }
                Step::Wait => {
                    // no RMW without its write: the slow path's relaxed
                    // atomic_read() (atomic_cond_read_*())
                    s2.evs[r].atomic = false;
                    s2.evs[r].tags = TagSet::of(&[Tag::ONCE]);
                    if let Some(d) = fail {
                        self.set(&mut s2, d, 0, Deps::NONE);
                        then(&mut s2, false);
                        stack.push(s2);
                    } else if self.lim.blocked {
                        let aw = Await { reads: vec![r as u16], pc, kind: AwaitKind::Lock };
                        self.stop_prefix(&s2, None, Some(aw))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// read_lock()/write_lock() (and their trylocks, with `trylock` their
    /// result register) on the rwlock at `addr`.  The path ends here: its
    /// continuations are on `stack`.
    pub(super) fn rwlock_lock(
        &self,
        st: &St,
        stack: &mut Vec<St>,
        pc: u32,
        addr: Opd,
        kind: LockKind,
        trylock: Option<Reg>,
    ) -> Result<(), GenError> {
        let Some(cell) = self.cell(st, addr) else {
            return self.bad_address(st.clone(), pc, addr);
        };
        let at = self.taint(st, addr);
        let acq = TagSet::of(&[Tag::ACQUIRE]);
        let next = pc + 1;
        let taken = move |s: &mut St, ok: bool| {
            s.pc = next;
            if let (Some(d), true) = (trylock, ok) {
                s.regs[d as usize] = 1;
                s.taint[d as usize] = Deps::NONE;
            }
        };
        let mut st = st.clone();
        if let Some(d) = trylock {
            // (the result register exists before `taken` writes it)
            self.set(&mut st, d, 0, Deps::NONE);
        }
        match kind {
            LockKind::Read => {
                let irq = self.in_interrupt(&st);
                let f = move |v: Val| {
                    let blocks = if irq { v & QW_LOCKED != 0 } else { v & QW_WMASK != 0 };
                    if blocks {
                        Step::Wait
                    } else {
                        Step::Write(v + QR_BIAS)
                    }
                };
                let read_taken = move |s: &mut St, ok: bool| {
                    taken(s, ok);
                    s.rd += ok as u32;
                };
                self.rwlock_rmw(&st, stack, pc, cell, at, acq, f, trylock, read_taken)
            }
            _ if trylock.is_some() => {
                // success: the writer lock, then the cmpxchg; failure: a
                // lone read of the word (no writer-lock event)
                let wl = self.writer_lock(pc, cell)?;
                if !st.held.contains(&wl) {
                    let mut won = st.clone();
                    self.acquire(&mut won, pc, wl, at)?;
                    let f = |v: Val| if v == 0 { Step::Write(QW_LOCKED) } else { Step::Never };
                    self.rwlock_rmw(&won, stack, pc, cell, at, acq, f, trylock, taken)?;
                }
                let f = |v: Val| if v == 0 { Step::Never } else { Step::Wait };
                self.rwlock_rmw(&st, stack, pc, cell, at, acq, f, trylock, taken)
            }
            _ => {
                // writers take the writer lock first (the LKMM's lock
                // events: po-unlock-lock-po between write sections); a
                // writer whose own CPU holds it (a handler interrupted
                // the holder) finds `_QW_LOCKED` and waits forever
                let wl = self.writer_lock(pc, cell)?;
                if !st.held.contains(&wl) {
                    if self.lim.blocked {
                        self.stop_prefix(&st, Some(wl), None)?;
                    }
                    self.acquire(&mut st, pc, wl, at)?;
                }
                // the fast path's cmpxchg, or queueing behind readers
                let mut queued: Vec<St> = Vec::new();
                let f = |v: Val| {
                    if v == 0 {
                        Step::Write(QW_LOCKED)
                    } else if v & QW_WMASK == 0 {
                        Step::Write(v | QW_WAITING)
                    } else {
                        Step::Wait
                    }
                };
                let mark = |s: &mut St, _: bool| {
                    let last = s.evs.last().and_then(|e| e.val).unwrap_or(0);
                    if last == QW_LOCKED {
                        s.pc = next;
                    }
                };
                self.rwlock_rmw(&st, &mut queued, pc, cell, at, acq, f, None, mark)?;
                let noret = TagSet::of(&[Tag::NORETURN]);
                for s in queued {
                    if s.pc == next {
                        stack.push(s);
                        continue;
                    }
                    // queued: the or is a void atomic (atomic_or); then wait
                    // until only the waiting bit is left
                    let mut s = s;
                    let n = s.evs.len();
                    for i in n - 2..n {
                        s.evs[i].tags = noret;
                    }
                    let g = |v: Val| if v == QW_WAITING { Step::Write(QW_LOCKED) } else { Step::Wait };
                    self.rwlock_rmw(&s, stack, pc, cell, at, acq, g, None, move |s: &mut St, _| s.pc = next)?;
                }
                Ok(())
            }
        }
    }

    /// read_unlock()/write_unlock() of the rwlock at `addr`; `false` if
    /// the path ends here.
    pub(super) fn rwlock_unlock(
        &self,
        st: &St,
        stack: &mut Vec<St>,
        pc: u32,
        addr: Opd,
        kind: LockKind,
    ) -> Result<(), GenError> {
        let Some(cell) = self.cell(st, addr) else {
            return self.bad_address(st.clone(), pc, addr);
        };
        let at = self.taint(st, addr);
        let rel = TagSet::of(&[Tag::RELEASE]);
        let next = pc + 1;
        // (a reader's unlock finds its own bias, a writer's its byte:
        // the other words are unreachable here)
        let f = move |v: Val| match kind {
            LockKind::Read if v >= QR_BIAS => Step::Write(v - QR_BIAS),
            LockKind::Write if v & QW_LOCKED == QW_LOCKED => Step::Write(v & !QW_LOCKED),
            _ => Step::Write(-1),
        };
        if kind != LockKind::Write {
            let released = move |s: &mut St, _: bool| {
                s.pc = next;
                s.rd = s.rd.saturating_sub(1);
            };
            return self.rwlock_rmw(st, stack, pc, cell, at, rel, f, None, released);
        }
        // a writer releases the word, then its writer lock (UL)
        let wl = self.writer_lock(pc, cell)?;
        let mut done: Vec<St> = Vec::new();
        self.rwlock_rmw(st, &mut done, pc, cell, at, rel, f, None, move |s: &mut St, _| s.pc = next)?;
        for mut s in done {
            if let Some(i) = s.held.iter().rposition(|c| *c == wl) {
                s.held.remove(i);
            }
            self.push(&mut s, pc, super::cell_event(EventKind::Unlock, wl, at))?;
            stack.push(s);
        }
        Ok(())
    }
}
