//! The optimisers of the log-weights, on the host in f64: plain SGD (the paper's
//! `torch.optim.SGD(lr = 10)`: no momentum, no weight decay) and Adam (torch's defaults).

use serde::{Deserialize, Serialize};

/// Which optimiser updates the log-weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// `w ← w − lr · ∇L`.
    Sgd,
    /// Adam with β = (0.9, 0.999), ε = 1e-8, bias correction (as `torch.optim.Adam`).
    Adam,
}

/// An optimiser and its state (everything a checkpoint needs).
#[derive(Debug, Clone, PartialEq)]
pub enum Optimizer {
    /// Plain gradient descent.
    Sgd {
        /// Learning rate.
        lr: f64,
    },
    /// Adam.
    Adam {
        /// Learning rate.
        lr: f64,
        /// First-moment estimate, `[N]`.
        m: Vec<f64>,
        /// Second-moment estimate, `[N]`.
        v: Vec<f64>,
        /// Steps taken.
        t: u64,
    },
}

/// Adam's β₁.
pub const ADAM_BETA1: f64 = 0.9;
/// Adam's β₂.
pub const ADAM_BETA2: f64 = 0.999;
/// Adam's ε.
pub const ADAM_EPS: f64 = 1e-8;

impl Optimizer {
    /// A fresh optimiser for `n` weights.
    pub fn new(kind: OptimizerKind, lr: f64, n: usize) -> Self {
        match kind {
            OptimizerKind::Sgd => Self::Sgd { lr },
            OptimizerKind::Adam => Self::Adam {
                lr,
                m: vec![0.0; n],
                v: vec![0.0; n],
                t: 0,
            },
        }
    }

    /// Which kind this is.
    pub fn kind(&self) -> OptimizerKind {
        match self {
            Self::Sgd { .. } => OptimizerKind::Sgd,
            Self::Adam { .. } => OptimizerKind::Adam,
        }
    }

    /// One update of `w` with gradient `grad` (same length).
    pub fn step(&mut self, w: &mut [f64], grad: &[f64]) {
        match self {
            Self::Sgd { lr } => w.iter_mut().zip(grad).for_each(|(x, g)| *x -= *lr * g),
            Self::Adam { lr, m, v, t } => {
                *t += 1;
                let c1 = 1.0 - ADAM_BETA1.powi(*t as i32);
                let c2 = 1.0 - ADAM_BETA2.powi(*t as i32);
                for i in 0..w.len() {
                    let g = grad[i];
                    m[i] = ADAM_BETA1 * m[i] + (1.0 - ADAM_BETA1) * g;
                    v[i] = ADAM_BETA2 * v[i] + (1.0 - ADAM_BETA2) * g * g;
                    w[i] -= *lr * (m[i] / c1) / ((v[i] / c2).sqrt() + ADAM_EPS);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_is_plain_gradient_descent() {
        let mut w = vec![1.0, -2.0];
        Optimizer::new(OptimizerKind::Sgd, 10.0, 2).step(&mut w, &[0.5, -0.25]);
        assert_eq!(w, vec![-4.0, 0.5]);
    }

    #[test]
    fn adam_first_step_moves_by_lr_times_sign() {
        // With bias correction the first step is lr · g / (|g| + ε).
        let mut w = vec![0.0, 0.0];
        let mut opt = Optimizer::new(OptimizerKind::Adam, 0.1, 2);
        opt.step(&mut w, &[3.0, -1e-3]);
        assert!(
            (w[0] + 0.1).abs() < 1e-9 && (w[1] - 0.1).abs() < 1e-5,
            "{w:?}"
        );
    }
}
