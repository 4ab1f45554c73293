//! The `herd7` binary: herd7's command line over kvet's LKMM engine
//! (see `herd7.rs`; the same as `kvet herd7 ...`).

#[path = "../herd7.rs"]
mod herd7;
#[path = "../litmus_lkmm.rs"]
#[allow(dead_code)]
mod litmus_lkmm;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::ExitCode::from(herd7::main_with(&args))
}
