//! Fréchet distance and KID against numpy/scipy on committed fixtures.
//!
//! Regenerate with `python scripts/frechet_reference.py tests/fixtures/frechet` (pip line in the
//! script). The scipy route (`sqrtm` of the non-symmetric product, as pytorch-fid) and numpy's
//! eigenvalue route agree with each other to ~1e-14 relative; we require 1e-9.

use std::path::PathBuf;

use fid_core::kid::kid_on_subsets;
use fid_core::{FeatureMatrix, Moments, frechet_gaussians};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/frechet")
        .join(name)
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("reference.json")).unwrap()).unwrap()
}

fn load(case: &str) -> (FeatureMatrix, FeatureMatrix) {
    (
        FeatureMatrix::read_npy(&fixture(&format!("{case}_a.npy"))).unwrap(),
        FeatureMatrix::read_npy(&fixture(&format!("{case}_b.npy"))).unwrap(),
    )
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn fid_matches_scipy_sqrtm() {
    let r = reference();
    for case in ["d64", "d16_small"] {
        let (a, b) = load(case);
        let ga = Moments::from_features(&a).gaussian().unwrap();
        let gb = Moments::from_features(&b).gaussian().unwrap();
        assert!(rel(ga.mean[0], r[case]["mu_a_0"].as_f64().unwrap()) < 1e-12);
        assert!(rel(ga.cov[(0, 0)], r[case]["sigma_a_00"].as_f64().unwrap()) < 1e-12);
        let f = frechet_gaussians(&ga, &gb).unwrap();
        let expected = r[case]["fid_scipy_sqrtm"].as_f64().unwrap();
        assert!(
            rel(f.value, expected) < 1e-9,
            "{case}: {} vs scipy {expected}",
            f.value
        );
        assert_eq!(f.diagnostics.clamped_count, 0);
    }
}

#[test]
fn rank_deficient_fid_matches_numpy_eigvals_and_warns() {
    let r = reference();
    let (a, b) = load("rank_deficient");
    let ga = Moments::from_features(&a).gaussian().unwrap();
    let gb = Moments::from_features(&b).gaussian().unwrap();
    let f = frechet_gaussians(&ga, &gb).unwrap();
    let expected = r["rank_deficient"]["fid_eigvals"].as_f64().unwrap();
    // Clamping tiny negative eigenvalues (numpy route) vs the symmetric route: round-off only.
    assert!(rel(f.value, expected) < 1e-9, "{} vs {expected}", f.value);
    assert!(f.diagnostics.rank_deficient);
    assert!(!f.diagnostics.warnings().is_empty());
}

#[test]
fn kid_matches_numpy_on_fixed_subsets() {
    let r = reference();
    for case in ["d64", "d16_small", "rank_deficient"] {
        let (a, b) = load(case);
        let subsets: Vec<(Vec<usize>, Vec<usize>)> =
            serde_json::from_value(r[case]["kid_subsets"].clone()).unwrap();
        let k = kid_on_subsets(&a, &b, &subsets).unwrap();
        let mean = r[case]["kid_mean"].as_f64().unwrap();
        let std = r[case]["kid_std"].as_f64().unwrap();
        assert!(
            (k.value - mean).abs() < 1e-12 * mean.abs().max(1.0),
            "{case}: {} vs {mean}",
            k.value
        );
        assert!((k.std - std).abs() < 1e-12 * std.abs().max(1.0));
    }
}
