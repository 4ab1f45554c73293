//! Bit-set and bit-matrix representation of event sets and relations.
//!
//! Source: the set/relation algebra of herd7's cat language (herd7 manual,
//! "cat" chapter; `lib/innerRel.ml` in herdtools7).  A set of events is one
//! [`Row`]; a relation is a square matrix of rows ([`Rel`]), row `i` holding
//! the successors of event `i`.
//!
//! Two row types share every algorithm: `u64` (fast path, at most 64 events)
//! and [`Wide`] (any size, a boxed slice of words).

use std::fmt::Debug;
use std::hash::Hash;

/// One row of a bit matrix, i.e. a set of event indices.
pub trait Row: Clone + Eq + Ord + Hash + Debug + 'static {
    /// Empty row for a universe of `n` events.
    fn zeros(n: usize) -> Self;
    /// Row containing every event `0..n`.
    fn ones(n: usize) -> Self {
        let mut r = Self::zeros(n);
        for i in 0..n {
            r.insert(i);
        }
        r
    }
    /// Build from little-endian words (bit `i` of word `i/64`).
    fn from_words(n: usize, words: &[u64]) -> Self;
    /// Membership test.
    fn contains(&self, i: usize) -> bool;
    /// Add `i`.
    fn insert(&mut self, i: usize);
    /// Remove `i`.
    fn remove(&mut self, i: usize);
    /// `self |= o`.
    fn union_with(&mut self, o: &Self);
    /// `self &= o`.
    fn inter_with(&mut self, o: &Self);
    /// `self &= !o`.
    fn diff_with(&mut self, o: &Self);
    /// Remove every element.
    fn clear(&mut self);
    /// Is the row empty?
    fn is_empty(&self) -> bool;
    /// Do the rows share an element?
    fn intersects(&self, o: &Self) -> bool;
    /// Is `self` a subset of `o`?
    fn is_subset(&self, o: &Self) -> bool;
    /// Number of elements.
    fn count(&self) -> usize;
    /// Smallest element.
    fn first(&self) -> Option<usize>;
    /// Next element `>= from`.
    fn next_from(&self, from: usize) -> Option<usize>;
    /// Iterate over elements in increasing order.
    fn iter(&self) -> RowIter<'_, Self> {
        RowIter { row: self, next: 0 }
    }
}

/// Iterator over the elements of a [`Row`].
pub struct RowIter<'a, R: Row> {
    row: &'a R,
    next: usize,
}

impl<R: Row> Iterator for RowIter<'_, R> {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        let i = self.row.next_from(self.next)?;
        self.next = i + 1;
        Some(i)
    }
}

impl Row for u64 {
    #[inline]
    fn zeros(_n: usize) -> Self {
        0
    }
    #[inline]
    fn ones(n: usize) -> Self {
        if n >= 64 {
            u64::MAX
        } else {
            (1u64 << n) - 1
        }
    }
    #[inline]
    fn from_words(_n: usize, words: &[u64]) -> Self {
        words.first().copied().unwrap_or(0)
    }
    #[inline]
    fn contains(&self, i: usize) -> bool {
        i < 64 && (*self >> i) & 1 == 1
    }
    #[inline]
    fn insert(&mut self, i: usize) {
        *self |= 1 << i;
    }
    #[inline]
    fn remove(&mut self, i: usize) {
        *self &= !(1 << i);
    }
    #[inline]
    fn union_with(&mut self, o: &Self) {
        *self |= *o;
    }
    #[inline]
    fn inter_with(&mut self, o: &Self) {
        *self &= *o;
    }
    #[inline]
    fn diff_with(&mut self, o: &Self) {
        *self &= !*o;
    }
    #[inline]
    fn clear(&mut self) {
        *self = 0;
    }
    #[inline]
    fn is_empty(&self) -> bool {
        *self == 0
    }
    #[inline]
    fn intersects(&self, o: &Self) -> bool {
        *self & *o != 0
    }
    #[inline]
    fn is_subset(&self, o: &Self) -> bool {
        *self & !*o == 0
    }
    #[inline]
    fn count(&self) -> usize {
        self.count_ones() as usize
    }
    #[inline]
    fn first(&self) -> Option<usize> {
        if *self == 0 {
            None
        } else {
            Some(self.trailing_zeros() as usize)
        }
    }
    #[inline]
    fn next_from(&self, from: usize) -> Option<usize> {
        if from >= 64 {
            return None;
        }
        let m = *self >> from;
        if m == 0 {
            None
        } else {
            Some(from + m.trailing_zeros() as usize)
        }
    }
}

