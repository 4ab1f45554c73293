//! Bit-set and bit-matrix representation of event sets and relations.
//!
//! Source: the set/relation algebra of herd7's cat language (herd7 manual,
//! "cat" chapter; `lib/innerRel.ml` in herdtools7).  A set of events is one
//! [`Row`]; a relation is a square matrix of rows ([`Rel`]), row `i` holding
//! the successors of event `i`.
//!
//! Row types share every algorithm: `u16`, `u32`, `u64` (fast paths for at
//! most 16, 32, 64 events, relations stored inline without allocation),
//! [`Fixed`] (128 or 256 events: rows of 2 or 4 words, a relation is one
//! allocation) and [`Wide`] (any size, a boxed slice of words per row).
//! [`dispatch!`](crate::dispatch_rows) picks the smallest fitting one.

use std::fmt::Debug;
use std::hash::Hash;

/// One row of a bit matrix, i.e. a set of event indices.
pub trait Row: Clone + Eq + Ord + Hash + Debug + 'static {
    /// Storage for the rows of a [`Rel`] (inline for `u64`, heap otherwise).
    type Buf: RowBuf<Self>;
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
    /// Call `f` on each element in increasing order (a faster
    /// [`Row::iter`] for the row types that have words).
    #[inline]
    fn for_each_set(&self, mut f: impl FnMut(usize)) {
        for i in self.iter() {
            f(i);
        }
    }
}

/// Call `f` on the index of each set bit of `words` (bit `i` of word
/// `i / 64`), in increasing order.
#[inline]
fn for_each_bit(words: &[u64], mut f: impl FnMut(usize)) {
    for (k, &w0) in words.iter().enumerate() {
        let mut w = w0;
        while w != 0 {
            f(k * 64 + w.trailing_zeros() as usize);
            w &= w - 1;
        }
    }
}

