//! The HTML report in a real browser: `kvet check --html` on seed 001
//! (the tasklist_lock/IPI deadlock), opened in headless Chromium; the
//! test reads the page's DOM after its script ran (three CPU columns,
//! the finding, the state panel) and takes a screenshot. Skipped, with a
//! message, when no `chromium` is installed (Debian: `apt-get install
//! chromium`; .ci/run installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Run headless Chromium on `page` with `extra` arguments; its stdout.
fn run_chromium(bin: &Path, dir: &Path, page: &Path, extra: &[String]) -> String {
    let profile = dir.join(format!("profile-{}", extra.len()));
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    // a file, not a pipe: the DOM is larger than a pipe's buffer
    .stdout(std::fs::File::create(dir.join("stdout")).expect("chromium's stdout file"))
    .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("start chromium");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait chromium").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    String::from_utf8_lossy(&std::fs::read(dir.join("stdout")).expect("chromium's stdout")).into_owned()
}

#[test]
fn seed_001_deadlock_page_in_chromium() {
    let Some(bin) = chromium() else {
        eprintln!("SKIPPED: no chromium on PATH (Debian: apt-get install -y chromium); the HTML report was not opened in a browser");
        return;
    };
    let dir = std::env::temp_dir().join(format!("kvet-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seeds/001-tasklist-ipi/buggy.kvet");
    let o = Command::new(env!("CARGO_BIN_EXE_kvet")).args(["check", seed, "--html"]).arg(&page).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "the page must need no network");

    let dom = run_chromium(&bin, &dir, &page, &["--dump-dom".to_string()]);
    // the deadlock's section, after the page's script ran
    let start = dom.find("data-kind=\"deadlock\"").expect("a deadlock finding in the DOM");
    let sec = &dom[start..dom[start..].find("</section>").map_or(dom.len(), |e| start + e)];
    let cpus: Vec<&str> = sec.match_indices("<th class=\"cpu\">").map(|(i, _)| &sec[i + 16..i + 20]).collect();
    assert_eq!(cpus, ["CPU0", "CPU1", "CPU2"], "three CPU columns");
    assert!(sec.contains("<h3>deadlock</h3>"));
    assert!(
        sec.contains("CPU0 waits in write_lock(tasklist_lock) for 1 reader(s), CPU1 waits for CPU0 to answer its IPI"),
        "the finding's message"
    );
    // the script selected the finding's step: its source line is lit and
    // the state panel shows the locks
    assert!(sec.contains("step here sel") || sec.contains("here sel"), "the finding's step is selected");
    assert!(sec.contains("ptl held by CPU1"), "the state panel names the lock holder");
    assert!(sec.contains("CPU2 waits for ptl"), "and its waiter");
    assert!(dom.contains("class=\"line hl\""), "the selected step's source line is highlighted");

    let shot = dir.join("seed-001.png");
    run_chromium(
        &bin,
        &dir,
        &page,
        &[format!("--screenshot={}", shot.display()), "--window-size=1500,1100".to_string()],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.len() > 10_000 && png.starts_with(b"\x89PNG"), "a PNG screenshot");
    if let Some(keep) = std::env::var_os("KVET_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
