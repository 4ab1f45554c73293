//! Regression tests for texts in traces and messages that were wrong:
//! each names the statement that actually ran, the right CPU, the whole
//! lock chain, and no raw IR.

use kvet_explore::{explore, replay, Options, ViolationKind};
use kvet_report::{level_rows, TraceLevel};

fn first(src: &str, kind: ViolationKind) -> (kvet_ir::Program, kvet_explore::TraceRecord) {
    let prog = kvet_ir::compile(src).unwrap_or_else(|e| panic!("{}", e.message));
    let ex = explore(&prog, &Options::default());
    let v =
        ex.violations.iter().find(|v| v.kind == kind).unwrap_or_else(|| panic!("no {kind:?} in {:?}", ex.violations));
    let tr = replay(&prog, &v.path).unwrap();
    (prog, tr)
}

fn rows(src: &str, kind: ViolationKind, level: TraceLevel) -> (Vec<(String, String)>, String) {
    let (prog, tr) = first(src, kind);
    let rows = level_rows(&prog, &tr, src, kvet_ir::PRELUDE, level).into_iter().map(|r| (r.text(), r.line)).collect();
    (rows, tr.violation.unwrap().message)
}

/// The step where a function's locals die is its closing brace, not its
/// last statement (which here never ran: the function returned early).
#[test]
fn locals_die_at_the_closing_brace() {
    let src = "C t\n{}\nint *p;\nint stop;\nvoid f(void)\n{\n\tint local = 1;\n\tWRITE_ONCE(p, &local);\n\tif (READ_ONCE(stop) == 0)\n\t\treturn;\n\tWRITE_ONCE(stop, 5);\n}\nP0(void) { f(); }\nP1(void) { int *q = READ_ONCE(p); if (q) WRITE_ONCE(*q, 2); }\n";
    for level in [TraceLevel::Full, TraceLevel::Scenario] {
        let (rows, _) = rows(src, ViolationKind::UseAfterScope, level);
        assert!(rows.iter().all(|(t, _)| !t.contains("WRITE_ONCE(stop, 5)")), "{rows:#?}");
        assert!(
            rows.contains(&("return from f(): its locals go out of scope".to_string(), "12".to_string())),
            "{rows:#?}"
        );
    }
}

#[test]
fn parenthesised_postfix_keeps_its_parenthesis() {
    let src = "C t\n{}\nint x;\nP0(void) { int *p = &x; (*p)++; }\nP1(void) { int *p = &x; (*p)++; }\n";
    let prog = kvet_ir::compile(src).unwrap();
    let texts: Vec<&str> =
        prog.threads[0].body.steps.iter().map(|s| s.text.as_str()).filter(|t| !t.is_empty()).collect();
    assert!(texts.contains(&"(*p)++"), "{texts:?}");
    assert!(texts.iter().all(|t| !t.starts_with("*p)")), "{texts:?}");
}

/// A call through a function pointer: the argument loads of every
/// candidate carry the call's own line, not the previous candidate's.
#[test]
fn call_through_a_pointer_keeps_its_line() {
    let src = "C t\n{}\nstruct vtask { void (*fn)(int *); int *data; };\nint a;\nstruct vtask vt;\nvoid first(int *d)\n{\n\tWRITE_ONCE(*d, 1);\n}\nvoid second(int *d)\n{\n\tWRITE_ONCE(*d, 2);\n}\nP0(void)\n{\n\tstruct vtask *vtsk = &vt;\n\tvtsk->fn = first;\n\tvtsk->fn = second;\n\tvtsk->data = &a;\n\tvtsk->fn(vtsk->data);\n}\n";
    let prog = kvet_ir::compile(src).unwrap_or_else(|e| panic!("{}", e.message));
    let body = &prog.threads[0].body;
    // (the candidates include prelude functions whose address is taken
    // there; their own loads are theirs)
    let loads: Vec<_> = body
        .steps
        .iter()
        .filter(|s| matches!(s.instr, kvet_ir::Instr::Load { .. }) && s.span.lo < kvet_syntax::PRELUDE_BASE)
        .filter(|s| !(8..=13).contains(&kvet_syntax::line_col(src, s.span.lo).0))
        .collect();
    assert!(loads.len() >= 3, "{loads:#?}");
    for s in loads {
        assert_eq!(kvet_syntax::line_col(src, s.span.lo).0, 20, "{s:?}");
        assert_eq!(s.text, "vtsk->fn(vtsk->data)");
    }
}

