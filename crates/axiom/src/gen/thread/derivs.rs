//! Interned derivations: the [`Derivs`] of a walk's event values, each
//! held once and named by a `u32` id, with the results of
//! [`Derivs::join`] and [`Derivs::through`] on ids remembered.
//!
//! Source: the value fixpoint's site sets (see [`super::super::sites`]).
//! A `Derivs` of 8 site sets is 257 bytes; a walk makes millions of
//! events but only a few hundred distinct derivations, so the paths
//! carry ids (`St::rmask`) and every operation is computed once per
//! distinct operand pair.  The results are those of the operations on
//! the values themselves, in the same order.

use super::super::{Derivs, Sites};
use rustc_hash::FxHashMap;
use std::cell::RefCell;

/// The id of [`Derivs::FREE`].
pub(super) const FREE: u32 = 0;

/// One walk's interned derivations.
pub(super) struct DerivIds {
    inner: RefCell<Inner>,
}

struct Inner {
    list: Vec<Derivs>,
    ids: FxHashMap<Derivs, u32>,
    joins: FxHashMap<(u32, u32), u32>,
    throughs: FxHashMap<(u32, u32), u32>,
}

impl Default for DerivIds {
    fn default() -> Self {
        let mut ids = FxHashMap::default();
        ids.insert(Derivs::FREE, FREE);
        DerivIds {
            inner: RefCell::new(Inner {
                list: vec![Derivs::FREE],
                ids,
                joins: Default::default(),
                throughs: Default::default(),
            }),
        }
    }
}

impl Inner {
    fn intern(&mut self, d: Derivs) -> u32 {
        let list = &mut self.list;
        *self.ids.entry(d).or_insert_with(|| {
            list.push(d);
            list.len() as u32 - 1
        })
    }
}

impl DerivIds {
    /// The id of `d`.
    pub(super) fn intern(&self, d: Derivs) -> u32 {
        if d == Derivs::FREE {
            return FREE;
        }
        self.inner.borrow_mut().intern(d)
    }

    /// The derivations named `id`.
    pub(super) fn get(&self, id: u32) -> Derivs {
        self.inner.borrow().list.get(id as usize).copied().unwrap_or(Derivs::FREE)
    }

    /// [`Derivs::join`] of `a` with `b`.
    pub(super) fn join(&self, a: u32, b: u32) -> u32 {
        let mut t = self.inner.borrow_mut();
        if let Some(&r) = t.joins.get(&(a, b)) {
            return r;
        }
        let d = t.list[a as usize].join(&t.list[b as usize]);
        let r = t.intern(d);
        t.joins.insert((a, b), r);
        r
    }

    /// [`Derivs::through`] of `a` and site `site`.
    pub(super) fn through(&self, a: u32, site: u32) -> u32 {
        let mut t = self.inner.borrow_mut();
        if let Some(&r) = t.throughs.get(&(a, site)) {
            return r;
        }
        let d = t.list[a as usize].through(Sites::one(site));
        let r = t.intern(d);
        t.throughs.insert((a, site), r);
        r
    }
}
