//! Partial-order reduction with static ample sets (Peled, "All from one,
//! one for all", CAV 1993; Godefroid's persistent sets), aware of the
//! kernel's execution model.
//!
//! An ample set here is every move of one CPU `t`: the next step of its
//! running context and the start of each of its interrupt handlers that
//! can fire now. It may be explored alone when nothing another CPU can
//! do before it (from each of its contexts' pcs onward, and in each of
//! its handlers that can still fire) conflicts with it:
//!
//! - Entering a hardirq or an ungated softirq is local to its CPU: it
//!   changes only that CPU's block (its context, interrupt flag and the
//!   handler's fire count), which no other CPU reads or writes. Handlers
//!   that other CPUs can make ready (IPIs, RCU callbacks, a timer
//!   softirq's gate) keep their CPU out of ample sets while they can fire,
//!   and the gate cell counts as read by the CPU's moves.
//! - Another CPU's handler code counts only while that handler can still
//!   fire (a hardirq or ungated softirq below its bound); code of a
//!   handler that runs now counts through the context pcs.
//! - An access through a pointer register is resolved in the state: its
//!   footprint is the one cell it touches. An access to an object no
//!   other CPU can reach yet (a fresh on-stack object or kmalloc'ed
//!   object of this thread whose address is stored nowhere but in its
//!   own cells and this thread's registers, and that no other thread's
//!   code names) is invisible: it commutes with everything the others
//!   can do before the address is published, which takes a step of `t`.
//! - Another CPU's future access through a pointer may touch only
//!   objects whose address can be a value: heap and task objects, and
//!   objects whose address appears as a value in the code or the initial
//!   state (not merely as the address of an access). This assumes C's
//!   rule that pointer arithmetic stays inside its object.
//!
//! Resources: memory cells, then one RCU reader resource per thread, then
//! one interrupt-state resource per CPU. lockdep's state is left out: its
//! updates only set bits, so they commute, and whether a warning fires on
//! some path does not depend on their order.
//!
//! Exploring every ample move alone preserves every terminal state,
//! deadlock and per-thread event (assertion, warning). The search adds
//! the cycle proviso (search.rs): under BFS, an ample expansion is kept
//! only if no successor lies on a level at or above the state's own
//! (Bošnački and Holzmann, "Improving Spin's partial-order reduction for
//! breadth-first search", SPIN 2005), which makes the reduced state
//! space independent of the order a level is expanded in; under DFS,
//! only if every successor is new.

use crate::machine::Machine;
use crate::state::{FIRED, NONE};
use kvet_ir::*;

/// Per object: no thread's code names it, one thread's does, or several.
const NAMED_NONE: u32 = u32::MAX;
const NAMED_MANY: u32 = u32::MAX - 1;

/// Read and write sets over resources.
pub(crate) struct Por {
    words: usize,
    /// Per thread, per pc: [reads | writes] of the instruction itself.
    cur: Vec<Vec<u64>>,
    /// Per thread, per pc: [reads | writes] of everything from pc on.
    fut: Vec<Vec<u64>>,
    /// Per thread, per pc: the instruction's footprint is unknown
    /// (it may touch anything).
    cur_wild: Vec<Vec<bool>>,
    fut_wild: Vec<Vec<bool>>,
    /// Per thread, per pc: the register holding the address a memory
    /// instruction accesses, and whether it writes.
    dyn_addr: Vec<Vec<Option<(Reg, bool)>>>,
    /// Per thread, per handler: [reads | writes] of its code, and whether
    /// that is unknown.
    hand: Vec<Vec<Vec<u64>>>,
    hand_wild: Vec<Vec<bool>>,
    /// Per cell: the object it belongs to (its cells or status cell), or
    /// u32::MAX.
    obj_of: Vec<u32>,
    /// Per object: which thread's code names it (NAMED_*).
    named: Vec<u32>,
    /// The footprint of the ample set being tried.
    scratch: Vec<u64>,
    /// Futures cut at the locks the ample CPU holds: per (thread, pc,
    /// held lock classes), an index into `cut` (looked up at every
    /// ample check of a CPU that holds a lock: Fx hashing, not SipHash).
    cut_index: rustc_hash::FxHashMap<(u32, u32, u64), u32>,
    /// [reads | writes] and whether unknown, per cut future.
    cut: Vec<(Box<[u64]>, bool)>,
    /// Per thread, per pc: the held classes of the last cut future looked
    /// up there and one more than its index in `cut` (0: none yet), which
    /// most lookups find without hashing (a cache of `cut_index`).
    cut_last: Vec<Vec<(u64, u32)>>,
}

