//! The compact frontier: states waiting to be expanded (a BFS level, or
//! the DFS stack), each stored as its state vector in a byte encoding
//! with its id. Most words of a state are zero (liveness.rs clears dead
//! registers; unused heap slots, flags and counters at rest), so a state
//! is, per group of 64 words, a bitmap of its non-zero words (one bit a
//! word) followed by those words, each zigzag-mapped and written in
//! LEB128 (7 bits a byte, as protocol buffers' varints): a zero word
//! takes one bit, a small value (pcs, flags, counters) one byte, a
//! pointer six. Decoding clears a group and writes its non-zero words,
//! found by their bits, so its cost follows them. This is the
//! codec of a state in transit (the sequential search's frontier, and
//! kvet-dist's batches between workers): `encode`, `decode` and
//! `state_len` are its only definition.

/// Write the zigzag LEB128 encoding of `v` into `buf` at `*i`,
/// advancing `*i` (at most 10 bytes).
#[inline]
fn put_word(v: i64, buf: &mut [std::mem::MaybeUninit<u8>], i: &mut usize) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        buf[*i].write((z as u8) | 0x80);
        *i += 1;
        z >>= 7;
    }
    buf[*i].write(z as u8);
    *i += 1;
}

/// Read one zigzag LEB128 word from `bytes` at `*i`, advancing `*i`.
#[inline]
fn get_word(bytes: &[u8], i: &mut usize) -> i64 {
    let mut z = 0u64;
    let mut shift = 0;
    loop {
        let b = bytes[*i];
        *i += 1;
        z |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

/// Append the encoding of state `s` to `out`: per group of 64 words,
/// the bitmap of its non-zero words (little-endian, one byte per eight
/// words), then those words.
#[inline]
pub fn encode(s: &[i64], out: &mut Vec<u8>) {
    // written in place, without a capacity check per byte: at most one
    // bitmap byte per eight words and ten bytes per word
    out.reserve(s.len().div_ceil(8) + s.len() * 10);
    let base = out.len();
    let buf = out.spare_capacity_mut();
    let mut i = 0;
    for chunk in s.chunks(64) {
        let mut bits = 0u64;
        for (j, &v) in chunk.iter().enumerate() {
            bits |= ((v != 0) as u64) << j;
        }
        for &b in &bits.to_le_bytes()[..chunk.len().div_ceil(8)] {
            buf[i].write(b);
            i += 1;
        }
        let mut m = bits;
        while m != 0 {
            put_word(chunk[m.trailing_zeros() as usize], buf, &mut i);
            m &= m - 1;
        }
    }
    // SAFETY: the `i` bytes after `base` were initialised just above
    // (`buf` is the spare capacity after `base`, reserved for them).
    unsafe { out.set_len(base + i) };
}

/// Decode one state from the front of `bytes` into `s` (whose length is
/// the state's); returns the bytes read.
#[inline]
pub fn decode(bytes: &[u8], s: &mut [i64]) -> usize {
    let mut i = 0;
    for chunk in s.chunks_mut(64) {
        let nb = chunk.len().div_ceil(8);
        let mut le = [0u8; 8];
        le[..nb].copy_from_slice(&bytes[i..i + nb]);
        i += nb;
        chunk.fill(0);
        let mut m = u64::from_le_bytes(le);
        while m != 0 {
            chunk[m.trailing_zeros() as usize] = get_word(bytes, &mut i);
            m &= m - 1;
        }
    }
    i
}

/// The length of the encoding of a `words`-word state at the front of
/// `bytes`, found from its bitmaps without decoding its words.
#[inline]
pub fn state_len(bytes: &[u8], words: usize) -> usize {
    let mut i = 0;
    let mut left = words;
    while left > 0 {
        let nb = left.min(64).div_ceil(8);
        let mut ones: u32 = bytes[i..i + nb].iter().map(|b| b.count_ones()).sum();
        i += nb;
        while ones > 0 {
            if bytes[i] < 0x80 {
                ones -= 1;
            }
            i += 1;
        }
        left -= left.min(64);
    }
    i
}

/// A queue or stack of states with their ids: encoded, or, while the
/// frontier is small ([`Frontier::set_raw`]), as plain words, which is
/// faster to write and read back (the encoding saves memory, which only
/// matters for a large frontier).
#[derive(Default)]
pub(crate) struct Frontier {
    bytes: Vec<u8>,
    /// Where each state starts in `bytes` (encoded mode).
    starts: Vec<u64>,
    ids: Vec<u32>,
    /// Plain mode: the states' words, `width` each (0: encoded mode).
    words: Vec<i64>,
    width: usize,
}

/// A level of a breadth-first search is kept in plain words while the
/// level before it took less than this many bytes in them.
pub(crate) const RAW_LEVEL_BYTES: usize = 16 << 20;

impl Frontier {
    /// Keep the states pushed from now on as plain words of `width` each
    /// (0: encoded). Only on an empty frontier.
    pub(crate) fn set_raw(&mut self, width: usize) {
        debug_assert!(self.is_empty());
        self.width = width;
    }

    #[inline]
    pub(crate) fn push(&mut self, s: &[i64], id: u32) {
        if self.width > 0 {
            self.words.extend_from_slice(s);
        } else {
            self.starts.push(self.bytes.len() as u64);
            encode(s, &mut self.bytes);
        }
        self.ids.push(id);
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub(crate) fn id(&self, k: usize) -> u32 {
        self.ids[k]
    }

    /// State `k`: its plain words where the frontier keeps them, else
    /// decoded into `s` (no copy of a plain state).
    #[inline]
    pub(crate) fn view<'a>(&'a self, k: usize, s: &'a mut [i64]) -> &'a [i64] {
        if self.width > 0 {
            &self.words[k * self.width..(k + 1) * self.width]
        } else {
            decode(&self.bytes[self.starts[k] as usize..], s);
            s
        }
    }

    /// Start loading state `k`'s plain words into the cache (a hint, for
    /// the state expanded next: a level's states are read once, so each
    /// cache line of a wide state would otherwise miss when first read).
    /// Encoded states are decoded sequentially and need none.
    #[inline]
    pub(crate) fn prefetch(&self, k: usize) {
        if self.width == 0 || (k + 1) * self.width > self.words.len() {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        for line in (k * self.width..(k + 1) * self.width).step_by(8) {
            // SAFETY: `line` is within `words`, and a prefetch has no
            // architectural effect (it never faults).
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch(self.words.as_ptr().add(line) as *const i8, _MM_HINT_T0);
            }
        }
    }

    /// Take the last state into `s`: its id.
    pub(crate) fn pop(&mut self, s: &mut [i64]) -> Option<u32> {
        let id = self.ids.pop()?;
        if self.width > 0 {
            let start = self.words.len() - self.width;
            s.copy_from_slice(&self.words[start..]);
            self.words.truncate(start);
        } else {
            let start = self.starts.pop().unwrap_or(0) as usize;
            decode(&self.bytes[start..], s);
            self.bytes.truncate(start);
        }
        Some(id)
    }

    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.starts.clear();
        self.ids.clear();
        self.words.clear();
    }

    /// Bytes held, by capacity, counting the reallocation that the next
    /// growth of the state array would make (old and new array both live).
    pub(crate) fn bytes(&self) -> usize {
        let b = self.bytes.capacity() + self.starts.capacity() * 8 + self.ids.capacity() * 4;
        let b = b + self.words.capacity() * 8;
        let grow = |len: usize, cap: usize| if len * 4 > cap * 3 { cap * 2 } else { 0 };
        b + grow(self.bytes.len(), self.bytes.capacity()) + grow(self.words.len(), self.words.capacity()) * 8
    }

    /// Bytes of the states alone (encoded, or plain words).
    pub(crate) fn encoded_len(&self) -> usize {
        self.bytes.len() + self.words.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = [0, 1, -1, 63, 64, -65, i64::MAX, i64::MIN, (1 << 40) | 17, 300];
        let mut b = Vec::new();
        encode(&s, &mut b);
        encode(&s[..3], &mut b);
        let mut out = [0i64; 10];
        let k = decode(&b, &mut out);
        assert_eq!(out, s);
        assert_eq!(state_len(&b, 10), k);
        let mut out3 = [9i64; 3];
        assert_eq!(decode(&b[k..], &mut out3), b.len() - k);
        assert_eq!(out3, [0, 1, -1]);
        let mut f = Frontier::default();
        f.push(&s, 4);
        f.push(&s[..], 5);
        let mut o = [0i64; 10];
        assert_eq!(f.pop(&mut o), Some(5));
        assert_eq!(o, s);
        o = [0; 10];
        assert_eq!(f.view(0, &mut o), s);
        assert_eq!(f.id(0), 4);
        // plain words
        let mut f = Frontier::default();
        f.set_raw(10);
        f.push(&s, 6);
        f.push(&s, 7);
        assert_eq!(f.encoded_len(), 160);
        assert_eq!(f.pop(&mut o), Some(7));
        assert_eq!(o, s);
        o = [0; 10];
        assert_eq!((f.view(0, &mut o), f.id(0)), (&s[..], 6));
    }

    #[test]
    fn sparse_states() {
        // zero runs across bitmap bytes, a partial last byte, all zero
        let mut s = vec![0i64; 37];
        for (i, v) in [(0, 5), (7, -1), (8, 1 << 50), (20, 3), (36, -7)] {
            s[i] = v;
        }
        let zero = vec![0i64; 9];
        let mut b = Vec::new();
        encode(&s, &mut b);
        assert_eq!(b.len(), 5 + 1 + 1 + 8 + 1 + 1);
        encode(&zero, &mut b);
        let mut out = vec![9i64; 37];
        let k = decode(&b, &mut out);
        assert_eq!(out, s);
        assert_eq!(state_len(&b, 37), k);
        let mut z = vec![9i64; 9];
        assert_eq!(decode(&b[k..], &mut z), 2);
        assert_eq!(z, zero);
    }
}
