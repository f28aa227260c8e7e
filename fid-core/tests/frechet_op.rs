//! The differentiable Fréchet distance (`frechet_op`) against torch autograd of the paper's loss and
//! against finite differences.
//!
//! Fixture: `python scripts/resampling_reference.py tests/fixtures/resampling` (pip line in the
//! script): the paper's `compute_weighted_mean_and_cov` + `wasserstein2_loss` in float64 torch, with
//! `torch.linalg.eigvals` for the removed `torch.eig`. The torch loss has `+1e-12` inside each square
//! root (8 eigenvalues of order 0.1–1 here: a shift of ~1e-11 in the value, ~1e-12 relative in the
//! gradient), so agreement to 1e-6 relative, as required, leaves ample margin; we check 1e-8.

use std::path::PathBuf;

use burn::tensor::{DType, Tensor, TensorData};
use burn_models::device::test_device;
use fid_core::{FeatureMatrix, FrechetReference, Moments, frechet_loss};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/resampling")
        .join(name)
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("reference.json")).unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn real_reference() -> FrechetReference {
    let real = FeatureMatrix::read_npy(&fixture("real_pool3.npy")).unwrap();
    let g = Moments::from_features(&real).gaussian().unwrap();
    FrechetReference::new(g.mean, g.cov.as_ref()).unwrap()
}

/// Max |a − b| / max |b|.
fn rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

fn tensors(mean: &[f64], cov: &[f64]) -> (Tensor<1>, Tensor<2>) {
    let device = test_device().autodiff();
    let d = mean.len();
    let m = Tensor::<1>::from_data(TensorData::new(mean.to_vec(), [d]), (&device, DType::F64))
        .require_grad();
    let c = Tensor::<2>::from_data(TensorData::new(cov.to_vec(), [d, d]), (&device, DType::F64))
        .require_grad();
    (m, c)
}

fn host(t: Tensor<1>) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap()
}

#[test]
fn value_and_gradient_match_torch_autograd_of_the_papers_loss() {
    let r = reference();
    let reference_set = real_reference();
    for case in ["uniform", "random"] {
        let c = &r["loss_cases"][case];
        let (mean, cov) = (floats(&c["mean"]), floats(&c["cov"]));
        let (m, cv) = tensors(&mean, &cov);
        let out = frechet_loss(&reference_set, m.clone(), cv.clone()).unwrap();
        let torch_loss = c["loss"].as_f64().unwrap();
        let value = host(out.loss.clone())[0];
        assert!((value - out.value).abs() == 0.0, "{value} vs {}", out.value);
        assert!(
            (value - torch_loss).abs() < 1e-9 * torch_loss,
            "{case}: loss {value} vs torch {torch_loss}"
        );
        let grads = out.loss.backward();
        let gm = host(m.grad(&grads).unwrap());
        let gc = host(cv.grad(&grads).unwrap().reshape([-1]));
        let (tm, tc) = (floats(&c["grad_mean"]), floats(&c["grad_cov"]));
        let (em, ec) = (rel(&gm, &tm), rel(&gc, &tc));
        eprintln!(
            "{case}: loss {value:.15} (torch {torch_loss:.15}); grad rel err mean {em:.2e}, cov {ec:.2e}"
        );
        assert!(em < 1e-8 && ec < 1e-8, "{case}: {em:e} {ec:e}");
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let r = reference();
    let c = &r["loss_cases"]["random"];
    let (mean, cov) = (floats(&c["mean"]), floats(&c["cov"]));
    let d = mean.len();
    let reference_set = real_reference();
    let (m, cv) = tensors(&mean, &cov);
    let out = frechet_loss(&reference_set, m.clone(), cv.clone()).unwrap();
    let grads = out.loss.backward();
    let gc = host(cv.grad(&grads).unwrap().reshape([-1]));
    let gm = host(m.grad(&grads).unwrap());
    let value = |mean: &[f64], cov: &[f64]| {
        let (m, c) = tensors(mean, cov);
        frechet_loss(&reference_set, m, c).unwrap().value
    };
    let h = 1e-6;
    // Symmetric perturbations of C (the covariance is symmetric): dL = G_ij + G_ji.
    for (i, j) in [(0, 0), (1, 4), (7, 2), (5, 5), (3, 6)] {
        let bump = |s: f64| {
            let mut cp = cov.clone();
            cp[i * d + j] += s * h;
            if i != j {
                cp[j * d + i] += s * h;
            }
            value(&mean, &cp)
        };
        let fd = (bump(1.0) - bump(-1.0)) / (2.0 * h);
        let analytic = if i == j {
            gc[i * d + j]
        } else {
            gc[i * d + j] + gc[j * d + i]
        };
        assert!(
            (fd - analytic).abs() < 1e-6 * analytic.abs().max(1e-2),
            "C[{i},{j}]: finite difference {fd} vs {analytic}"
        );
    }
    for i in 0..d {
        let mut mp = mean.clone();
        mp[i] += h;
        let mut mm = mean.clone();
        mm[i] -= h;
        let fd = (value(&mp, &cov) - value(&mm, &cov)) / (2.0 * h);
        assert!((fd - gm[i]).abs() < 1e-7, "μ[{i}]: {fd} vs {}", gm[i]);
    }
}

#[test]
fn shape_mismatch_is_an_error() {
    let reference_set = real_reference();
    let (m, c) = tensors(&[0.0; 3], &[0.0; 9]);
    assert!(frechet_loss(&reference_set, m, c).is_err());
}