/// lockdep: the handler's CPU is not the one that held the lock with
/// interrupts enabled.
#[test]
fn lockdep_names_the_handlers_cpu_as_such() {
    let src = "C t\n{}\nspinlock_t lock;\nint counter;\nP0(void) { spin_lock(&lock); counter++; spin_unlock(&lock); }\nP1(void) { }\nIRQ(1) void timer_irq(void) { spin_lock(&lock); counter++; spin_unlock(&lock); }\n";
    let prog = kvet_ir::compile(src).unwrap();
    let ex = explore(&prog, &Options::default());
    let msgs: Vec<&str> =
        ex.violations.iter().filter(|v| v.kind == ViolationKind::Lockdep).map(|v| v.message.as_str()).collect();
    assert!(!msgs.is_empty());
    for m in msgs {
        assert!(!m.contains("held with interrupts enabled on CPU1"), "{m}");
        assert!(m.contains("enabled on CPU0") || m.contains("taken in a hardirq handler on CPU1"), "{m}");
    }
    // the trace names the CPU that took it with interrupts on
    for v in ex.violations.iter().filter(|v| v.kind == ViolationKind::Lockdep) {
        let m = replay(&prog, &v.path).unwrap().violation.unwrap().message;
        assert!(m.contains("interrupts enabled on CPU0"), "{m}");
        assert!(!m.contains("enabled on CPU1"), "{m}");
    }
}

#[test]
fn replay_error_names_the_move() {
    let src = "C t\n{}\nint x;\nP0(void) { WRITE_ONCE(x, 1); }\nP1(void) { WRITE_ONCE(x, 2); }\n";
    let prog = kvet_ir::compile(src).unwrap();
    let e = replay(&prog, &[0, 5]).unwrap_err().to_string();
    assert!(e.contains("move 5") && e.contains("CPU1 starting handler 1"), "{e}");
    assert!(!e.contains("moves CPU1,"), "{e}");
}

#[test]
fn division_by_zero_prints_the_statement() {
    let src = "C t\n{}\nint x;\nP0(void) { int r = READ_ONCE(x); int q = 10 / r; WRITE_ONCE(x, q); }\n";
    let (rows, msg) = rows(src, ViolationKind::Assertion, TraceLevel::Full);
    assert_eq!(msg, "division by zero");
    assert!(rows.iter().all(|(t, _)| !t.contains("Bin(")), "{rows:#?}");
    assert!(rows.iter().any(|(t, _)| t.starts_with("int q = 10 / r")), "{rows:#?}");
}

/// A lock-order inversion through a third lock prints the whole chain.
#[test]
fn lock_order_prints_the_whole_chain() {
    let src = "C t\n{}\nspinlock_t a;\nspinlock_t b;\nspinlock_t c;\nP0(void) { spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }\nP1(void) { spin_lock(&b); spin_lock(&c); spin_unlock(&c); spin_unlock(&b); }\nP2(void) { spin_lock(&c); spin_lock(&a); spin_unlock(&a); spin_unlock(&c); }\n";
    let prog = kvet_ir::compile(src).unwrap();
    let ex = explore(&prog, &Options::default());
    let v = ex.violations.iter().find(|v| v.kind == ViolationKind::LockOrder).expect("a lock-order finding");
    // `takes X while holding Y, but X -> Z -> Y was taken in that order before`
    let chain = v.message.split("but ").nth(1).and_then(|s| s.split(" was").next()).unwrap();
    assert_eq!(chain.split(" -> ").count(), 3, "{}", v.message);
}

/// Seed 000's default trace fits on one screen.
#[test]
fn seed_000_trace_is_short() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/seeds/000-unlock-page-wake/buggy.kvet"
    ))
    .unwrap();
    let (prog, tr) = first(&src, ViolationKind::UseAfterFree);
    let text = kvet_report::render_trace(&prog, &tr, &src, kvet_ir::PRELUDE);
    assert!(text.lines().count() < 25, "{text}");
    assert!(text.contains("__add_wait_queue_entry_tail(q, wait)"), "{text}");
    assert!(!text.contains("__list_add"), "{text}");
    // no row cut inside a token: every wrapped piece is whole
    assert!(text.contains("clear_bit_unlock_is_negative_byte(PG_locked, &page->flags)"), "{text}");
}

