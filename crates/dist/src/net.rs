//! Bulk-synchronous exchange on timely dataflow: every call to
//! [`Net::exchange`] is one superstep in which each worker hands one byte
//! batch to each other worker, and returns when every batch sent to this
//! worker in that superstep has arrived. The dataflow is one input, an
//! exchange by destination worker (timely routes a record to worker
//! `hash % peers`, so the hash is the destination), an operator that
//! keeps what arrives, and a probe; the superstep number is the timestamp,
//! and the probe passing it says that every worker's batches of that
//! superstep were consumed. Timely does the networking (threads, processes
//! on a hostfile); this file only frames it. See timely's
//! `examples/exchange.rs` and `examples/hashjoin.rs` for the pattern.

use std::cell::RefCell;
use std::rc::Rc;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::{Input, Probe};
use timely::dataflow::{InputHandle, ProbeHandle};
use timely::worker::Worker;

/// One batch: destination worker, source worker, bytes.
type Rec = (u32, u32, Vec<u8>);

pub(crate) struct Net<'w> {
    worker: &'w mut Worker,
    input: InputHandle<u64, CapacityContainerBuilder<Vec<Rec>>>,
    probe: ProbeHandle<u64>,
    /// What arrived, with its superstep: a faster worker's batches of
    /// the next superstep may arrive before this one's probe passes.
    inbox: Rc<RefCell<Vec<(u64, Rec)>>>,
    round: u64,
    pub index: usize,
    pub peers: usize,
    /// Workers per process (the process of worker `w` is `w / threads`).
    pub threads: usize,
    /// Bytes sent to other workers, and to workers of other processes.
    pub bytes_out: u64,
    pub bytes_remote: u64,
    pub supersteps: u64,
}

impl<'w> Net<'w> {
    pub fn new(worker: &'w mut Worker, threads: usize) -> Net<'w> {
        let index = worker.index();
        let peers = worker.peers();
        let mut input = InputHandle::<u64, CapacityContainerBuilder<Vec<Rec>>>::new();
        let inbox: Rc<RefCell<Vec<(u64, Rec)>>> = Rc::default();
        let sink = inbox.clone();
        let probe = worker.dataflow::<u64, _, _>(|scope| {
            scope
                .input_from(&mut input)
                .unary::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
                    Exchange::new(|r: &Rec| r.0 as u64),
                    "Keep",
                    move |_, _| {
                        move |input, _output| {
                            input.for_each(|cap, data| {
                                let t = cap.least().copied().unwrap_or(0);
                                sink.borrow_mut().extend(data.drain(..).map(|r| (t, r)));
                            });
                        }
                    },
                )
                .probe()
                .0
        });
        Net {
            worker,
            input,
            probe,
            inbox,
            round: 0,
            index,
            peers,
            threads: threads.max(1),
            bytes_out: 0,
            bytes_remote: 0,
            supersteps: 0,
        }
    }

    pub fn process_of(&self, w: usize) -> usize {
        w / self.threads
    }

    /// One superstep: `out[w]` goes to worker `w` (empty batches are not
    /// sent); returns the batches received, one per source worker in
    /// worker order (empty where nothing came).
    pub fn exchange(&mut self, out: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let mut got: Vec<Vec<u8>> = vec![Vec::new(); self.peers];
        for (w, buf) in out.into_iter().enumerate() {
            if buf.is_empty() {
                continue;
            }
            if w == self.index {
                got[w] = buf;
                continue;
            }
            self.bytes_out += buf.len() as u64;
            if self.process_of(w) != self.process_of(self.index) {
                self.bytes_remote += buf.len() as u64;
            }
            self.input.send((w as u32, self.index as u32, buf));
        }
        self.round += 1;
        self.supersteps += 1;
        self.input.advance_to(self.round);
        while self.probe.less_than(self.input.time()) {
            self.worker.step_or_park(None);
        }
        let mut inbox = self.inbox.borrow_mut();
        let (now, later): (Vec<_>, Vec<_>) = inbox.drain(..).partition(|(t, _)| *t < self.round);
        *inbox = later;
        for (_, (_, src, buf)) in now {
            let g = &mut got[src as usize];
            if g.is_empty() {
                *g = buf;
            } else {
                g.extend_from_slice(&buf);
            }
        }
        got
    }

    /// Every worker sends `mine` to every worker; returns all of them in
    /// worker order (the same on every worker).
    pub fn all_gather(&mut self, mine: Vec<u8>) -> Vec<Vec<u8>> {
        let mut framed = Vec::with_capacity(mine.len() + 1);
        framed.push(1u8); // never empty, so every source is present
        framed.extend_from_slice(&mine);
        let out = vec![framed; self.peers];
        self.exchange(out).into_iter().map(|mut b| b.split_off(1.min(b.len()))).collect()
    }
}