/// Row of arbitrary width (fallback for more than 64 events).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Wide(Box<[u64]>);

impl Wide {
    /// The underlying words.
    pub fn words(&self) -> &[u64] {
        &self.0
    }
}

#[inline]
fn nwords(n: usize) -> usize {
    n.div_ceil(64).max(1)
}

impl Row for Wide {
    fn zeros(n: usize) -> Self {
        Wide(vec![0u64; nwords(n)].into_boxed_slice())
    }
    fn from_words(n: usize, words: &[u64]) -> Self {
        let mut v = vec![0u64; nwords(n)];
        let k = v.len().min(words.len());
        v[..k].copy_from_slice(&words[..k]);
        Wide(v.into_boxed_slice())
    }
    #[inline]
    fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }
    #[inline]
    fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    #[inline]
    fn remove(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
    fn union_with(&mut self, o: &Self) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a |= *b;
        }
    }
    fn inter_with(&mut self, o: &Self) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a &= *b;
        }
    }
    fn diff_with(&mut self, o: &Self) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a &= !*b;
        }
    }
    fn clear(&mut self) {
        self.0.iter_mut().for_each(|w| *w = 0);
    }
    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    fn intersects(&self, o: &Self) -> bool {
        self.0.iter().zip(o.0.iter()).any(|(a, b)| a & b != 0)
    }
    fn is_subset(&self, o: &Self) -> bool {
        self.0.iter().zip(o.0.iter()).all(|(a, b)| a & !b == 0)
    }
    fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    fn first(&self) -> Option<usize> {
        self.next_from(0)
    }
    fn next_from(&self, from: usize) -> Option<usize> {
        let mut wi = from / 64;
        if wi >= self.0.len() {
            return None;
        }
        let mut w = self.0[wi] & (u64::MAX << (from % 64));
        loop {
            if w != 0 {
                return Some(wi * 64 + w.trailing_zeros() as usize);
            }
            wi += 1;
            if wi >= self.0.len() {
                return None;
            }
            w = self.0[wi];
        }
    }
}

/// A binary relation over events `0..n`, one [`Row`] of successors per event.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Rel<R: Row> {
    rows: Vec<R>,
}