/// The explorer's progress callback sees the search grow and does not
/// change it; piped, `kvet check` draws nothing on stderr.
#[test]
fn progress_is_reported_and_silent_when_piped() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/bench/counter-5.litmus");
    let src = std::fs::read_to_string(path).unwrap();
    let prog = kvet_ir::compile(&src).unwrap();
    let plain = explore(&prog, &Options::default());
    let mut seen = Vec::new();
    let with = kvet_explore::explore_with(&prog, &Options::default(), &mut |p| seen.push(*p));
    assert_eq!((plain.states, plain.transitions, plain.depth), (with.states, with.transitions, with.depth));
    assert!(
        !seen.is_empty() && seen.len() as u64 <= plain.states / 4096,
        "at most one report per 4096 states: {}",
        seen.len()
    );
    assert!(seen.windows(2).all(|w| w[0].states < w[1].states && w[0].elapsed_secs <= w[1].elapsed_secs));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kvet")).args(["check", path]).output().unwrap();
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// An LKMM trace shows the critical sections of a spinlock one after the
/// other, in the order the execution forces (lock.cat gives an LKR no
/// source of its own, so only rf between the sections tells it): here
/// CPU1's section comes first, since CPU0's increment reads its value.
#[test]
fn lkmm_trace_shows_critical_sections_in_lock_order() {
    let (rows, _) = lkmm_trace("basics/locked-update.kvet", "assertion failure");
    let seq: Vec<(u32, &str)> = rows.iter().map(|r| (r.cpu, r.text.as_str())).take(6).collect();
    assert_eq!(
        seq,
        [
            (1, "spin_lock(&lock)"),
            (1, "counter++  -> 0"),
            (1, "spin_unlock(&lock)"),
            (0, "spin_lock(&lock)"),
            (0, "counter++  -> 1"),
            (0, "spin_unlock(&lock)")
        ],
        "{rows:#?}"
    );
}

/// The rows and weak-step notes of the first LKMM finding of `kind` in
/// the example `file`.
fn lkmm_trace(file: &str, kind: &str) -> (Vec<kvet_report::RowText>, Vec<String>) {
    use kvet_axiom::gen::{run, GenOptions};
    let path = format!("{}/../../examples/{file}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(path).unwrap();
    let prog = kvet_ir::compile(&src).unwrap();
    let opts = GenOptions { deadlocks: true, kernel: true, max_work: Some(10_000), ..Default::default() };
    let r = run(&prog, &kvet_axiom::native::NativeLkmm::new().allowed_only(), &opts).unwrap();
    let f = r.findings.iter().find(|f| f.kind.name() == kind).unwrap_or_else(|| panic!("no {kind} in {file}"));
    kvet_report::lkmm_rows(&prog, f, &src, kvet_ir::PRELUDE)
}

/// A weak step is named by its shape: message passing (the reader saw
/// the writer's later store but not its earlier one), store buffering
/// (each CPU's load missed the other's store); and a failure that an SC
/// schedule also shows (checking the condition before set_current_state())
/// is shown as that schedule, with no weak step.
#[test]
fn lkmm_weak_steps_are_named_by_their_shape() {
    let (_, mp) = lkmm_trace("kernel/done-flag.kvet", "BUG");
    assert_eq!(mp.len(), 1, "{mp:#?}");
    assert!(mp[0].contains("although its READ_ONCE(req.done) [33] saw CPU0's later smp_store_release(&req.done, 1) [28] (message passing)"), "{mp:#?}");
    let (_, sb) = lkmm_trace("kernel/set-current-state.kvet", "hang");
    assert_eq!(sb.len(), 1, "{sb:#?}");
    assert!(sb[0].contains("nothing orders CPU0's store [28] before its later load [31] (store buffering)"), "{sb:#?}");
    let (rows, none) = lkmm_trace("kernel/lost-wakeup.kvet", "hang");
    assert!(none.is_empty(), "{none:#?}");
    let at = |t: &str| rows.iter().position(|r| r.text.starts_with(t)).unwrap_or_else(|| panic!("{t}: {rows:#?}"));
    // CPU0 reads cond = 0, CPU1 sets it and wakes CPU0 (still running),
    // then CPU0 goes to sleep
    assert!(at("READ_ONCE(cond)") < at("WRITE_ONCE(cond, 1)"));
    assert!(at("wake_up_process(t)") < at("set_current_state(TASK_UNINTERRUPTIBLE)"));
}
