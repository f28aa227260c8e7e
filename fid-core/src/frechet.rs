//! The Fréchet distance between two Gaussians, in f64, with diagnostics.
//!
//! `FD = ‖μ_a − μ_b‖² + tr Σ_a + tr Σ_b − 2 tr √(Σ_a Σ_b)`.
//!
//! pytorch-fid and the paper's code take `scipy.linalg.sqrtm` of the non-symmetric product
//! `Σ_a Σ_b` and silently drop imaginary parts. The eigenvalues of that product equal those of
//! the symmetric matrix `Lᵀ Σ_b L` where `Σ_a = L Lᵀ` (Cholesky), so fidlab takes
//! `tr √(Σ_a Σ_b) = Σ √λ_i(Lᵀ Σ_b L)` — one Cholesky and one symmetric eigenvalue problem, no
//! complex arithmetic. When neither covariance is positive definite (fewer samples than
//! dimensions, say), `Σ_a^½` from a symmetric eigendecomposition takes the place of `L`.
//! Eigenvalues below zero (round-off on rank-deficient covariances) are clamped to zero; how many,
//! and their total mass, are reported in [`Diagnostics`].
//!
//! [`FrechetReference`] serves optimisation: it keeps `Σ_r^½` of a fixed reference set and returns
//! the distance together with its exact gradient with respect to the other mean and covariance.

use faer::{Accum, Mat, MatRef, Par, Side};

use crate::error::FidError;
use crate::stats::Gaussian;

/// How `tr √(Σ_a Σ_b)` was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Cholesky of `Σ_a`, eigenvalues of `Lᵀ Σ_b L`.
    CholeskyA,
    /// Cholesky of `Σ_b`, eigenvalues of `Lᵀ Σ_a L` (`Σ_a` was not positive definite).
    CholeskyB,
    /// Symmetric square root of `Σ_a` (neither covariance was positive definite).
    Eigh,
}

/// What a user should know about the numbers behind a Fréchet distance.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnostics {
    /// Samples behind the first set (0 when unknown).
    pub n_a: u64,
    /// Samples behind the second set (0 when unknown).
    pub n_b: u64,
    /// Feature dimension.
    pub dims: usize,
    /// True when a set has no more samples than dimensions: its covariance is then
    /// rank-deficient and FID is strongly biased.
    pub rank_deficient: bool,
    /// The smallest eigenvalue of the symmetric product (before clamping).
    pub min_eigenvalue: f64,
    /// How many eigenvalues were negative and clamped to zero.
    pub clamped_count: usize,
    /// Σ |λ| over the clamped eigenvalues.
    pub clamped_mass: f64,
    /// The factorisation used.
    pub route: Route,
}

/// A Fréchet distance and its parts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Frechet {
    /// The distance.
    pub value: f64,
    /// `‖μ_a − μ_b‖²`.
    pub mean_term: f64,
    /// `tr Σ_a + tr Σ_b − 2 tr √(Σ_a Σ_b)`.
    pub cov_term: f64,
    /// Conditioning and rank information.
    pub diagnostics: Diagnostics,
}

impl Diagnostics {
    /// Human-readable warnings (empty when all is well).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        for (name, n) in [("first", self.n_a), ("second", self.n_b)] {
            if n > 0 && n as usize <= self.dims {
                w.push(format!(
                    "the {name} set has {n} samples for {} dimensions: its covariance is rank-deficient and the FID is biased",
                    self.dims
                ));
            }
        }
        if self.clamped_count > 0 {
            w.push(format!(
                "{} negative eigenvalue(s) of total mass {:.3e} clamped to zero (smallest {:.3e})",
                self.clamped_count, self.clamped_mass, self.min_eigenvalue
            ));
        }
        w
    }
}

