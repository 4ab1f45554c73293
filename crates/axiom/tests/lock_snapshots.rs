//! Check mode's lock snapshots (`gen/snapshot.rs`) change nothing but the
//! work: with them and without them ([`GenOptions::exhaustive`]) the
//! counts, states, flags, deadlocks and findings are the same, on small
//! lock scenarios written for them and on every example scenario that
//! completes both ways within the examples' work bound; and they do drop
//! paths where a section reads lock-protected data.

use kvet_axiom::gen::{run, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use std::path::PathBuf;

fn check(prog: &kvet_ir::Program, exhaustive: bool, work: u64) -> Option<LitmusResult> {
    let opts = GenOptions { deadlocks: true, kernel: true, exhaustive, max_work: Some(work), ..Default::default() };
    let r = run(prog, &NativeLkmm::new().allowed_only(), &opts).ok()?;
    (!r.deadlocks_partial).then_some(r)
}

fn kinds(r: &LitmusResult) -> Vec<&'static str> {
    let mut k: Vec<&'static str> = r.findings.iter().map(|f| f.kind.name()).collect();
    k.sort_unstable();
    k.dedup();
    k
}

/// What must not change.
fn summary(r: &LitmusResult) -> String {
    format!(
        "pos {} neg {} outcomes {:?} flags {:?} deadlocks {:?} toofar {} findings {:?}",
        r.pos,
        r.neg,
        r.outcomes,
        r.flags,
        r.deadlocks,
        r.toofar,
        kinds(r)
    )
}

/// The same answer with and without snapshots; the answer and the paths
/// of all threads with them and without them.
fn same(src: &str) -> (LitmusResult, u64, u64) {
    let prog = kvet_ir::compile(src).expect("compiles");
    let fast = check(&prog, false, 100_000).expect("complete with snapshots");
    let slow = check(&prog, true, 100_000).expect("complete without");
    assert_eq!(summary(&fast), summary(&slow), "{src}");
    let (a, b) = (fast.paths, slow.paths);
    (fast, a, b)
}

/// A list under a lock: an entry initialised before it is added, another
/// thread adding its own, a third walking the list under the lock.  A
/// walk that finds `a` then reads `a`'s `next` from the state that added
/// it (the head, or `b`), never `a`'s self-link of before.
#[test]
fn a_list_under_a_lock() {
    let src = "C snap-list\n{}\n\
struct item { int v; struct list_head node; };\n\
LIST_HEAD(head);\nDEFINE_SPINLOCK(lock);\nstruct item a;\nstruct item b;\n\
P0(void) { a.v = 1; INIT_LIST_HEAD(&a.node); spin_lock(&lock); list_add_tail(&a.node, &head); spin_unlock(&lock);\n\
  spin_lock(&lock); list_del_init(&a.node); spin_unlock(&lock); }\n\
P1(void) { b.v = 2; INIT_LIST_HEAD(&b.node); spin_lock(&lock); list_add_tail(&b.node, &head); spin_unlock(&lock); }\n\
P2(void) { struct item *pos; int n = 0; spin_lock(&lock); list_for_each_entry(pos, &head, node) n += pos->v; spin_unlock(&lock);\n\
  BUG_ON(n > 3); WARN_ON(n == 3); }\n";
    let (r, fast, slow) = same(src);
    assert_eq!(kinds(&r), ["warning"], "both entries seen: {}", summary(&r));
    assert!(fast < slow, "the walk's impossible states are gone: {fast} vs {slow} paths");
}

