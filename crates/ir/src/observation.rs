//! What a final condition's verdict is called: the quantifier keywords
//! as herd7 prints them (`exists`, `~exists`, `forall`: herd's
//! `ConstrGen` dumper) and herd7's `Observation` word (herd/top_herd.ml:
//! `Never` when no execution satisfies the proposition, `Always` when all
//! do, `Sometimes` otherwise). Every command and the report use these.

use crate::Quant;
use std::fmt;

impl Quant {
    /// The keyword of the final clause: `exists`, `~exists` or `forall`.
    pub fn keyword(self) -> &'static str {
        match self {
            Quant::Exists => "exists",
            Quant::NotExists => "~exists",
            Quant::Forall => "forall",
        }
    }
}

impl fmt::Display for Quant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// herd7's Observation: in how many executions (or outcomes) the
/// proposition of the final condition holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Observation {
    /// In none.
    Never,
    /// In some but not all.
    Sometimes,
    /// In all of them (and at least one).
    Always,
}

impl Observation {
    /// The Observation of `pos` executions satisfying the proposition and
    /// `neg` not satisfying it (herd: `Never` if `pos` is 0, else `Always`
    /// if `neg` is 0).
    pub fn of(pos: u64, neg: u64) -> Observation {
        if pos == 0 {
            Observation::Never
        } else if neg == 0 {
            Observation::Always
        } else {
            Observation::Sometimes
        }
    }

    /// herd's word: `Never`, `Sometimes` or `Always`.
    pub fn as_str(self) -> &'static str {
        match self {
            Observation::Never => "Never",
            Observation::Sometimes => "Sometimes",
            Observation::Always => "Always",
        }
    }

    /// Read herd's word, in any case (a `Result:` comment).
    pub fn parse(s: &str) -> Option<Observation> {
        [Observation::Never, Observation::Sometimes, Observation::Always]
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn herds_rule() {
        assert_eq!(Observation::of(0, 0), Observation::Never);
        assert_eq!(Observation::of(0, 3), Observation::Never);
        assert_eq!(Observation::of(2, 0), Observation::Always);
        assert_eq!(Observation::of(1, 1), Observation::Sometimes);
        assert_eq!(Observation::parse("sometimes"), Some(Observation::Sometimes));
        assert_eq!(Observation::parse("DEADLOCK"), None);
        assert_eq!(Quant::NotExists.to_string(), "~exists");
        assert_eq!(Observation::Always.to_string(), "Always");
    }
}
