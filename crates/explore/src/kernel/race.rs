//! Data races: KCSAN's definition (two accesses to the same location, one
//! a write, one plain, that can run back to back).
//!
//! Source: Documentation/dev-tools/kcsan.rst, tools/memory-model.

use crate::machine::Machine;
use crate::{Violation, ViolationKind};

impl Machine<'_> {
    /// The shared access of CPU `t`'s next step, if it makes one to a
    /// cell of the program: (cell, write, plain). `race` reports a pair
    /// of these on one cell, one a write and one plain.
    #[inline]
    pub(crate) fn next_access(&self, s: &[i64], t: usize) -> Option<(u32, bool, bool)> {
        let (a, w, p) = self.instr_at(t, self.pc(s, t)).access()?;
        Some((self.cell(s, t, a)?, w, p))
    }

    /// Data race: the next steps of CPUs `t` and `u` access the same cell,
    /// one writes, and one is a plain access (KCSAN's definition).
    pub(crate) fn race(&self, s: &[i64], t: usize, u: usize) -> Option<Violation> {
        let (pt, pu) = (self.pc(s, t), self.pc(s, u));
        let (at, wt, plt) = self.instr_at(t, pt).access()?;
        let (au, wu, plu) = self.instr_at(u, pu).access()?;
        if !(wt || wu) || !(plt || plu) {
            return None;
        }
        let (ct, cu) = (self.cell(s, t, at)?, self.cell(s, u, au)?);
        if ct != cu {
            return None;
        }
        let desc =
            |w: bool, p: bool| format!("{} {}", if p { "plain" } else { "marked" }, if w { "write" } else { "read" });
        let msg = format!(
            "data race on {}: {} `{}` ({}) and {} `{}` ({}) can run back to back",
            self.prog.cell_name(ct),
            self.who(t),
            self.text(t as u32, pt),
            desc(wt, plt),
            self.who(u),
            self.text(u as u32, pu),
            desc(wu, plu)
        );
        Some(Violation { kind: ViolationKind::DataRace, thread: t as u32, pc: pt, message: msg, path: Vec::new() })
    }
}
