//! One module per subcommand: a clap `…Args` struct and a `run` function.

pub mod common;
pub mod fid;
pub mod kid;
pub mod stats;
