//! Text drawn with the bundled Liberation Serif (SIL OFL 1.1; metric-compatible with the Times
//! New Roman the paper uses), so that no system font is needed.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::RgbImage;

/// Liberation Serif Regular 2.1.5, see `data/fonts/LICENSE-LiberationSerif.txt`.
pub const SERIF_TTF: &[u8] = include_bytes!("../../data/fonts/LiberationSerif-Regular.ttf");

/// The bundled serif font.
pub fn serif() -> FontRef<'static> {
    FontRef::try_from_slice(SERIF_TTF).expect("the bundled font parses")
}

/// Draws `text` with its top-left corner at `(x, y)`, `em_px` pixels per em (Pillow's
/// `ImageFont.truetype(path, em_px)`), blending `colour` by glyph coverage.
///
/// As Pillow's default anchor (`"la"`), the ascender line is at `y`.
pub fn draw_text(image: &mut RgbImage, x: i32, y: i32, em_px: f32, text: &str, colour: [u8; 3]) {
    let font = serif();
    let units_per_em = font.units_per_em().unwrap_or(2048.0);
    let scale = PxScale::from(em_px * font.height_unscaled() / units_per_em);
    let scaled = font.as_scaled(scale);
    let baseline = y as f32 + scaled.ascent();
    let mut caret = x as f32;
    let mut previous = None;
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(prev) = previous {
            caret += scaled.kern(prev, id);
        }
        let glyph = id.with_scale_and_position(scale, point(caret, baseline));
        caret += scaled.h_advance(id);
        previous = Some(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i32 + gx as i32;
            let py = bounds.min.y as i32 + gy as i32;
            if px < 0 || py < 0 || px >= image.width() as i32 || py >= image.height() as i32 {
                return;
            }
            let c = coverage.clamp(0.0, 1.0);
            let pixel = image.get_pixel_mut(px as u32, py as u32);
            for (p, &target) in pixel.0.iter_mut().zip(&colour) {
                *p = (f32::from(*p) * (1.0 - c) + f32::from(target) * c).round() as u8;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_marks_pixels_near_the_origin_only() {
        let mut img = RgbImage::new(200, 60);
        draw_text(&mut img, 0, 0, 32.0, "Bow tie", [255, 255, 255]);
        let lit: Vec<(u32, u32)> = img
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0[0] > 128)
            .map(|(x, y, _)| (x, y))
            .collect();
        assert!(lit.len() > 100, "{}", lit.len());
        // 32 px em: glyphs stay within the first ~40 rows and ~120 columns.
        assert!(lit.iter().all(|&(x, y)| x < 130 && y < 40));
    }
}