fn set(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

/// The immediate operands of an instruction: (value, is it the address
/// of the memory the instruction accesses). Address positions are listed
/// by kind; every other immediate comes from `Instr::for_each_operand`,
/// whose match is exhaustive, so an instruction added later is covered
/// too.
fn imms(i: &Instr, out: &mut Vec<(Val, bool)>) {
    let mut add = |o: &Opd, addr: bool| {
        if let Opd::Imm(v) = o {
            out.push((*v, addr));
        }
    };
    match i {
        Instr::Load { addr, .. }
        | Instr::Lock { addr, .. }
        | Instr::Unlock { addr, .. }
        | Instr::Trylock { addr, .. }
        | Instr::IsLocked { addr, .. }
        | Instr::SeqBegin { addr, .. }
        | Instr::WaitCompletion { addr } => add(addr, true),
        Instr::Store { addr, val, .. } => {
            add(addr, true);
            add(val, false);
        }
        Instr::Rmw { addr, a, b, .. } => {
            add(addr, true);
            add(a, false);
            add(b, false);
        }
        Instr::WakeUp { task, mask, .. } => {
            add(task, true);
            add(mask, false);
        }
        Instr::SrcuLock { ss, .. } | Instr::SyncSrcu { ss } => add(ss, true),
        Instr::SrcuUnlock { ss, idx } => {
            add(ss, true);
            add(idx, false);
        }
        other => other.for_each_operand(|o| add(o, false)),
    }
}

impl Por {
    pub(crate) fn new(p: &Program) -> Por {
        let ncells = p.ncells as usize;
        let n = p.threads.len();
        let words = (ncells + 2 * n).div_ceil(64).max(1);
        let stride = 2 * words;
        let mut obj_of = vec![u32::MAX; ncells];
        for (k, o) in p.objects.iter().enumerate() {
            for c in o.base..o.base + o.size {
                if let Some(x) = obj_of.get_mut(c as usize) {
                    *x = k as u32;
                }
            }
            if let Some(x) = o.status.and_then(|st| obj_of.get_mut(st as usize)) {
                *x = k as u32;
            }
        }
        let obj = |v: Val| ptr_cell(v).and_then(|c| obj_of.get(c as usize)).copied().filter(|&o| o != u32::MAX);
        // which objects a pointer value may point into, and who names which
        let mut exposed = vec![false; p.objects.len()];
        let mut named = vec![NAMED_NONE; p.objects.len()];
        for (k, o) in p.objects.iter().enumerate() {
            if matches!(o.kind, ObjKind::Heap(_) | ObjKind::Task(_)) {
                exposed[k] = true;
            }
        }
        for &v in &p.init_mem {
            if let Some(o) = obj(v) {
                exposed[o as usize] = true;
            }
        }
        let mut buf = Vec::new();
        for (t, th) in p.threads.iter().enumerate() {
            for &(_, v) in &th.init_regs {
                if let Some(o) = obj(v) {
                    exposed[o as usize] = true;
                    let nm = &mut named[o as usize];
                    *nm = if *nm == NAMED_NONE || *nm == t as u32 { t as u32 } else { NAMED_MANY };
                }
            }
            for st in &th.body.steps {
                if let Instr::ScopeEnter { obj } | Instr::ScopeExit { obj } = st.instr {
                    if let Some(nm) = named.get_mut(obj as usize) {
                        *nm = if *nm == NAMED_NONE || *nm == t as u32 { t as u32 } else { NAMED_MANY };
                    }
                }
                buf.clear();
                imms(&st.instr, &mut buf);
                for &(v, addr) in &buf {
                    if let Some(o) = obj(v) {
                        if !addr {
                            exposed[o as usize] = true;
                        }
                        let nm = &mut named[o as usize];
                        *nm = if *nm == NAMED_NONE || *nm == t as u32 { t as u32 } else { NAMED_MANY };
                    }
                }
            }
        }
        // the cells an access through a pointer may touch
        let mut reach = vec![0u64; words];
        for (k, o) in p.objects.iter().enumerate().filter(|&(k, _)| exposed[k]) {
            let _ = k;
            if let Some(st) = o.status {
                set(&mut reach, st as usize);
            }
            (o.base..o.base + o.size).filter(|&c| (c as usize) < ncells).for_each(|c| set(&mut reach, c as usize));
        }
        let mut por = Por {
            words,
            cur: vec![],
            fut: vec![],
            cur_wild: vec![],
            fut_wild: vec![],
            dyn_addr: vec![],
            hand: vec![],
            hand_wild: vec![],
            obj_of,
            named,
            scratch: vec![0; stride],
            cut_index: Default::default(),
            cut: Vec::new(),
            cut_last: p.threads.iter().map(|th| vec![(0, 0); th.body.steps.len()]).collect(),
        };
        for (t, th) in p.threads.iter().enumerate() {
            let len = th.body.steps.len();
            let mut cur = vec![0u64; len * stride];
            let mut wild = vec![false; len];
            let mut dynaddr = vec![None; len];
            for (pc, st) in th.body.steps.iter().enumerate() {
                let (r, w) = cur[pc * stride..(pc + 1) * stride].split_at_mut(words);
                wild[pc] = !footprint(&st.instr, t, n, ncells, r, w, p, th, &reach);
                dynaddr[pc] = match st.instr {
                    Instr::Load { addr: Opd::Reg(r), .. } | Instr::IsLocked { addr: Opd::Reg(r), .. } => {
                        Some((r, false))
                    }
                    Instr::Store { addr: Opd::Reg(r), .. }
                    | Instr::Rmw { addr: Opd::Reg(r), .. }
                    | Instr::Lock { addr: Opd::Reg(r), .. }
                    | Instr::Unlock { addr: Opd::Reg(r), .. }
                    | Instr::Trylock { addr: Opd::Reg(r), .. }
                    | Instr::WakeUp { task: Opd::Reg(r), .. } => Some((r, true)),
                    _ => None,
                };
            }
            // future = own ∪ futures of successors, to a fixpoint
            let mut fut = cur.clone();
            let mut fwild = wild.clone();
            let mut changed = true;
            while changed {
                changed = false;
                for pc in (0..len).rev() {
                    for s in succ(&th.body.steps[pc].instr, pc) {
                        if s >= len {
                            continue;
                        }
                        if fwild[s] && !fwild[pc] {
                            fwild[pc] = true;
                            changed = true;
                        }
                        for k in 0..stride {
                            let v = fut[s * stride + k];
                            if fut[pc * stride + k] | v != fut[pc * stride + k] {
                                fut[pc * stride + k] |= v;
                                changed = true;
                            }
                        }
                    }
                }
            }
            let mut hand = Vec::new();
            let mut hwild = Vec::new();
            for h in &th.handlers {
                let e = h.entry as usize;
                if e < len {
                    hand.push(fut[e * stride..(e + 1) * stride].to_vec());
                    hwild.push(fwild[e]);
                } else {
                    hand.push(vec![0; stride]);
                    hwild.push(false);
                }
            }
            por.hand.push(hand);
            por.hand_wild.push(hwild);
            por.cur.push(cur);
            por.fut.push(fut);
            por.cur_wild.push(wild);
            por.fut_wild.push(fwild);
            por.dyn_addr.push(dynaddr);
        }
        por
    }

    /// Bytes of the tables (counted by the search's memory bound).
    pub(crate) fn bytes(&self) -> usize {
        let v = |x: &Vec<Vec<u64>>| x.iter().map(|y| y.capacity() * 8).sum::<usize>();
        let b = |x: &Vec<Vec<bool>>| x.iter().map(|y| y.capacity()).sum::<usize>();
        v(&self.cur)
            + v(&self.fut)
            + b(&self.cur_wild)
            + b(&self.fut_wild)
            + self.dyn_addr.iter().map(|y| y.capacity() * 8).sum::<usize>()
            + self.hand.iter().map(v).sum::<usize>()
            + self.obj_of.capacity() * 4
            + self.named.capacity() * 4
            + self.cut_last.iter().map(|y| y.capacity() * 16).sum::<usize>()
    }

    /// Bytes of the cut futures, which grow as the search meets new
    /// combinations of held locks.
    pub(crate) fn cut_bytes(&self) -> usize {
        self.cut.len() * (2 * self.words * 8 + 24) + self.cut_index.capacity() * 24
    }

    /// May every move of CPU `t` (whose running context is enabled and
    /// which runs one task) be explored alone in state `s`?
    pub(crate) fn ample_ok(&mut self, m: &Machine, s: &[i64], t: usize) -> bool {
        let n = m.layout.nthreads;
        let ncells = m.layout.ncells;
        let w = self.words;
        let stride = 2 * w;
        let pc = m.pc(s, t);
        self.scratch.iter_mut().for_each(|x| *x = 0);
        // handlers of t that another CPU can make ready
        for (h, hd) in m.prog.threads[t].handlers.iter().enumerate() {
            match hd.kind {
                HandlerKind::Hardirq => {}
                HandlerKind::Softirq => {
                    if let Some(g) = hd.gate {
                        if m.can_fire(s, t, h) || g as usize >= ncells {
                            return false;
                        }
                        set(&mut self.scratch[..w], g as usize);
                    }
                }
                // an IPI comes from an SmpCall and an RCU callback gets
                // ready at an rcu_read_unlock() or a call_rcu(), all of
                // which conflict with everything
                HandlerKind::Ipi | HandlerKind::RcuCallback => {
                    if m.can_fire(s, t, h) {
                        return false;
                    }
                }
            }
        }
        // the locks t holds: another CPU's code past its own acquisition
        // of one of them cannot run before t releases it, which takes a
        // step of t; t's ownership is read by its moves (an unlock by
        // another CPU, lock misuse, conflicts)
        let mut held = 0u64;
        for (k, &(c, _)) in m.lock_list.iter().enumerate() {
            if s[c as usize] & 0xff == t as i64 + 1 {
                held |= 1 << k;
                set(&mut self.scratch[..w], c as usize);
            }
        }
        // the step of t's running context
        let pc_u = pc as usize;
        let dynamic = self.dyn_addr[t][pc_u].and_then(|(r, wr)| {
            let c = ptr_cell(s[m.layout.reg(t, r)]).map(|c| c as usize).filter(|&c| c < ncells)?;
            Some((c, wr))
        });
        let static_obj = match *m.instr_at(t, pc) {
            Instr::ScopeEnter { obj } | Instr::ScopeExit { obj } => Some(obj),
            _ => None,
        };
        let touched = dynamic.map(|(c, _)| self.obj_of[c]).or(static_obj).or_else(|| {
            m.instr_at(t, pc).access().and_then(|(a, _, _)| match a {
                Opd::Imm(v) => ptr_cell(v).and_then(|c| self.obj_of.get(c as usize)).copied(),
                Opd::Reg(_) => None,
            })
        });
        let private = touched.is_some_and(|o| o != u32::MAX && self.private(m, s, t, o as usize));
        if !private {
            if let Some((c, wr)) = dynamic {
                set(&mut self.scratch[if wr { w } else { 0 }..], c);
            } else if self.dyn_addr[t][pc_u].is_some() {
                // not a valid address: the step fails, the full expansion reports it
                return false;
            } else if self.cur_wild[t][pc_u] {
                return false;
            } else {
                let c = &self.cur[t][pc_u * stride..(pc_u + 1) * stride];
                self.scratch.iter_mut().zip(c).for_each(|(x, y)| *x |= y);
            }
        }
        if self.scratch.iter().all(|&x| x == 0) {
            return true;
        }
        for u in (0..n).filter(|&u| u != t) {
            for upc in m.context_pcs(s, u).into_iter().filter(|&p| p != u32::MAX) {
                if self.future_clashes(m, u, upc as usize, held) {
                    return false;
                }
            }
            for (h, hd) in m.prog.threads[u].handlers.iter().enumerate() {
                if !may_fire_later(m, s, u, h, hd) {
                    continue;
                }
                let clash = if held == 0 {
                    self.hand_wild[u][h] || self.clash(&self.hand[u][h])
                } else {
                    self.future_clashes(m, u, hd.entry as usize, held)
                };
                if clash {
                    return false;
                }
            }
        }
        true
    }

    /// Does the footprint in `scratch` conflict with `f`?
    #[inline]
    fn clash(&self, f: &[u64]) -> bool {
        let w = self.words;
        let (cr, cw) = self.scratch.split_at(w);
        let (fr, fw) = f.split_at(w);
        (0..w).any(|k| cw[k] & (fr[k] | fw[k]) != 0 || cr[k] & fw[k] != 0)
    }

    /// Does thread `u`'s code from `pc` on, up to its acquisitions of the
    /// locks of `held` (classes), conflict with `scratch`?
    fn future_clashes(&mut self, m: &Machine, u: usize, pc: usize, held: u64) -> bool {
        let stride = 2 * self.words;
        if pc >= self.fut[u].len() / stride.max(1) {
            return false;
        }
        if held == 0 {
            return self.fut_wild[u][pc] || self.clash(&self.fut[u][pc * stride..(pc + 1) * stride]);
        }
        let (last_held, last) = self.cut_last[u][pc];
        let k = if last != 0 && last_held == held {
            last as usize - 1
        } else {
            let key = (u as u32, pc as u32, held);
            let k = match self.cut_index.get(&key) {
                Some(&k) => k as usize,
                None => {
                    let e = self.cut_future(m, u, pc, held);
                    self.cut.push(e);
                    self.cut_index.insert(key, (self.cut.len() - 1) as u32);
                    self.cut.len() - 1
                }
            };
            self.cut_last[u][pc] = (held, k as u32 + 1);
            k
        };
        let (bits, wild) = &self.cut[k];
        *wild || self.clash(bits)
    }

    /// The footprint of `u`'s code reachable from `pc` without passing an
    /// acquisition of a lock of `held`, which blocks while another CPU
    /// holds it exclusively (a bit lock shares its word with other bits
    /// and is not one).
    fn cut_future(&self, m: &Machine, u: usize, pc: usize, held: u64) -> (Box<[u64]>, bool) {
        let stride = 2 * self.words;
        let steps = &m.prog.threads[u].body.steps;
        let mut bits = vec![0u64; stride];
        let mut wild = false;
        let mut seen = vec![false; steps.len()];
        let mut todo = vec![pc];
        while let Some(p) = todo.pop() {
            if p >= steps.len() || seen[p] {
                continue;
            }
            seen[p] = true;
            if let Instr::Lock { addr: Opd::Imm(v), kind } = steps[p].instr {
                let class = ptr_cell(v).and_then(|c| m.lock_class.get(c as usize)).copied().unwrap_or(u16::MAX);
                if !matches!(kind, LockKind::Bit(_)) && class < 64 && held & (1 << class) != 0 {
                    continue;
                }
            }
            wild |= self.cur_wild[u][p];
            bits.iter_mut().zip(&self.cur[u][p * stride..(p + 1) * stride]).for_each(|(x, y)| *x |= y);
            todo.extend(succ(&steps[p].instr, p));
        }
        (bits.into_boxed_slice(), wild)
    }

    /// Can no other CPU reach object `o` before thread `t` publishes it?
    /// It is a local or a live heap object not awaiting an RCU
    /// free, no other thread's code names it, and its address is stored
    /// nowhere in the state but in its own cells and `t`'s registers.
    fn private(&self, m: &Machine, s: &[i64], t: usize, o: usize) -> bool {
        let obj = &m.prog.objects[o];
        match obj.kind {
            // (a local's owner is the thread whose code names it)
            ObjKind::Local(_) => {}
            ObjKind::Heap(_) if obj.status.is_some_and(|st| s[st as usize] == LIVE) => {}
            _ => return false,
        }
        if self.named[o] != NAMED_NONE && self.named[o] != t as u32 {
            return false;
        }
        let l = &m.layout;
        if l.rcu_cb != NONE {
            if let Some(st) = obj.status {
                let slot = 2 + l.nthreads;
                if (0..crate::state::RCU_SLOTS).any(|k| s[l.rcu_cb + k * slot] == st as i64 + 1) {
                    return false;
                }
            }
        }
        let (lo, hi) = (obj.base as usize, (obj.base + obj.size) as usize);
        let regs = l.reg_base[t]..l.reg_base[t] + l.nslots(t);
        // (the pointer test first: most words are not pointers into it)
        s.iter().enumerate().all(|(i, &v)| {
            ptr_cell(v).is_none_or(|c| !(lo..hi).contains(&(c as usize))) || (lo..hi).contains(&i) || regs.contains(&i)
        })
    }
}

/// The pcs control may reach from `pc` in one step (none past the end).
fn succ(i: &Instr, pc: usize) -> impl Iterator<Item = usize> {
    let (a, b) = match *i {
        Instr::Jump(l) => (Some(l as usize), None),
        Instr::Branch(_, a, b) => (Some(a as usize), Some(b as usize)),
        Instr::Exit | Instr::Bound(_) | Instr::IrqReturn => (None, None),
        _ => (Some(pc + 1), None),
    };
    a.into_iter().chain(b)
}

/// May handler `h` of CPU `u` still start (now or later)? A hardirq or
/// an ungated softirq fires at most `times` times; the others may come
/// whenever another CPU makes them ready.
fn may_fire_later(m: &Machine, s: &[i64], u: usize, h: usize, hd: &Handler) -> bool {
    let cb = m.layout.cpu[u];
    if cb == NONE {
        return false;
    }
    match hd.kind {
        HandlerKind::Hardirq => (s[cb + FIRED + h] as u32) < hd.times,
        HandlerKind::Softirq if hd.gate.is_none() => (s[cb + FIRED + h] as u32) < hd.times,
        _ => true,
    }
}

fn has_callbacks(p: &Program) -> bool {
    !p.rcu_funcs.is_empty()
}

fn deferred_frees(p: &Program) -> bool {
    p.threads.iter().any(|t| t.body.steps.iter().any(|s| matches!(s.instr, Instr::FreeRcu { .. } | Instr::TaskExit)))
}

/// Fill the read and write sets of one instruction; false if they are
/// unknown. An access through a register touches the cells of `reach`
/// (the objects whose address can be a value).
#[allow(clippy::too_many_arguments)]
fn footprint(
    i: &Instr,
    t: usize,
    n: usize,
    ncells: usize,
    r: &mut [u64],
    w: &mut [u64],
    p: &Program,
    th: &Thread,
    reach: &[u64],
) -> bool {
    let object_cells = |o: &Object, w: &mut [u64]| {
        if let Some(st) = o.status {
            set(w, st as usize);
        }
        (o.base..o.base + o.size).for_each(|c| set(w, c as usize));
    };
    let cell = |a: &Opd| match a {
        Opd::Imm(v) => ptr_cell(*v).map(|c| c as usize).filter(|&c| c < ncells),
        Opd::Reg(_) => None,
    };
    let via = |a: &Opd, bits: &mut [u64]| -> bool {
        match (a, cell(a)) {
            (_, Some(c)) => set(bits, c),
            (Opd::Reg(_), None) => bits.iter_mut().zip(reach).for_each(|(x, y)| *x |= y),
            (Opd::Imm(_), None) => return false,
        }
        true
    };
    let srcu_slots = |a: &Opd| cell(a).filter(|c| c + 2 * n < ncells).map(|c| c + 1..c + 1 + 2 * n);
    match i {
        Instr::Load { addr, .. } | Instr::IsLocked { addr, .. } | Instr::SeqBegin { addr, .. } => return via(addr, r),
        Instr::Store { addr, .. }
        | Instr::Rmw { addr, .. }
        | Instr::Lock { addr, .. }
        | Instr::Unlock { addr, .. }
        | Instr::Trylock { addr, .. }
        | Instr::WaitCompletion { addr }
        | Instr::WakeUp { task: addr, .. } => return via(addr, w),
        Instr::RcuLock => set(w, ncells + t),
        // leaving a read-side section may make callbacks ready, which
        // other CPUs' handler moves depend on
        Instr::RcuUnlock if has_callbacks(p) => return false,
        Instr::RcuUnlock => {
            set(w, ncells + t);
            // leaving a read-side section may complete RCU-deferred frees
            if deferred_frees(p) {
                for o in p.objects.iter().filter(|o| matches!(o.kind, ObjKind::Heap(_) | ObjKind::Task(_))) {
                    object_cells(o, w);
                }
            }
        }
        Instr::SyncRcu => {
            for j in 0..n {
                set(r, ncells + j);
            }
        }
        // A lock takes one of the task's own two slots; an unlock may name
        // any slot (the index can come from another task).
        Instr::SrcuLock { ss, .. } => match srcu_slots(ss) {
            Some(range) => (range.start + 2 * t..range.start + 2 * t + 2).for_each(|c| set(w, c)),
            None => return false,
        },
        Instr::SrcuUnlock { ss, .. } => match srcu_slots(ss) {
            Some(range) => range.for_each(|c| set(w, c)),
            None => return false,
        },
        Instr::SyncSrcu { ss } => match srcu_slots(ss) {
            Some(range) => range.for_each(|c| set(r, c)),
            None => return false,
        },
        // the kernel model's instructions
        Instr::IrqDisable
        | Instr::IrqEnable
        | Instr::IrqSave { .. }
        | Instr::IrqRestore { .. }
        | Instr::IrqsDisabled { .. }
        | Instr::BhDisable
        | Instr::BhEnable => set(w, ncells + n + t),
        // the end of a handler: local to its CPU, except that the end of an
        // IPI releases its sender
        Instr::IrqReturn => {
            let ipi = th.handlers.iter().any(|h| h.kind == HandlerKind::Ipi);
            if ipi {
                return false;
            }
            set(w, ncells + n + t);
        }
        Instr::TaskExit => {
            // the grace period it may wait for reads every reader's state
            (0..n).for_each(|j| set(r, ncells + j));
            if let Some(o) = th.task.and_then(|task| p.object_of(task)) {
                object_cells(o, w);
            }
        }
        Instr::Schedule | Instr::ScheduleTimeout { .. } => {
            if let Some(task) = th.task {
                match p.object_of(task) {
                    Some(o) => object_cells(o, w),
                    None => return false,
                }
            }
        }
        Instr::ScopeEnter { obj } | Instr::ScopeExit { obj } => object_cells(&p.objects[*obj as usize], w),
        Instr::Alloc { pool, .. } => {
            for &o in &p.pools[*pool as usize].slots {
                object_cells(&p.objects[o as usize], w);
            }
        }
        // reads no memory: whether it waits depends on the other
        // kworkers of its CPU, which are never in an ample set
        // (shared CPUs), and on what they wait for, which is in their
        // own futures (crate::pool)
        Instr::PoolGate => {}
        i if i.is_shared() => return false,
        _ => {}
    }
    true
}
