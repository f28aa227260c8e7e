//! `fidlab resample` and `fidlab classes` end to end on the committed feature fixtures
//! (`tests/fixtures/resampling`, made by `scripts/resampling_reference.py`; logits are rebuilt
//! from `seeded_values` exactly as the script makes them).

use std::path::{Path, PathBuf};
use std::process::Command;

use burn_models::seeded::seeded_values;
use fid_core::FeatureMatrix;

mod common;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/resampling")
        .join(name)
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("reference.json")).unwrap()).unwrap()
}

/// Writes seeded logits `[n, 1008]` (as the fixture script makes them) and returns the path.
fn logits(dir: &Path, name: &str, n: usize) -> PathBuf {
    let path = dir.join(format!("{name}.npy"));
    FeatureMatrix::from_f32(n, 1008, seeded_values(name, 0, n * 1008, 4.0))
        .unwrap()
        .write_npy(&path)
        .unwrap();
    path
}

struct Inputs {
    _dir: tempfile::TempDir,
    real_logits: PathBuf,
    gen_logits: PathBuf,
}

fn inputs() -> Inputs {
    let dir = tempfile::tempdir().unwrap();
    Inputs {
        real_logits: logits(dir.path(), "resampling.real_logits", 120),
        gen_logits: logits(dir.path(), "resampling.gen_logits", 300),
        _dir: dir,
    }
}

fn fidlab(args: &[&str]) -> (String, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_fidlab"))
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.success(),
    )
}

fn resample(extra: &[&str], inp: &Inputs, outdir: &Path) -> (String, String) {
    let (rf, gf, rc, gc) = (
        fixture("real_pool3.npy"),
        fixture("gen_pool3.npy"),
        fixture("real_clip.npy"),
        fixture("gen_clip.npy"),
    );
    let mut args: Vec<String> = vec![
        "resample".into(),
        "--real-features".into(),
        rf.display().to_string(),
        "--gen-features".into(),
        gf.display().to_string(),
        "--real-clip".into(),
        rc.display().to_string(),
        "--gen-clip".into(),
        gc.display().to_string(),
        "--real-logits".into(),
        inp.real_logits.display().to_string(),
        "--gen-logits".into(),
        inp.gen_logits.display().to_string(),
        "--kid-subsets".into(),
        "4".into(),
        "--kid-subset-size".into(),
        "50".into(),
        "--outdir".into(),
        outdir.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, err, ok) = fidlab(&a);
    assert!(ok, "fidlab resample failed:\n{err}");
    (out, err)
}

fn stats(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("optimization_stats.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn resample_prints_the_papers_lines_starts_at_the_whole_set_fid_and_lowers_the_loss() {
    let inp = inputs();
    let tmp = tempfile::tempdir().unwrap();
    let outdir = tmp.path().join("run");
    let (out, _) = resample(&["--iterations", "40", "--eval-every", "20"], &inp, &outdir);
    let fd = reference()["fd_whole"].as_f64().unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Computing real statistics...");
    assert_eq!(lines[1], "Optimizing FID directly...");
    assert_eq!(
        lines[2],
        "Resampled feature shapes: real = (120, 8), gen. = (300, 8)"
    );
    assert_eq!(lines[3], "");
    assert_eq!(lines[4], format!("It. 1/40, loss = {fd:.5}"));
    assert!(lines[5].starts_with("FID = "), "{out}");
    assert!(lines[6].starts_with("CLIP-FID = "), "{out}");
    assert!(
        lines[7].starts_with("Elapsed time: ") && lines[7].ends_with('s'),
        "{out}"
    );
    assert_eq!(lines[8], "");
    assert!(lines[9].starts_with("It. 20/40, loss = "), "{out}");
    let s = stats(&outdir);
    assert_eq!(s.len(), 3);
    let first = s[0]["loss"].as_f64().unwrap();
    assert!(
        (first - fd).abs() < 1e-9 * fd,
        "first loss {first} vs scipy {fd}"
    );
    let last = s[2]["loss"].as_f64().unwrap();
    assert!(
        last < 0.95 * first,
        "the loss did not fall: {first} → {last}"
    );
    for key in [
        "it",
        "loss",
        "fid",
        "fid_clip",
        "kid_x1000",
        "w_min",
        "w_median",
        "w_max",
        "max_mem",
        "snapshot",
        "total_gen_images",
        "random_seed",
        "fid_mean",
    ] {
        assert!(!s[0][key].is_null(), "{key} missing: {}", s[0]);
    }
    let f = files(&outdir);
    assert!(f.contains(&"settings.json".to_string()), "{f:?}");
    let weights: Vec<&String> = f
        .iter()
        .filter(|n| n.starts_with("sampling_weights-fid_"))
        .collect();
    assert_eq!(weights.len(), 1, "{f:?}");
    assert!(weights[0].contains("-num_gen_300-seed_0-it_"), "{f:?}");
    let bytes = std::fs::read(outdir.join(weights[0])).unwrap();
    let w = npyz::NpyFile::new(&bytes[..]).unwrap();
    assert_eq!(w.shape(), &[300]);
    assert_eq!(w.into_vec::<f64>().unwrap().len(), 300);
    assert_eq!(
        f.iter()
            .filter(|n| n.starts_with("resampled_class_dist-fid_") && n.ends_with(".png"))
            .count(),
        1,
        "{f:?}"
    );
    assert_eq!(
        f.iter()
            .filter(|n| n.starts_with("rnd_class_dist-fid_"))
            .count(),
        1,
        "{f:?}"
    );
}

#[test]
fn resume_reproduces_an_uninterrupted_run() {
    let inp = inputs();
    let tmp = tempfile::tempdir().unwrap();
    let (whole, part) = (tmp.path().join("whole"), tmp.path().join("part"));
    let common = [
        "--eval-every",
        "4",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--no-plots",
    ];
    let with = |n: &'static str| {
        let mut v = vec!["--iterations", n];
        v.extend(common);
        v
    };
    resample(&with("12"), &inp, &whole);
    resample(&with("8"), &inp, &part);
    let (out, _, ok) = fidlab(&[
        "resample",
        "--resume",
        part.to_str().unwrap(),
        "--iterations",
        "12",
    ]);
    assert!(ok);
    assert!(out.contains("It. 12/12, loss = "), "{out}");
    let a = resampling::outputs::read_checkpoint(&whole).unwrap();
    let b = resampling::outputs::read_checkpoint(&part).unwrap();
    assert_eq!(a.iteration, 12);
    assert_eq!(a, b, "resumed run differs from the uninterrupted one");
    let (sa, sb) = (stats(&whole), stats(&part));
    assert_eq!(sa.len(), sb.len());
    for (x, y) in sa.iter().zip(&sb) {
        for key in [
            "it",
            "loss",
            "fid",
            "fid_clip",
            "kid_x1000",
            "w_min",
            "w_max",
        ] {
            assert_eq!(x[key], y[key], "{key}");
        }
    }
}

