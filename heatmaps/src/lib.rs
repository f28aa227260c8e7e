//! FID sensitivity heatmaps (Grad-CAM on the last 8×8 Inception block).
#![warn(missing_docs)]
