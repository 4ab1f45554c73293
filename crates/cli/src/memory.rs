//! The search's memory budget, read from Linux's /proc files (none
//! elsewhere: the defaults then apply).

/// The search's memory budget in bytes: the bound (`--max-memory` MiB,
/// or three quarters of the machine's available memory) less what the
/// process already holds (its code, the program, the parse).
pub(crate) fn search_memory(mib: Option<u64>) -> u64 {
    let bound = match mib {
        Some(m) => m.saturating_mul(1 << 20),
        None => meminfo_kib("/proc/meminfo", "MemAvailable:").map_or(8 << 30, |k| k * 1024 / 4 * 3),
    };
    let held = meminfo_kib("/proc/self/status", "VmRSS:").map_or(0, |k| k * 1024);
    bound.saturating_sub(held)
}

/// A `Key:   N kB` line of a /proc file, in KiB (Linux; None elsewhere).
pub(crate) fn meminfo_kib(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// Peak resident memory of this process in bytes (Linux), for `--stats`.
pub(crate) fn peak_rss() -> Option<u64> {
    meminfo_kib("/proc/self/status", "VmHWM:").map(|k| k * 1024)
}
