//! The byte encoding of what workers send each other: LEB128 varints,
//! zigzag for signed words, state vectors in the sequential frontier's
//! codec (kvet-explore's `frontier::encode`: per 64 words a bitmap of the
//! non-zero ones, then those as zigzag varints; most words are zero and
//! the rest small), and findings and outcome counts for the final gather.

use kvet_explore::{Violation, ViolationKind};

pub(crate) fn put_u(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

pub(crate) fn put_i(buf: &mut Vec<u8>, v: i64) {
    put_u(buf, ((v << 1) ^ (v >> 63)) as u64);
}

/// A state's fingerprint, as 16 raw bytes (they are uniformly spread:
/// a variable-length encoding would not shorten them).
pub(crate) fn put_fp(buf: &mut Vec<u8>, fp: u128) {
    buf.extend_from_slice(&fp.to_le_bytes());
}

/// A state vector, in the frontier's codec.
pub(crate) fn put_state(buf: &mut Vec<u8>, s: &[i64]) {
    kvet_explore::frontier::encode(s, buf);
}

pub(crate) fn put_str(buf: &mut Vec<u8>, s: &str) {
    put_u(buf, s.len() as u64);
    buf.extend_from_slice(s.as_bytes());
}

/// A reader over one batch.
pub(crate) struct Rd<'a> {
    b: &'a [u8],
    pub at: usize,
}

impl<'a> Rd<'a> {
    pub fn new(b: &'a [u8]) -> Rd<'a> {
        Rd { b, at: 0 }
    }

    /// A state vector written by [`put_state`], into `s`.
    pub fn state(&mut self, s: &mut [i64]) {
        self.at += kvet_explore::frontier::decode(&self.b[self.at..], s);
    }

    /// Skip a state vector of `words` words written by [`put_state`].
    pub fn skip_state(&mut self, words: usize) {
        self.at += kvet_explore::frontier::state_len(&self.b[self.at..], words);
    }

    pub fn done(&self) -> bool {
        self.at >= self.b.len()
    }

    pub fn u(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let byte = self.b[self.at];
            self.at += 1;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    /// A fingerprint written by [`put_fp`].
    pub fn fp(&mut self) -> u128 {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.b[self.at..self.at + 16]);
        self.at += 16;
        u128::from_le_bytes(a)
    }

    pub fn i(&mut self) -> i64 {
        let z = self.u();
        ((z >> 1) as i64) ^ -((z & 1) as i64)
    }

    pub fn str(&mut self) -> String {
        let n = self.u() as usize;
        let s = String::from_utf8_lossy(&self.b[self.at..self.at + n]).into_owned();
        self.at += n;
        s
    }
}

/// Every kind, in a fixed order (the wire number is the index).
const KINDS: [ViolationKind; 19] = [
    ViolationKind::Assertion,
    ViolationKind::Bug,
    ViolationKind::Warning,
    ViolationKind::Deadlock,
    ViolationKind::LockMisuse,
    ViolationKind::NullDeref,
    ViolationKind::BadAccess,
    ViolationKind::Hang,
    ViolationKind::UseAfterFree,
    ViolationKind::UseAfterScope,
    ViolationKind::DoubleFree,
    ViolationKind::SleepInAtomic,
    ViolationKind::DataRace,
    ViolationKind::Lockdep,
    ViolationKind::LockOrder,
    ViolationKind::Condition,
    ViolationKind::Livelock,
    ViolationKind::Ubsan,
    ViolationKind::Bound,
];

fn kind_no(k: ViolationKind) -> u64 {
    // an exhaustive match: a new kind fails to compile here until KINDS has it
    match k {
        ViolationKind::Assertion
        | ViolationKind::Bug
        | ViolationKind::Warning
        | ViolationKind::Deadlock
        | ViolationKind::LockMisuse
        | ViolationKind::NullDeref
        | ViolationKind::BadAccess
        | ViolationKind::Hang
        | ViolationKind::UseAfterFree
        | ViolationKind::UseAfterScope
        | ViolationKind::DoubleFree
        | ViolationKind::SleepInAtomic
        | ViolationKind::DataRace
        | ViolationKind::Lockdep
        | ViolationKind::LockOrder
        | ViolationKind::Condition
        | ViolationKind::Livelock
        | ViolationKind::Ubsan
        | ViolationKind::Bound => KINDS.iter().position(|&x| x == k).unwrap_or(0) as u64,
    }
}

pub(crate) fn put_violation(buf: &mut Vec<u8>, v: &Violation) {
    put_u(buf, kind_no(v.kind));
    put_u(buf, v.thread as u64);
    put_u(buf, v.pc as u64);
    put_str(buf, &v.message);
    put_u(buf, v.path.len() as u64);
    for &m in &v.path {
        put_u(buf, m as u64);
    }
}

pub(crate) fn get_violation(r: &mut Rd) -> Violation {
    let kind = KINDS[r.u() as usize];
    let thread = r.u() as u32;
    let pc = r.u() as u32;
    let message = r.str();
    let n = r.u() as usize;
    let path = (0..n).map(|_| r.u() as u32).collect();
    Violation { kind, thread, pc, message, path }
}
