//! Candidate executions: events, base sets and base relations.
//!
//! Source: what herd7's C front end hands to the cat model
//! (`herd/machModelChecker.ml`, `herd/CAction.ml`, `herd/event.ml` in
//! herdtools7).  Summary of herd's conventions, mirrored here:
//!
//! * `M` holds the memory accesses only (ordinary reads/writes, including the
//!   initial writes `IW`); lock events (`LKR`, `LKW`, `UL`, `LF`, `RL`, `RU`)
//!   and `synchronize_srcu()` events have a location but are *not* in `M`,
//!   `R` or `W` (lock.cat adds them explicitly).
//! * `rf` is provided for ordinary reads only; the model computes the
//!   read-from of lock events.  `co` is **not** provided: herd runs cat models
//!   without `-withco`, the model enumerates coherence orders itself
//!   (`cross.cat`, `cos-opt.cat`).  An execution may still carry a coherence
//!   order ([`Execution::set_co`]) which the native model uses instead of
//!   enumerating.
//! * `FW` holds, per location observed by the final state, the write that
//!   is co-last (herd's `make_write_mem_finals`).
//! * Annotation sets are named after the annotation with its first letter
//!   upper-cased (`BellName.tag2instrs_var`): `{rcu-lock}` gives
//!   `Rcu-lock`, `{wmb}` gives `Wmb`, `{ONCE}` gives `ONCE`.
//! * `po` is the strict program order of each thread (insertion order of the
//!   thread's events); `int` relates events of the same thread, `ext`
//!   events of different threads (the initial writes form one pseudo-thread,
//!   so `IW * IW` is neither `int` nor `ext`).

use crate::bits::{Rel, Row};
use std::fmt;
use thiserror::Error;

/// Index of an event in its [`Execution`].
pub type EventId = usize;
/// Index of a location in its [`Execution`].
pub type LocId = u32;

/// An annotation tag (as written between braces in `linux-kernel.def`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Tag(pub u8);

/// Names of the built-in tags, indexed by [`Tag`] value.
pub const KNOWN_TAGS: &[&str] = &[
    "ONCE",
    "RELEASE",
    "ACQUIRE",
    "NORETURN",
    "MB",
    "wmb",
    "rmb",
    "barrier",
    "rcu-lock",
    "rcu-unlock",
    "sync-rcu",
    "before-atomic",
    "after-atomic",
    "after-spinlock",
    "after-unlock-lock",
    "after-srcu-read-unlock",
    "srcu-lock",
    "srcu-unlock",
    "sync-srcu",
    "kvet-free",
];

#[allow(missing_docs)]
impl Tag {
    pub const ONCE: Tag = Tag(0);
    pub const RELEASE: Tag = Tag(1);
    pub const ACQUIRE: Tag = Tag(2);
    pub const NORETURN: Tag = Tag(3);
    pub const MB: Tag = Tag(4);
    pub const WMB: Tag = Tag(5);
    pub const RMB: Tag = Tag(6);
    pub const BARRIER: Tag = Tag(7);
    pub const RCU_LOCK: Tag = Tag(8);
    pub const RCU_UNLOCK: Tag = Tag(9);
    pub const SYNC_RCU: Tag = Tag(10);
    pub const BEFORE_ATOMIC: Tag = Tag(11);
    pub const AFTER_ATOMIC: Tag = Tag(12);
    pub const AFTER_SPINLOCK: Tag = Tag(13);
    pub const AFTER_UNLOCK_LOCK: Tag = Tag(14);
    pub const AFTER_SRCU_READ_UNLOCK: Tag = Tag(15);
    pub const SRCU_LOCK: Tag = Tag(16);
    pub const SRCU_UNLOCK: Tag = Tag(17);
    pub const SYNC_SRCU: Tag = Tag(18);
    /// kvet's check mode, not linux-kernel.def's: a write of the
    /// allocator to an object's cells (a free's poison, the zeroing of a
    /// reused slot); the LKMM ignores it, the `free-race` flag reads it.
    pub const FREE: Tag = Tag(19);
    /// First id available for tags registered with [`Execution::tag`].
    pub const FIRST_CUSTOM: u8 = KNOWN_TAGS.len() as u8;

