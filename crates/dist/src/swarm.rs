//! Swarm search (SPIN's swarm verification, Holzmann, Joshi and Groce,
//! "Swarm Verification Techniques", IEEE TSE 2011): K independent
//! depth-first searches, each with its own seed for the order in which it
//! tries a state's moves and its own bitstate visited set (Holzmann's
//! supertrace: two bits per state in a fixed table, so a search may skip
//! a state it has not seen, never report one it cannot reach). For bug
//! hunting in spaces too large to exhaust: the first finding wins, and
//! its path replays like any other.

/// Swarm parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwarmOptions {
    /// Independent searches, spread over every worker of every process.
    pub searches: usize,
    /// log2 of the bits of each search's bitstate table.
    pub bits_log2: u32,
    /// Expansions of each search between two comparisons of notes.
    pub chunk: u64,
}

impl Default for SwarmOptions {
    fn default() -> Self {
        SwarmOptions { searches: 8, bits_log2: 26, chunk: 20_000 }
    }
}

use crate::net::Net;
use crate::wire::{get_violation, put_u, put_violation, Rd};
use kvet_explore::{fingerprint, Ample, Exploration, Options, Scratch, Stepper, Violation, Visit};
use std::time::Instant;

/// splitmix64: the per-search random stream.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One randomised depth-first search with its bitstate table.
struct Dfs {
    seed: u64,
    bits: Vec<u64>,
    mask: u64,
    /// Pending states: words, depth, the move that reached it.
    stack: Vec<i64>,
    meta: Vec<(u32, u32)>,
    trail: Vec<u32>,
    states: u64,
    transitions: u64,
    found: Option<Violation>,
}

impl Dfs {
    fn new(st: &Stepper, seed: u64, bits_log2: u32, init: &[i64]) -> Dfs {
        let n = 1u64 << bits_log2.clamp(10, 36);
        let mut d = Dfs {
            seed,
            bits: vec![0; (n / 64) as usize],
            mask: n - 1,
            stack: init.to_vec(),
            meta: vec![(0, 0)],
            trail: Vec::new(),
            states: 1,
            transitions: 0,
            found: None,
        };
        d.insert(st.fingerprint(init));
        d
    }

    /// Whether the state's two bits are set (it may have been seen).
    fn seen(&self, fp: u128) -> bool {
        let a = (fp as u64 ^ self.seed) & self.mask;
        let b = ((fp >> 64) as u64 ^ mix(self.seed)) & self.mask;
        [a, b].iter().all(|&i| self.bits[(i / 64) as usize] & (1u64 << (i % 64)) != 0)
    }

    /// Set the state's two bits; true if one was clear (a new state).
    fn insert(&mut self, fp: u128) -> bool {
        let a = (fp as u64 ^ self.seed) & self.mask;
        let b = ((fp >> 64) as u64 ^ mix(self.seed)) & self.mask;
        let mut new = false;
        for i in [a, b] {
            let (w, bit) = ((i / 64) as usize, 1u64 << (i % 64));
            new |= self.bits[w] & bit == 0;
            self.bits[w] |= bit;
        }
        new
    }

    /// Run up to `budget` expansions; false when the search is over.
    fn run(&mut self, st: &Stepper, sc: &mut Scratch, reduce: bool, budget: u64, max_states: u64) -> bool {
        let width = self.stack.len() / self.meta.len().max(1);
        let mut s = vec![0i64; width];
        let mut succ: Vec<(u32, Vec<i64>)> = Vec::new();
        for _ in 0..budget {
            let Some((depth, mv)) = self.meta.pop() else { return false };
            let top = self.meta.len();
            s.copy_from_slice(&self.stack[top * width..(top + 1) * width]);
            self.stack.truncate(top * width);
            self.trail.truncate(depth.saturating_sub(1) as usize);
            if depth > 0 {
                self.trail.push(mv);
            }
            let mut found: Option<Violation> = None;
            succ.clear();
            let trail = std::mem::take(&mut self.trail);
            let has = st.classify(&s, sc, &mut handler(&trail, &mut found, &mut succ));
            let mut full = true;
            if has && reduce {
                // the depth-first cycle proviso: no successor seen before
                if let Ample::Set { failed } = st.ample(&s, sc) {
                    let total = sc.ample_moves().len();
                    let old = (0..sc.ample_len()).find(|&k| self.seen(st.fingerprint(sc.ample_succ(k))));
                    let stop = old.or(failed);
                    self.transitions += stop.map_or(total, |k| k + 1) as u64;
                    if stop.is_none() {
                        succ.extend((0..total).map(|k| (sc.ample_moves()[k], sc.ample_succ(k).to_vec())));
                        full = false;
                    }
                }
            }
            if has && full {
                self.transitions += st.expand(&s, sc, &mut handler(&trail, &mut found, &mut succ));
            }
            self.trail = trail;
            if found.is_some() {
                self.found = found;
                return false;
            }
            // a random order of the new successors
            let mut r = mix(self.seed ^ fingerprint(&s) as u64);
            for i in (1..succ.len()).rev() {
                r = mix(r);
                succ.swap(i, (r % (i as u64 + 1)) as usize);
            }
            for (mv, x) in succ.drain(..) {
                if self.insert(st.fingerprint(&x)) {
                    self.states += 1;
                    self.stack.extend_from_slice(&x);
                    self.meta.push((depth + 1, mv));
                }
            }
            if self.states >= max_states {
                return false;
            }
        }
        true
    }
}

