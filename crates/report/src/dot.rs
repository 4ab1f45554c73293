//! The Graphviz view of one candidate execution of the axiomatic engine
//! (`kvet litmus --dot`, herd7's `-o DIR`/`-gv`): events grouped per
//! thread, with herd's edge names (po, rf, addr, data, ctrl, rmw, and fr
//! towards the final writes), after herd's own `.dot` output
//! (herd/pretty.ml).

use kvet_axiom::gen::LitmusResult;
use kvet_axiom::EventKind;
use kvet_ir::Program;

/// The Graphviz graph of the kept witness: events per thread, po, rf,
/// the dependencies and the final writes.
pub fn execution_dot(prog: &Program, r: &LitmusResult) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "digraph \"{}\" {{", prog.name);
    let _ = writeln!(s, "  node [shape=box, fontsize=10]; rankdir=TB;");
    let Some(w) = &r.witness else {
        let _ = writeln!(s, "  label=\"no allowed execution\";\n}}");
        return s;
    };
    let ex = &w.exec;
    let _ = writeln!(
        s,
        "  label=\"{} ({})\";",
        prog.name,
        if w.satisfies { "satisfies the condition" } else { "does not satisfy the condition" }
    );
    let mut threads: Vec<Option<u32>> = Vec::new();
    for e in ex.events() {
        if !threads.contains(&e.thread) {
            threads.push(e.thread);
        }
    }
    for t in &threads {
        let name = t.map_or("init".to_string(), |t| format!("P{t}"));
        let _ = writeln!(s, "  subgraph cluster_{name} {{ label=\"{name}\";");
        for (i, e) in ex.events().iter().enumerate().filter(|(_, e)| e.thread == *t) {
            let kind = match e.kind {
                EventKind::Read => "R",
                EventKind::Write => "W",
                EventKind::Fence => "F",
                EventKind::LockRead => "LKR",
                EventKind::LockWrite => "LKW",
                EventKind::Unlock => "UL",
                EventKind::LockFail => "LF",
                EventKind::ReadLocked => "RL",
                EventKind::ReadUnlocked => "RU",
                EventKind::Srcu => "SRCU",
            };
            let tags: Vec<&str> = e.tags.iter().map(|t| ex.tag_name(t)).collect();
            let tags = if tags.is_empty() { String::new() } else { format!("[{}]", tags.join(",")) };
            let loc = e.loc.map(|l| ex.locations()[l as usize].clone()).unwrap_or_default();
            let val = e.value.map(|v| format!("={}", prog.show_val(v, true))).unwrap_or_default();
            let _ = writeln!(s, "    e{i} [label=\"e{i}: {kind}{tags} {loc}{val}\"];");
        }
        let _ = writeln!(s, "  }}");
    }
    for (i, e) in ex.events().iter().enumerate() {
        if e.thread.is_none() {
            continue;
        }
        if let Some(j) = (i + 1..ex.len()).find(|&j| ex.event(j).thread == e.thread) {
            let _ = writeln!(s, "  e{i} -> e{j} [label=po, color=black];");
        }
    }
    for &(a, b) in ex.rf() {
        let _ = writeln!(s, "  e{a} -> e{b} [label=rf, color=red, constraint=false];");
    }
    for (name, rel, color) in [
        ("addr", ex.addr(), "indigo"),
        ("data", ex.data(), "indigo"),
        ("ctrl", ex.ctrl(), "indigo"),
        ("rmw", ex.rmw(), "darkorange"),
    ] {
        for &(a, b) in rel {
            let _ = writeln!(s, "  e{a} -> e{b} [label={name}, color={color}, style=dashed, constraint=false];");
        }
    }
    // fr towards the final writes: a read that does not read the co-last write.
    for &fw in ex.finals() {
        for &(w, r) in ex.rf() {
            if w != fw && ex.event(w).loc == ex.event(fw).loc {
                let _ = writeln!(s, "  e{r} -> e{fw} [label=fr, color=orange, constraint=false];");
            }
        }
        let _ = writeln!(s, "  e{fw} [penwidth=2];");
    }
    let _ = writeln!(s, "}}");
    s
}
