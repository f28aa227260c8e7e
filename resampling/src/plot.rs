//! The Top-1 class-distribution plot (the paper's `plot_top1_distribution`, SEED-SPEC §5.7).
//!
//! Classes are those present among the reals' Top-1 predictions, ordered by real count
//! (descending), the first 25 shown; one bar per set and class (real = tab:blue, then tab:orange,
//! tab:green), labelled with the class's first synonym, capitalised; y label "Number of images";
//! 9 × 7 inches at 300 dpi (2700 × 2100 px). The font (DejaVu Sans, Bitstream Vera licence, in
//! `data/fonts/`) is compiled in, so no system font is needed.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::{FontStyle, FontTransform};

use crate::error::ResampleError;

/// Number of classes shown.
pub const SHOWN_CLASSES: usize = 25;
const FONT: &str = "fidlab-sans";
const WIDTH: u32 = 2700;
const HEIGHT: u32 = 2100;
const COLORS: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
];

fn register_font() -> Result<(), ResampleError> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../data/fonts/DejaVuSans.ttf"),
        )
        .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ResampleError::Plot(
            "the bundled font could not be loaded".into(),
        ))
    }
}

/// Top-1 counts per class, `[classes]`.
pub fn histogram(top1: &[usize], classes: usize) -> Vec<usize> {
    let mut h = vec![0; classes];
    top1.iter()
        .filter(|&&c| c < classes)
        .for_each(|&c| h[c] += 1);
    h
}

/// The classes shown: present among reals, by real count descending (ties by index), at most 25.
pub fn shown_classes(real_hist: &[usize]) -> Vec<usize> {
    let mut classes: Vec<usize> = (0..real_hist.len()).filter(|&c| real_hist[c] > 0).collect();
    classes.sort_by(|&a, &b| real_hist[b].cmp(&real_hist[a]).then(a.cmp(&b)));
    classes.truncate(SHOWN_CLASSES);
    classes
}

/// Draws the plot as PNG bytes; `series[0]` is the real set, each entry `(legend, Top-1 classes)`.
pub fn top1_plot_png(
    series: &[(&str, &[usize])],
    classes: usize,
    label: impl Fn(usize) -> String,
) -> Result<Vec<u8>, ResampleError> {
    register_font()?;
    let plot_err = |e: String| ResampleError::Plot(e);
    let hists: Vec<Vec<usize>> = series.iter().map(|(_, t)| histogram(t, classes)).collect();
    let shown = shown_classes(&hists[0]);
    let ymax = hists
        .iter()
        .flat_map(|h| shown.iter().map(move |&c| h[c]))
        .max()
        .unwrap_or(1)
        .max(1);
    let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_err(e.to_string()))?;
        let groups = shown.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(60)
            .x_label_area_size(520)
            .y_label_area_size(200)
            .build_cartesian_2d(-1.0f64..2.0 * groups - 1.0, 0.0f64..ymax as f64 * 1.08)
            .map_err(|e| plot_err(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_x_axis()
            .y_desc("Number of images")
            .label_style((FONT, 48))
            .axis_desc_style((FONT, 56))
            .draw()
            .map_err(|e| plot_err(e.to_string()))?;
        let k = series.len() as f64;
        let width = 1.6 / k;
        for (s, ((name, _), hist)) in series.iter().zip(&hists).enumerate() {
            let color = COLORS[s % COLORS.len()];
            let offset = -0.8 + width * s as f64;
            chart
                .draw_series(shown.iter().enumerate().map(|(g, &c)| {
                    let x = 2.0 * g as f64 + offset;
                    Rectangle::new([(x, 0.0), (x + width, hist[c] as f64)], color.filled())
                }))
                .map_err(|e| plot_err(e.to_string()))?
                .label(*name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 15), (x + 40, y + 15)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 48))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| plot_err(e.to_string()))?;
        let style = TextStyle::from((FONT, 44).into_font())
            .transform(FontTransform::Rotate90)
            .color(&BLACK);
        for (g, &c) in shown.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(2.0 * g as f64, 0.0));
            root.draw(&Text::new(label(c), (px + 22, py + 16), style.clone()))
                .map_err(|e| plot_err(e.to_string()))?;
        }
        root.present().map_err(|e| plot_err(e.to_string()))?;
    }
    let img = image::RgbImage::from_raw(WIDTH, HEIGHT, buf)
        .ok_or_else(|| plot_err("image buffer size".into()))?;
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| plot_err(e.to_string()))?;
    Ok(png)
}

/// Draws the plot and writes it atomically to `path`.
pub fn write_top1_plot(
    path: &Path,
    series: &[(&str, &[usize])],
    classes: usize,
    label: impl Fn(usize) -> String,
) -> Result<(), ResampleError> {
    let png = top1_plot_png(series, classes, label)?;
    fid_core::atomic::write(path, &png)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_ordered_by_real_count() {
        let h = histogram(&[3, 3, 1, 5, 5, 5, 9], 10);
        assert_eq!(shown_classes(&h), vec![5, 3, 1, 9]);
    }

    #[test]
    fn plot_renders_without_system_fonts() {
        let real = [1usize, 1, 2, 3, 3, 3];
        let gen_ = [1usize, 2, 2, 3, 4, 4];
        let png = top1_plot_png(&[("Real", &real), ("Resampled", &gen_)], 1008, |c| {
            format!("Class {c}")
        })
        .unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
        // Some pixels carry the real set's colour.
        assert!(img.pixels().any(|p| p.0 == [31, 119, 180]));
    }
}