fn check_inputs(
    mu_a: &[f64],
    cov_a: MatRef<f64>,
    mu_b: &[f64],
    cov_b: MatRef<f64>,
) -> Result<usize, FidError> {
    let d = mu_a.len();
    if mu_b.len() != d {
        return Err(FidError::Shape(format!(
            "feature dimensions differ: {d} vs {}",
            mu_b.len()
        )));
    }
    for (name, c) in [("first", cov_a), ("second", cov_b)] {
        if c.nrows() != d || c.ncols() != d {
            return Err(FidError::Shape(format!(
                "the {name} covariance is {}×{}, expected {d}×{d}",
                c.nrows(),
                c.ncols()
            )));
        }
    }
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
    let finite_mat = |m: MatRef<f64>| m.col_iter().all(|c| c.iter().all(|x| x.is_finite()));
    if !finite(mu_a) || !finite(mu_b) || !finite_mat(cov_a) || !finite_mat(cov_b) {
        return Err(FidError::LinAlg(
            "statistics contain NaN or infinity".into(),
        ));
    }
    Ok(d)
}

fn trace(m: MatRef<f64>) -> f64 {
    (0..m.nrows()).map(|i| m[(i, i)]).sum()
}

/// `Aᵀ B A` for symmetric `B`, symmetrised to the last bit.
fn congruence(a: MatRef<f64>, b: MatRef<f64>) -> Mat<f64> {
    let d = a.nrows();
    let mut ba = Mat::zeros(d, a.ncols());
    faer::linalg::matmul::matmul(ba.as_mut(), Accum::Replace, b, a, 1.0, Par::rayon(0));
    let mut out = Mat::zeros(a.ncols(), a.ncols());
    faer::linalg::matmul::matmul(
        out.as_mut(),
        Accum::Replace,
        a.transpose(),
        ba.as_ref(),
        1.0,
        Par::rayon(0),
    );
    let k = out.nrows();
    Mat::from_fn(k, k, |i, j| 0.5 * (out[(i, j)] + out[(j, i)]))
}

/// Symmetric square root `U diag(√max(s, 0)) Uᵀ` of a symmetric positive semi-definite matrix.
pub fn sqrt_psd(m: MatRef<f64>) -> Result<Mat<f64>, FidError> {
    let evd = m
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| FidError::LinAlg(format!("eigendecomposition failed: {e:?}")))?;
    let (u, s) = (evd.U(), evd.S());
    let d = m.nrows();
    let scaled = Mat::from_fn(d, d, |i, j| u[(i, j)] * s[j].max(0.0).sqrt());
    let mut out = Mat::zeros(d, d);
    faer::linalg::matmul::matmul(
        out.as_mut(),
        Accum::Replace,
        scaled.as_ref(),
        u.transpose(),
        1.0,
        Par::rayon(0),
    );
    Ok(Mat::from_fn(d, d, |i, j| 0.5 * (out[(i, j)] + out[(j, i)])))
}

struct TraceSqrt {
    value: f64,
    min_eigenvalue: f64,
    clamped_count: usize,
    clamped_mass: f64,
    route: Route,
}

fn sum_sqrt(eig: &[f64], route: Route) -> TraceSqrt {
    let mut t = TraceSqrt {
        value: 0.0,
        min_eigenvalue: eig.iter().copied().fold(f64::INFINITY, f64::min),
        clamped_count: 0,
        clamped_mass: 0.0,
        route,
    };
    for &l in eig {
        if l < 0.0 {
            t.clamped_count += 1;
            t.clamped_mass -= l;
        } else {
            t.value += l.sqrt();
        }
    }
    t
}

fn eigenvalues(m: MatRef<f64>) -> Result<Vec<f64>, FidError> {
    m.self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| FidError::LinAlg(format!("eigenvalue computation failed: {e:?}")))
}

