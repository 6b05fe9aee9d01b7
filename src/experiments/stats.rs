//! Summary statistics of the experiments.

use serde::Serialize;

/// A mean with its 95% confidence interval (normal approximation: `±1.96 s/√n`), the
/// population standard deviation (as the SOS reference reports, `np.std`; the games' tables) and
/// the sample standard deviation (`n − 1`; the reinforcement-learning tables, whose few seeds
/// make the difference large: `√(3/2)` for three).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the 95% interval (0 for fewer than two samples).
    pub ci95: f64,
    /// Standard deviation over the samples, `√(Σ (x − mean)² / n)` (NaN when empty).
    pub std: f64,
    /// Sample standard deviation, `√(Σ (x − mean)² / (n − 1))` (NaN for fewer than two
    /// samples).
    pub sample_std: f64,
    /// Number of samples.
    pub n: usize,
}

impl Estimate {
    /// The estimate of `samples` (NaN mean when empty).
    pub fn of(samples: &[f64]) -> Self {
        let n = samples.len();
        if n == 0 {
            return Self {
                mean: f64::NAN,
                ci95: f64::NAN,
                std: f64::NAN,
                sample_std: f64::NAN,
                n,
            };
        }
        let mean = samples.iter().sum::<f64>() / n as f64;
        let std = (samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let (ci95, sample_std) = if n < 2 {
            (0.0, f64::NAN)
        } else {
            let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            (1.96 * (var / n as f64).sqrt(), var.sqrt())
        };
        Self {
            mean,
            ci95,
            std,
            sample_std,
            n,
        }
    }

    /// `mean ± ci95` with `digits` decimals.
    pub fn show(&self, digits: usize) -> String {
        format!("{:.digits$} ± {:.digits$}", self.mean, self.ci95)
    }

    /// `mean ± std` with `digits` decimals.
    pub fn show_std(&self, digits: usize) -> String {
        format!("{:.digits$} ± {:.digits$}", self.mean, self.std)
    }

    /// `mean ± sample std` with `digits` decimals; the mean alone for one sample.
    pub fn show_sample_std(&self, digits: usize) -> String {
        match self.n {
            0 | 1 => format!("{:.digits$}", self.mean),
            _ => format!("{:.digits$} ± {:.digits$}", self.mean, self.sample_std),
        }
    }
}

/// The Gini coefficient `Σ_{i,j} |r_i − r_j| / (2 n Σ_i |r_i|)`.
///
/// For non-negative rewards this is the usual Gini coefficient; the absolute values in the
/// denominator keep it in `[0, 1]` for rewards of either sign (the toy game's rewards lie in
/// `[−1, 1]`). All-zero rewards are perfectly equal (0).
pub fn gini(rewards: &[f64]) -> f64 {
    let n = rewards.len() as f64;
    let scale: f64 = rewards.iter().map(|r| r.abs()).sum();
    if scale == 0.0 {
        return 0.0;
    }
    let spread: f64 = rewards
        .iter()
        .flat_map(|a| rewards.iter().map(move |b| (a - b).abs()))
        .sum();
    spread / (2.0 * n * scale)
}

/// Equality `E = 1 − Gini(r)` (the AgA paper's equality metric).
pub fn equality(rewards: &[f64]) -> f64 {
    1.0 - gini(rewards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_of_known_distributions() {
        assert_eq!(gini(&[1.0, 1.0]), 0.0);
        assert_eq!(gini(&[1.0, 0.0]), 0.5); // n = 2: maximal inequality
        assert!((gini(&[1.0, 2.0, 3.0]) - 2.0 / 9.0).abs() < 1e-15);
        assert_eq!(equality(&[0.0, 0.0]), 1.0);
        assert_eq!(gini(&[1.0, -1.0]), 0.5);
    }

    #[test]
    fn estimate_mean_and_interval() {
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.mean, 2.5);
        // s² = 5/3, s/√n = √(5/12)
        assert!((e.ci95 - 1.96 * (5.0f64 / 12.0).sqrt()).abs() < 1e-15);
        // σ² = 5/4 (population), s² = 5/3 (sample).
        assert!((e.std - 1.25f64.sqrt()).abs() < 1e-15);
        assert!((e.sample_std - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(e.show_sample_std(2), "2.50 ± 1.29");
        assert_eq!(Estimate::of(&[7.0]).ci95, 0.0);
        assert!(Estimate::of(&[7.0]).sample_std.is_nan());
        assert_eq!(Estimate::of(&[7.0]).show_sample_std(1), "7.0");
        assert!(Estimate::of(&[]).mean.is_nan());
    }
}
