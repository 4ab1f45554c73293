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
}