impl<R: Row> Rel<R> {
    /// Empty relation over `n` events.
    pub fn empty(n: usize) -> Self {
        Rel { rows: vec![R::zeros(n); n] }
    }
    /// Number of events of the universe.
    #[inline]
    pub fn n(&self) -> usize {
        self.rows.len()
    }
    /// Row `i` (successors of `i`).
    #[inline]
    pub fn row(&self, i: usize) -> &R {
        &self.rows[i]
    }
    /// Mutable row `i`.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut R {
        &mut self.rows[i]
    }
    /// All rows.
    pub fn rows(&self) -> &[R] {
        &self.rows
    }
    /// Identity on the set `s`.
    pub fn id_on(n: usize, s: &R) -> Self {
        let mut r = Self::empty(n);
        for i in s.iter() {
            r.rows[i].insert(i);
        }
        r
    }
    /// Cartesian product `a * b`.
    pub fn cartesian(n: usize, a: &R, b: &R) -> Self {
        let mut r = Self::empty(n);
        for i in a.iter() {
            r.rows[i] = b.clone();
        }
        r
    }
    /// Relation from a predicate on pairs.
    pub fn from_fn(n: usize, mut f: impl FnMut(usize, usize) -> bool) -> Self {
        let mut r = Self::empty(n);
        for i in 0..n {
            for j in 0..n {
                if f(i, j) {
                    r.rows[i].insert(j);
                }
            }
        }
        r
    }
    /// Build from flat words, `words_per_row` words per row.
    pub fn from_flat(n: usize, words_per_row: usize, data: &[u64]) -> Self {
        let rows = (0..n)
            .map(|i| R::from_words(n, &data[i * words_per_row..(i + 1) * words_per_row]))
            .collect();
        Rel { rows }
    }
    /// Membership of the pair `(i, j)`.
    #[inline]
    pub fn contains(&self, i: usize, j: usize) -> bool {
        self.rows[i].contains(j)
    }
    /// Add the pair `(i, j)`.
    #[inline]
    pub fn insert(&mut self, i: usize, j: usize) {
        self.rows[i].insert(j);
    }
    /// Remove the pair `(i, j)`.
    #[inline]
    pub fn remove(&mut self, i: usize, j: usize) {
        self.rows[i].remove(j);
    }
    /// Remove every pair.
    pub fn clear(&mut self) {
        self.rows.iter_mut().for_each(R::clear);
    }
    /// Make `self` a copy of `o` (reusing the allocation when possible).
    pub fn assign(&mut self, o: &Self) {
        self.rows.clone_from(&o.rows);
    }
    /// Is the relation empty?
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(R::is_empty)
    }
    /// Number of pairs.
    pub fn count(&self) -> usize {
        self.rows.iter().map(R::count).sum()
    }
    /// `self |= o`.
    pub fn union_with(&mut self, o: &Self) {
        for (a, b) in self.rows.iter_mut().zip(&o.rows) {
            a.union_with(b);
        }
    }
    /// `self &= o`.
    pub fn inter_with(&mut self, o: &Self) {
        for (a, b) in self.rows.iter_mut().zip(&o.rows) {
            a.inter_with(b);
        }
    }
    /// `self \= o`.
    pub fn diff_with(&mut self, o: &Self) {
        for (a, b) in self.rows.iter_mut().zip(&o.rows) {
            a.diff_with(b);
        }
    }
    /// Union.
    pub fn union(&self, o: &Self) -> Self {
        let mut r = self.clone();
        r.union_with(o);
        r
    }
    /// Intersection.
    pub fn inter(&self, o: &Self) -> Self {
        let mut r = self.clone();
        r.inter_with(o);
        r
    }
    /// Difference.
    pub fn diff(&self, o: &Self) -> Self {
        let mut r = self.clone();
        r.diff_with(o);
        r
    }
    /// Keep pairs whose source is in `s` (i.e. `[s] ; self`).
    pub fn restrict_dom(&mut self, s: &R) {
        for (i, row) in self.rows.iter_mut().enumerate() {
            if !s.contains(i) {
                row.clear();
            }
        }
    }
    /// Keep pairs whose target is in `s` (i.e. `self ; [s]`).
    pub fn restrict_ran(&mut self, s: &R) {
        for row in self.rows.iter_mut() {
            row.inter_with(s);
        }
    }
    /// `[a] ; self ; [b]`.
    pub fn restrict(&self, a: &R, b: &R) -> Self {
        let mut r = self.clone();
        r.restrict_dom(a);
        r.restrict_ran(b);
        r
    }
    /// Sequential composition `self ; o`.
    pub fn seq(&self, o: &Self) -> Self {
        let mut out = Self::empty(self.n());
        self.seq_into(o, &mut out);
        out
    }
    /// `out = self ; o` (out must be distinct from both operands).
    pub fn seq_into(&self, o: &Self, out: &mut Self) {
        for (i, row) in self.rows.iter().enumerate() {
            let dst = &mut out.rows[i];
            dst.clear();
            for j in row.iter() {
                dst.union_with(&o.rows[j]);
            }
        }
    }
    /// Inverse `self^-1`.
    pub fn inverse(&self) -> Self {
        let mut r = Self::empty(self.n());
        for (i, row) in self.rows.iter().enumerate() {
            for j in row.iter() {
                r.rows[j].insert(i);
            }
        }
        r
    }
    /// Transitive closure in place (`self+`).
    pub fn close(&mut self) {
        let n = self.n();
        for k in 0..n {
            if self.rows[k].is_empty() {
                continue;
            }
            let rk = self.rows[k].clone();
            for i in 0..n {
                if self.rows[i].contains(k) {
                    self.rows[i].union_with(&rk);
                }
            }
        }
    }
    /// Transitive closure `self+`.
    pub fn plus(&self) -> Self {
        let mut r = self.clone();
        r.close();
        r
    }
    /// Reflexive-transitive closure `self*` (identity over all events).
    pub fn star(&self) -> Self {
        let mut r = self.plus();
        r.add_id();
        r
    }
    /// `self?` (identity over all events).
    pub fn opt(&self) -> Self {
        let mut r = self.clone();
        r.add_id();
        r
    }
    /// Add the identity over all events.
    pub fn add_id(&mut self) {
        for i in 0..self.n() {
            self.rows[i].insert(i);
        }
    }
    /// Remove the identity.
    pub fn remove_id(&mut self) {
        for i in 0..self.n() {
            self.rows[i].remove(i);
        }
    }
    /// Complement with respect to all pairs.
    pub fn complement(&self) -> Self {
        let n = self.n();
        let all = R::ones(n);
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut a = all.clone();
                a.diff_with(r);
                a
            })
            .collect();
        Rel { rows }
    }
    /// Domain.
    pub fn domain(&self) -> R {
        let mut s = R::zeros(self.n());
        for (i, row) in self.rows.iter().enumerate() {
            if !row.is_empty() {
                s.insert(i);
            }
        }
        s
    }
    /// Range.
    pub fn range(&self) -> R {
        let mut s = R::zeros(self.n());
        for row in &self.rows {
            s.union_with(row);
        }
        s
    }
    /// Is there no `(i, i)` pair?
    pub fn is_irreflexive(&self) -> bool {
        self.rows.iter().enumerate().all(|(i, r)| !r.contains(i))
    }
    /// Acyclicity test (repeatedly removes events without successors).
    pub fn is_acyclic(&self) -> bool {
        let n = self.n();
        let mut remaining = R::zeros(n);
        for (i, r) in self.rows.iter().enumerate() {
            if !r.is_empty() {
                remaining.insert(i);
            }
        }
        loop {
            if remaining.is_empty() {
                return true;
            }
            let mut progress = false;
            let mut i = remaining.first();
            while let Some(k) = i {
                if !self.rows[k].intersects(&remaining) {
                    remaining.remove(k);
                    progress = true;
                }
                i = remaining.next_from(k + 1);
            }
            if !progress {
                return false;
            }
        }
    }
    /// Is `self` included in `o`?
    pub fn is_subset(&self, o: &Self) -> bool {
        self.rows.iter().zip(&o.rows).all(|(a, b)| a.is_subset(b))
    }
    /// Iterate over pairs in lexicographic order.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.rows
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.iter().map(move |j| (i, j)))
    }
    /// Smallest pair.
    pub fn first_pair(&self) -> Option<(usize, usize)> {
        self.pairs().next()
    }
}