/// A field initialised before its object is added under the lock, no
/// section having written it before: a section that finds the object
/// reads the initialisation, never the field's initial value (co-first,
/// so co-before it), and the walk has no path reading 0.  The object's
/// cells are read under the lock only once the head's domain holds it (a
/// later round: the round walk stops there and is walked again with them
/// tracked).
#[test]
fn an_initialisation_replaces_the_initial_value() {
    let src = "C snap-init\n{}\n\
struct item { int v; struct list_head node; };\n\
LIST_HEAD(head);\nDEFINE_SPINLOCK(lock);\nstruct item a;\n\
P0(void) { a.v = 1; spin_lock(&lock); list_add(&a.node, &head); spin_unlock(&lock); }\n\
P1(void) { int seen = 0; int v = 0; spin_lock(&lock);\n\
  if (!list_empty(&head)) { struct item *p = list_first_entry(&head, struct item, node); seen = 1; v = p->v; }\n\
  spin_unlock(&lock); BUG_ON(seen && v != 1); }\n";
    let (r, fast, slow) = same(src);
    assert!(kinds(&r).is_empty(), "{}", summary(&r));
    assert!(fast < slow, "no path reads the initial value: {fast} vs {slow} paths");
}

/// A thread's own write in an earlier section is no exception to the
/// states: once another thread's section overwrote it, a later section of
/// the first thread reads the newer value (or its own), never the old one
/// (the same answer with and without snapshots).
#[test]
fn an_own_write_overwritten_by_a_later_section_is_gone() {
    let src = "C snap-own\n{}\nint x;\nDEFINE_SPINLOCK(lock);\n\
P0(void) { int r = 0; int s = 0; spin_lock(&lock); x = 1; spin_unlock(&lock);\n\
  spin_lock(&lock); r = x; s = READ_ONCE(x); spin_unlock(&lock); BUG_ON(r == 2 && s == 1); WARN_ON(r == 2); }\n\
P1(void) { spin_lock(&lock); x = 2; spin_unlock(&lock); }\n";
    let (r, fast, slow) = same(src);
    assert_eq!(kinds(&r), ["warning"], "{}", summary(&r));
    assert!(fast <= slow, "{fast} vs {slow} paths");
}

/// A counter under a lock: each section reads the count the previous one
/// left; two increments always make 2.
#[test]
fn a_counter_under_a_lock() {
    let src = "C snap-counter\n{}\nint counter;\nDEFINE_SPINLOCK(lock);\n\
P0(void) { spin_lock(&lock); counter = counter + 1; spin_unlock(&lock); }\n\
P1(void) { spin_lock(&lock); counter = counter + 1; spin_unlock(&lock); }\n\
P2(void) { int r1; int r2; spin_lock(&lock); r1 = counter; r2 = counter; spin_unlock(&lock); BUG_ON(r1 != r2); WARN_ON(r1 == 2); }\n\
exists (counter=2)\n";
    let (r, fast, slow) = same(src);
    assert_eq!(kinds(&r), ["warning"], "{}", summary(&r));
    assert_eq!(r.neg, 0, "always 2: {}", summary(&r));
    assert!(fast <= slow, "{fast} vs {slow} paths");
}

/// A cell written both inside the lock and outside it: a section may read
/// the outside write, before or after the state the sections left, as
/// coherence allows.  Reading P0's 1 then P1's 2 is allowed (BUG); P1's 2
/// then P0's 1 is not once P0's section came first (its 1 is co-after
/// anything P2 read before), nor with P0's section after P2's (WARN).
#[test]
fn a_cell_written_inside_and_outside_the_lock_is_not_pruned() {
    let src = "C snap-mixed\n{}\nint x;\nDEFINE_SPINLOCK(lock);\n\
P0(void) { spin_lock(&lock); WRITE_ONCE(x, 1); spin_unlock(&lock); }\n\
P1(void) { WRITE_ONCE(x, 2); }\n\
P2(void) { int r1; int r2; spin_lock(&lock); r1 = READ_ONCE(x); r2 = READ_ONCE(x); spin_unlock(&lock);\n\
  BUG_ON(r1 == 1 && r2 == 2); WARN_ON(r1 == 2 && r2 == 1); }\n";
    let (r, _, _) = same(src);
    assert_eq!(kinds(&r), ["BUG"], "{}", summary(&r));
}

