//! End to end through the binary: `fidlab generate --save-latents` on the committed small
//! generator (`tests/fixtures/stylegan2/skip32`, made by `scripts/stylegan2_reference.py fixtures`)
//! writes latents bit-identical to numpy's `RandomState(seed).randn(1, z_dim)` and PNGs equal to
//! the NVlabs reference's uint8 images (≥ 99.9 % of values; the rest differ by one because the
//! truncating conversion meets f32 rounding).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/stylegan2/skip32")
        .join(name)
}

fn npy<T: npyz::Deserialize>(path: &Path) -> (Vec<T>, Vec<u64>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = file.shape().to_vec();
    (file.into_vec().unwrap(), shape)
}

fn fidlab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fidlab"))
        .args(args)
        .output()
        .expect("runs fidlab")
}

#[test]
fn generate_writes_reference_pngs_and_numpy_latents() {
    let out = tempfile::tempdir().unwrap();
    let outdir = out.path().to_str().unwrap();
    let network = fixture("G.safetensors");
    let network = network.to_str().unwrap();
    // The `seeds_none` case of the fixture: seeds 3 and 1000, noise off, ψ = 1.
    let args = [
        "generate",
        "--network",
        network,
        "--seeds",
        "3,1000",
        "--outdir",
        outdir,
        "--noise-mode",
        "none",
        "--save-latents",
        "--grid",
        "1x2",
    ];
    let run = fidlab(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let (latents, shape) = npy::<f64>(&out.path().join("latents.npy"));
    let (expected, expected_shape) = npy::<f64>(&fixture("seeds_none_z.npy"));
    assert_eq!(shape, expected_shape);
    assert!(
        latents
            .iter()
            .zip(&expected)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );

    let (reference, ref_shape) = npy::<u8>(&fixture("seeds_none_u8.npy"));
    let [n, c, h, w] = [0, 1, 2, 3].map(|i| ref_shape[i] as usize);
    let (mut same, mut total) = (0usize, 0usize);
    for (i, seed) in [3u32, 1000].iter().enumerate() {
        let png = image::open(out.path().join(format!("seed{seed:04}.png")))
            .unwrap()
            .to_rgb8();
        assert_eq!((png.width() as usize, png.height() as usize), (w, h));
        for y in 0..h {
            for x in 0..w {
                let px = png.get_pixel(x as u32, y as u32);
                for ch in 0..c {
                    let r = reference[((i * c + ch) * h + y) * w + x];
                    assert!(px[ch].abs_diff(r) <= 1, "seed {seed} ({x},{y},{ch})");
                    same += usize::from(px[ch] == r);
                    total += 1;
                }
            }
        }
    }
    assert_eq!(total, n * c * h * w);
    assert!(
        same as f64 / total as f64 >= 0.999,
        "{same}/{total} identical"
    );
    let grid = image::open(out.path().join("grid.png")).unwrap();
    assert_eq!((grid.width() as usize, grid.height() as usize), (2 * w, h));
    assert!(out.path().join("generate.json").is_file());

    // A second run refuses to replace the images, and leaves no temporary files behind.
    let again = fidlab(&args);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));
    let files = std::fs::read_dir(out.path()).unwrap().count();
    assert_eq!(
        files, 5,
        "seed0003.png, seed1000.png, grid.png, latents.npy, generate.json"
    );
    let mut forced = args.to_vec();
    forced.push("--overwrite");
    assert!(fidlab(&forced).status.success());
}

#[test]
fn generate_rejects_bad_input() {
    let out = tempfile::tempdir().unwrap();
    let outdir = out.path().to_str().unwrap();
    let run = fidlab(&[
        "generate",
        "--network",
        "missing.safetensors",
        "--seeds",
        "0",
        "--outdir",
        outdir,
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("missing"));
    let run = fidlab(&[
        "generate",
        "--network",
        "G.pkl",
        "--seeds",
        "0",
        "--outdir",
        outdir,
    ]);
    assert!(String::from_utf8_lossy(&run.stderr).contains("pickle"));
    let run = fidlab(&[
        "generate",
        "--network",
        "G",
        "--seeds",
        "5-1",
        "--outdir",
        outdir,
    ]);
    assert!(!run.status.success());
}