/// Call `$f::<R>($args)` with the smallest row type able to hold `$n`
/// events.
#[macro_export]
macro_rules! dispatch_rows {
    ($n:expr, $f:ident ( $($args:expr),* )) => {{
        let n = $n;
        if n <= 16 {
            $f::<u16>($($args),*)
        } else if n <= 32 {
            $f::<u32>($($args),*)
        } else if n <= 64 {
            $f::<u64>($($args),*)
        } else if n <= 128 {
            $f::<$crate::bits::Fixed<2>>($($args),*)
        } else if n <= 256 {
            $f::<$crate::bits::Fixed<4>>($($args),*)
        } else {
            $f::<$crate::bits::Wide>($($args),*)
        }
    }};
    ($n:expr, $s:ident . $f:ident ( $($args:expr),* )) => {{
        let n = $n;
        if n <= 16 {
            $s.$f::<u16>($($args),*)
        } else if n <= 32 {
            $s.$f::<u32>($($args),*)
        } else if n <= 64 {
            $s.$f::<u64>($($args),*)
        } else if n <= 128 {
            $s.$f::<$crate::bits::Fixed<2>>($($args),*)
        } else if n <= 256 {
            $s.$f::<$crate::bits::Fixed<4>>($($args),*)
        } else {
            $s.$f::<$crate::bits::Wide>($($args),*)
        }
    }};
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

macro_rules! int_row {
    ($t:ty, $bits:expr) => {
        impl Row for $t {
            type Buf = InlineRows<$t, $bits>;
            #[inline]
            fn zeros(_n: usize) -> Self {
                0
            }
            #[inline]
            fn ones(n: usize) -> Self {
                if n >= $bits {
                    <$t>::MAX
                } else {
                    ((1 as $t) << n) - 1
                }
            }
            #[inline]
            fn from_words(_n: usize, words: &[u64]) -> Self {
                words.first().copied().unwrap_or(0) as $t
            }
            #[inline]
            fn contains(&self, i: usize) -> bool {
                i < $bits && (*self >> i) & 1 == 1
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
            fn for_each_set(&self, f: impl FnMut(usize)) {
                for_each_bit(&[*self as u64], f);
            }
            #[inline]
            fn next_from(&self, from: usize) -> Option<usize> {
                if from >= $bits {
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
    };
}

int_row!(u16, 16);
int_row!(u32, 32);
int_row!(u64, 64);

/// Storage of the rows of a relation.
pub trait RowBuf<R>: Clone + Debug {
    /// `n` copies of `r`.
    fn filled(n: usize, r: R) -> Self;
    /// The rows.
    fn rows(&self) -> &[R];
    /// The rows, mutably.
    fn rows_mut(&mut self) -> &mut [R];
}

impl<R: Clone + Debug> RowBuf<R> for Vec<R> {
    fn filled(n: usize, r: R) -> Self {
        vec![r; n]
    }
    #[inline]
    fn rows(&self) -> &[R] {
        self
    }
    #[inline]
    fn rows_mut(&mut self) -> &mut [R] {
        self
    }
}

/// Inline storage for up to `N` rows (no heap allocation).
#[derive(Clone, Copy, Debug)]
pub struct InlineRows<T, const N: usize> {
    len: u8,
    data: [T; N],
}

impl<T: Copy + Debug, const N: usize> RowBuf<T> for InlineRows<T, N> {
    #[inline]
    fn filled(n: usize, r: T) -> Self {
        assert!(n <= N, "inline rows hold at most {N} events");
        InlineRows { len: n as u8, data: [r; N] }
    }
    #[inline]
    fn rows(&self) -> &[T] {
        &self.data[..self.len as usize]
    }
    #[inline]
    fn rows_mut(&mut self) -> &mut [T] {
        &mut self.data[..self.len as usize]
    }
}

/// Row of `K` words (up to `64 * K` events), stored inline: a relation
/// over it is one heap block, not one per row like [`Wide`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Fixed<const K: usize>([u64; K]);

impl<const K: usize> Row for Fixed<K> {
    type Buf = Vec<Fixed<K>>;
    #[inline]
    fn zeros(_n: usize) -> Self {
        Fixed([0; K])
    }
    fn from_words(_n: usize, words: &[u64]) -> Self {
        let mut v = [0u64; K];
        let k = K.min(words.len());
        v[..k].copy_from_slice(&words[..k]);
        Fixed(v)
    }
    #[inline]
    fn contains(&self, i: usize) -> bool {
        i < 64 * K && (self.0[i / 64] >> (i % 64)) & 1 == 1
    }
    #[inline]
    fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    #[inline]
    fn remove(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
    #[inline]
    fn union_with(&mut self, o: &Self) {
        for k in 0..K {
            self.0[k] |= o.0[k];
        }
    }
    #[inline]
    fn inter_with(&mut self, o: &Self) {
        for k in 0..K {
            self.0[k] &= o.0[k];
        }
    }
    #[inline]
    fn diff_with(&mut self, o: &Self) {
        for k in 0..K {
            self.0[k] &= !o.0[k];
        }
    }
    #[inline]
    fn clear(&mut self) {
        self.0 = [0; K];
    }
    #[inline]
    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    #[inline]
    fn intersects(&self, o: &Self) -> bool {
        (0..K).any(|k| self.0[k] & o.0[k] != 0)
    }
    #[inline]
    fn is_subset(&self, o: &Self) -> bool {
        (0..K).all(|k| self.0[k] & !o.0[k] == 0)
    }
    fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    #[inline]
    fn first(&self) -> Option<usize> {
        self.next_from(0)
    }
    #[inline]
    fn for_each_set(&self, f: impl FnMut(usize)) {
        for_each_bit(&self.0, f);
    }
    #[inline]
    fn next_from(&self, from: usize) -> Option<usize> {
        let mut wi = from / 64;
        if wi >= K {
            return None;
        }
        let mut w = self.0[wi] & (u64::MAX << (from % 64));
        loop {
            if w != 0 {
                return Some(wi * 64 + w.trailing_zeros() as usize);
            }
            wi += 1;
            if wi >= K {
                return None;
            }
            w = self.0[wi];
        }
    }
}

/// Row of arbitrary width (fallback for more than 64 events).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Wide(Box<[u64]>);

#[inline]
fn nwords(n: usize) -> usize {
    n.div_ceil(64).max(1)
}

impl Row for Wide {
    type Buf = Vec<Wide>;
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
    fn for_each_set(&self, f: impl FnMut(usize)) {
        for_each_bit(&self.0, f);
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
#[derive(Clone, Debug)]
pub struct Rel<R: Row> {
    rows: R::Buf,
}

impl<R: Row> PartialEq for Rel<R> {
    fn eq(&self, o: &Self) -> bool {
        self.rows.rows() == o.rows.rows()
    }
}
impl<R: Row> Eq for Rel<R> {}
impl<R: Row> PartialOrd for Rel<R> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<R: Row> Ord for Rel<R> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.rows.rows().cmp(o.rows.rows())
    }
}
impl<R: Row> Hash for Rel<R> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.rows.rows().hash(h)
    }
}

impl<R: Row> Rel<R> {
    /// Empty relation over `n` events.
    pub fn empty(n: usize) -> Self {
        Rel { rows: R::Buf::filled(n, R::zeros(n)) }
    }
    /// Number of events of the universe.
    #[inline]
    pub fn n(&self) -> usize {
        self.rs().len()
    }
    /// Row `i` (successors of `i`).
    #[inline]
    pub fn row(&self, i: usize) -> &R {
        &self.rs()[i]
    }
    /// Mutable row `i`.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut R {
        &mut self.rm()[i]
    }
    /// All rows.
    pub fn rows(&self) -> &[R] {
        self.rs()
    }
    /// Identity on the set `s`.
    pub fn id_on(n: usize, s: &R) -> Self {
        let mut r = Self::empty(n);
        for i in s.iter() {
            r.rm()[i].insert(i);
        }
        r
    }
    /// Cartesian product `a * b`.
    pub fn cartesian(n: usize, a: &R, b: &R) -> Self {
        let mut r = Self::empty(n);
        for i in a.iter() {
            r.rm()[i] = b.clone();
        }
        r
    }
    /// Relation from a predicate on pairs.
    pub fn from_fn(n: usize, mut f: impl FnMut(usize, usize) -> bool) -> Self {
        let mut r = Self::empty(n);
        for i in 0..n {
            for j in 0..n {
                if f(i, j) {
                    r.rm()[i].insert(j);
                }
            }
        }
        r
    }
    /// Build from flat words, `words_per_row` words per row.
    pub fn from_flat(n: usize, words_per_row: usize, data: &[u64]) -> Self {
        let mut r = Self::empty(n);
        for (i, row) in r.rows.rows_mut().iter_mut().enumerate() {
            *row = R::from_words(n, &data[i * words_per_row..(i + 1) * words_per_row]);
        }
        r
    }
    /// Membership of the pair `(i, j)`.
    #[inline]
    pub fn contains(&self, i: usize, j: usize) -> bool {
        self.rs()[i].contains(j)
    }
    /// Add the pair `(i, j)`.
    #[inline]
    pub fn insert(&mut self, i: usize, j: usize) {
        self.rm()[i].insert(j);
    }
    /// Remove the pair `(i, j)`.
    #[inline]
    pub fn remove(&mut self, i: usize, j: usize) {
        self.rm()[i].remove(j);
    }
    /// Remove every pair.
    pub fn clear(&mut self) {
        self.rm().iter_mut().for_each(R::clear);
    }
    /// Make `self` a copy of `o` (reusing the allocation when possible).
    pub fn assign(&mut self, o: &Self) {
        self.rows.clone_from(&o.rows);
    }
    #[inline]
    fn rs(&self) -> &[R] {
        self.rows.rows()
    }
    #[inline]
    fn rm(&mut self) -> &mut [R] {
        self.rows.rows_mut()
    }
    /// Is the relation empty?
    pub fn is_empty(&self) -> bool {
        self.rs().iter().all(R::is_empty)
    }
    /// Number of pairs.
    pub fn count(&self) -> usize {
        self.rs().iter().map(R::count).sum()
    }
    /// `self |= o`.
    pub fn union_with(&mut self, o: &Self) {
        for (a, b) in self.rows.rows_mut().iter_mut().zip(o.rows.rows()) {
            a.union_with(b);
        }
    }
    /// `self &= o`.
    pub fn inter_with(&mut self, o: &Self) {
        for (a, b) in self.rows.rows_mut().iter_mut().zip(o.rows.rows()) {
            a.inter_with(b);
        }
    }
    /// `self \= o`.
    pub fn diff_with(&mut self, o: &Self) {
        for (a, b) in self.rows.rows_mut().iter_mut().zip(o.rows.rows()) {
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
        for (i, row) in self.rm().iter_mut().enumerate() {
            if !s.contains(i) {
                row.clear();
            }
        }
    }
    /// Keep pairs whose target is in `s` (i.e. `self ; [s]`).
    pub fn restrict_ran(&mut self, s: &R) {
        for row in self.rm().iter_mut() {
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
    /// Only the successors of each row that have successors in `o` are
    /// visited, so that a composition with a sparse `o` costs little
    /// however dense `self` is.
    pub fn seq_into(&self, o: &Self, out: &mut Self) {
        let dom = o.domain();
        let mut sel = R::zeros(self.n());
        let orows = o.rows.rows();
        for (i, row) in self.rs().iter().enumerate() {
            let dst = &mut out.rows.rows_mut()[i];
            dst.clear();
            sel.clone_from(row);
            sel.inter_with(&dom);
            sel.for_each_set(|j| dst.union_with(&orows[j]));
        }
    }
    /// Inverse `self^-1`.
    pub fn inverse(&self) -> Self {
        let mut r = Self::empty(self.n());
        let out = r.rm();
        for (i, row) in self.rs().iter().enumerate() {
            row.for_each_set(|j| out[j].insert(i));
        }
        r
    }
    /// Transitive closure in place (`self+`).
    pub fn close(&mut self) {
        let n = self.n();
        for k in 0..n {
            if self.rs()[k].is_empty() {
                continue;
            }
            let rk = self.rs()[k].clone();
            for row in self.rm().iter_mut() {
                if row.contains(k) {
                    row.union_with(&rk);
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
    /// `full*`, given `sub_star = sub*` for some `sub` included in
    /// `full`: starting from `sub*`, each row where `full` has edges the
    /// closure so far lacks adds them at once (its new reach is joined to
    /// every row that reaches it), so the cost follows the rows that
    /// differ rather than the size of the relation.
    pub fn star_over(sub_star: &Self, full: &Self) -> Self {
        let mut t = sub_star.clone();
        let n = t.n();
        let mut add = R::zeros(n);
        for (a, fa) in full.rs().iter().enumerate() {
            if fa.is_subset(t.row(a)) {
                continue;
            }
            add.clone_from(t.row(a));
            fa.for_each_set(|b| add.union_with(t.row(b)));
            for row in t.rm().iter_mut() {
                if row.contains(a) {
                    row.union_with(&add);
                }
            }
        }
        t
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
            self.rm()[i].insert(i);
        }
    }
    /// Remove the identity.
    pub fn remove_id(&mut self) {
        for i in 0..self.n() {
            self.rm()[i].remove(i);
        }
    }
    /// Complement with respect to all pairs.
    pub fn complement(&self) -> Self {
        let n = self.n();
        let all = R::ones(n);
        let mut out = self.clone();
        for r in out.rows.rows_mut() {
            let mut a = all.clone();
            a.diff_with(r);
            *r = a;
        }
        out
    }
    /// Domain.
    pub fn domain(&self) -> R {
        let mut s = R::zeros(self.n());
        for (i, row) in self.rs().iter().enumerate() {
            if !row.is_empty() {
                s.insert(i);
            }
        }
        s
    }
    /// Range.
    pub fn range(&self) -> R {
        let mut s = R::zeros(self.n());
        for row in self.rs() {
            s.union_with(row);
        }
        s
    }
    /// Is there no `(i, i)` pair?
    pub fn is_irreflexive(&self) -> bool {
        self.rs().iter().enumerate().all(|(i, r)| !r.contains(i))
    }
    /// Acyclicity test (repeatedly removes events without successors).
    pub fn is_acyclic(&self) -> bool {
        let n = self.n();
        let mut remaining = R::zeros(n);
        for (i, r) in self.rs().iter().enumerate() {
            if !r.is_empty() {
                remaining.insert(i);
            }
        }
        loop {
            if remaining.is_empty() {
                return true;
            }
            // Sweep from the last event down: program order mostly points
            // to higher indices, so whole chains of sinks go in one sweep.
            let mut progress = false;
            for k in (0..n).rev() {
                if remaining.contains(k) && !self.rs()[k].intersects(&remaining) {
                    remaining.remove(k);
                    progress = true;
                }
            }
            if !progress {
                return false;
            }
        }
    }
    /// Is `self` included in `o`?
    pub fn is_subset(&self, o: &Self) -> bool {
        self.rs().iter().zip(o.rs()).all(|(a, b)| a.is_subset(b))
    }
    /// Iterate over pairs in lexicographic order.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.rs().iter().enumerate().flat_map(|(i, r)| r.iter().map(move |j| (i, j)))
    }
    /// Smallest pair.
    pub fn first_pair(&self) -> Option<(usize, usize)> {
        self.pairs().next()
    }
}

/// The memory one relation over `n` events takes (rows and their heap).
pub fn rel_bytes<R: Row>(n: usize) -> u64 {
    let row = std::mem::size_of::<R>().max(nwords(n) * 8) as u64;
    n as u64 * row + std::mem::size_of::<Rel<R>>() as u64
}

/// How many orders [`linearisations`] builds between two looks at the
/// clock.
const DEADLINE_EVERY: usize = 1024;

/// The next index tuple of a cross product, counting like an odometer
/// (position 0 fastest; position `k` ranges over `0..len(k)`): `false`
/// once every tuple has been visited (`idx` is back to all zeros).
pub(crate) fn next_index(idx: &mut [usize], len: impl Fn(usize) -> usize) -> bool {
    for (k, i) in idx.iter_mut().enumerate() {
        *i += 1;
        if *i < len(k) {
            return true;
        }
        *i = 0;
    }
    false
}

/// All linear extensions of `r` restricted to `es` (herd's
/// `all_topos_kont_rel` + `order_to_rel`), as total orders (transitive).
/// Returns no order when `r` restricted to `es` is cyclic.  Each order is
/// charged to [`crate::budget`]; when it is spent the enumeration stops
/// early and [`crate::budget::exceeded`] tells the caller.  It also stops
/// early when the evaluation's wall-clock deadline ([`crate::deadline`])
/// has passed, checked every [`DEADLINE_EVERY`] orders, or its work
/// budget has run out (one unit per [`ORDERS_PER_UNIT`] orders built); the
/// caller then sees the deadline passed or the budget spent and discards
/// the evaluation.
pub fn linearisations<R: Row>(n: usize, es: &R, r: &Rel<R>) -> Vec<Rel<R>> {
    linearise(n, es, r, usize::MAX).0
}

/// How many coherence orders [`linearisations`] builds for one unit of
/// the work budget ([`crate::deadline`]): an order of a few hundred events
/// costs about what a path step of the walk does, a partial check a few
/// hundred of them.
pub const ORDERS_PER_UNIT: usize = 64;

/// [`linearisations`], or `None` as soon as there are more than `cap`
/// (without building the rest), or when the enumeration was cut short
/// (memory, time or work budget spent).
pub fn linearisations_at_most<R: Row>(n: usize, es: &R, r: &Rel<R>, cap: usize) -> Option<Vec<Rel<R>>> {
    match linearise(n, es, r, cap) {
        (out, false) => Some(out),
        (_, true) => None,
    }
}

/// Per event (of `n`), its predecessors by `r` among `es`, for the
/// events of `es` (the others' sets are empty).
pub(crate) fn preds_within<R: Row>(n: usize, es: &R, r: &Rel<R>) -> Vec<R> {
    let mut preds = vec![R::zeros(n); n];
    for a in es.iter() {
        let mut succ = r.row(a).clone();
        succ.inter_with(es);
        for b in succ.iter() {
            preds[b].insert(a);
        }
    }
    preds
}

/// The linearisations, at most `cap` of them, and whether the enumeration
/// stopped before the end (more than `cap`, or a budget spent).
fn linearise<R: Row>(n: usize, es: &R, r: &Rel<R>, cap: usize) -> (Vec<Rel<R>>, bool) {
    let nodes: Vec<usize> = es.iter().collect();
    let preds = preds_within(n, es, r);
    struct Cx<'a, R: Row> {
        n: usize,
        nodes: &'a [usize],
        preds: &'a [R],
        out: Vec<Rel<R>>,
        cap: usize,
        over: bool,
        stop: bool,
    }
    fn rec<R: Row>(cx: &mut Cx<R>, placed: &mut R, order: &mut Vec<usize>) {
        if order.len() == cx.nodes.len() {
            if cx.out.len() == cx.cap {
                cx.over = true;
                return;
            }
            if !crate::budget::charge(rel_bytes::<R>(cx.n)) {
                return;
            }
            crate::deadline::count(|c| c.orders += 1);
            cx.stop = (cx.out.len() % DEADLINE_EVERY == DEADLINE_EVERY - 1 && crate::deadline::time_passed())
                || (cx.out.len() % ORDERS_PER_UNIT == ORDERS_PER_UNIT - 1 && crate::deadline::passed());
            let mut o = Rel::empty(cx.n);
            for (i, &a) in order.iter().enumerate() {
                for &b in &order[i + 1..] {
                    o.insert(a, b);
                }
            }
            cx.out.push(o);
            return;
        }
        let nodes = cx.nodes;
        for &x in nodes {
            if cx.stop || cx.over || crate::budget::exceeded() {
                return;
            }
            if !placed.contains(x) && cx.preds[x].is_subset(placed) {
                placed.insert(x);
                order.push(x);
                rec(cx, placed, order);
                order.pop();
                placed.remove(x);
            }
        }
    }
    let mut placed = R::zeros(n);
    let mut order: Vec<usize> = Vec::with_capacity(nodes.len());
    let mut cx = Cx { n, nodes: &nodes, preds: &preds, out: Vec::new(), cap, over: false, stop: false };
    rec(&mut cx, &mut placed, &mut order);
    let cut = cx.over || cx.stop || crate::budget::exceeded();
    (cx.out, cut)
}

/// [`linearisations`] where each pair `(a, b)` of `imm` (both in `es`)
/// forces `b` to come immediately after `a`.
pub fn linearisations_imm<R: Row>(n: usize, es: &R, r: &Rel<R>, imm: &[(usize, usize)]) -> Vec<Rel<R>> {
    let mut out = Vec::new();
    let nodes: Vec<usize> = es.iter().collect();
    let mut preds = vec![R::zeros(n); n];
    for &a in &nodes {
        let mut succ = r.row(a).clone();
        succ.inter_with(es);
        for b in succ.iter() {
            preds[b].insert(a);
        }
    }
    let next: Vec<Option<usize>> =
        (0..n).map(|a| imm.iter().find(|(x, y)| *x == a && es.contains(*y)).map(|(_, y)| *y)).collect();
    struct Cx<'a, R: Row> {
        n: usize,
        nodes: &'a [usize],
        preds: &'a [R],
        next: &'a [Option<usize>],
        out: &'a mut Vec<Rel<R>>,
        stop: bool,
    }
    fn rec<R: Row>(cx: &mut Cx<R>, placed: &mut R, order: &mut Vec<usize>) {
        if order.len() == cx.nodes.len() {
            if !crate::budget::charge(rel_bytes::<R>(cx.n)) {
                return;
            }
            crate::deadline::count(|c| c.orders += 1);
            cx.stop = (cx.out.len() % DEADLINE_EVERY == DEADLINE_EVERY - 1 && crate::deadline::time_passed())
                || (cx.out.len() % ORDERS_PER_UNIT == ORDERS_PER_UNIT - 1 && crate::deadline::passed());
            let mut o = Rel::empty(cx.n);
            for (i, &a) in order.iter().enumerate() {
                for &b in &order[i + 1..] {
                    o.insert(a, b);
                }
            }
            cx.out.push(o);
            return;
        }
        let forced = order.last().and_then(|&l| cx.next[l]);
        let nodes = cx.nodes;
        for &x in nodes {
            if cx.stop || crate::budget::exceeded() {
                return;
            }
            if forced.is_some_and(|f| f != x) {
                continue;
            }
            if !placed.contains(x) && cx.preds[x].is_subset(placed) {
                placed.insert(x);
                order.push(x);
                rec(cx, placed, order);
                order.pop();
                placed.remove(x);
            }
        }
    }
    let mut placed = R::zeros(n);
    let mut order = Vec::with_capacity(nodes.len());
    let mut cx = Cx { n, nodes: &nodes, preds: &preds, next: &next, out: &mut out, stop: false };
    rec(&mut cx, &mut placed, &mut order);
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
        check_alg::<u16>(10);
        check_alg::<u16>(16);
        check_alg::<u32>(30);
        check_alg::<u64>(10);
        check_alg::<u64>(64);
        check_alg::<Fixed<2>>(100);
        check_alg::<Fixed<2>>(128);
        check_alg::<Fixed<4>>(200);
        check_alg::<Wide>(10);
        check_alg::<Wide>(130);
    }
}
