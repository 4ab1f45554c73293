//! The HTML report (`kvet check --html FILE`): one self-contained page
//! (inline CSS and script, nothing fetched) with every finding of every
//! file checked. Each finding shows its message, its trace in CPU
//! columns at the scenario's level (a prelude call is one step; its
//! internal steps unfold under it), each step linked to its source line,
//! and, for the selected step, the values of the scenario's globals and
//! objects and which CPU holds or waits for which lock.

use crate::checked::{CheckedFile, Finding};
use crate::trace::{level_rows, LevelRow, TraceLevel};
use kvet_syntax::{line_col, PRELUDE_BASE};
use std::fmt::Write;

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; }
.verdict { font-weight: bold; } .ok { color: #176117; } .bug { color: #a11; }
.finding { border: 1px solid #ddd; border-radius: 6px; padding: 0.8em; margin: 1em 0; }
.message { font-family: monospace; background: #fff4f4; padding: 0.5em; border-left: 4px solid #c33; }
.layout { display: flex; gap: 1em; align-items: flex-start; flex-wrap: wrap; }
table.trace { border-collapse: collapse; font-family: monospace; font-size: 13px; }
table.trace th, table.trace td { border: 1px solid #e3e3e3; padding: 2px 6px; vertical-align: top; }
table.trace th.cpu { background: #eef; min-width: 18em; }
td.step { cursor: pointer; } td.step:hover { background: #f4f4ff; }
td.step.sel { background: #ffe9a8; } td.here { color: #a11; font-weight: bold; }
tr.internal td.step { color: #666; font-size: 12px; padding-left: 1.6em; }
tr.internal { display: none; } tr.internal.open { display: table-row; }
body.all-internals tr.internal { display: table-row; }
button.unfold { font-size: 10px; margin-right: 4px; padding: 0 3px; }
a.ln { color: #558; text-decoration: none; font-size: 11px; margin-left: 0.6em; }
.state { font-family: monospace; font-size: 12px; min-width: 22em; }
.state table { border-collapse: collapse; } .state td { border-bottom: 1px solid #eee; padding: 1px 6px; }
.state .changed { background: #dff5df; }
pre.src { font-size: 12px; background: #fafafa; border: 1px solid #eee; padding: 0.5em; max-height: 28em; overflow: auto; }
pre.src .line { display: block; } pre.src .line.hl { background: #ffe9a8; }
pre.src .no { color: #999; display: inline-block; width: 3.5em; user-select: none; }
"#;

const SCRIPT: &str = r#"
function showState(fid, at) {
  var data = JSON.parse(document.getElementById('data-' + fid).textContent);
  var st = data.states[at], prev = at > 0 ? data.states[at - 1] : null;
  var h = '<div><b>after move ' + at + '</b></div><table>';
  for (var i = 0; i < data.names.length; i++) {
    var ch = prev && prev.vals[i] !== st.vals[i] ? ' class="changed"' : '';
    h += '<tr' + ch + '><td>' + data.names[i] + '</td><td>' + st.vals[i] + '</td></tr>';
  }
  h += '</table><div><b>locks</b></div><ul class="locks">';
  st.locks.forEach(function (l) { h += '<li>' + l + '</li>'; });
  if (!st.locks.length) h += '<li>none held</li>';
  h += '</ul>';
  document.getElementById('state-' + fid).innerHTML = h;
}
function select(td) {
  document.querySelectorAll('td.step.sel').forEach(function (e) { e.classList.remove('sel'); });
  document.querySelectorAll('.line.hl').forEach(function (e) { e.classList.remove('hl'); });
  td.classList.add('sel');
  var l = document.getElementById(td.dataset.src);
  if (l) {
    l.classList.add('hl');
    var pre = l.parentNode;
    pre.scrollTop = Math.max(0, l.offsetTop - pre.offsetTop - pre.clientHeight / 3);
  }
  showState(td.dataset.finding, parseInt(td.dataset.at, 10));
}
document.querySelectorAll('td.step').forEach(function (td) {
  td.addEventListener('click', function () { select(td); });
});
document.querySelectorAll('button.unfold').forEach(function (b) {
  b.addEventListener('click', function (ev) {
    ev.stopPropagation();
    document.querySelectorAll('tr.internal[data-parent="' + b.dataset.group + '"]').forEach(function (tr) { tr.classList.toggle('open'); });
    b.textContent = b.textContent === '+' ? '-' : '+';
  });
});
document.getElementById('all-internals').addEventListener('change', function (ev) {
  document.body.classList.toggle('all-internals', ev.target.checked);
});
document.querySelectorAll('.finding').forEach(function (f) {
  var steps = f.querySelectorAll('td.step.here');
  if (!steps.length) steps = f.querySelectorAll('td.step');
  if (steps.length) select(steps[steps.length - 1]);
});
"#;

/// `f0-L12` or `prelude-L40`: the anchor of a source line.
fn anchor(fi: usize, offset: u32, src: &str, prelude: &str) -> (String, String) {
    if offset >= PRELUDE_BASE {
        let l = line_col(prelude, offset - PRELUDE_BASE).0;
        (format!("prelude-L{l}"), format!("prelude:{l}"))
    } else {
        let l = line_col(src, offset).0;
        (format!("f{fi}-L{l}"), l.to_string())
    }
}

#[allow(clippy::too_many_arguments)]
fn step_cell(
    out: &mut String,
    fid: &str,
    fi: usize,
    f: &CheckedFile,
    x: &Finding,
    r: &LevelRow,
    prelude: &str,
    group: Option<usize>,
) {
    let at = x.trace.rows.get(r.last).map_or(0, |t| t.at);
    let (id, label) = anchor(fi, r.offset, &f.src, prelude);
    let here = r.suffix.contains("<-- here") || r.suffix.contains("...waits") || r.suffix.contains("FAILS");
    let unfold = match group {
        Some(g) => format!(
            "<button class=\"unfold\" data-group=\"{fid}-g{g}\" title=\"show the steps inside this call\">+</button>"
        ),
        None => String::new(),
    };
    let _ = write!(
        out,
        "<td class=\"step{}\" data-finding=\"{fid}\" data-at=\"{at}\" data-src=\"{id}\">{unfold}{}<a class=\"ln\" href=\"#{id}\">[{}]</a></td>",
        if here { " here" } else { "" },
        esc(&r.text()),
        esc(&label)
    );
}

fn row(out: &mut String, ncpu: usize, cpu: u32, class: &str, parent: Option<&str>, cell: &str) {
    let p = parent.map(|p| format!(" data-parent=\"{p}\"")).unwrap_or_default();
    let _ = write!(out, "<tr class=\"{class}\"{p}>");
    for c in 0..ncpu {
        if c == cpu as usize {
            out.push_str(cell);
        } else {
            out.push_str("<td></td>");
        }
    }
    out.push_str("</tr>\n");
}

fn finding(out: &mut String, fi: usize, k: usize, f: &CheckedFile, x: &Finding, prelude: &str) {
    let fid = format!("f{fi}-{k}");
    let ncpu = f.prog.threads.len();
    let _ = writeln!(
        out,
        "<section class=\"finding\" id=\"{fid}\" data-kind=\"{}\">",
        esc(&crate::sarif::rule_id(x.violation.kind))
    );
    let _ = writeln!(out, "<h3>{}</h3>", esc(x.violation.kind.name()));
    let _ = writeln!(out, "<p class=\"message\">{}</p>", esc(&x.violation.message));
    let _ =
        writeln!(out, "<p class=\"replay\">replay: <code>kvet replay {} {}</code></p>", esc(&f.path), esc(&x.replay));
    out.push_str("<div class=\"layout\"><table class=\"trace\"><thead><tr>");
    for c in 0..ncpu {
        let _ = write!(out, "<th class=\"cpu\">CPU{c}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    let scen = level_rows(&f.prog, &x.trace, &f.src, prelude, TraceLevel::Scenario);
    let full = level_rows(&f.prog, &x.trace, &f.src, prelude, TraceLevel::Full);
    for (g, r) in scen.iter().enumerate() {
        let inner: Vec<&LevelRow> =
            if r.collapsed { full.iter().filter(|fr| r.covers.contains(&fr.last)).collect() } else { Vec::new() };
        let mut cell = String::new();
        step_cell(&mut cell, &fid, fi, f, x, r, prelude, (!inner.is_empty()).then_some(g));
        row(out, ncpu, r.cpu, if r.inner { "step inner" } else { "step" }, None, &cell);
        let parent = format!("{fid}-g{g}");
        for fr in inner {
            let mut cell = String::new();
            step_cell(&mut cell, &fid, fi, f, x, fr, prelude, None);
            row(out, ncpu, fr.cpu, "internal", Some(&parent), &cell);
        }
    }
    out.push_str("</tbody></table>\n");
    let _ = writeln!(out, "<div class=\"state\" id=\"state-{fid}\"></div></div>");
    // the state after each move, for the state panel
    let p = &f.prog;
    let names: Vec<String> = (0..p.ncells).map(|c| esc(&p.cell_name(c))).collect();
    let states: Vec<serde_json::Value> = x
        .trace
        .states
        .iter()
        .map(|s| {
            let mut vals: Vec<String> = s.mem.iter().map(|v| esc(&p.show_val(*v, false))).collect();
            // a held lock word reads as its holder, not as its encoding
            for &(c, t) in &s.holders {
                if let Some(v) = vals.get_mut(c as usize) {
                    *v = format!("held by CPU{t}");
                }
            }
            let mut locks: Vec<String> =
                s.holders.iter().map(|(c, t)| esc(&format!("{} held by CPU{t}", p.cell_name(*c)))).collect();
            locks.extend(
                s.waiters.iter().map(|(t, c)| esc(&format!("{} waits for {}", p.who(*t as usize), p.cell_name(*c)))),
            );
            serde_json::json!({ "vals": vals, "locks": locks })
        })
        .collect();
    let data = serde_json::json!({ "names": names, "states": states }).to_string().replace("</", "<\\/");
    let _ = writeln!(out, "<script type=\"application/json\" id=\"data-{fid}\">{data}</script>");
    out.push_str("</section>\n");
}

fn listing(out: &mut String, prefix: &str, text: &str) {
    out.push_str("<pre class=\"src\">");
    for (i, l) in text.lines().enumerate() {
        let _ = write!(
            out,
            "<span class=\"line\" id=\"{prefix}-L{}\"><span class=\"no\">{}</span>{}</span>",
            i + 1,
            i + 1,
            esc(l)
        );
    }
    out.push_str("</pre>\n");
}

/// The whole page.
pub fn html_report(files: &[CheckedFile], prelude: &str) -> String {
    let mut out = String::new();
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kvet report</title>\n<style>",
    );
    out.push_str(STYLE);
    out.push_str("</style></head><body>\n<h1>kvet report</h1>\n");
    let nf: usize = files.iter().map(|f| f.findings.len()).sum();
    let _ = writeln!(out, "<p>{} file(s) checked, {nf} finding(s). Click a step to see its source line and the state after it. <label><input type=\"checkbox\" id=\"all-internals\"> show the steps inside helper and prelude calls</label></p>", files.len());
    for (fi, f) in files.iter().enumerate() {
        let class = if f.verdict == "OK" { "ok" } else { "bug" };
        let _ = writeln!(out, "<section class=\"file\" id=\"f{fi}\"><h2>{} <span class=\"verdict {class}\">{}</span> <small>{} states</small></h2>", esc(&f.path), esc(&f.verdict), f.states);
        for (k, x) in f.findings.iter().enumerate() {
            finding(&mut out, fi, k, f, x, prelude);
        }
        let _ = writeln!(out, "<details open><summary>source of {}</summary>", esc(&f.path));
        listing(&mut out, &format!("f{fi}"), &f.src);
        out.push_str("</details></section>\n");
    }
    out.push_str("<details><summary>the prelude (kernel-like C that kvet parses before every scenario)</summary>\n");
    listing(&mut out, "prelude", prelude);
    out.push_str("</details>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script></body></html>\n");
    out
}