    /// The built-in tag with this name.
    pub fn known(name: &str) -> Option<Tag> {
        KNOWN_TAGS.iter().position(|t| *t == name).map(|i| Tag(i as u8))
    }
}

/// Set of tags of one event (bit `t` for [`Tag`] `t`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct TagSet(pub u64);

impl TagSet {
    /// Empty set.
    pub const EMPTY: TagSet = TagSet(0);
    /// Set made of the given tags.
    pub fn of(tags: &[Tag]) -> TagSet {
        TagSet(tags.iter().fold(0, |a, t| a | (1u64 << t.0)))
    }
    /// Membership.
    #[inline]
    pub fn has(self, t: Tag) -> bool {
        (self.0 >> t.0) & 1 == 1
    }
    /// Add a tag.
    pub fn add(&mut self, t: Tag) {
        self.0 |= 1 << t.0;
    }
    /// Iterate over tags.
    pub fn iter(self) -> impl Iterator<Item = Tag> {
        (0..64u8).filter(move |i| (self.0 >> i) & 1 == 1).map(Tag)
    }
}

/// The kind of an event (herd's C actions).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum EventKind {
    /// Memory read (`R`), including the read of an RMW operation.
    Read,
    /// Memory write (`W`), including initial writes and RMW writes.
    Write,
    /// Fence (`F`): `smp_mb()`, `rcu_read_lock()`, ...
    Fence,
    /// Read part of `spin_lock()` / successful `spin_trylock()` (`LKR`).
    LockRead,
    /// Write part of `spin_lock()` / successful `spin_trylock()` (`LKW`).
    LockWrite,
    /// `spin_unlock()` (`UL`).
    Unlock,
    /// Failed `spin_trylock()` (`LF`).
    LockFail,
    /// `spin_is_locked()` returning true (`RL`).
    ReadLocked,
    /// `spin_is_locked()` returning false (`RU`).
    ReadUnlocked,
    /// `synchronize_srcu()` (herd's `SRCU` action): has a location, is
    /// neither in `M` nor in `F`.
    Srcu,
}

/// One event of a candidate execution.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Event {
    /// Thread, `None` for initial writes.
    pub thread: Option<u32>,
    /// Kind.
    pub kind: EventKind,
    /// Location, if any.
    pub loc: Option<LocId>,
    /// Value read or written, if any.
    pub value: Option<i64>,
    /// Annotations.
    pub tags: TagSet,
    /// Read or write issued by a read-modify-write operation (herd's
    /// `is_atomic`, set `RMW`).
    pub atomic: bool,
}

impl Event {
    /// Is this an initial write?
    pub fn is_init(&self) -> bool {
        self.thread.is_none()
    }
}

