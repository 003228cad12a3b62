//! The statistics of `compute-stats` (stats.md), one module per family.

pub mod rollups;
