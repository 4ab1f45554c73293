//! The `herd7` binary: herd7's command line over kvet's LKMM engine
//! (see `kvet::herd7`; the same as `kvet herd7 ...`).

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::ExitCode::from(kvet::herd7::main_with(&args))
}
