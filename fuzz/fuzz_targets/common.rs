//! Shared by the fuzz targets: source text to a lowered program.

#[allow(dead_code)]
pub fn lower(src: &str) -> Option<kvet_ir::Program> {
    let pre = kvet_ir::PRELUDE;
    match kvet_syntax::parse_with_prelude(pre, src).and_then(|f| kvet_ir::lower(&f, src, pre)) {
        Ok(p) => Some(p),
        Err(e) => {
            // every error must render with its location
            let _ = kvet_report::render_error("fuzz.kvet", src, pre, &e, false);
            None
        }
    }
}

#[allow(dead_code)]
pub fn explore_bounded(p: &kvet_ir::Program) {
    let opts = kvet_explore::Options { max_states: 2000, max_memory: 128 << 20, ..Default::default() };
    let ex = kvet_explore::explore(p, &opts);
    for v in &ex.violations {
        kvet_explore::replay(p, &v.path).expect("a found violation replays");
    }
}

#[allow(dead_code)]
pub fn lkmm(p: &kvet_ir::Program) {
    let model = kvet_axiom::native::NativeLkmm::new();
    let opts = kvet_axiom::gen::GenOptions {
        max_seconds: Some(1.0),
        max_traces: 1 << 12,
        max_memory: Some(256 << 20),
        ..Default::default()
    };
    let _ = kvet_axiom::gen::run(p, &model, &opts);
}
