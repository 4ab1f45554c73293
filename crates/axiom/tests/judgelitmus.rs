//! The kernel's judgelitmus.sh (tools/memory-model/scripts/judgelitmus.sh)
//! applied to kvet's results: the first `^[( ]\* Result: ` comment of a
//! file gives the expected outcome (Never/Sometimes/Always, `DEADLOCK`
//! meaning `Never 0 0`, `Maybe` accepting anything) and whether a data race
//! is predicted (`DATARACE` on that line); the Observation line must
//! contain the outcome and `Flag data-race` must appear exactly when a race
//! is predicted.
//!
//! For the files herd7 decided, kvet's judgement must equal herd7's; files
//! whose comment disagrees with the model are listed.  Files herd7 failed
//! on or timed out on are run too (with a time limit) and their verdicts
//! and times printed.

use kvet_axiom::gen::{run, GenOptions, LitmusResult};
use kvet_axiom::native::NativeLkmm;
use std::path::PathBuf;
use std::time::Instant;

fn litmus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/litmus"))
}

/// (outcome, data race predicted) from the `Result:` comment.
fn expected(src: &str) -> Option<(String, bool)> {
    let line = src.lines().find(|l| l.starts_with(" * Result: ") || l.starts_with("(* Result: "))?;
    let outcome = line.split_whitespace().nth(2)?.to_string();
    Some((outcome, line.contains("DATARACE")))
}

/// judgelitmus.sh's verdict: `Ok(())` or the message it prints.
fn judge(exp: &(String, bool), verdict: &str, pos: u64, neg: u64, race: bool) -> Result<(), String> {
    let (outcome, predicted) = exp;
    if *predicted && !race {
        return Err("!!! Predicted data race not modeled".into());
    }
    if !*predicted && race {
        return Err("!!! Unexpected data race modeled".into());
    }
    let ok = if outcome == "DEADLOCK" {
        verdict == "Never" && pos == 0 && neg == 0
    } else {
        outcome == "Maybe" || format!("{verdict} {pos} {neg}").contains(outcome.as_str())
    };
    if ok {
        Ok(())
    } else {
        Err(format!("!!! Unexpected non-{outcome} verification"))
    }
}

fn verdict(r: &LitmusResult) -> &'static str {
    kvet_ir::Observation::of(r.pos, r.neg).as_str()
}

#[test]
fn judgelitmus() {
    let text = std::fs::read_to_string(litmus_dir().join("herd7-verdicts.tsv")).expect("verdict table");
    let model = NativeLkmm::new().allowed_only();
    let (mut judged, mut comment_mismatch) = (0, Vec::new());
    let mut disagreements = Vec::new();
    let mut others = Vec::new();
    for f in kvet_syntax::herd_verdicts(&text) {
        if f.status == "skipped-arch" {
            continue;
        }
        let src = std::fs::read_to_string(litmus_dir().join(&f.file)).expect("read");
        let t0 = Instant::now();
        let res = kvet_ir::compile(&src).map_err(|e| format!("front end: {}", e.message)).and_then(|p| {
            run(
                &p,
                &model,
                &GenOptions { max_seconds: Some(if f.decided() { 30.0 } else { 2.0 }), ..Default::default() },
            )
            .map_err(|e| e.to_string())
        });
        let secs = t0.elapsed().as_secs_f64();
        if !f.decided() {
            others.push(match &res {
                Ok(r) => format!(
                    "{} (herd7 {}): kvet {} {} {} states={} flags={} in {secs:.2}s",
                    f.file,
                    f.status,
                    verdict(r),
                    r.pos,
                    r.neg,
                    r.outcomes.len(),
                    r.flags.join(",")
                ),
                Err(e) => format!("{} (herd7 {}): kvet error: {e} ({secs:.2}s)", f.file, f.status),
            });
            continue;
        }
        let Some(exp) = expected(&src) else { continue };
        let r = res.unwrap_or_else(|e| panic!("{}: {e}", f.file));
        judged += 1;
        let mine = judge(&exp, verdict(&r), r.pos, r.neg, r.flags.iter().any(|x| x == "data-race"));
        let herd = judge(
            &exp,
            &f.verdict,
            f.positive.parse().unwrap_or(0),
            f.negative.parse().unwrap_or(0),
            f.flags.split(',').any(|x| x == "data-race"),
        );
        if mine != herd {
            disagreements.push(format!("{}: kvet {mine:?}, herd7 {herd:?}", f.file));
        }
        if let Err(m) = mine {
            comment_mismatch.push(format!(
                "{}: {m} (Result: {} {}; got {} {} {})",
                f.file,
                exp.0,
                if exp.1 { "DATARACE" } else { "" },
                verdict(&r),
                r.pos,
                r.neg
            ));
        }
    }
    println!("judgelitmus: {judged} files with a Result: comment judged, {} where the comment and the model disagree (same as herd7: {})", comment_mismatch.len(), disagreements.is_empty());
    for m in &comment_mismatch {
        println!("  {m}");
    }
    println!("files herd7 did not decide:");
    for o in &others {
        println!("  {o}");
    }
    assert!(disagreements.is_empty(), "kvet and herd7 judge differently:\n{}", disagreements.join("\n"));
}
