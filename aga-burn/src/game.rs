//! The game API: players own parameter tensors of any shape; losses are written once as Burn
//! code generic over the backend.

use crate::GameError;
use burn::tensor::{backend::Backend, Tensor};
use std::ops::Range;
use std::sync::Arc;

/// The shapes of every player's parameter tensors, and the flat layout derived from them.
///
/// The flat vector `w ∈ R^d` stores player 0's tensors first, each in declaration order and
/// row-major, then player 1's, and so on (MATH.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamLayout {
    shapes: Arc<Vec<Vec<Vec<usize>>>>,
    /// Custom coordinate names; `None` means the generated `w{player}_{tensor}_{index}`.
    names: Option<Arc<Vec<String>>>,
}

impl ParamLayout {
    /// A layout from each player's tensor shapes. Scalars are `vec![1]`.
    pub fn new(shapes: Vec<Vec<Vec<usize>>>) -> Result<Self, GameError> {
        if shapes.is_empty() {
            return Err(GameError::NoPlayers);
        }
        for (player, tensors) in shapes.iter().enumerate() {
            let size: usize = tensors.iter().map(|s| s.iter().product::<usize>()).sum();
            if size == 0 {
                return Err(GameError::NoParameters { player });
            }
        }
        Ok(Self {
            shapes: Arc::new(shapes),
            names: None,
        })
    }

    /// The same layout with one name per flat coordinate (for CSV headers and tables).
    ///
    /// # Panics
    /// If the number of names differs from `d` (a bug in the game definition).
    pub fn with_names(mut self, names: Vec<String>) -> Self {
        assert_eq!(names.len(), self.dim(), "one name per parameter");
        self.names = Some(Arc::new(names));
        self
    }

    /// Number of players `n`.
    pub fn num_players(&self) -> usize {
        self.shapes.len()
    }

    /// Shapes of player `i`'s tensors.
    pub fn shapes(&self, player: usize) -> &[Vec<usize>] {
        &self.shapes[player]
    }

    /// Number of parameters of player `i`, `d_i`.
    pub fn player_dim(&self, player: usize) -> usize {
        self.shapes[player]
            .iter()
            .map(|s| s.iter().product::<usize>())
            .sum()
    }

    /// Total number of parameters `d`.
    pub fn dim(&self) -> usize {
        (0..self.num_players()).map(|i| self.player_dim(i)).sum()
    }

    /// The flat range of player `i`'s block.
    pub fn block(&self, player: usize) -> Range<usize> {
        let start: usize = (0..player).map(|j| self.player_dim(j)).sum();
        start..start + self.player_dim(player)
    }

