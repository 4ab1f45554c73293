//! Which threads are interchangeable (the symmetry group of Emerson and
//! Sistla, "Symmetry and model checking", FMSD 1996, restricted to
//! permutations of threads): threads `a` and `b` are interchangeable when
//! the transposition that swaps them, and swaps each of `a`'s own objects
//! (its task_struct and its address-taken locals, with their lifetime
//! cells) with the corresponding object of `b`, maps the whole program to
//! itself: every thread's code, handlers and initial registers, the
//! initial memory, and the objects. Transpositions that share a thread
//! generate the full symmetric group of a class, so a class is a thread
//! with every thread it may be swapped with.
//!
//! The pid and tgid of a task (t + 1) differ per thread: they are left out
//! of the comparison, and the explorer watches that no step touches them
//! (`Machine::watch`; the search falls back to no symmetry if one does).
//!
//! Refused (no class): code that uses IPIs, RCU read-side sections or
//! callbacks, SRCU, kthread creation, preempt counts; threads that share a
//! CPU, have IPI, RCU-callback or gated handlers, or whose registers are
//! observed; classes with own objects when the final clause observes
//! anything (its values could name one thread's objects), or whose own
//! objects hold locks (lockdep's classes are cells).

use kvet_ir::{HandlerKind, Instr, ObjKind, Observed, Opd, Program, Thread, Val};

/// The interchangeable classes of `p` (each of two threads or more, in
/// thread order), and per thread the objects it owns (index order).
pub(crate) struct Classes {
    pub classes: Vec<Vec<usize>>,
    pub owned: Vec<Vec<usize>>,
}

/// The objects thread `t` owns: its task_struct and its address-taken
/// locals.
pub(crate) fn owned_objects(p: &Program, t: usize) -> Vec<usize> {
    p.objects
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o.kind, ObjKind::Task(u) | ObjKind::Local(u) if u as usize == t))
        .map(|(i, _)| i)
        .collect()
}

/// The pid and tgid cells of the task_structs of `p`.
pub(crate) fn id_cells(p: &Program) -> Vec<u32> {
    let mut v = Vec::new();
    for o in p.objects.iter().filter(|o| matches!(o.kind, ObjKind::Task(_))) {
        for (k, n) in o.cell_names.iter().enumerate() {
            if n.ends_with(".pid") || n.ends_with(".tgid") {
                v.push(o.base + k as u32);
            }
        }
    }
    v
}

/// Whether an instruction anywhere rules symmetry out.
fn refused_anywhere(i: &Instr) -> bool {
    matches!(
        i,
        Instr::SmpCall { .. }
            | Instr::CallRcu { .. }
            | Instr::RcuLock
            | Instr::RcuUnlock
            | Instr::SyncRcu
            | Instr::RcuBarrier
            | Instr::SrcuLock { .. }
            | Instr::SrcuUnlock { .. }
            | Instr::SyncSrcu { .. }
            | Instr::KthreadCreate { .. }
            | Instr::TaskStart
    )
}

/// Whether thread `t` may be in a class at all.
fn candidate(p: &Program, t: usize, owned: &[usize]) -> bool {
    let th = &p.threads[t];
    th.cpu as usize == t
        && !p.threads.iter().any(|u| u.index as usize != t && u.cpu as usize == t)
        && th.handlers.iter().all(|h| matches!(h.kind, HandlerKind::Hardirq | HandlerKind::Softirq) && h.gate.is_none())
        && !th
            .body
            .steps
            .iter()
            .any(|s| matches!(s.instr, Instr::PreemptDisable | Instr::PreemptEnable | Instr::PreemptCount { .. }))
        && !p.observed.iter().any(|o| matches!(o, Observed::Reg { thread, .. } if *thread as usize == t))
        && (owned.is_empty() || p.observed.is_empty())
        && owned.iter().all(|&o| p.objects[o].lock_cells.is_empty())
}

/// The transposition of threads `a` and `b` and of their own objects.
struct Swap {
    a: usize,
    b: usize,
    /// Per cell, its image.
    cell: Vec<u32>,
    /// Per object, its image.
    obj: Vec<usize>,
}

