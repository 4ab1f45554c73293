//! A persistent append-only vector: the event lists of one path in the
//! path walk ([`super::thread`]).
//!
//! The walk copies a path's state at every branch (each value a read may
//! take, each way of an unsolved condition), and a path's events with
//! their site masks are most of that state: a few hundred events of
//! about 140 bytes each, and as much again for the masks.  Here the
//! events are kept in full chunks shared through reference counts, plus
//! a short tail of their own, so a copy costs one pointer per chunk and
//! the tail.  The rare write to an old element copies its chunk first
//! (`Rc::make_mut`), so copies never see each other's changes: this is a
//! plain value type with `Vec`'s behaviour.

use std::ops::{Index, IndexMut};
use std::rc::Rc;

/// Elements per shared chunk.
const CHUNK: usize = 32;

/// An append-only vector whose copies share their full chunks.
#[derive(Debug)]
pub(crate) struct PVec<T> {
    chunks: Vec<Rc<Vec<T>>>,
    tail: Vec<T>,
}

impl<T: Clone> Clone for PVec<T> {
    /// The copy's tail has room for a whole chunk: a copy is made to be
    /// pushed to, and growing it step by step would reallocate.
    fn clone(&self) -> Self {
        let mut tail = Vec::with_capacity(CHUNK);
        tail.extend_from_slice(&self.tail);
        PVec { chunks: self.chunks.clone(), tail }
    }
}

impl<T: Clone> PVec<T> {
    pub(crate) fn new() -> Self {
        PVec { chunks: Vec::new(), tail: Vec::new() }
    }

    pub(crate) fn len(&self) -> usize {
        self.chunks.len() * CHUNK + self.tail.len()
    }

    pub(crate) fn push(&mut self, x: T) {
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.chunks.push(Rc::new(full));
        }
        if self.tail.capacity() == 0 {
            self.tail.reserve_exact(CHUNK);
        }
        self.tail.push(x);
    }

    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        match self.chunks.get(i / CHUNK) {
            Some(c) => c.get(i % CHUNK),
            None => self.tail.get(i - self.chunks.len() * CHUNK),
        }
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        let n = self.chunks.len() * CHUNK;
        match self.chunks.get_mut(i / CHUNK) {
            Some(c) => Rc::make_mut(c).get_mut(i % CHUNK),
            None => self.tail.get_mut(i - n),
        }
    }

    pub(crate) fn last(&self) -> Option<&T> {
        self.tail.last().or_else(|| self.chunks.last().and_then(|c| c.last()))
    }

    /// The elements from `from` (clamped) to `to` (clamped), in order.
    pub(crate) fn range(&self, from: usize, to: usize) -> impl DoubleEndedIterator<Item = &T> + '_ {
        let to = to.min(self.len());
        let from = from.min(to);
        (from..to).map(move |i| &self[i])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter()).chain(self.tail.iter())
    }

    pub(crate) fn to_vec(&self) -> Vec<T> {
        let mut v = Vec::with_capacity(self.len());
        for c in &self.chunks {
            v.extend_from_slice(c);
        }
        v.extend_from_slice(&self.tail);
        v
    }
}

impl<T: Clone> Index<usize> for PVec<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        self.get(i).expect("PVec index in bounds")
    }
}

impl<T: Clone> IndexMut<usize> for PVec<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        self.get_mut(i).expect("PVec index in bounds")
    }
}

#[cfg(test)]
mod tests {
    use super::PVec;

    #[test]
    fn copies_share_chunks_but_not_changes() {
        let mut a = PVec::new();
        for i in 0..100 {
            a.push(i);
        }
        let mut b = a.clone();
        b[3] = -3;
        b.push(100);
        *b.get_mut(99).unwrap() = -99;
        assert_eq!(a.to_vec(), (0..100).collect::<Vec<_>>());
        assert_eq!(b.len(), 101);
        assert_eq!((b[3], b[99], b[100], *b.last().unwrap()), (-3, -99, 100, 100));
        assert_eq!(a.range(30, 34).copied().collect::<Vec<_>>(), vec![30, 31, 32, 33]);
        assert_eq!(a.range(98, 500).rev().copied().collect::<Vec<_>>(), vec![99, 98]);
        assert_eq!(a.iter().count(), 100);
        assert!(a.get(100).is_none());
    }
}