/// All linear extensions of `r` restricted to `es` (herd's
/// `all_topos_kont_rel` + `order_to_rel`), as total orders (transitive).
/// Returns no order when `r` restricted to `es` is cyclic.
pub fn linearisations<R: Row>(n: usize, es: &R, r: &Rel<R>) -> Vec<Rel<R>> {
    let mut out = Vec::new();
    let nodes: Vec<usize> = es.iter().collect();
    // predecessor sets restricted to es
    let mut preds = vec![R::zeros(n); n];
    for &a in &nodes {
        let mut succ = r.row(a).clone();
        succ.inter_with(es);
        for b in succ.iter() {
            preds[b].insert(a);
        }
    }
    let mut order: Vec<usize> = Vec::with_capacity(nodes.len());
    let placed = R::zeros(n);
    fn rec<R: Row>(
        n: usize,
        nodes: &[usize],
        preds: &[R],
        placed: &mut R,
        order: &mut Vec<usize>,
        out: &mut Vec<Rel<R>>,
    ) {
        if order.len() == nodes.len() {
            let mut o = Rel::empty(n);
            for (i, &a) in order.iter().enumerate() {
                for &b in &order[i + 1..] {
                    o.insert(a, b);
                }
            }
            out.push(o);
            return;
        }
        for &x in nodes {
            if !placed.contains(x) && preds[x].is_subset(placed) {
                placed.insert(x);
                order.push(x);
                rec(n, nodes, preds, placed, order, out);
                order.pop();
                placed.remove(x);
            }
        }
    }
    let mut placed = placed;
    rec(n, &nodes, &preds, &mut placed, &mut order, &mut out);
    if out.is_empty() && !nodes.is_empty() {
        return Vec::new();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_alg<R: Row>(n: usize) {
        let mut r = Rel::<R>::empty(n);
        r.insert(0, 1);
        r.insert(1, 2);
        assert!(r.is_acyclic());
        let p = r.plus();
        assert!(p.contains(0, 2));
        r.insert(2, 0);
        assert!(!r.is_acyclic());
        assert!(!r.plus().is_irreflexive());
        let inv = r.inverse();
        assert!(inv.contains(1, 0));
        let s = r.seq(&r);
        assert!(s.contains(0, 2) && s.contains(2, 1));
        assert_eq!(r.domain().count(), 3);
        let mut x = R::zeros(n);
        x.insert(n - 1);
        assert_eq!(x.first(), Some(n - 1));
        assert_eq!(x.iter().collect::<Vec<_>>(), vec![n - 1]);
    }

    #[test]
    fn algebra_small_and_wide() {
        check_alg::<u64>(10);
        check_alg::<u64>(64);
        check_alg::<Wide>(10);
        check_alg::<Wide>(130);
    }
}