/// Errors detected by [`Execution::validate`].
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ExecError {
    /// An event index is out of range.
    #[error("event {0} does not exist")]
    NoSuchEvent(EventId),
    /// A relation edge does not respect its shape.
    #[error("ill-formed {rel} edge {from} -> {to}: {why}")]
    BadEdge {
        /// Relation name.
        rel: &'static str,
        /// Source.
        from: EventId,
        /// Target.
        to: EventId,
        /// Explanation.
        why: &'static str,
    },
    /// An initial write is ill-formed.
    #[error("event {0}: {1}")]
    BadEvent(EventId, &'static str),
}

/// One candidate execution: the events and the base relations a model sees.
///
/// Build it incrementally (`add_*` methods), then hand it to a model.  All
/// relation setters append pairs; the `clear_*` methods allow a generator to
/// reuse one execution (and its buffers) across candidates.
#[derive(Clone, Default, Debug)]
pub struct Execution {
    events: Vec<Event>,
    locations: Vec<String>,
    custom_tags: Vec<String>,
    rf: Vec<(EventId, EventId)>,
    rmw: Vec<(EventId, EventId)>,
    addr: Vec<(EventId, EventId)>,
    data: Vec<(EventId, EventId)>,
    ctrl: Vec<(EventId, EventId)>,
    same_instance: Vec<(EventId, EventId)>,
    finals: Vec<EventId>,
    co: Option<Vec<(EventId, EventId)>>,
    lock_order: Vec<Vec<EventId>>,
}

impl Execution {
    /// Empty execution.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remove everything (keeps allocations).
    pub fn clear(&mut self) {
        self.events.clear();
        self.locations.clear();
        self.custom_tags.clear();
        self.rf.clear();
        self.rmw.clear();
        self.addr.clear();
        self.data.clear();
        self.ctrl.clear();
        self.same_instance.clear();
        self.finals.clear();
        self.co = None;
        self.lock_order.clear();
    }

    /// Remove the events and relations but keep the registered locations
    /// and tags (a generator reuses one execution across candidates).
    pub fn clear_events(&mut self) {
        self.events.clear();
        self.rf.clear();
        self.rmw.clear();
        self.addr.clear();
        self.data.clear();
        self.ctrl.clear();
        self.same_instance.clear();
        self.finals.clear();
        self.co = None;
        self.lock_order.clear();
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }
    /// No events?
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
    /// The events.
    pub fn events(&self) -> &[Event] {
        &self.events
    }
    /// Event `e`.
    pub fn event(&self, e: EventId) -> &Event {
        &self.events[e]
    }
    /// Location names.
    pub fn locations(&self) -> &[String] {
        &self.locations
    }

    /// Register (or find) a location by name.
    pub fn location(&mut self, name: &str) -> LocId {
        if let Some(i) = self.locations.iter().position(|l| l == name) {
            return i as LocId;
        }
        self.locations.push(name.to_string());
        (self.locations.len() - 1) as LocId
    }

    /// The tag with this name (built-in or registered on the fly).
    /// Panics if more than 64 distinct tags are used.
    pub fn tag(&mut self, name: &str) -> Tag {
        if let Some(t) = Tag::known(name) {
            return t;
        }
        if let Some(i) = self.custom_tags.iter().position(|t| t == name) {
            return Tag(Tag::FIRST_CUSTOM + i as u8);
        }
        assert!((Tag::FIRST_CUSTOM as usize) + self.custom_tags.len() < 64, "too many distinct tags");
        self.custom_tags.push(name.to_string());
        Tag(Tag::FIRST_CUSTOM + (self.custom_tags.len() - 1) as u8)
    }

    /// Name of a tag.
    pub fn tag_name(&self, t: Tag) -> &str {
        match KNOWN_TAGS.get(t.0 as usize) {
            Some(n) => n,
            None => &self.custom_tags[(t.0 - Tag::FIRST_CUSTOM) as usize],
        }
    }

    /// Number of tag ids in use (built-in plus custom).
    pub fn tag_count(&self) -> usize {
        KNOWN_TAGS.len() + self.custom_tags.len()
    }

    /// Does `other` have the events (all but their values) and the fixed
    /// relations of `self`, so that the two differ at most in read-from,
    /// final writes, coherence order and values, and [`Base::new`] of
    /// both agrees up to [`Base::set_candidate`]?
    pub fn same_shape(&self, other: &Execution) -> bool {
        let ev = |e: &Event| (e.thread, e.kind, e.loc, e.tags, e.atomic);
        self.events.len() == other.events.len()
            && self.events.iter().zip(&other.events).all(|(a, b)| ev(a) == ev(b))
            && self.locations.len() == other.locations.len()
            && self.custom_tags.len() == other.custom_tags.len()
            && self.rmw == other.rmw
            && self.addr == other.addr
            && self.data == other.data
            && self.ctrl == other.ctrl
            && self.same_instance == other.same_instance
    }

    /// Add an event; returns its id.  Events of one thread are in program
    /// order in the order they are added.
    pub fn add_event(&mut self, ev: Event) -> EventId {
        self.events.push(ev);
        self.events.len() - 1
    }

    fn ev(
        &mut self,
        thread: Option<u32>,
        kind: EventKind,
        loc: Option<LocId>,
        value: Option<i64>,
        tags: &[Tag],
    ) -> EventId {
        self.add_event(Event { thread, kind, loc, value, tags: TagSet::of(tags), atomic: false })
    }

    /// Initial write of `v` to `loc`.
    pub fn init_write(&mut self, loc: LocId, v: i64) -> EventId {
        self.ev(None, EventKind::Write, Some(loc), Some(v), &[])
    }
    /// Read of `v` from `loc` by thread `t`.
    pub fn read(&mut self, t: u32, loc: LocId, v: i64, tags: &[Tag]) -> EventId {
        self.ev(Some(t), EventKind::Read, Some(loc), Some(v), tags)
    }
    /// Write of `v` to `loc` by thread `t`.
    pub fn write(&mut self, t: u32, loc: LocId, v: i64, tags: &[Tag]) -> EventId {
        self.ev(Some(t), EventKind::Write, Some(loc), Some(v), tags)
    }
    /// Fence.
    pub fn fence(&mut self, t: u32, tags: &[Tag]) -> EventId {
        self.ev(Some(t), EventKind::Fence, None, None, tags)
    }
    /// A successful read-modify-write: read of `old`, write of `new`, both
    /// atomic and linked by `rmw`.  Returns `(read, write)`.
    pub fn rmw_op(&mut self, t: u32, loc: LocId, old: i64, new: i64, tags: &[Tag]) -> (EventId, EventId) {
        let r = self.read(t, loc, old, tags);
        self.events[r].atomic = true;
        let w = self.write(t, loc, new, tags);
        self.events[w].atomic = true;
        self.add_rmw(r, w);
        (r, w)
    }
    /// Lock event of the given lock kind on `loc` (no value, no tags).
    pub fn lock_event(&mut self, t: u32, kind: EventKind, loc: LocId) -> EventId {
        self.ev(Some(t), kind, Some(loc), None, &[])
    }
    /// `spin_lock(loc)`: returns `(LKR, LKW)`.
    pub fn spin_lock(&mut self, t: u32, loc: LocId) -> (EventId, EventId) {
        let r = self.lock_event(t, EventKind::LockRead, loc);
        let w = self.lock_event(t, EventKind::LockWrite, loc);
        (r, w)
    }
    /// `spin_unlock(loc)`.
    pub fn spin_unlock(&mut self, t: u32, loc: LocId) -> EventId {
        self.lock_event(t, EventKind::Unlock, loc)
    }
    /// `synchronize_srcu(loc)`.
    pub fn srcu_sync(&mut self, t: u32, loc: LocId) -> EventId {
        self.ev(Some(t), EventKind::Srcu, Some(loc), None, &[Tag::SYNC_SRCU])
    }

    /// Add an `rf` edge (write `w` to read `r`).
    pub fn add_rf(&mut self, w: EventId, r: EventId) {
        self.rf.push((w, r));
    }
    /// Remove all `rf` edges.
    pub fn clear_rf(&mut self) {
        self.rf.clear();
    }
    /// Add an `rmw` edge.
    pub fn add_rmw(&mut self, r: EventId, w: EventId) {
        self.rmw.push((r, w));
    }
    /// Add an `addr` dependency.
    pub fn add_addr(&mut self, a: EventId, b: EventId) {
        self.addr.push((a, b));
    }
    /// Add a `data` dependency.
    pub fn add_data(&mut self, a: EventId, b: EventId) {
        self.data.push((a, b));
    }
    /// Add a `ctrl` dependency.
    pub fn add_ctrl(&mut self, a: EventId, b: EventId) {
        self.ctrl.push((a, b));
    }
    /// Declare two events as issued by the same instruction instance
    /// (herd's `same-instance`; the identity and `rmw` are implied).
    pub fn add_same_instance(&mut self, a: EventId, b: EventId) {
        self.same_instance.push((a, b));
    }
    /// Mark `w` as the final (co-last) write of its location (`FW`).
    pub fn add_final(&mut self, w: EventId) {
        self.finals.push(w);
    }
    /// Remove all final writes.
    pub fn clear_finals(&mut self) {
        self.finals.clear();
    }
    /// Fix the coherence order (pairs, transitivity implied).  Only the
    /// native models use it; the interpreter always enumerates, as herd.
    pub fn set_co(&mut self, co: Option<Vec<(EventId, EventId)>>) {
        self.co = co;
    }

    /// Fix the order of the lock writes (`LKW`) of some lock locations:
    /// each list holds every `LKW` of one location, in coherence order
    /// (the generator's lock orders, `gen/lock_order.rs`).  A model that
    /// honours it ([`crate::Model::fixes_lock_orders`]) enumerates only
    /// the coherence orders agreeing with it, and its partial check
    /// assumes it; an empty list of lists fixes nothing.
    pub fn set_lock_order(&mut self, order: Vec<Vec<EventId>>) {
        self.lock_order = order;
    }
    /// The fixed orders of lock writes ([`Execution::set_lock_order`]).
    pub fn lock_order(&self) -> &[Vec<EventId>] {
        &self.lock_order
    }

    /// `rf` edges.
    pub fn rf(&self) -> &[(EventId, EventId)] {
        &self.rf
    }
    /// `rmw` edges.
    pub fn rmw(&self) -> &[(EventId, EventId)] {
        &self.rmw
    }
    /// `addr` edges.
    pub fn addr(&self) -> &[(EventId, EventId)] {
        &self.addr
    }
    /// `data` edges.
    pub fn data(&self) -> &[(EventId, EventId)] {
        &self.data
    }
    /// `ctrl` edges.
    pub fn ctrl(&self) -> &[(EventId, EventId)] {
        &self.ctrl
    }
    /// Final writes.
    pub fn finals(&self) -> &[EventId] {
        &self.finals
    }
    /// Fixed coherence order, if any.
    pub fn co(&self) -> Option<&[(EventId, EventId)]> {
        self.co.as_deref()
    }

    /// Check the well-formedness of the execution.
    pub fn validate(&self) -> Result<(), ExecError> {
        let n = self.events.len();
        for (i, e) in self.events.iter().enumerate() {
            if e.thread.is_none() && (e.kind != EventKind::Write || e.loc.is_none()) {
                return Err(ExecError::BadEvent(i, "events without thread must be initial writes"));
            }
            let needs_loc = !matches!(e.kind, EventKind::Fence);
            if needs_loc && e.loc.is_none() {
                return Err(ExecError::BadEvent(i, "memory and lock events need a location"));
            }
        }
        let chk = |rel: &'static str, es: &[(EventId, EventId)], f: &dyn Fn(&Event, &Event) -> Option<&'static str>| {
            for &(a, b) in es {
                if a >= n {
                    return Err(ExecError::NoSuchEvent(a));
                }
                if b >= n {
                    return Err(ExecError::NoSuchEvent(b));
                }
                if let Some(why) = f(&self.events[a], &self.events[b]) {
                    return Err(ExecError::BadEdge { rel, from: a, to: b, why });
                }
            }
            Ok(())
        };
        chk("rf", &self.rf, &|w, r| {
            if w.kind != EventKind::Write || r.kind != EventKind::Read {
                Some("rf goes from a write to a read")
            } else if w.loc != r.loc {
                Some("different locations")
            } else {
                None
            }
        })?;
        chk("rmw", &self.rmw, &|r, w| {
            if r.kind != EventKind::Read || w.kind != EventKind::Write || r.thread != w.thread {
                Some("rmw goes from a read to a write of the same thread")
            } else {
                None
            }
        })?;
        let same_thread = |a: &Event, b: &Event| {
            if a.thread.is_none() || a.thread != b.thread {
                Some("dependencies relate events of one thread")
            } else {
                None
            }
        };
        chk("addr", &self.addr, &same_thread)?;
        chk("data", &self.data, &same_thread)?;
        chk("ctrl", &self.ctrl, &same_thread)?;
        for &w in &self.finals {
            if w >= n {
                return Err(ExecError::NoSuchEvent(w));
            }
        }
        for seq in &self.lock_order {
            for &e in seq {
                if e >= n {
                    return Err(ExecError::NoSuchEvent(e));
                }
                if self.events[e].kind != EventKind::LockWrite || self.events[e].loc != self.events[seq[0]].loc {
                    return Err(ExecError::BadEvent(e, "a lock order lists the lock writes of one location"));
                }
            }
        }
        if let Some(co) = &self.co {
            chk("co", co, &|a, b| if a.loc != b.loc { Some("different locations") } else { None })?;
        }
        Ok(())
    }
}

impl fmt::Display for Execution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.events.iter().enumerate() {
            let th = e.thread.map_or("init".to_string(), |t| format!("P{t}"));
            let loc = e.loc.map_or(String::new(), |l| self.locations[l as usize].clone());
            let tags: Vec<&str> = e.tags.iter().map(|t| self.tag_name(t)).collect();
            writeln!(f, "e{i}: {th} {:?}{} {loc} {:?} {tags:?}", e.kind, if e.atomic { "*" } else { "" }, e.value)?;
        }
        writeln!(
            f,
            "rf={:?} rmw={:?} addr={:?} data={:?} ctrl={:?} FW={:?} co={:?}",
            self.rf, self.rmw, self.addr, self.data, self.ctrl, self.finals, self.co
        )
    }
}

