//! OpenCV's `COLORMAP_PARULA` as an RGB lookup table.
//!
//! The paper colours maps with `cv2.applyColorMap(map, cv2.COLORMAP_PARULA)` and converts BGR to
//! RGB. The table in `data/opencv-parula-rgb-lut.txt` (256 lines `R G B`) was produced by
//! opencv-python-headless 5.1.0.95 and is checked against OpenCV itself by
//! `scripts/heatmap_pipeline_reference.py` (fixture `parula_cv2_rgb.npy`).

use std::sync::OnceLock;

/// The table as shipped: 256 lines of `R G B`.
pub const PARULA_RGB_TXT: &str = include_str!("../data/opencv-parula-rgb-lut.txt");

/// The 256-entry RGB table (parsed once from [`PARULA_RGB_TXT`]).
pub fn parula_lut() -> &'static [[u8; 3]; 256] {
    static LUT: OnceLock<[[u8; 3]; 256]> = OnceLock::new();
    LUT.get_or_init(|| {
        parse_lut(PARULA_RGB_TXT).expect("the embedded PARULA table has 256 lines of 3 bytes")
    })
}

/// The RGB colour of map value `v` (what `applyColorMap` + BGR→RGB gives).
pub fn parula(v: u8) -> [u8; 3] {
    parula_lut()[usize::from(v)]
}

fn parse_lut(text: &str) -> Option<[[u8; 3]; 256]> {
    let mut lut = [[0u8; 3]; 256];
    let mut rows = text.lines().filter(|l| !l.trim().is_empty());
    for entry in lut.iter_mut() {
        let mut it = rows.next()?.split_whitespace().map(|t| t.parse::<u8>());
        for c in entry.iter_mut() {
            *c = it.next()?.ok()?;
        }
        if it.next().is_some() {
            return None;
        }
    }
    rows.next().is_none().then_some(lut)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values quoted in the paper-port spec (§4 step 7.7).
    #[test]
    fn known_entries() {
        assert_eq!(parula(0), [53, 42, 135]);
        assert_eq!(parula(128), [57, 185, 157]);
        assert_eq!(parula(255), [249, 251, 14]);
    }

    #[test]
    fn malformed_tables_are_rejected() {
        assert!(parse_lut("1 2 3\n").is_none());
        let too_long = "1 2 3\n".repeat(257);
        assert!(parse_lut(&too_long).is_none());
        assert!(parse_lut(&"1 2 3\n".repeat(256)).is_some());
    }
}
