//! A progress display for long searches: an indicatif spinner on stderr
//! (states, states per second, depth, frontier, memory, elapsed time),
//! fed by the explorer's progress callback (`kvet_explore::explore_with`),
//! only when stderr is a terminal; it ends with one line saying what was
//! covered. Piped or redirected, nothing is drawn.

use kvet_explore::{Exploration, Options, Progress};
use kvet_ir::Program;
use std::io::IsTerminal;
use std::time::Duration;

/// Searches shorter than this draw nothing.
const QUIET_FOR: Duration = Duration::from_millis(500);

/// Explore `prog`, showing progress on a terminal.
pub fn explore(prog: &Program, opts: &Options, name: &str) -> Exploration {
    if !std::io::stderr().is_terminal() {
        return kvet_explore::explore(prog, opts);
    }
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr_with_hz(4));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {prefix}: {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_prefix(name.to_string());
    let mut shown = false;
    let ex = kvet_explore::explore_with(prog, opts, &mut |p: &Progress| {
        if p.elapsed_secs < QUIET_FOR.as_secs_f64() {
            return;
        }
        if !shown {
            bar.enable_steady_tick(Duration::from_millis(250));
            shown = true;
        }
        bar.set_message(line(p));
    });
    if shown {
        bar.finish_and_clear();
        let how = if ex.complete { "complete".to_string() } else { "partial: a bound was reached".to_string() };
        eprintln!("{name}: covered {} states ({} transitions), depth {}; {how}", ex.states, ex.transitions, ex.depth);
    }
    ex
}

/// `1234567 states (250000/s)  depth 41  frontier 80000  312 MiB  0:05`
pub fn line(p: &Progress) -> String {
    let rate = if p.elapsed_secs > 0.0 { p.states as f64 / p.elapsed_secs } else { 0.0 };
    let secs = p.elapsed_secs as u64;
    format!(
        "{} states ({:.0}/s)  depth {}  frontier {}  {} MiB  {}:{:02}",
        p.states,
        rate,
        p.depth,
        p.frontier,
        p.memory >> 20,
        secs / 60,
        secs % 60
    )
}
