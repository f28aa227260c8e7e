//! Image bytes → CHW `u8` RGB, with the channel and bit-depth rules documented in [`super`].

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, ImageReader};

use super::ImageSize;
use super::error::DecodeSource;

/// One decoded image: `chw` holds `3 * height * width` bytes, channel-major (R plane, G, B).
pub(super) struct Decoded {
    pub(super) size: ImageSize,
    pub(super) chw: Vec<u8>,
}

/// Decodes PNG or JPEG bytes (format sniffed from the content, as PIL does, not from the name).
///
/// A panic inside the decoder (a decoder bug on hostile input) becomes an error, so one bad file
/// never takes the whole run down.
pub(super) fn decode_chw(bytes: &[u8]) -> Result<Decoded, DecodeSource> {
    match catch_unwind(AssertUnwindSafe(|| decode_unchecked(bytes))) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("image decoder panicked: {message}").into())
        }
    }
}

fn decode_unchecked(bytes: &[u8]) -> Result<Decoded, DecodeSource> {
    let image = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()?
        .decode()?;
    Ok(to_chw(image))
}

/// Grey → RGB by repetition, alpha dropped (not composited), 16 bits → 8 bits by
/// `round(v · 255 / 65535)` (the `image` crate's `(v + 128) / 257`), then HWC → CHW.
fn to_chw(image: DynamicImage) -> Decoded {
    let rgb = image.into_rgb8();
    let (width, height) = rgb.dimensions();
    let plane = width as usize * height as usize;
    let hwc = rgb.as_raw();
    let mut chw = vec![0u8; 3 * plane];
    let (r, gb) = chw.split_at_mut(plane);
    let (g, b) = gb.split_at_mut(plane);
    for (i, px) in hwc.chunks_exact(3).enumerate() {
        r[i] = px[0];
        g[i] = px[1];
        b[i] = px[2];
    }
    Decoded {
        size: ImageSize { width, height },
        chw,
    }
}