fn trace_sqrt_product(cov_a: MatRef<f64>, cov_b: MatRef<f64>) -> Result<TraceSqrt, FidError> {
    if let Ok(llt) = cov_a.llt(Side::Lower) {
        return Ok(sum_sqrt(
            &eigenvalues(congruence(llt.L(), cov_b).as_ref())?,
            Route::CholeskyA,
        ));
    }
    if let Ok(llt) = cov_b.llt(Side::Lower) {
        return Ok(sum_sqrt(
            &eigenvalues(congruence(llt.L(), cov_a).as_ref())?,
            Route::CholeskyB,
        ));
    }
    let s = sqrt_psd(cov_a)?;
    Ok(sum_sqrt(
        &eigenvalues(congruence(s.as_ref(), cov_b).as_ref())?,
        Route::Eigh,
    ))
}

/// The Fréchet distance between `N(μ_a, Σ_a)` and `N(μ_b, Σ_b)`; `n_a`, `n_b` (0 if unknown) only
/// feed the diagnostics.
pub fn frechet_distance(
    mu_a: &[f64],
    cov_a: MatRef<f64>,
    mu_b: &[f64],
    cov_b: MatRef<f64>,
    n_a: u64,
    n_b: u64,
) -> Result<Frechet, FidError> {
    let d = check_inputs(mu_a, cov_a, mu_b, cov_b)?;
    let mean_term: f64 = mu_a.iter().zip(mu_b).map(|(a, b)| (a - b) * (a - b)).sum();
    let ts = trace_sqrt_product(cov_a, cov_b)?;
    let cov_term = trace(cov_a) + trace(cov_b) - 2.0 * ts.value;
    Ok(Frechet {
        // The distance is non-negative; a value a few ulps below zero is round-off.
        value: (mean_term + cov_term).max(0.0),
        mean_term,
        cov_term,
        diagnostics: Diagnostics {
            n_a,
            n_b,
            dims: d,
            rank_deficient: (n_a > 0 && n_a as usize <= d) || (n_b > 0 && n_b as usize <= d),
            min_eigenvalue: ts.min_eigenvalue,
            clamped_count: ts.clamped_count,
            clamped_mass: ts.clamped_mass,
            route: ts.route,
        },
    })
}

/// The Fréchet distance between two sets' statistics.
pub fn frechet_gaussians(a: &Gaussian, b: &Gaussian) -> Result<Frechet, FidError> {
    frechet_distance(
        &a.mean,
        a.cov.as_ref(),
        &b.mean,
        b.cov.as_ref(),
        a.count,
        b.count,
    )
}

/// A fixed reference set `N(μ_r, Σ_r)` against which distances and their gradients are taken
/// many times (resampling, heatmaps). `S = Σ_r^½` is computed once.
#[derive(Debug, Clone)]
pub struct FrechetReference {
    mean: Vec<f64>,
    sqrt_cov: Mat<f64>,
    trace_cov: f64,
}

/// A Fréchet distance and its gradient with respect to the second set's mean and covariance.
#[derive(Debug, Clone)]
pub struct FrechetGrad {
    /// The distance.
    pub value: f64,
    /// `∂FD/∂μ = 2 (μ − μ_r)`, `[D]`.
    pub grad_mean: Vec<f64>,
    /// `∂FD/∂C = I − S K^{-½} S`, `[D, D]`, symmetric (`K = S C S`).
    pub grad_cov: Mat<f64>,
    /// Eigenvalues of `K` below zero, clamped.
    pub clamped_count: usize,
}

/// Floor on the eigenvalues of `K` in the gradient's `K^{-½}` (the paper's code adds the same
/// 1e-12 inside its square root); the value itself uses the eigenvalues clamped at zero.
pub const GRAD_EIGEN_FLOOR: f64 = 1e-12;

impl FrechetReference {
    /// Prepares the reference statistics (one symmetric eigendecomposition).
    pub fn new(mean: Vec<f64>, cov: MatRef<f64>) -> Result<Self, FidError> {
        check_inputs(&mean, cov, &mean, cov)?;
        Ok(Self {
            trace_cov: trace(cov),
            sqrt_cov: sqrt_psd(cov)?,
            mean,
        })
    }

