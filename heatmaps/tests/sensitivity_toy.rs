//! The map pipeline on a toy split network, against closed forms computed on the host in `f64`.
//!
//! Claims: (1) the online update equals the statistics of the `N`-set; (2) the gradient that
//! autodiff brings back to the activation through the head and the online update is the
//! chain rule `∂L/∂A_c = (∂L/∂f_c) / (h·w)` with
//! `∂L/∂f = ∂L/∂μ / N + (∂L/∂C + ∂L/∂Cᵀ) (f − μ_g) / N`; (3) the map is non-negative.

use burn::tensor::{DType, Device, Tensor, TensorData};
use burn_models::device::test_device;
use burn_models::seeded::seeded_values;
use fid_core::Gaussian;
use heatmaps::HeatmapError;
use heatmaps::frechet::FrechetObjective;
use heatmaps::sensitivity::{
    GeneratedStatistics, ObjectiveGradient, SplitNetwork, StatisticsObjective, sensitivity,
};

const C: usize = 16;
const K: usize = 5;

/// `[1, 3, H, W]` → 8×8 average → 1×1 "conv" 3 → C → ReLU; head = spatial mean and a linear
/// classifier. Weights are seeded.
struct Toy {
    mix: Tensor<2>,
    classifier: Tensor<2>,
}

impl Toy {
    fn new(device: &Device) -> Self {
        let mix = Tensor::from_data(
            TensorData::new(seeded_values("toy.mix", 0, C * 3, 0.02), [C, 3]),
            device,
        );
        let classifier = Tensor::from_data(
            TensorData::new(seeded_values("toy.fc", 0, C * K, 1.0), [C, K]),
            device,
        );
        Self { mix, classifier }
    }
}

impl SplitNetwork for Toy {
    fn activation(&self, images: Tensor<4>) -> Tensor<4> {
        let pooled = burn::tensor::module::adaptive_avg_pool2d(images - 100.0, [8, 8]);
        let flat: Tensor<3> = pooled.reshape([1, 3, 64]);
        let mixed = self.mix.clone().unsqueeze_dim::<3>(0).matmul(flat);
        burn::tensor::activation::relu(mixed.reshape([1, C, 8, 8]))
    }

    fn head(&self, activation: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let pool: Tensor<2> = activation.mean_dims(&[2, 3]).reshape([1, C]);
        let logits = pool.clone().matmul(self.classifier.clone());
        (pool, logits)
    }
}

/// `L = ‖μ − μ_r‖² + ‖C − Σ_r‖²_F`, gradient `(2(μ − μ_r), 2(C − Σ_r))`.
struct Quadratic {
    mean: Vec<f64>,
    cov: Vec<f64>,
}

impl StatisticsObjective for Quadratic {
    fn dim(&self) -> usize {
        self.mean.len()
    }

    fn value_and_gradient(
        &self,
        mean: &[f64],
        cov: &[f64],
    ) -> Result<ObjectiveGradient, HeatmapError> {
        let dm: Vec<f64> = mean.iter().zip(&self.mean).map(|(a, b)| a - b).collect();
        let dc: Vec<f64> = cov.iter().zip(&self.cov).map(|(a, b)| a - b).collect();
        Ok(ObjectiveGradient {
            value: dm.iter().chain(&dc).map(|v| v * v).sum(),
            mean: dm.iter().map(|v| 2.0 * v).collect(),
            cov: dc.iter().map(|v| 2.0 * v).collect(),
        })
    }
}

/// Mean and `np.cov` (ddof 1) of `rows` samples of dimension `d`.
fn moments(samples: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let n = samples.len() / d;
    let mut mean = vec![0.0; d];
    for row in samples.chunks(d) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, x)| *m += x / n as f64);
    }
    let mut cov = vec![0.0; d * d];
    for row in samples.chunks(d) {
        for i in 0..d {
            for j in 0..d {
                cov[i * d + j] += (row[i] - mean[i]) * (row[j] - mean[j]) / (n - 1) as f64;
            }
        }
    }
    (mean, cov)
}

fn image(device: &Device) -> Tensor<4> {
    let v: Vec<f32> = seeded_values("toy.image", 3, 3 * 40 * 56, 127.5)
        .iter()
        .map(|x| (x + 127.5).floor())
        .collect();
    Tensor::from_data(TensorData::new(v, [1, 3, 40, 56]), device)
}

#[test]
fn online_update_equals_statistics_of_all_samples() {
    let device = test_device();
    let (n, d) = (7, 4);
    let samples: Vec<f64> = seeded_values("toy.samples", 1, n * d, 3.0)
        .iter()
        .map(|&x| f64::from(x))
        .collect();
    let (mean_prev, cov_prev) = moments(&samples[..(n - 1) * d], d);
    let (mean_all, cov_all) = moments(&samples, d);
    let stats = GeneratedStatistics::new((n - 1) as u64, &mean_prev, &cov_prev, &device).unwrap();
    let last = Tensor::<2>::from_data(
        TensorData::new(samples[(n - 1) * d..].to_vec(), [1, d]),
        (&device, DType::F64),
    );
    let (mean, cov) = stats.with_sample(last);
    let mean: Vec<f64> = mean.into_data().try_into_vec().unwrap();
    let cov: Vec<f64> = cov.into_data().try_into_vec().unwrap();
    for (a, b) in mean.iter().zip(&mean_all).chain(cov.iter().zip(&cov_all)) {
        assert!((a - b).abs() < 1e-13, "{a} vs {b}");
    }
}

