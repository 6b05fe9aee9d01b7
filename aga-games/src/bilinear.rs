//! The bilinear zero-sum game.

use crate::GamesError;
use aga_burn::{Game, ParamLayout, Params};
use burn::tensor::{backend::Backend, Tensor, TensorData};

/// `l_1 = xᵀ M y = −l_2`, player 1 owning `x ∈ R^p`, player 2 owning `y ∈ R^q`, `M ∈ R^{p×q}`.
///
/// `H` is antisymmetric off the diagonal blocks (which are zero), so simgd spirals away from
/// the equilibrium at the origin while consensus and SGA converge to it. Layout: flat order
/// `(x_1 … x_p, y_1 … y_q)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bilinear {
    matrix: Vec<f64>,
    rows: usize,
    cols: usize,
}

impl Bilinear {
    /// The game with matrix `M` given by rows.
    pub fn new(rows: Vec<Vec<f64>>) -> Result<Self, GamesError> {
        let p = rows.len();
        let q = rows.first().map_or(0, Vec::len);
        if p == 0 || q == 0 {
            return Err(GamesError::BadMatrix("the matrix has no entries".into()));
        }
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != q) {
            return Err(GamesError::BadMatrix(format!(
                "row {} has {} entries, row 1 has {q}",
                i + 1,
                r.len()
            )));
        }
        let matrix: Vec<f64> = rows.into_iter().flatten().collect();
        if let Some(x) = matrix.iter().find(|x| !x.is_finite()) {
            return Err(GamesError::BadMatrix(format!("entry {x} is not finite")));
        }
        Ok(Self {
            matrix,
            rows: p,
            cols: q,
        })
    }

    /// The scalar game `l_1 = x y` (`M = [[1]]`), the default of the CLI.
    pub fn scalar() -> Self {
        Self::new(vec![vec![1.0]]).expect("1x1 matrix")
    }

    /// Parse `M` from text: rows separated by `;`, entries by `,` (e.g. `"1,0;0,1"`).
    pub fn parse(text: &str) -> Result<Self, GamesError> {
        let rows = text
            .split(';')
            .map(|row| {
                row.split(',')
                    .map(|x| {
                        x.trim().parse::<f64>().map_err(|_| {
                            GamesError::BadMatrix(format!("`{}` is not a number", x.trim()))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(rows)
    }

    /// `(p, q)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The matrix, row-major.
    pub fn matrix(&self) -> &[f64] {
        &self.matrix
    }
}

impl<B: Backend> Game<B> for Bilinear {
    fn layout(&self) -> ParamLayout {
        let names = (1..=self.rows)
            .map(|i| format!("x{i}"))
            .chain((1..=self.cols).map(|j| format!("y{j}")))
            .collect();
        ParamLayout::new(vec![vec![vec![self.rows]], vec![vec![self.cols]]])
            .expect("non-empty matrix")
            .with_names(names)
    }

    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let x = p.flat(0, 0);
        let y = p.flat(1, 0);
        let m = Tensor::<B, 2>::from_data(
            TensorData::new(self.matrix.clone(), [self.rows, self.cols]),
            &x.device(),
        );
        let l1 = x
            .reshape([1, self.rows])
            .matmul(m)
            .matmul(y.reshape([self.cols, 1]))
            .reshape([1]);
        vec![l1.clone(), -l1]
    }
}
