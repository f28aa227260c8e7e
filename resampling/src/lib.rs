//! Resampling: reweighting a generated set to lower FID without better images.
#![warn(missing_docs)]