/// The base sets and relations of an execution as bit matrices.
#[derive(Clone, Debug)]
pub struct Base<R: Row> {
    /// Number of events.
    pub n: usize,
    /// All events (`_`).
    pub all: R,
    /// Memory reads `R`.
    pub r: R,
    /// Memory writes `W`.
    pub w: R,
    /// Memory accesses `M`.
    pub m: R,
    /// Fences `F`.
    pub f: R,
    /// Initial writes `IW`.
    pub iw: R,
    /// Final writes `FW`.
    pub fw: R,
    /// Accesses of RMW operations (herd's `RMW` set, also `X`).
    pub atomic: R,
    /// `LKR`.
    pub lkr: R,
    /// `LKW`.
    pub lkw: R,
    /// `UL`.
    pub ul: R,
    /// `LF`.
    pub lf: R,
    /// `RL`.
    pub rl: R,
    /// `RU`.
    pub ru: R,
    /// Events carrying an annotation (`annot`).
    pub annot: R,
    /// Event set of each tag id.
    pub tags: Vec<R>,
    /// `po`.
    pub po: Rel<R>,
    /// `rf` (ordinary reads only).
    pub rf: Rel<R>,
    /// `rmw`.
    pub rmw: Rel<R>,
    /// `addr`.
    pub addr: Rel<R>,
    /// `data`.
    pub data: Rel<R>,
    /// `ctrl`.
    pub ctrl: Rel<R>,
    /// `loc`.
    pub loc: Rel<R>,
    /// `int`.
    pub int: Rel<R>,
    /// `ext`.
    pub ext: Rel<R>,
    /// `id`.
    pub id: Rel<R>,
    /// `same-instance`.
    pub same_instance: Rel<R>,
    /// Fixed coherence order (transitively closed), if the execution has one.
    pub co: Option<Rel<R>>,
}