    /// Feature dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// The reference mean `μ_r`.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// `Σ_r^½`.
    pub fn sqrt_cov(&self) -> MatRef<'_, f64> {
        self.sqrt_cov.as_ref()
    }

    /// The distance from the reference to `N(μ, C)` and its exact gradient.
    pub fn distance_and_grad(
        &self,
        mean: &[f64],
        cov: MatRef<f64>,
    ) -> Result<FrechetGrad, FidError> {
        let d = self.dim();
        check_inputs(&self.mean, self.sqrt_cov.as_ref(), mean, cov)?;
        let s = self.sqrt_cov.as_ref();
        let k = congruence(s, cov);
        let evd = k
            .self_adjoint_eigen(Side::Lower)
            .map_err(|e| FidError::LinAlg(format!("eigendecomposition failed: {e:?}")))?;
        let (u, mu) = (evd.U(), evd.S());
        let mut trace_sqrt = 0.0;
        let mut clamped_count = 0;
        for i in 0..d {
            if mu[i] < 0.0 {
                clamped_count += 1;
            } else {
                trace_sqrt += mu[i].sqrt();
            }
        }
        // S K^{-1/2} S = (S U) diag(1/√μ) (S U)ᵀ
        let mut su = Mat::zeros(d, d);
        faer::linalg::matmul::matmul(su.as_mut(), Accum::Replace, s, u, 1.0, Par::rayon(0));
        let scaled = Mat::from_fn(d, d, |i, j| su[(i, j)] / mu[j].max(GRAD_EIGEN_FLOOR).sqrt());
        let mut sks = Mat::zeros(d, d);
        faer::linalg::matmul::matmul(
            sks.as_mut(),
            Accum::Replace,
            scaled.as_ref(),
            su.transpose(),
            1.0,
            Par::rayon(0),
        );
        let grad_cov = Mat::from_fn(d, d, |i, j| {
            let sym = 0.5 * (sks[(i, j)] + sks[(j, i)]);
            if i == j { 1.0 - sym } else { -sym }
        });
        let grad_mean: Vec<f64> = mean
            .iter()
            .zip(&self.mean)
            .map(|(m, r)| 2.0 * (m - r))
            .collect();
        let mean_term: f64 = mean
            .iter()
            .zip(&self.mean)
            .map(|(m, r)| (m - r) * (m - r))
            .sum();
        Ok(FrechetGrad {
            value: mean_term + self.trace_cov + trace(cov) - 2.0 * trace_sqrt,
            grad_mean,
            grad_cov,
            clamped_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_cov(d: usize, n: usize, seed: u64) -> Mat<f64> {
        let mut s = seed | 1;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let x = Mat::from_fn(n, d, |_, j| next() * (1.0 + j as f64 * 0.1));
        let mut c = Mat::zeros(d, d);
        faer::linalg::matmul::matmul(
            c.as_mut(),
            Accum::Replace,
            x.transpose(),
            x.as_ref(),
            1.0 / n as f64,
            Par::Seq,
        );
        c
    }

    #[test]
    fn equal_covariances_give_the_mean_term() {
        let c = random_cov(6, 50, 1);
        let (a, b) = (
            vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            vec![1.0, 1.0, 2.0, 3.0, 4.0, 3.0],
        );
        let f = frechet_distance(&a, c.as_ref(), &b, c.as_ref(), 50, 50).unwrap();
        assert!((f.value - 5.0).abs() < 1e-12, "{}", f.value);
    }

    #[test]
    fn diagonal_covariances_have_a_closed_form() {
        let da: [f64; 4] = [1.0, 4.0, 0.25, 9.0];
        let db: [f64; 4] = [2.0, 1.0, 0.5, 16.0];
        let a = Mat::from_fn(4, 4, |i, j| if i == j { da[i] } else { 0.0 });
        let b = Mat::from_fn(4, 4, |i, j| if i == j { db[i] } else { 0.0 });
        let mu_a = [0.5, 0.0, 0.0, -1.0];
        let mu_b = [0.0, 0.0, 2.0, -1.0];
        let expected: f64 = da
            .iter()
            .zip(&db)
            .map(|(x, y)| (x.sqrt() - y.sqrt()).powi(2))
            .sum::<f64>()
            + 0.25
            + 4.0;
        let f = frechet_distance(&mu_a, a.as_ref(), &mu_b, b.as_ref(), 0, 0).unwrap();
        assert!(
            (f.value - expected).abs() < 1e-13 * expected,
            "{} vs {expected}",
            f.value
        );
    }

    #[test]
    fn identical_sets_give_zero_not_negative() {
        for seed in 1..20 {
            let c = random_cov(32, 40, seed);
            let mu = vec![0.3; 32];
            let f = frechet_distance(&mu, c.as_ref(), &mu, c.as_ref(), 40, 40).unwrap();
            assert!(f.value >= 0.0 && f.value < 1e-11, "{}", f.value);
        }
    }

    #[test]
    fn singular_covariances_take_the_eigh_route_and_report() {
        // Rank 3 in 8 dimensions: no Cholesky on either side.
        let a = random_cov(8, 3, 5);
        let b = random_cov(8, 3, 6);
        let mu = vec![0.0; 8];
        let f = frechet_distance(&mu, a.as_ref(), &mu, b.as_ref(), 3, 3).unwrap();
        assert_eq!(f.diagnostics.route, Route::Eigh);
        assert!(f.diagnostics.rank_deficient);
        assert!(f.value.is_finite() && f.value >= 0.0);
        assert!(!f.diagnostics.warnings().is_empty());
    }

    #[test]
    fn shape_mismatch_is_an_error() {
        let a = random_cov(3, 10, 1);
        let b = random_cov(4, 10, 2);
        assert!(frechet_distance(&[0.0; 3], a.as_ref(), &[0.0; 4], b.as_ref(), 0, 0).is_err());
    }

    #[test]
    fn reference_value_matches_and_gradient_matches_finite_differences() {
        let d = 5;
        let cr = random_cov(d, 30, 11);
        let c = random_cov(d, 30, 12);
        let mr = vec![0.1, -0.2, 0.3, 0.0, 0.5];
        let m = vec![0.0, 0.1, 0.2, -0.3, 0.4];
        let reference = FrechetReference::new(mr.clone(), cr.as_ref()).unwrap();
        let g = reference.distance_and_grad(&m, c.as_ref()).unwrap();
        let direct = frechet_distance(&mr, cr.as_ref(), &m, c.as_ref(), 0, 0).unwrap();
        assert!((g.value - direct.value).abs() < 1e-12 * direct.value.abs().max(1.0));
        let h = 1e-6;
        for (i, j) in [(0, 0), (1, 3), (4, 2), (2, 2)] {
            // Symmetric perturbation of C[i,j] and C[j,i].
            let bump = |sign: f64| {
                let mut cp = c.clone();
                cp[(i, j)] += sign * h;
                if i != j {
                    cp[(j, i)] += sign * h;
                }
                reference.distance_and_grad(&m, cp.as_ref()).unwrap().value
            };
            let fd = (bump(1.0) - bump(-1.0)) / (2.0 * h);
            let analytic = if i == j {
                g.grad_cov[(i, j)]
            } else {
                2.0 * g.grad_cov[(i, j)]
            };
            assert!(
                (fd - analytic).abs() < 1e-6 * analytic.abs().max(1.0),
                "({i},{j}) {fd} vs {analytic}"
            );
        }
        for i in 0..d {
            let mut mp = m.clone();
            mp[i] += h;
            let mut mm = m.clone();
            mm[i] -= h;
            let fd = (reference.distance_and_grad(&mp, c.as_ref()).unwrap().value
                - reference.distance_and_grad(&mm, c.as_ref()).unwrap().value)
                / (2.0 * h);
            assert!((fd - g.grad_mean[i]).abs() < 1e-6);
        }
    }
}
