//! The vector space the rules work in.

/// A flat parameter-space vector (`R^d`, all players' parameters in the documented order).
///
/// The rules only need a few linear-algebra operations, so any storage can take part: a
/// `Vec<f64>`, or a flat tensor on a GPU.
pub trait GameVector: Clone {
    /// Number of entries `d`.
    fn dim(&self) -> usize;
    /// Inner product `⟨self, other⟩`.
    fn dot(&self, other: &Self) -> f64;
    /// `self + alpha · other`.
    fn add_scaled(&self, alpha: f64, other: &Self) -> Self;
    /// `alpha · self`.
    fn scaled(&self, alpha: f64) -> Self;
    /// Whether every entry is finite (no NaN or ±∞).
    fn all_finite(&self) -> bool;
    /// Squared Euclidean norm `‖self‖²`.
    fn norm_sq(&self) -> f64 {
        self.dot(self)
    }
    /// `⟨self, others[k]⟩` for every `k`. A device-backed vector overrides it to read all the
    /// inner products back in **one** transfer (a rule's alignment needs several).
    fn dots(&self, others: &[&Self]) -> Vec<f64> {
        others.iter().map(|o| self.dot(o)).collect()
    }
}

impl GameVector for Vec<f64> {
    fn dim(&self) -> usize {
        self.len()
    }

    fn dot(&self, other: &Self) -> f64 {
        assert_eq!(
            self.len(),
            other.len(),
            "dot of vectors of different lengths"
        );
        self.iter().zip(other).map(|(a, b)| a * b).sum()
    }

    fn add_scaled(&self, alpha: f64, other: &Self) -> Self {
        assert_eq!(
            self.len(),
            other.len(),
            "sum of vectors of different lengths"
        );
        self.iter().zip(other).map(|(a, b)| a + alpha * b).collect()
    }

    fn scaled(&self, alpha: f64) -> Self {
        self.iter().map(|a| alpha * a).collect()
    }

    fn all_finite(&self) -> bool {
        self.iter().all(|x| x.is_finite())
    }
}