    /// Check that every tensor of player `player` leads with `agents` (the agent axis of a
    /// module that stacks agents, see [`crate::ModuleLosses::stacked_agents`]).
    pub fn check_stacked(&self, player: usize, agents: usize) -> Result<(), GameError> {
        match self.shapes[player]
            .iter()
            .find(|shape| shape.first() != Some(&agents))
        {
            Some(shape) => Err(GameError::NotStacked {
                player,
                agents,
                shape: shape.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The flat ranges of agent `agent`'s slices when player `player`'s module stacks
    /// `agents` agents along the leading dimension of every tensor (see
    /// [`crate::ModuleLosses::stacked_agents`]): one range per tensor, in layout order.
    ///
    /// Fails if a tensor's leading dimension is not `agents` or `agent >= agents`.
    pub fn agent_ranges(
        &self,
        player: usize,
        agents: usize,
        agent: usize,
    ) -> Result<Vec<Range<usize>>, GameError> {
        if agent >= agents {
            return Err(GameError::NotStacked {
                player,
                agents,
                shape: vec![agent],
            });
        }
        self.check_stacked(player, agents)?;
        let mut offset = self.block(player).start;
        let mut ranges = Vec::with_capacity(self.shapes[player].len());
        for shape in &self.shapes[player] {
            let per_agent = shape.iter().product::<usize>() / agents;
            ranges.push(offset + agent * per_agent..offset + (agent + 1) * per_agent);
            offset += per_agent * agents;
        }
        Ok(ranges)
    }

    /// Total number of parameter tensors over all players.
    pub fn num_tensors(&self) -> usize {
        self.shapes.iter().map(Vec::len).sum()
    }

    /// One name per flat coordinate: the game's own, or `w{player}_{tensor}_{index}` (from 1,
    /// 0 and 0). Built on demand: cheap to clone, a layout never formats `d` strings unasked.
    pub fn names(&self) -> Vec<String> {
        match &self.names {
            Some(names) => names.as_ref().clone(),
            None => default_names(&self.shapes),
        }
    }
}

fn default_names(shapes: &[Vec<Vec<usize>>]) -> Vec<String> {
    let mut names = Vec::new();
    for (i, tensors) in shapes.iter().enumerate() {
        for (k, shape) in tensors.iter().enumerate() {
            let size: usize = shape.iter().product();
            for e in 0..size {
                names.push(format!("w{}_{}_{}", i + 1, k, e));
            }
        }
    }
    names
}

/// Every player's parameters on backend `B`, each tensor flattened.
#[derive(Debug, Clone)]
pub struct Params<B: Backend> {
    tensors: Vec<Vec<Tensor<B, 1>>>,
    layout: ParamLayout,
}

impl<B: Backend> Params<B> {
    /// Parameters from each player's tensors, flattened, in declaration order.
    ///
    /// # Panics
    /// If the tensors do not match the layout (a bug in the caller).
    pub fn from_parts(tensors: Vec<Vec<Tensor<B, 1>>>, layout: &ParamLayout) -> Self {
        assert_eq!(tensors.len(), layout.num_players(), "one entry per player");
        for (i, player) in tensors.iter().enumerate() {
            assert_eq!(
                player.len(),
                layout.shapes(i).len(),
                "one tensor per declared shape"
            );
        }
        Self {
            tensors,
            layout: layout.clone(),
        }
    }

    /// Player `player`'s `k`-th tensor, in its declared shape (rank `D`).
    ///
    /// # Panics
    /// If `D` differs from the declared rank (a bug in the game definition).
    pub fn get<const D: usize>(&self, player: usize, k: usize) -> Tensor<B, D> {
        let shape = &self.layout.shapes(player)[k];
        assert_eq!(
            shape.len(),
            D,
            "parameter ({player}, {k}) has rank {}, asked for rank {D}",
            shape.len()
        );
        let dims: [usize; D] = core::array::from_fn(|i| shape[i]);
        self.tensors[player][k].clone().reshape(dims)
    }

    /// Player `player`'s `k`-th tensor, flattened (a scalar parameter is a tensor of shape `[1]`).
    pub fn flat(&self, player: usize, k: usize) -> Tensor<B, 1> {
        self.tensors[player][k].clone()
    }

    /// The layout.
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// Player `player`'s tensors flattened and concatenated (its block of the flat vector).
    pub fn player_flat(&self, player: usize) -> Tensor<B, 1> {
        let mut parts = self.tensors[player].clone();
        if parts.len() == 1 {
            parts.pop().expect("one tensor")
        } else {
            Tensor::cat(parts, 0)
        }
    }

    /// Parameters from each player's flat block (the inverse of [`Params::player_flat`]).
    ///
    /// # Panics
    /// If the blocks do not match the layout (a bug in the caller).
    pub fn from_player_blocks(blocks: &[Tensor<B, 1>], layout: &ParamLayout) -> Self {
        assert_eq!(blocks.len(), layout.num_players(), "one block per player");
        let tensors = blocks
            .iter()
            .enumerate()
            .map(|(player, block)| {
                assert_eq!(block.dims()[0], layout.player_dim(player), "block size");
                let shapes = layout.shapes(player);
                if shapes.len() == 1 {
                    return vec![block.clone()];
                }
                let mut offset = 0;
                shapes
                    .iter()
                    .map(|shape| {
                        let size: usize = shape.iter().product();
                        offset += size;
                        block.clone().slice(offset - size..offset)
                    })
                    .collect()
            })
            .collect();
        Self::from_parts(tensors, layout)
    }
}

/// A differentiable game: `n` players, each with parameter tensors, and one loss per player.
///
/// Implement it once for every backend (`impl<B: Backend> Game<B> for MyGame`) and write the
/// losses as ordinary Burn code: the same code then gives values on `NdArray`, gradients on
/// `Autodiff<…>`, and exact Hessian-vector products on `Autodiff<Dual<…>>`.
pub trait Game<B: Backend> {
    /// The players' parameter shapes.
    fn layout(&self) -> ParamLayout;

    /// Every player's loss `l_i(w)`, each a tensor with exactly one element, in player order.
    /// Players minimise their own loss.
    fn losses(&self, params: &Params<B>) -> Vec<Tensor<B, 1>>;

    /// Player `player`'s loss alone, where that is cheaper than [`Game::losses`]. The engine
    /// evaluates each loss on its own copy of the parameters for `ξ`, `H v` and `Hᵀ v`, so a
    /// game whose losses share no work can save the unused ones. The default (`None`) makes
    /// the engine call [`Game::losses`] and keep entry `player`.
    fn loss(&self, player: usize, params: &Params<B>) -> Option<Tensor<B, 1>> {
        let _ = (player, params);
        None
    }

    /// **Optional: separable losses.** `true` declares that every loss depends on its own
    /// player's parameters only (`∂l_i/∂w_j = 0` for `j ≠ i`), as independent learners' losses
    /// do (MATH.md §6's PPO game). The engine then takes `ξ = ∇_w Σ_i l_i` and `H v` from one
    /// pass over one copy of the parameters, `Hᵀ v = H v` (the Hessian is block diagonal and
    /// symmetric), `ξ_c = ξ` unless the game has its own collective loss, and SGA skips its
    /// Hessian-vector products (`A = 0`). A game that declares it wrongly gets wrong
    /// derivatives: the default is `false`.
    fn is_separable(&self) -> bool {
        false
    }

    /// **Optional: a collective loss of its own.** MATH.md §1's collective loss is
    /// `l_c = Σ_i l_i`, which is what the engine uses by default. Some games define `l_c`
    /// differently — MATH.md §6's PPO game has `l_c = Σ_i L(w_i; A_c)` with the collective
    /// advantage, which is not the sum of the individual surrogates `L(w_i; A_i)`. Such a game
    /// returns `true` here and its collective loss from [`Game::collective_loss`]; the engine
    /// then takes `ξ_c` and `H_c v` from it (one reverse pass, one forward-over-reverse pass).
    fn has_collective_loss(&self) -> bool {
        false
    }

    /// The collective loss `l_c(w)` (one element), when [`Game::has_collective_loss`] is
    /// `true`; the default `None` is an error for such a game.
    fn collective_loss(&self, params: &Params<B>) -> Option<Tensor<B, 1>> {
        let _ = params;
        None
    }

    /// **Optional fast path (shared forward pass).** Each player's outputs `o_j(w_j)`, flat, in
    /// player order, where output `j` depends on player `j`'s parameters **only** and every
    /// loss is a function of the outputs: `l_i(w) = h_i(o_1(w_1), …, o_n(w_n))`
    /// ([`Game::losses_of_outputs`]). Neural-network players fit this shape: the outputs are
    /// the networks' predictions and the `h_i` a cheap head.
    ///
    /// With it the engine runs every player's network **once** for `ξ`, `ξ_c` and `H v`
    /// instead of once per loss (`n²` network passes become `n`): the head is evaluated per
    /// loss on fresh leaves made from the outputs, and its output gradients are pulled back
    /// through the networks in one reverse pass (design.md, "Shared forward pass"). The
    /// default (`None`) keeps the general `n`-copy pass; an engine remembers the first answer
    /// and, after a `None`, does not ask again, so answer the same way at every point. A game
    /// that returns outputs which
    /// depend on other players' parameters gets wrong `ξ` and `H v`: check a new game with
    /// [`crate::Derivatives::shared_forward_error`].
    fn player_outputs(&self, params: &Params<B>) -> Option<Vec<Tensor<B, 1>>> {
        let _ = params;
        None
    }

    /// Every loss as a function of the players' outputs (`h_i(o)`, in player order); required
    /// when [`Game::player_outputs`] returns `Some`. The default returns no losses, which the
    /// engine reports as [`crate::GameError::WrongLossCount`].
    fn losses_of_outputs(&self, outputs: &[Tensor<B, 1>]) -> Vec<Tensor<B, 1>> {
        let _ = outputs;
        Vec::new()
    }

    /// Player `player`'s loss alone as a function of the outputs, where that is cheaper than
    /// [`Game::losses_of_outputs`] (the engine evaluates the head once per loss). The default
    /// (`None`) makes the engine call [`Game::losses_of_outputs`] and keep entry `player`.
    fn loss_of_outputs(&self, player: usize, outputs: &[Tensor<B, 1>]) -> Option<Tensor<B, 1>> {
        let _ = (player, outputs);
        None
    }
}

/// Any game in the shared-forward form with the identity split: player `j`'s output is its
/// own parameters (flattened and concatenated), the head is the game's losses.
///
/// It saves nothing — the head is the whole game — but it runs any game through the engine's
/// shared-forward path, which is how that path is tested against the `n`-copy pass on games
/// with closed forms (the toy game, the IPD).
#[derive(Debug, Clone)]
pub struct IdentityOutputs<G>(pub G);

impl<B: Backend, G: Game<B>> Game<B> for IdentityOutputs<G> {
    fn layout(&self) -> ParamLayout {
        self.0.layout()
    }

    fn losses(&self, params: &Params<B>) -> Vec<Tensor<B, 1>> {
        self.0.losses(params)
    }

    fn loss(&self, player: usize, params: &Params<B>) -> Option<Tensor<B, 1>> {
        self.0.loss(player, params)
    }

    fn has_collective_loss(&self) -> bool {
        self.0.has_collective_loss()
    }

    fn is_separable(&self) -> bool {
        self.0.is_separable()
    }

    fn collective_loss(&self, params: &Params<B>) -> Option<Tensor<B, 1>> {
        self.0.collective_loss(params)
    }

    fn player_outputs(&self, params: &Params<B>) -> Option<Vec<Tensor<B, 1>>> {
        let n = params.layout().num_players();
        Some((0..n).map(|j| params.player_flat(j)).collect())
    }

    fn losses_of_outputs(&self, outputs: &[Tensor<B, 1>]) -> Vec<Tensor<B, 1>> {
        let layout = self.0.layout();
        self.0.losses(&Params::from_player_blocks(outputs, &layout))
    }
}
