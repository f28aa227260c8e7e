//! FID sensitivity heatmaps: which parts of an image the Fréchet Inception Distance reacts to.
//!
//! A Grad-CAM variant through the Fréchet distance (Kynkäänniemi et al., "The Role of ImageNet
//! Classes in Fréchet Inception Distance", ICLR 2023, Sec. 2): the image is added as the `N`-th
//! sample to generated statistics of `N − 1` images, the Fréchet distance to the real statistics
//! is differentiated with respect to the last 8×8 Inception activation, and the squared
//! gradients weight its channels.
//!
//! Data flow: [`sensitivity`] (map) → [`overlay`] (quantise, [`resize`], colour with [`parula`])
//! → [`render`] (files, grids, class charts, labelled with `burn_models::labels`).
#![warn(missing_docs)]

pub mod cam;
pub mod error;
pub mod frechet;
pub mod inception;
pub mod overlay;
pub mod parula;
pub mod pipeline;
pub mod render;
pub mod resize;
pub mod sensitivity;

pub use error::HeatmapError;
