//! herd7's verdict tables of the litmus corpus (`litmus/herd7-verdicts.tsv`
//! under the LKMM, `litmus/herd7-sc-verdicts.tsv` under `sc-kernel.cat`),
//! read in one place: one [`HerdRow`] per file, its columns by name.
//! The tables are tab-separated with `#` comment lines and a `file` header
//! line: file, verdict, positive, negative, states, flags, wall_s, status.

/// One file of a verdict table, each column as herd7's run wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HerdRow {
    /// The litmus file, relative to the table's directory.
    pub file: String,
    /// herd7's Observation (`Never`, `Sometimes`, `Always`).
    pub verdict: String,
    /// Executions satisfying the condition.
    pub positive: String,
    /// Executions not satisfying it.
    pub negative: String,
    /// Number of final states.
    pub states: String,
    /// herd's flags, comma-separated (empty for none).
    pub flags: String,
    /// herd7's wall time in seconds.
    pub wall_s: String,
    /// `ok`, `timeout`, `error`, `skipped`, `skipped-arch`, ...
    pub status: String,
}

impl HerdRow {
    /// Did herd7 decide the file (status `ok`)?
    pub fn decided(&self) -> bool {
        self.status == "ok"
    }
}

/// The rows of a verdict table's text (comment, header, empty and short
/// lines skipped).
pub fn herd_verdicts(text: &str) -> Vec<HerdRow> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("file\t") && !l.trim().is_empty())
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let [file, verdict, positive, negative, states, flags, wall_s, status, ..] = c.as_slice() else {
                return None;
            };
            Some(HerdRow {
                file: file.to_string(),
                verdict: verdict.to_string(),
                positive: positive.to_string(),
                negative: negative.to_string(),
                states: states.to_string(),
                flags: flags.to_string(),
                wall_s: wall_s.to_string(),
                status: status.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_by_name() {
        let t = "# comment\nfile\tverdict\tpositive\tnegative\tstates\tflags\twall_s\tstatus\n\
                 a.litmus\tSometimes\t1\t3\t4\t\t0.035\tok\nshort\tline\n\nb.litmus\t\t\t\t\t\t60\ttimeout\n";
        let rows = herd_verdicts(t);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].file, "a.litmus");
        assert_eq!((rows[0].positive.as_str(), rows[0].states.as_str(), rows[0].flags.as_str()), ("1", "4", ""));
        assert!(rows[0].decided());
        assert!(!rows[1].decided());
    }
}
