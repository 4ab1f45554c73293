//! Native (hand-compiled) memory models over the bit matrices of [`crate::bits`].
//!
//! Sources: the LKMM cat files (`linux-kernel.bell`, `lock.cat`,
//! `linux-kernel.cat`, `sc-kernel.cat`) and herd's `stdlib.cat`,
//! `cross.cat`, `cos-opt.cat`; see [`lkmm`].  [`prune`] offers cheap
//! necessary conditions usable on partial executions.

pub(crate) mod lkmm;
pub mod prune;

pub use lkmm::NativeLkmm;
