//! Row-major grids of overlays, each tile labelled with its top-1 class
//! (paper: `create_grid` in `utils.py`; labels at `(0, 0)` in a 32 px serif, white).

use image::{GenericImage, RgbImage};

use crate::error::HeatmapError;
use crate::render::text::draw_text;

/// Pixels per em of the tile labels (the paper's `fontsize=32`).
pub const LABEL_EM_PX: f32 = 32.0;

/// Pastes the first `rows · cols` tiles row-major into one image, labelling tile `i` with
/// `labels[i]` when given. All tiles must have the size of the first.
pub fn grid(
    tiles: &[RgbImage],
    labels: Option<&[String]>,
    rows: u32,
    cols: u32,
) -> Result<RgbImage, HeatmapError> {
    let n = (rows * cols) as usize;
    if rows == 0 || cols == 0 || tiles.len() < n {
        return Err(HeatmapError::Statistics(format!(
            "a {rows}×{cols} grid needs {n} images, got {}",
            tiles.len()
        )));
    }
    if let Some(labels) = labels
        && labels.len() < n
    {
        return Err(HeatmapError::Statistics(format!(
            "{} labels for {n} grid tiles",
            labels.len()
        )));
    }
    let (w, h) = tiles[0].dimensions();
    let mut out = RgbImage::new(cols * w, rows * h);
    for (i, tile) in tiles.iter().take(n).enumerate() {
        if tile.dimensions() != (w, h) {
            return Err(HeatmapError::Statistics(format!(
                "grid tile {i} is {}×{}, the first is {w}×{h}",
                tile.width(),
                tile.height()
            )));
        }
        let mut tile = tile.clone();
        if let Some(labels) = labels {
            draw_text(&mut tile, 0, 0, LABEL_EM_PX, &labels[i], [255, 255, 255]);
        }
        let (r, c) = (i as u32 / cols, i as u32 % cols);
        out.copy_from(&tile, c * w, r * h)
            .expect("tile fits by construction");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn tiles_land_row_major() {
        let tiles: Vec<RgbImage> = (0..6)
            .map(|i| RgbImage::from_pixel(4, 3, Rgb([i * 10, 0, 0])))
            .collect();
        let g = grid(&tiles, None, 2, 3).unwrap();
        assert_eq!(g.dimensions(), (12, 6));
        assert_eq!(g.get_pixel(0, 0).0[0], 0);
        assert_eq!(g.get_pixel(8, 0).0[0], 20);
        assert_eq!(g.get_pixel(4, 3).0[0], 40);
        assert!(grid(&tiles, None, 3, 3).is_err());
    }
}