/// An object initialised before it is published under the lock and
/// written again after: a section that found it reads the initialisation
/// or the later (racing) write, never the zero of before.
#[test]
fn writes_before_and_after_a_section() {
    let src = "C snap-publish\n{}\nstruct item { int v; struct list_head node; };\n\
LIST_HEAD(head);\nDEFINE_SPINLOCK(lock);\nstruct item a;\n\
P0(void) { WRITE_ONCE(a.v, 1); INIT_LIST_HEAD(&a.node); spin_lock(&lock); list_add(&a.node, &head); spin_unlock(&lock); WRITE_ONCE(a.v, 2); }\n\
P1(void) { struct item *pos; int n = 0; spin_lock(&lock); list_for_each_entry(pos, &head, node) n += READ_ONCE(pos->v); spin_unlock(&lock);\n\
  BUG_ON(n == 2); WARN_ON(list_empty(&head) && n != 0); }\n";
    let (r, _, _) = same(src);
    assert_eq!(kinds(&r), ["BUG"], "{}", summary(&r));
}

/// Two locks, one inside the other, and a cell written under the inner
/// one only by one thread and under both by another.
#[test]
fn nested_locks() {
    let src = "C snap-nested\n{}\nint x;\nDEFINE_SPINLOCK(a);\nDEFINE_SPINLOCK(b);\n\
P0(void) { spin_lock(&a); spin_lock(&b); x = 1; spin_unlock(&b); spin_unlock(&a); }\n\
P1(void) { spin_lock(&b); x = 2; spin_unlock(&b); }\n\
P2(void) { int r1; int r2; spin_lock(&a); spin_lock(&b); r1 = x; spin_unlock(&b); spin_lock(&b); r2 = x; spin_unlock(&b); spin_unlock(&a);\n\
  BUG_ON(r1 == 2 && r2 == 1); WARN_ON(r1 == 1 && r2 == 2); }\n";
    let (r, _, _) = same(src);
    assert_eq!(kinds(&r), ["warning"], "{}", summary(&r));
}

/// A trylock's section and a mutex's are sections like a spinlock's.
#[test]
fn trylock_and_mutex_sections() {
    let src = "C snap-try\n{}\nint x;\nint y;\nDEFINE_SPINLOCK(l);\nDEFINE_MUTEX(m);\n\
P0(void) { if (spin_trylock(&l)) { x = x + 1; spin_unlock(&l); } mutex_lock(&m); y = y + 1; mutex_unlock(&m); }\n\
P1(void) { int r; spin_lock(&l); x = x + 1; r = x; spin_unlock(&l); mutex_lock(&m); y = y + 1; mutex_unlock(&m); WARN_ON(r == 2); }\n\
exists (x=2 /\\ y=2)\n";
    let (r, _, _) = same(src);
    assert_eq!(kinds(&r), ["warning"], "{}", summary(&r));
}

fn files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut es: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    es.sort();
    for p in es {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "kvet") {
            out.push(p);
        }
    }
}

