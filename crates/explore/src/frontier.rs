//! The compact frontier: states waiting to be expanded (a BFS level, or
//! the DFS stack), each stored as its state vector in a byte encoding
//! with its id. A word is zigzag-mapped and written in LEB128 (7 bits a
//! byte, as protocol buffers' varints), so the zeros of dead registers
//! (liveness.rs clears them) and the small values of pcs, flags and
//! counters take one byte instead of eight; pointers take six. This is
//! the codec of a state in transit (the frontier, or a message between
//! workers of a parallel search): `encode` and `decode` are its only
//! definition.

/// Append the encoding of state `s` to `out`.
#[inline]
pub fn encode(s: &[i64], out: &mut Vec<u8>) {
    for &v in s {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        while z >= 0x80 {
            out.push((z as u8) | 0x80);
            z >>= 7;
        }
        out.push(z as u8);
    }
}

/// Decode one state from the front of `bytes` into `s` (whose length is
/// the state's); returns the bytes read.
#[inline]
pub fn decode(bytes: &[u8], s: &mut [i64]) -> usize {
    let mut i = 0;
    for w in s.iter_mut() {
        let mut z = 0u64;
        let mut shift = 0;
        loop {
            let b = bytes[i];
            i += 1;
            z |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                break;
            }
            shift += 7;
        }
        *w = ((z >> 1) as i64) ^ -((z & 1) as i64);
    }
    i
}

/// A queue or stack of encoded states with their ids.
#[derive(Default)]
pub(crate) struct Frontier {
    bytes: Vec<u8>,
    /// Where each state starts in `bytes`.
    starts: Vec<u64>,
    ids: Vec<u32>,
}

impl Frontier {
    pub(crate) fn push(&mut self, s: &[i64], id: u32) {
        self.starts.push(self.bytes.len() as u64);
        encode(s, &mut self.bytes);
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

    /// Decode state `k` into `s`.
    pub(crate) fn get(&self, k: usize, s: &mut [i64]) {
        decode(&self.bytes[self.starts[k] as usize..], s);
    }

    /// Take the last state into `s`: its id.
    pub(crate) fn pop(&mut self, s: &mut [i64]) -> Option<u32> {
        let id = self.ids.pop()?;
        let start = self.starts.pop().unwrap_or(0) as usize;
        decode(&self.bytes[start..], s);
        self.bytes.truncate(start);
        Some(id)
    }

    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.starts.clear();
        self.ids.clear();
    }

    /// Bytes held, by capacity, counting the reallocation that the next
    /// growth of the byte array would make (old and new array both live).
    pub(crate) fn bytes(&self) -> usize {
        let b = self.bytes.capacity() + self.starts.capacity() * 8 + self.ids.capacity() * 4;
        if self.bytes.len() * 4 > self.bytes.capacity() * 3 {
            b + self.bytes.capacity() * 2
        } else {
            b
        }
    }

    /// Bytes of the encoded states alone.
    pub(crate) fn encoded_len(&self) -> usize {
        self.bytes.len()
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
        let mut out3 = [9i64; 3];
        assert_eq!(decode(&b[k..], &mut out3), b.len() - k);
        assert_eq!(out3, [0, 1, -1]);
        let mut f = Frontier::default();
        f.push(&s, 4);
        f.push(&s[..], 5);
        let mut o = [0i64; 10];
        assert_eq!(f.pop(&mut o), Some(5));
        assert_eq!(o, s);
        f.get(0, &mut o);
        assert_eq!(f.id(0), 4);
    }
}