impl Swap {
    fn new(p: &Program, a: usize, b: usize, owned: &[Vec<usize>]) -> Option<Swap> {
        let (oa, ob) = (&owned[a], &owned[b]);
        if oa.len() != ob.len() {
            return None;
        }
        let mut cell: Vec<u32> = (0..p.ncells).collect();
        let mut obj: Vec<usize> = (0..p.objects.len()).collect();
        for (&x, &y) in oa.iter().zip(ob) {
            let (ox, oy) = (&p.objects[x], &p.objects[y]);
            let same_kind = matches!(
                (ox.kind, oy.kind),
                (ObjKind::Task(_), ObjKind::Task(_)) | (ObjKind::Local(_), ObjKind::Local(_))
            );
            if !same_kind || ox.size != oy.size || ox.status.is_some() != oy.status.is_some() {
                return None;
            }
            obj[x] = y;
            obj[y] = x;
            for k in 0..ox.size {
                cell[(ox.base + k) as usize] = oy.base + k;
                cell[(oy.base + k) as usize] = ox.base + k;
            }
            if let (Some(sx), Some(sy)) = (ox.status, oy.status) {
                cell[sx as usize] = sy;
                cell[sy as usize] = sx;
            }
        }
        Some(Swap { a, b, cell, obj })
    }

    fn thread(&self, t: usize) -> usize {
        if t == self.a {
            self.b
        } else if t == self.b {
            self.a
        } else {
            t
        }
    }

    fn val(&self, v: Val) -> Val {
        match kvet_ir::ptr_cell(v) {
            Some(c) if kvet_ir::is_pointer(v) && (c as usize) < self.cell.len() => {
                kvet_ir::ptr_to(self.cell[c as usize])
            }
            _ => v,
        }
    }

    /// The image of an instruction.
    fn instr(&self, i: &Instr) -> Instr {
        let mut j = i.clone();
        j.for_each_operand_mut(|o| {
            if let Opd::Imm(v) = o {
                *v = self.val(*v);
            }
        });
        match &mut j {
            Instr::ScopeEnter { obj } | Instr::ScopeExit { obj } => *obj = self.obj[*obj as usize] as u32,
            _ => {}
        }
        j
    }

    /// Does the swap map thread `u`'s code onto its image's?
    fn maps_thread(&self, p: &Program, u: usize) -> bool {
        let (x, y): (&Thread, &Thread) = (&p.threads[u], &p.threads[self.thread(u)]);
        x.origin == y.origin
            && x.nregs == y.nregs
            && x.body.steps.len() == y.body.steps.len()
            && x.task.map(|c| self.cell[c as usize]) == y.task
            && x.init_regs.len() == y.init_regs.len()
            && x.init_regs.iter().zip(&y.init_regs).all(|(&(r, v), &(q, w))| r == q && self.val(v) == w)
            && x.handlers.len() == y.handlers.len()
            && x.handlers.iter().zip(&y.handlers).all(|(h, g)| {
                h.kind == g.kind && h.entry == g.entry && h.times == g.times && h.arg == g.arg && h.gate == g.gate
            })
            && x.body.steps.iter().zip(&y.body.steps).all(|(s, r)| self.instr(&s.instr) == r.instr)
    }

    /// Is the swap an automorphism of the program (pid and tgid apart)?
    fn automorphism(&self, p: &Program, ids: &[u32]) -> bool {
        let mem_ok = (0..p.ncells as usize)
            .all(|c| ids.contains(&(c as u32)) || p.init_mem[self.cell[c] as usize] == self.val(p.init_mem[c]));
        mem_ok && (0..p.threads.len()).all(|u| self.maps_thread(p, u))
    }
}

/// The interchangeable classes of `p`.
pub(crate) fn classes(p: &Program) -> Classes {
    let n = p.threads.len();
    let owned: Vec<Vec<usize>> = (0..n).map(|t| owned_objects(p, t)).collect();
    let none = Classes { classes: Vec::new(), owned: owned.clone() };
    if n < 2 || p.threads.iter().any(|t| t.body.steps.iter().any(|s| refused_anywhere(&s.instr))) {
        return none;
    }
    let ids = id_cells(p);
    let cand: Vec<bool> = (0..n).map(|t| candidate(p, t, &owned[t])).collect();
    let mut taken = vec![false; n];
    let mut classes = Vec::new();
    for a in 0..n {
        if taken[a] || !cand[a] {
            continue;
        }
        let mut class = vec![a];
        for b in a + 1..n {
            if taken[b] || !cand[b] || p.threads[b].body.steps.len() != p.threads[a].body.steps.len() {
                continue;
            }
            if Swap::new(p, a, b, &owned).is_some_and(|s| s.automorphism(p, &ids)) {
                class.push(b);
            }
        }
        if class.len() >= 2 {
            for &t in &class {
                taken[t] = true;
            }
            classes.push(class);
        }
    }
    Classes { classes, owned }
}