/// Every example scenario that completes both ways within the examples'
/// work bound (10,000 units) gives the same answer.
#[test]
fn example_scenarios() {
    let mut all = Vec::new();
    files(&PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")), &mut all);
    let (mut compared, mut bad) = (0, Vec::new());
    for f in all {
        let src = std::fs::read_to_string(&f).expect("read");
        let Ok(prog) = kvet_ir::compile(&src) else { continue };
        // (without snapshots only where they complete: the others stop
        // without them too)
        let Some(fast) = check(&prog, false, 10_000) else { continue };
        let Some(slow) = check(&prog, true, 10_000) else { continue };
        compared += 1;
        // (where tasks share a CPU, the lock orders in which an optional
        // switch hands the CPU straight back are dropped with the
        // shortcuts on, gen/lock_order.rs: each has a twin without the
        // switch, so only the executions counted differ)
        let counted = |r: &LitmusResult| {
            let s = summary(r);
            match s.split_once(" outcomes") {
                Some((_, rest)) if !prog.shared_cpus().is_empty() => rest.to_string(),
                _ => s,
            }
        };
        if counted(&fast) != counted(&slow) {
            bad.push(format!(
                "{}:\n with snapshots {}\n without       {}",
                f.display(),
                summary(&fast),
                summary(&slow)
            ));
        }
    }
    println!("compared {compared} examples");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(compared >= 25, "only {compared} examples compared");
}

/// A write by a thread that never takes the lock stays readable in a
/// section: its walk from before the cell was tracked (made without the
/// other threads' values, so recording nothing for the snapshots) must
/// not be reused once the cell is tracked. Found by
/// `shortcuts::random_tests_with_locks`; the outcome r1 = 1 was missing.
#[test]
fn a_lockless_writer_is_seen_under_the_lock() {
    let src = "C snap-lockless\n{}\n\
P0(int *x, spinlock_t *a) { WRITE_ONCE(*x, 1); }\n\
P1(int *x, spinlock_t *a) { int r1; spin_lock(a); r1 = READ_ONCE(*x); }\n\
exists (1:r1=0)\n";
    let (r, _, _) = same(src);
    assert_eq!((r.pos, r.neg), (1, 1), "{}", summary(&r));
}

/// A thread's write from before a section replaces in the state what its
/// own earlier sections wrote there (they are po-before it, so co-before
/// it): P0 writes x in a section, then outside, then takes the lock
/// again; a section after both of P0's reads 2, or a lockless write, and
/// one between them cannot read P0's 3 (it follows the later section).
#[test]
fn an_own_write_before_a_section_replaces_its_earlier_ones() {
    let src = "C snap-own-epoch\n{}\nint x;\nDEFINE_SPINLOCK(lock);\n\
P0(void) { spin_lock(&lock); WRITE_ONCE(x, 1); spin_unlock(&lock); WRITE_ONCE(x, 2); spin_lock(&lock); spin_unlock(&lock); WRITE_ONCE(x, 3); }\n\
P1(void) { int r1; int r2; spin_lock(&lock); r1 = READ_ONCE(x); r2 = READ_ONCE(x); spin_unlock(&lock); WARN_ON(r1 == 1 && r2 == 3); BUG_ON(r1 == 2 && r2 == 1); }\n\
P2(void) { WRITE_ONCE(x, 4); }\n";
    let (r, fast, slow) = same(src);
    assert!(kinds(&r).is_empty(), "{}", summary(&r));
    assert!(fast <= slow, "{fast} vs {slow} paths");
}

/// Out-writes of a thread whose paths take the lock a different number of
/// times before them: a state in which the thread made one section is
/// not followed by the out-writes of a path that made two first.  P0
/// takes the lock once or twice before it initialises `a` and adds it;
/// P1's walk finds `a` only with the initialisation published (its
/// plain read races with P0's later plain write: a data race).
#[test]
fn out_writes_follow_their_own_paths_sections() {
    let src = "C snap-paths\n{}\nstruct item { int v; struct list_head node; };\n\
LIST_HEAD(head);\nDEFINE_SPINLOCK(lock);\nstruct item a;\nint c;\n\
P0(void) { if (READ_ONCE(c)) { spin_lock(&lock); spin_unlock(&lock); } a.v = 1; INIT_LIST_HEAD(&a.node); spin_lock(&lock); list_add(&a.node, &head); spin_unlock(&lock); a.v = 5; }\n\
P1(void) { struct item *pos; int n = 0; spin_lock(&lock); list_for_each_entry(pos, &head, node) n += pos->v; spin_unlock(&lock); BUG_ON(n != 0 && n != 1 && n != 5); WARN_ON(n == 5); }\n\
P2(void) { WRITE_ONCE(c, 1); }\n";
    let (r, fast, slow) = same(src);
    assert_eq!(kinds(&r), ["data race", "warning"], "{}", summary(&r));
    assert!(fast <= slow, "{fast} vs {slow} paths");
}
