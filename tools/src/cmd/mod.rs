//! One module per subcommand: a clap `…Args` struct and a `run` function.

pub mod common;
pub mod fid;
pub mod heatmaps;
pub mod kid;
pub mod stats;
