//! Native (hand-compiled) models: see submodules.