/// Where a swarm search's expansion events go: the first bug found (with
/// its path), and the successors.
struct Handler<'a> {
    trail: &'a [u32],
    found: &'a mut Option<Violation>,
    succ: &'a mut Vec<(u32, Vec<i64>)>,
}

impl Visit for Handler<'_> {
    fn finding(&mut self, mut v: Violation, extra: Option<u32>) {
        if self.found.is_none() && v.kind.is_bug() {
            v.path = self.trail.iter().copied().chain(extra).collect();
            *self.found = Some(v);
        }
    }
    fn outcome(&mut self, _obs: &[kvet_ir::Val]) {}
    fn successor(&mut self, mv: u32, x: &[i64]) {
        self.succ.push((mv, x.to_vec()));
    }
}

fn handler<'a>(trail: &'a [u32], found: &'a mut Option<Violation>, succ: &'a mut Vec<(u32, Vec<i64>)>) -> Handler<'a> {
    Handler { trail, found, succ }
}

/// Run the swarm on this worker: its share of the searches, in rounds of
/// `chunk` expansions each; after every round the workers compare notes,
/// and the first finding (by round, then search number) wins, the same
/// on every worker.
pub(crate) fn run(net: &mut Net, st: &Stepper, opts: &Options, sw: &SwarmOptions, start: Instant) -> Exploration {
    let (warns, init) = st.initial();
    if let Some(v) = warns.into_iter().find(|v| v.kind.is_bug()) {
        return Exploration { violations: vec![v], ..Exploration::default() };
    }
    let init = match init {
        Ok(s) => s,
        Err(v) => return Exploration { violations: vec![v], complete: true, ..Exploration::default() },
    };
    let mut sc = Scratch::default();
    let mut mine: Vec<(usize, Dfs)> = (0..sw.searches)
        .filter(|k| k % net.peers == net.index)
        .map(|k| (k, Dfs::new(st, mix(k as u64 + 1), sw.bits_log2, &init)))
        .collect();
    let mut live = vec![true; mine.len()];
    loop {
        for (i, (_, d)) in mine.iter_mut().enumerate() {
            if live[i] {
                live[i] = d.run(st, &mut sc, opts.reduce, sw.chunk, opts.max_states);
            }
        }
        let over_time = opts.max_seconds.is_some_and(|t| start.elapsed().as_secs_f64() > t);
        let mut msg = Vec::new();
        put_u(&mut msg, live.iter().any(|&l| l) as u64);
        put_u(&mut msg, over_time as u64);
        put_u(&mut msg, mine.iter().map(|(_, d)| d.states).sum());
        put_u(&mut msg, mine.iter().map(|(_, d)| d.transitions).sum());
        match mine.iter().find(|(_, d)| d.found.is_some()) {
            Some((k, d)) => {
                put_u(&mut msg, 1);
                put_u(&mut msg, *k as u64);
                put_violation(&mut msg, d.found.as_ref().unwrap_or_else(|| unreachable!()));
            }
            None => put_u(&mut msg, 0),
        }
        let all = net.all_gather(msg);
        let (mut any_live, mut any_time, mut states, mut transitions) = (false, false, 0, 0);
        let mut win: Option<(u64, Violation)> = None;
        for b in &all {
            let mut r = Rd::new(b);
            any_live |= r.u() != 0;
            any_time |= r.u() != 0;
            states += r.u();
            transitions += r.u();
            if r.u() == 1 {
                let k = r.u();
                let v = get_violation(&mut r);
                if win.as_ref().is_none_or(|(w, _)| k < *w) {
                    win = Some((k, v));
                }
            }
        }
        if win.is_some() || !any_live || any_time {
            return Exploration {
                states,
                transitions,
                violations: win.map(|(_, v)| v).into_iter().collect(),
                stopped: any_time.then(|| kvet_explore::StopReason::Time(opts.max_seconds.unwrap_or(0.0))),
                ..Exploration::default()
            };
        }
    }
}