impl<R: Row> Base<R> {
    /// Compute the base sets and relations of `ex`.
    pub fn new(ex: &Execution) -> Self {
        let n = ex.len();
        let z = R::zeros(n);
        let mut b = Base {
            n,
            all: R::ones(n),
            r: z.clone(),
            w: z.clone(),
            m: z.clone(),
            f: z.clone(),
            iw: z.clone(),
            fw: z.clone(),
            atomic: z.clone(),
            lkr: z.clone(),
            lkw: z.clone(),
            ul: z.clone(),
            lf: z.clone(),
            rl: z.clone(),
            ru: z.clone(),
            annot: z.clone(),
            tags: vec![z.clone(); ex.tag_count()],
            po: Rel::empty(n),
            rf: Rel::empty(n),
            rmw: Rel::empty(n),
            addr: Rel::empty(n),
            data: Rel::empty(n),
            ctrl: Rel::empty(n),
            loc: Rel::empty(n),
            int: Rel::empty(n),
            ext: Rel::empty(n),
            id: Rel::id_on(n, &R::ones(n)),
            same_instance: Rel::empty(n),
            co: None,
        };
        let evs = ex.events();
        // Threads: events grouped by thread in insertion order.
        let mut thread_sets: Vec<(Option<u32>, R)> = Vec::new();
        for (i, e) in evs.iter().enumerate() {
            match e.kind {
                EventKind::Read => {
                    b.r.insert(i);
                    b.m.insert(i);
                }
                EventKind::Write => {
                    b.w.insert(i);
                    b.m.insert(i);
                    if e.thread.is_none() {
                        b.iw.insert(i);
                    }
                }
                EventKind::Fence => b.f.insert(i),
                EventKind::LockRead => b.lkr.insert(i),
                EventKind::LockWrite => b.lkw.insert(i),
                EventKind::Unlock => b.ul.insert(i),
                EventKind::LockFail => b.lf.insert(i),
                EventKind::ReadLocked => b.rl.insert(i),
                EventKind::ReadUnlocked => b.ru.insert(i),
                EventKind::Srcu => {}
            }
            if e.atomic && matches!(e.kind, EventKind::Read | EventKind::Write) {
                b.atomic.insert(i);
            }
            if e.tags != TagSet::EMPTY && matches!(e.kind, EventKind::Read | EventKind::Write | EventKind::Fence) {
                b.annot.insert(i);
            }
            for t in e.tags.iter() {
                if let Some(s) = b.tags.get_mut(t.0 as usize) {
                    s.insert(i);
                }
            }
            match thread_sets.iter_mut().find(|(t, _)| *t == e.thread) {
                Some((_, s)) => {
                    if e.thread.is_some() {
                        // po: every earlier event of the thread precedes i.
                        for j in s.iter() {
                            b.po.insert(j, i);
                        }
                    }
                    s.insert(i);
                }
                None => {
                    let mut s = R::zeros(n);
                    s.insert(i);
                    thread_sets.push((e.thread, s));
                }
            }
        }
        for (t, s) in &thread_sets {
            for i in s.iter() {
                if t.is_some() {
                    *b.int.row_mut(i) = s.clone();
                }
                let mut ext = b.all.clone();
                ext.diff_with(s);
                *b.ext.row_mut(i) = ext;
            }
        }
        // loc
        let nloc = ex.locations().len();
        let mut by_loc = vec![R::zeros(n); nloc];
        for (i, e) in evs.iter().enumerate() {
            if let Some(l) = e.loc {
                if let Some(s) = by_loc.get_mut(l as usize) {
                    s.insert(i);
                }
            }
        }
        for (i, e) in evs.iter().enumerate() {
            if let Some(l) = e.loc {
                if let Some(s) = by_loc.get(l as usize) {
                    *b.loc.row_mut(i) = s.clone();
                }
            }
        }
        for &(a, c) in ex.rmw() {
            b.rmw.insert(a, c);
        }
        for &(a, c) in ex.addr() {
            b.addr.insert(a, c);
        }
        for &(a, c) in ex.data() {
            b.data.insert(a, c);
        }
        for &(a, c) in ex.ctrl() {
            b.ctrl.insert(a, c);
        }
        b.same_instance = b.id.clone();
        b.same_instance.union_with(&b.rmw);
        b.same_instance.union_with(&b.rmw.inverse());
        for &(a, c) in &ex.same_instance {
            b.same_instance.insert(a, c);
            b.same_instance.insert(c, a);
        }
        b.set_candidate(ex);
        b
    }

    /// Replace the read-from, the final writes and the coherence order by
    /// those of `ex`, a candidate with the same events and fixed
    /// relations as the one `self` was built from (everything else of
    /// [`Base`] depends on those only).
    pub fn set_candidate(&mut self, ex: &Execution) {
        let n = self.n;
        self.rf = Rel::empty(n);
        for &(a, c) in ex.rf() {
            self.rf.insert(a, c);
        }
        self.fw = R::zeros(n);
        for &w in ex.finals() {
            self.fw.insert(w);
        }
        self.co = ex.co().map(|co| {
            let mut r = Rel::empty(n);
            for &(a, c) in co {
                r.insert(a, c);
            }
            r.close();
            r
        });
    }

    /// Set of events of a tag (empty if the tag is unknown).
    pub fn tag(&self, t: Tag) -> R {
        self.tags.get(t.0 as usize).cloned().unwrap_or_else(|| R::zeros(self.n))
    }
}