/// Generated samples before the visualised image joins; real samples (both > C: full rank).
const GEN_COUNT: usize = 30;
const REAL_COUNT: usize = 40;

/// A mean and a row-major covariance.
type MeanCov = (Vec<f64>, Vec<f64>);

/// Seeded toy statistics of `GEN_COUNT` generated and `REAL_COUNT` real samples.
fn toy_statistics() -> (MeanCov, MeanCov) {
    let widen = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
    let gen_samples = widen(seeded_values("toy.gen", 0, GEN_COUNT * C, 0.5));
    let real_samples = widen(seeded_values("toy.real", 0, REAL_COUNT * C, 0.7));
    (moments(&gen_samples, C), moments(&real_samples, C))
}

/// Runs the pipeline with `objective` and checks the map against the host chain rule, and the
/// chain rule itself against central finite differences of the objective along the features.
fn check_chain_rule(objective: &dyn StatisticsObjective, generated: &(Vec<f64>, Vec<f64>)) {
    let device = test_device();
    let toy = Toy::new(&device);
    let (mu_g, cov_g) = generated;
    let stats = GeneratedStatistics::new(GEN_COUNT as u64, mu_g, cov_g, &device).unwrap();
    let img = image(&device);
    let out = sensitivity(&toy, objective, &stats, img.clone()).unwrap();
    assert_eq!((out.width, out.height), (8, 8));
    assert_eq!(out.logits.len(), K);
    assert!(out.map.iter().all(|&v| v >= 0.0));

    // Host: statistics with the image as the N-th sample, as a function of its features.
    let n = (GEN_COUNT + 1) as f64;
    let f: Vec<f64> = out.features.iter().map(|&x| f64::from(x)).collect();
    let with = |f: &[f64]| -> (Vec<f64>, Vec<f64>) {
        let d: Vec<f64> = f.iter().zip(mu_g).map(|(a, b)| a - b).collect();
        let mean = (0..C).map(|i| (n - 1.0) / n * mu_g[i] + f[i] / n).collect();
        let cov = (0..C * C)
            .map(|k| (n - 2.0) / (n - 1.0) * cov_g[k] + d[k / C] * d[k % C] / n)
            .collect();
        (mean, cov)
    };
    let (mean, cov) = with(&f);
    let g = objective.value_and_gradient(&mean, &cov).unwrap();
    assert!((g.value - out.distance).abs() <= 1e-9 * g.value.abs());
    let d: Vec<f64> = f.iter().zip(mu_g).map(|(a, b)| a - b).collect();
    let df: Vec<f64> = (0..C)
        .map(|i| {
            let sym: f64 = (0..C)
                .map(|j| (g.cov[i * C + j] + g.cov[j * C + i]) * d[j])
                .sum();
            g.mean[i] / n + sym / n
        })
        .collect();
    // Chain rule vs central differences (h = 1e-4; agreement to 1e-6 of the largest component).
    let h = 1e-4;
    let df_scale = df.iter().fold(0f64, |m, v| m.max(v.abs()));
    for i in 0..C {
        let mut fp = f.clone();
        let mut fm = f.clone();
        fp[i] += h;
        fm[i] -= h;
        let (mp, cp) = with(&fp);
        let (mm, cm) = with(&fm);
        let lp = objective.value_and_gradient(&mp, &cp).unwrap().value;
        let lm = objective.value_and_gradient(&mm, &cm).unwrap().value;
        let fd = (lp - lm) / (2.0 * h);
        assert!(
            (fd - df[i]).abs() <= 1e-6 * df_scale,
            "component {i}: {fd} vs {}",
            df[i]
        );
    }
    // pool3 is the 8×8 mean of A, so ∂L/∂A_c = (∂L/∂f_c) / 64 everywhere.
    let activation: Vec<f32> = toy.activation(img).into_data().try_into_vec().unwrap();
    let expected: Vec<f64> = (0..64)
        .map(|p| {
            (0..C)
                .map(|c| (df[c] / 64.0).powi(2) * f64::from(activation[c * 64 + p]))
                .sum()
        })
        .collect();
    let scale = expected.iter().fold(0f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.0);
    // f32 activations and gradients: 1e-5 of the largest value.
    for (a, b) in out.map.iter().zip(&expected) {
        assert!((f64::from(*a) - b).abs() <= 1e-5 * scale, "{a} vs {b}");
    }
}

#[test]
fn autodiff_gradient_matches_the_chain_rule() {
    let (generated, (mu_r, cov_r)) = toy_statistics();
    check_chain_rule(
        &Quadratic {
            mean: mu_r,
            cov: cov_r,
        },
        &generated,
    );
}

/// The same with the real objective: the Fréchet distance of `fid_core` (closed-form gradient
/// `∂FD/∂C = I − S K^{-½} S`), checked by finite differences inside [`check_chain_rule`].
#[test]
fn frechet_gradient_reaches_the_activation() {
    let (generated, (mu_r, cov_r)) = toy_statistics();
    let real = Gaussian {
        count: REAL_COUNT as u64,
        mean: mu_r,
        cov: faer::Mat::from_fn(C, C, |i, j| cov_r[i * C + j]),
    };
    check_chain_rule(&FrechetObjective::new(&real).unwrap(), &generated);
}

#[test]
fn bad_statistics_are_errors() {
    let device = test_device();
    assert!(GeneratedStatistics::new(1, &[0.0], &[1.0], &device).is_err());
    assert!(GeneratedStatistics::new(5, &[0.0, 1.0], &[1.0], &device).is_err());
    assert!(GeneratedStatistics::new(5, &[f64::NAN], &[1.0], &device).is_err());
}
