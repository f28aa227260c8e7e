//! Bar chart of the most probable classes (paper: `bar_chart` in `utils.py`, called with the
//! top 10 softmax probabilities; 10 × 7 in at 300 dpi, y range `[0, 1]`, label "Probability"
//! at 28 pt, ticks at 16 pt, class names rotated by 90°, capitalised).
//!
//! Drawn with plotters on an in-memory RGB buffer, text in the bundled serif font (plotters'
//! `ab_glyph` backend), so no system font library is involved.

use std::sync::Once;

use image::RgbImage;
use plotters::prelude::*;
use plotters::style::{FontStyle, FontTransform, register_font};

use crate::error::HeatmapError;
use crate::render::text::SERIF_TTF;

/// Chart size in pixels (10 × 7 inches at 300 dpi).
pub const CHART_SIZE: (u32, u32) = (3000, 2100);
const DPI: f64 = 300.0;
const FONT: &str = "fidlab-serif";
/// Matplotlib's default first colour (`tab:blue`).
const BAR: RGBColor = RGBColor(0x1f, 0x77, 0xb4);

fn points(pt: f64) -> f64 {
    pt * DPI / 72.0
}

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled font parses (tested in `render::text`); ignoring the error here would only
        // make the text fall back to nothing.
        let _ = register_font(FONT, FontStyle::Normal, SERIF_TTF);
    });
}

/// Draws bars `values[i]` labelled `labels[i]` (left to right).
pub fn bar_chart(
    values: &[f32],
    labels: &[String],
    ylabel: &str,
) -> Result<RgbImage, HeatmapError> {
    register();
    let (w, h) = CHART_SIZE;
    let mut buf = vec![255u8; (w * h * 3) as usize];
    draw(&mut buf, values, labels, ylabel).map_err(|e| HeatmapError::Chart(e.to_string()))?;
    Ok(RgbImage::from_raw(w, h, buf).expect("buffer has the chart's size"))
}

fn draw(
    buf: &mut [u8],
    values: &[f32],
    labels: &[String],
    ylabel: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let n = values.len();
    let root = BitMapBackend::with_buffer(buf, CHART_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let tick = (FONT, points(16.0)).into_font();
    let tick_style = TextStyle::from(tick.clone());
    let label_area = labels
        .iter()
        .map(|l| root.estimate_text_size(l, &tick_style).map(|(w, _)| w))
        .try_fold(0u32, |m, w| w.map(|w| m.max(w)))?;
    let mut chart = ChartBuilder::on(&root)
        .margin(60)
        .x_label_area_size(label_area + 60)
        .y_label_area_size(points(28.0) as u32 + 220)
        .build_cartesian_2d(-0.6f64..(n as f64 - 0.4), 0f64..1f64)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.1}"))
        .y_desc(ylabel)
        .axis_desc_style((FONT, points(28.0)))
        .label_style(tick.clone())
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd).stroke_width(4))
        .axis_style(BLACK.stroke_width(3))
        .draw()?;
    chart.draw_series(values.iter().enumerate().map(|(i, &v)| {
        let x = i as f64;
        Rectangle::new(
            [(x - 0.4, 0.0), (x + 0.4, f64::from(v).clamp(0.0, 1.0))],
            BAR.filled(),
        )
    }))?;
    let rotated = TextStyle::from(tick.transform(FontTransform::Rotate270));
    for (i, label) in labels.iter().enumerate().take(n) {
        let (px, py) = chart.backend_coord(&(i as f64, 0.0));
        let (lw, lh) = root.estimate_text_size(label, &tick_style)?;
        // Rotated text reads bottom to top, right-aligned below the axis.
        let x = px - lh as i32 / 2;
        let y = py + 30 + lw as i32;
        root.draw_text(label, &rotated, (x, y))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_drawn_in_the_bar_colour() {
        let labels: Vec<String> = (0..3).map(|i| format!("Class {i}")).collect();
        let img = bar_chart(&[0.9, 0.5, 0.05], &labels, "Probability").unwrap();
        assert_eq!(img.dimensions(), CHART_SIZE);
        let blue = img.pixels().filter(|p| p.0 == [0x1f, 0x77, 0xb4]).count();
        assert!(blue > 10_000, "{blue}");
    }
}