#[test]
fn top_n_mode_binarises_and_lowers_the_loss() {
    let inp = inputs();
    let tmp = tempfile::tempdir().unwrap();
    let outdir = tmp.path().join("run");
    let (out, _) = resample(
        &[
            "--feature-mode",
            "top_n",
            "--num-dims",
            "3",
            "--iterations",
            "20",
            "--eval-every",
            "19",
            "--lr",
            "100",
            "--no-plots",
        ],
        &inp,
        &outdir,
    );
    assert!(
        out.starts_with("Binarizing real and gen. feature vectors...\n"),
        "{out}"
    );
    let s = stats(&outdir);
    assert!(s[1]["loss"].as_f64().unwrap() < s[0]["loss"].as_f64().unwrap());
}

#[test]
fn existing_outdir_and_generator_inputs_are_refused() {
    let inp = inputs();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("mine.txt"), "keep").unwrap();
    let rf = fixture("real_pool3.npy");
    let rf = rf.to_str().unwrap();
    let (_, err, ok) = fidlab(&[
        "resample",
        "--real-features",
        rf,
        "--gen-features",
        rf,
        "--outdir",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("not empty"), "{err}");
    // A missing generator is named, before anything is written.
    let missing = tmp.path().join("new_run");
    let (_, err, ok) = fidlab(&[
        "resample",
        "--zip",
        rf,
        "--network",
        "no-such-G.pkl",
        "--outdir",
        missing.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("no-such-G.pkl"), "{err}");
    assert!(!missing.exists());
    // Feature files and image inputs do not mix.
    let (_, err, ok) = fidlab(&[
        "resample",
        "--zip",
        rf,
        "--network",
        "G.pkl",
        "--real-features",
        rf,
        "--outdir",
        missing.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    let (_, err, ok) = fidlab(&[
        "resample",
        "--real-features",
        rf,
        "--gen-features",
        rf,
        "--feature-mode",
        "top_n",
        "--outdir",
        tmp.path().join("new").to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("--num-dims"), "{err}");
    drop(inp);
}

#[test]
fn classes_reports_histogram_distances() {
    let inp = inputs();
    let (out, err, ok) = fidlab(&[
        "classes",
        inp.real_logits.to_str().unwrap(),
        inp.gen_logits.to_str().unwrap(),
        "--top",
        "3",
    ]);
    assert!(ok, "{err}");
    assert!(out.starts_with("total variation = "), "{out}");
    assert!(out.contains("KL(A || B) = "), "{out}");
    assert!(
        out.contains("over-represented in B:") && out.contains("under-represented in B:"),
        "{out}"
    );
    let (out, _, ok) = fidlab(&[
        "classes",
        inp.real_logits.to_str().unwrap(),
        inp.real_logits.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["total_variation"].as_f64().unwrap(), 0.0);
}

#[test]
fn zip_and_network_extract_both_sets_as_fidlab_stats_does_then_resample() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let network = common::skip32_generator();
    let network = network.as_str();
    common::write_seeded_inception(&tmp.path().join("w.safetensors"));
    let weights = p("w.safetensors");
    // The "real" set: eight images of the same generator for other seeds, as PNG files.
    common::run_ok(common::fidlab().args([
        "generate",
        "--network",
        network,
        "--seeds",
        "100-107",
        "--outdir",
        &p("real"),
    ]));
    std::fs::remove_file(tmp.path().join("real/generate.json")).unwrap();
    let (out, err, ok) = fidlab(&[
        "resample",
        "--zip",
        &p("real"),
        "--network",
        network,
        "--num-real",
        "8",
        "--num-gen",
        "16",
        "--no-clip",
        "--inception-weights",
        &weights,
        "--batch",
        "4",
        "--iterations",
        "2",
        "--eval-every",
        "1",
        "--eval-repeats",
        "1",
        "--kid-subsets",
        "2",
        "--kid-subset-size",
        "4",
        "--no-plots",
        "--outdir",
        &p("run"),
    ]);
    assert!(ok, "fidlab resample --zip --network failed:\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Reading images and computing features...");
    assert_eq!(lines[1], "Real features shape:         (8, 2048)");
    assert_eq!(lines[2], "Real metrics features shape: (8, 2048)");
    assert_eq!(lines[4], "Generating images and computing features...");
    assert_eq!(lines[5], "Gen. features shape          (16, 2048)");
    assert!(out.contains("Optimizing FID directly..."), "{out}");
    assert_eq!(stats(&tmp.path().join("run")).len(), 2);
    // The features it wrote are those `fidlab stats` computes for the same images.
    let stats_features = |input: &[&str], features: &str, npy: &str| {
        common::run_ok(common::fidlab().arg("stats").args(input).args([
            "--features",
            features,
            "--inception-weights",
            &weights,
            "--batch",
            "4",
            "-o",
            &p(&format!("{npy}.npz")),
            "--save-features",
            &p(npy),
        ]));
        common::npy_rows(&tmp.path().join(npy))
    };
    let generator = ["--generator", network, "--num", "16"];
    for (file, expected) in [
        (
            "real_pool3.npy",
            stats_features(&[&p("real")], "pool3", "real_pool3.npy"),
        ),
        (
            "gen_pool3.npy",
            stats_features(&generator, "pool3", "gen_pool3.npy"),
        ),
        (
            "gen_logits.npy",
            stats_features(&generator, "logits", "gen_logits.npy"),
        ),
    ] {
        let got = common::npy_rows(&tmp.path().join("run/features").join(file));
        assert_eq!(got.len(), expected.len(), "{file}");
        for (a, b) in got.iter().zip(&expected) {
            let diff = common::max_abs_diff(a, b);
            assert!(diff <= 1e-5, "{file}: rows differ by {diff}");
        }
    }
    assert!(!tmp.path().join("run/features/gen_clip.npy").exists());
    // The paper's grids of regenerated candidates: 9 × 16 tiles of 32 px; the random subset has only 8 images.
    let run_files = files(&tmp.path().join("run"));
    for prefix in [
        "rnd_grid-fid_",
        "resampled_grid-fid_",
        "small_weight_grid.png",
        "large_weight_grid.png",
    ] {
        let name = run_files
            .iter()
            .find(|f| f.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}… in {run_files:?}"));
        let grid = image::open(tmp.path().join("run").join(name))
            .unwrap()
            .to_rgb8();
        assert_eq!(grid.dimensions(), (16 * 32, 9 * 32), "{name}");
        let tile_is_black = |slot: u32| {
            let (x0, y0) = (slot % 16 * 32, slot / 16 * 32);
            (0..32).all(|y| (0..32).all(|x| grid.get_pixel(x0 + x, y0 + y).0 == [0, 0, 0]))
        };
        let filled = match prefix {
            "rnd_grid-fid_" => 8,
            "resampled_grid-fid_" => 8, // the first 144 of a resample of N_r = 8
            _ => 1,                     // the lowest or highest 10 % of 16 candidates
        };
        assert!(
            (0..filled).all(|s| !tile_is_black(s)),
            "{name}: an empty tile"
        );
        assert!(
            (filled..144).all(tile_is_black),
            "{name}: a tile beyond {filled}"
        );
    }
    let settings: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("run/settings.json")).unwrap(),
    )
    .unwrap();
    let gen_features = settings["inputs"]["gen_features"].as_str().unwrap();
    assert!(
        gen_features.ends_with("features/gen_pool3.npy"),
        "{settings}"
    );
    assert!(
        settings["generator"]["network"]
            .as_str()
            .unwrap()
            .ends_with("G.json")
    );
    // Resuming reuses the extracted features and reloads the generator for the grids.
    let (resumed, err, ok) = fidlab(&[
        "resample",
        "--resume",
        &p("run"),
        "--iterations",
        "3",
        "--batch",
        "4",
    ]);
    assert!(ok, "fidlab resample --resume failed:\n{err}");
    assert_eq!(stats(&tmp.path().join("run")).len(), 3);
    assert!(!resumed.contains("Reading images"), "{resumed}");
}
