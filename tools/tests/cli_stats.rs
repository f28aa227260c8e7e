//! `fidlab stats`, `fid`, `kid` end to end on the committed scipy fixtures
//! (`python scripts/frechet_reference.py tests/fixtures/frechet`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fidlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fidlab"))
        .args(args)
        .output()
        .expect("fidlab runs")
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/frechet")
        .join(name)
        .display()
        .to_string()
}

fn reference(case: &str, key: &str) -> f64 {
    let text = std::fs::read_to_string(fixture("reference.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v[case][key].as_f64().unwrap()
}

fn stdout_f64(out: &Output) -> f64 {
    assert!(
        out.status.success(),
        "fidlab failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn fid_of_feature_files_equals_scipy_sqrtm() {
    let fid = stdout_f64(&fidlab(&[
        "fid",
        &fixture("d64_a.npy"),
        &fixture("d64_b.npy"),
    ]));
    let expected = reference("d64", "fid_scipy_sqrtm");
    assert!(
        ((fid - expected) / expected).abs() < 1e-9,
        "{fid} vs {expected}"
    );
}

#[test]
fn json_output_has_counts_and_diagnostics() {
    let out = fidlab(&[
        "fid",
        "--json",
        &fixture("d64_a.npy"),
        &fixture("d64_b.npy"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n_a"], 500);
    assert_eq!(v["n_b"], 400);
    assert_eq!(v["dims"], 64);
    assert!(v["diagnostics"]["min_eigenvalue"].as_f64().unwrap() > 0.0);
    assert!((v["fid"].as_f64().unwrap() - reference("d64", "fid_scipy_sqrtm")).abs() < 1e-8);
}

#[test]
fn stats_file_gives_the_same_fid_and_halves_merge_to_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture("d64_a.npy");
    let feats = fid_core::FeatureMatrix::read_npy(Path::new(&a)).unwrap();
    let fid_core::FeatureMatrix::F32 { data, .. } = &feats else {
        panic!("fixture is f32")
    };
    let half = 250 * 64;
    let (h1, h2) = (dir.path().join("h1.npy"), dir.path().join("h2.npy"));
    fid_core::FeatureMatrix::from_f32(250, 64, data[..half].to_vec())
        .unwrap()
        .write_npy(&h1)
        .unwrap();
    fid_core::FeatureMatrix::from_f32(250, 64, data[half..].to_vec())
        .unwrap()
        .write_npy(&h2)
        .unwrap();
    let (s1, s2, merged, whole) = (
        dir.path().join("h1.npz"),
        dir.path().join("h2.npz"),
        dir.path().join("merged.npz"),
        dir.path().join("whole.npz"),
    );
    for (input, output) in [(p(&h1), p(&s1)), (p(&h2), p(&s2)), (a.as_str(), p(&whole))] {
        let out = fidlab(&["stats", input, "-o", output]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = fidlab(&["stats", "merge", p(&s1), p(&s2), "-o", p(&merged)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let b = fixture("d64_b.npy");
    let fid_merged = stdout_f64(&fidlab(&["fid", p(&merged), &b]));
    let fid_whole = stdout_f64(&fidlab(&["fid", p(&whole), &b]));
    let expected = reference("d64", "fid_scipy_sqrtm");
    assert!(
        ((fid_merged - fid_whole) / fid_whole).abs() < 1e-12,
        "{fid_merged} vs {fid_whole}"
    );
    assert!(((fid_whole - expected) / expected).abs() < 1e-9);
    // The merged file records the full count.
    let merged_file = fid_core::StatsFile::read(&merged).unwrap();
    assert_eq!(merged_file.gaussian.count, 500);
    assert_eq!(merged_file.provenance.unwrap().count, 500);
}

#[test]
fn stats_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("s.npz");
    std::fs::write(&out_path, b"precious").unwrap();
    let out = fidlab(&["stats", &fixture("d16_small_a.npy"), "-o", p(&out_path)]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&out_path).unwrap(), b"precious");
    let out = fidlab(&[
        "stats",
        &fixture("d16_small_a.npy"),
        "-o",
        p(&out_path),
        "--force",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn pytorch_fid_npz_is_read() {
    // mu/sigma only, float32 mu as pytorch-fid's --save-stats writes it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ref.npz");
    let feats = fid_core::FeatureMatrix::read_npy(Path::new(&fixture("d64_a.npy"))).unwrap();
    let g = fid_core::Moments::from_features(&feats).gaussian().unwrap();
    let mu32: Vec<f32> = g.mean.iter().map(|&x| x as f32).collect();
    let sigma: Vec<f64> = (0..64)
        .flat_map(|i| (0..64).map(move |j| (i, j)))
        .map(|(i, j)| g.cov[(i, j)])
        .collect();
    let mut w = fid_core::npz::NpzWriter::default();
    w.add("mu", &[64], &mu32).f64("sigma", &[64, 64], &sigma);
    w.write(&path).unwrap();
    let fid = stdout_f64(&fidlab(&["fid", p(&path), &fixture("d64_b.npy")]));
    let expected = reference("d64", "fid_scipy_sqrtm");
    // float32 means: the mean term moves at the 1e-7 level.
    assert!(
        ((fid - expected) / expected).abs() < 1e-6,
        "{fid} vs {expected}"
    );
}

#[test]
fn kid_is_seeded_and_repeatable() {
    let args = [
        "kid",
        "--seed",
        "3",
        "--subsets",
        "10",
        &fixture("d64_a.npy"),
        &fixture("d64_b.npy"),
    ];
    let k1 = stdout_f64(&fidlab(&args));
    let k2 = stdout_f64(&fidlab(&args));
    assert_eq!(k1, k2);
    assert!(k1 > 0.0 && k1.is_finite());
}

#[test]
fn bad_inputs_fail_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["fid".into(), "missing.npy".into(), fixture("d64_b.npy")],
            "no such file",
        ),
        (
            vec![
                "fid".into(),
                fixture("d64_a.npy"),
                fixture("d16_small_b.npy"),
            ],
            "dimensions differ",
        ),
        (
            vec![
                "fid".into(),
                fixture("reference.json"),
                fixture("d64_b.npy"),
            ],
            "expected a statistics file",
        ),
    ];
    // N < 2, NaN and a 1-D array.
    let one = dir.path().join("one.npy");
    fid_core::FeatureMatrix::from_f32(1, 4, vec![1.0; 4])
        .unwrap()
        .write_npy(&one)
        .unwrap();
    let nan = dir.path().join("nan.npy");
    fid_core::FeatureMatrix::from_f64(3, 2, vec![1.0, 2.0, 3.0, f64::NAN, 0.0, 1.0])
        .unwrap()
        .write_npy(&nan)
        .unwrap();
    let flat = dir.path().join("flat.npy");
    let mut buf = Vec::new();
    fid_core::npz::write_npy_to(&mut buf, &[5], &[1.0f32; 5]).unwrap();
    std::fs::write(&flat, buf).unwrap();
    let garbage = dir.path().join("garbage.npy");
    std::fs::write(&garbage, b"this is not numpy").unwrap();
    let mut cases = cases;
    cases.push((
        vec!["fid".into(), p(&one).into(), fixture("d64_b.npy")],
        "at least 2",
    ));
    cases.push((
        vec!["fid".into(), p(&nan).into(), p(&nan).into()],
        "row 1, column 1",
    ));
    cases.push((vec!["fid".into(), p(&flat).into(), p(&flat).into()], "2-D"));
    cases.push((
        vec!["fid".into(), p(&garbage).into(), p(&garbage).into()],
        "not a .npy",
    ));
    cases.push((
        vec!["kid".into(), p(&nan).into(), fixture("d64_b.npy")],
        "non-finite",
    ));
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = fidlab(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected `{needle}` in {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn differing_provenance_warns_and_strict_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let feats = fid_core::FeatureMatrix::read_npy(Path::new(&fixture("d16_small_a.npy"))).unwrap();
    let m = fid_core::Moments::from_features(&feats);
    let a = dir.path().join("inception.npz");
    let b = dir.path().join("clip.npz");
    fid_core::StatsFile::from_moments(
        m.clone(),
        fid_core::Provenance::new("inception-v3", "pool3"),
    )
    .unwrap()
    .write(&a)
    .unwrap();
    fid_core::StatsFile::from_moments(m, fid_core::Provenance::new("clip-vit-b-32", "embedding"))
        .unwrap()
        .write(&b)
        .unwrap();
    let out = fidlab(&["fid", p(&a), p(&b)]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("warning: the two sets have different provenance"),
        "{}",
        stderr(&out)
    );
    let out = fidlab(&["fid", "--strict", p(&a), p(&b)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("network: inception-v3 vs clip-vit-b-32"),
        "{}",
        stderr(&out)
    );
}
