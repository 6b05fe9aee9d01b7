//! Games by name, for the command line and configuration files.

use crate::{Bilinear, GamesError, Ipd, MatrixGame, MlpGame, PublicGoods, Tandem, Toy};
use aga_burn::Game;
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};

/// A game the registry can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GameInfo {
    /// The name used by `--game`.
    pub name: &'static str,
    /// One line describing the game.
    pub description: &'static str,
    /// Its parameters and layout, one line.
    pub parameters: &'static str,
}

/// Every game, in the order `aga --help` lists them.
pub const GAMES: &[GameInfo] = &[
    GameInfo {
        name: "toy",
        description: "AgA paper toy game: l1 = -sin(a1 a2 + a2^2), l2 = -cos(1 + a1 - (1+a2)^2 + a1 a2^2)",
        parameters: "2 parameters (a1, a2); no options",
    },
    GameInfo {
        name: "bilinear",
        description: "zero-sum bilinear game l1 = x^T M y = -l2; the equilibrium is the origin",
        parameters: "p + q parameters (x1..xp, y1..yq) for M of p rows and q columns; --matrix \"1,0;0,1\" (rows split by ';', default \"1\")",
    },
    GameInfo {
        name: "matching-pennies",
        description: "zero-sum matching pennies with sigmoid policies: l1 = (2p1-1)(2p2-1) = -l2; Nash at p = (1/2, 1/2)",
        parameters: "2 logits (theta1, theta2), p_i = sigmoid(theta_i); no options",
    },
    GameInfo {
        name: "ipd",
        description: "iterated prisoner's dilemma, exact discounted value; all-defect loss 2, all-cooperate 1",
        parameters: "10 logits (p1_start, p1_CC, p1_CD, p1_DC, p1_DD, then p2_...), cooperation probabilities sigmoid(logit); --gamma (default 0.96); starts at 0 unless --init",
    },
    GameInfo {
        name: "stag-hunt",
        description: "stag hunt with sigmoid policies: rewards SS 4, SH 0, HS 3, HH 2; equilibria at stag-stag, hare-hare and p = (2/3, 2/3)",
        parameters: "2 logits (theta1, theta2), p_i = sigmoid(theta_i) = P(stag); no options",
    },
    GameInfo {
        name: "tandem",
        description: "tandem game of the SOS paper: l1 = (x+y)^2 - 2x, l2 = (x+y)^2 - 2y; fixed line x + y = 1",
        parameters: "2 parameters (x, y); no options",
    },
    GameInfo {
        name: "public-goods",
        description: "n-player public goods: r_i = 1 - a_i + m sum(a)/n, a_i = sigmoid(theta_i); Nash a = 0, optimum a = 1",
        parameters: "n logits (theta1..thetan); --players n (default 2), --multiplier m with 1 < m < n (default 1.5); starts at 0 unless --init",
    },
    GameInfo {
        name: "mlp",
        description: "MLP benchmark game of MATH.md: n MLP players 32 -> h -> h -> 1 on a fixed batch",
        parameters: "--players n (default 2), --hidden h (default 16), --seed s (default 0); start from the documented initialisation",
    },
];

/// Options of the games that have them; ignored by the others.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GameOptions {
    /// Bilinear: the matrix `M`, rows split by `;`, entries by `,`.
    pub matrix: Option<String>,
    /// MLP and public goods: number of players.
    pub players: Option<usize>,
    /// Public goods: the multiplier `m` (`1 < m < n`).
    pub multiplier: Option<f64>,
    /// IPD: the discount `γ`.
    pub gamma: Option<f64>,
    /// MLP: hidden width.
    pub hidden: Option<usize>,
    /// MLP: seed of the input batch and the initialisation.
    pub seed: Option<u64>,
}

/// A game built by name, with the initial point it suggests (if any).
pub struct BuiltGame<B: Backend> {
    /// The game.
    pub game: Box<dyn Game<B>>,
    /// A suggested initial point, for games whose parameters are too many to type.
    pub suggested_init: Option<Vec<f64>>,
}

/// Build the game called `name`.
pub fn build<B: Backend>(name: &str, options: &GameOptions) -> Result<BuiltGame<B>, GamesError> {
    match name {
        "toy" => Ok(BuiltGame {
            game: Box::new(Toy),
            suggested_init: None,
        }),
        "bilinear" => {
            let game = match &options.matrix {
                Some(text) => Bilinear::parse(text)?,
                None => Bilinear::scalar(),
            };
            Ok(BuiltGame {
                game: Box::new(game),
                suggested_init: None,
            })
        }
        "matching-pennies" => Ok(BuiltGame {
            game: Box::new(MatrixGame::matching_pennies()),
            suggested_init: None,
        }),
        "stag-hunt" => Ok(BuiltGame {
            game: Box::new(MatrixGame::stag_hunt()),
            suggested_init: None,
        }),
        "tandem" => Ok(BuiltGame {
            game: Box::new(Tandem),
            suggested_init: None,
        }),
        "ipd" => Ok(BuiltGame {
            game: Box::new(Ipd::new(options.gamma.unwrap_or(0.96))?),
            suggested_init: Some(vec![0.0; 10]),
        }),
        "public-goods" => {
            let n = options.players.unwrap_or(2);
            Ok(BuiltGame {
                game: Box::new(PublicGoods::new(n, options.multiplier.unwrap_or(1.5))?),
                suggested_init: Some(vec![0.0; n]),
            })
        }
        "mlp" => {
            let game = MlpGame::benchmark(
                options.players.unwrap_or(2),
                options.hidden.unwrap_or(16),
                options.seed.unwrap_or(0),
            )?;
            let init = game.init();
            Ok(BuiltGame {
                game: Box::new(game),
                suggested_init: Some(init),
            })
        }
        other => Err(GamesError::UnknownGame(other.to_string())),
    }
}
