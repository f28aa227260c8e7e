//! One module per subcommand: a clap `…Args` struct and a `run` function.

pub mod classes;
pub mod common;
pub mod convert;
pub mod extract;
pub mod fid;
pub mod generate;
pub mod heatmaps;
pub mod inspect;
pub mod kid;
pub mod resample;
pub mod stats;
