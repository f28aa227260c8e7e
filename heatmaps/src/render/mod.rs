//! Pictures and files: overlays and images as PNG, maps and probabilities as `.npy`, labelled
//! grids and top-k class charts.

pub mod chart;
pub mod files;
pub mod grid;
pub mod outputs;
pub mod text;
