//! Dependency sets of one thread's trace: which earlier events of the
//! same path an event's address, data or control depends on (herd's
//! `addr`, `data` and `ctrl`, see [`super::thread`]).
//!
//! Source: herd7's C event structures (`herd/CSem.ml`), whose dependency
//! relations relate events of one thread's path.  A set is a fixed-size
//! bitset over the path's event indices, copied like an integer; its
//! width bounds the events of one path ([`MAX_TRACE_EVENTS`]): a kernel
//! thread that exits (`do_exit()`, the prelude's task teardown) makes
//! well over 128.

/// 64-bit words of one set.
const WORDS: usize = 4;

/// Most events one trace may hold: the width of a [`Deps`].
pub const MAX_TRACE_EVENTS: usize = WORDS * 64;

/// A set of events of one trace (bit `i` = event `i` of the trace).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Deps([u64; WORDS]);

impl Deps {
    /// The empty set.
    pub const NONE: Deps = Deps([0; WORDS]);

    /// The set of event `i` alone (`i < MAX_TRACE_EVENTS`, which
    /// `Walker::push` keeps).
    pub fn bit(i: usize) -> Deps {
        let mut d = Deps::NONE;
        if let Some(w) = d.0.get_mut(i / 64) {
            *w = 1 << (i % 64);
        }
        d
    }

    /// No event.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The events of the set, in increasing order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        self.0.into_iter().enumerate().flat_map(|(k, mut w)| {
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let i = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(k * 64 + i)
            })
        })
    }
}

impl std::ops::BitOr for Deps {
    type Output = Deps;
    fn bitor(mut self, o: Deps) -> Deps {
        self |= o;
        self
    }
}

impl std::ops::BitOrAssign for Deps {
    fn bitor_assign(&mut self, o: Deps) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a |= b;
        }
    }
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_union_and_order() {
        let d = Deps::bit(3) | Deps::bit(200) | Deps::bit(64) | Deps::bit(MAX_TRACE_EVENTS - 1);
        assert_eq!(d.iter().collect::<Vec<_>>(), vec![3, 64, 200, MAX_TRACE_EVENTS - 1]);
        assert!(Deps::NONE.is_empty() && !d.is_empty());
        assert_eq!(Deps::bit(MAX_TRACE_EVENTS), Deps::NONE);
    }
}
