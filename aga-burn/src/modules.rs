//! Games whose players are Burn modules.
//!
//! [`ModuleGame`] adapts `n` modules (one per player, any [`AutodiffModule`] on
//! `Autodiff<Dual<B>>`) and the players' losses (Burn code over the modules) to the [`Game`]
//! trait, so that the derivative engine and the rules of `aga-core` work on them unchanged. The
//! flat layout is each player's trainable float parameters in the order Burn visits them.

use crate::dual::{Dual, DualTensor};
use crate::{Game, GameError, HvpBackend, ParamLayout, Params};
use burn::module::{AutodiffModule, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{backend::Backend, Tensor, TensorPrimitive};

/// The players' losses over their modules: one single-element tensor per player.
///
/// Implemented for every closure `Fn(&[M]) -> Vec<Tensor<B, 1>>`.
pub trait ModuleLosses<B: Backend, M> {
    /// `l_i` for every player `i`, each a tensor of shape `[1]`.
    fn losses(&self, players: &[M]) -> Vec<Tensor<B, 1>>;

    /// Player `player`'s loss alone, where that is cheaper than all of them (see
    /// [`Game::loss`]: the engine evaluates each loss on its own copy of the parameters). The
    /// default `None` makes the engine call [`ModuleLosses::losses`].
    fn loss(&self, player: usize, players: &[M]) -> Option<Tensor<B, 1>> {
        let _ = (player, players);
        None
    }

    /// Whether every player's loss depends on its own module only (see
    /// [`Game::is_separable`]); default `false`.
    fn is_separable(&self) -> bool {
        false
    }

    /// How many agents each player's module stacks along the leading dimension of every
    /// parameter tensor (as `vmap` stacks them): 1, the default, for one agent per module.
    ///
    /// A stacked module is one player to the derivative engine, whose loss is the sum of its
    /// agents' losses. That is exact for a **separable** game only (each agent's loss depends
    /// on its own slice): then `ξ`, `ξ_c` and every Hessian-vector product are the same as
    /// with one player per agent (the Hessians are block diagonal either way), every rule
    /// gives the same direction, and one batched pass serves all agents. [`crate::GameOptimizer`]
    /// clips and checks each agent's slice of the direction on its own, as it would each
    /// player's block. Do not stack agents whose losses depend on each other.
    fn stacked_agents(&self) -> usize {
        1
    }

    /// Whether [`ModuleLosses::collective_loss`] gives the collective loss (see
    /// [`Game::has_collective_loss`]); by default `l_c = Σ_i l_i`.
    fn has_collective_loss(&self) -> bool {
        false
    }

    /// The collective loss when [`ModuleLosses::has_collective_loss`] is `true`.
    fn collective_loss(&self, players: &[M]) -> Option<Tensor<B, 1>> {
        let _ = players;
        None
    }
}

impl<B: Backend, M, F> ModuleLosses<B, M> for F
where
    F: Fn(&[M]) -> Vec<Tensor<B, 1>>,
{
    fn losses(&self, players: &[M]) -> Vec<Tensor<B, 1>> {
        self(players)
    }
}

/// A game over modules: the players and their losses, seen as a [`Game`].
pub struct ModuleGame<'a, M, L> {
    players: &'a [M],
    losses: &'a L,
    layout: ParamLayout,
    ids: Vec<Vec<ParamId>>,
}

impl<'a, M, L> ModuleGame<'a, M, L> {
    /// The game of `players` (one module per player) with the given losses.
    ///
    /// Fails if there are no players or a player has no trainable parameters.
    pub fn new<B>(players: &'a [M], losses: &'a L) -> Result<Self, GameError>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
    {
        if players.is_empty() {
            return Err(GameError::NoPlayers);
        }
        let mut shapes = Vec::with_capacity(players.len());
        let mut ids = Vec::with_capacity(players.len());
        for (player, module) in players.iter().enumerate() {
            let mut collect = Collect::<B>::default();
            module.visit(&mut collect);
            if collect.shapes.is_empty() {
                return Err(GameError::NoParameters { player });
            }
            shapes.push(collect.shapes);
            ids.push(collect.ids);
        }
        Ok(Self {
            players,
            losses,
            layout: ParamLayout::new(shapes)?,
            ids,
        })
    }

    /// The parameter ids of player `i`, in layout order.
    pub fn param_ids(&self, player: usize) -> &[ParamId] {
        &self.ids[player]
    }

    /// The current parameters of every player, flattened in layout order.
    pub fn point<B>(&self) -> Tensor<B, 1>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
    {
        let parts: Vec<Tensor<B, 1>> = self
            .players
            .iter()
            .flat_map(|module| {
                let mut collect = Collect::<B>::default();
                module.visit(&mut collect);
                collect.values
            })
            .collect();
        Tensor::cat(parts, 0)
    }

    /// Split a flat vector (layout order) into one [`GradientsParams`] per player, each entry
    /// registered under its parameter's id and shape, on the optimisers' backend `Dual<B>`.
    pub fn to_gradients<B>(&self, flat: &Tensor<B, 1>) -> Vec<GradientsParams>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
    {
        self.players
            .iter()
            .enumerate()
            .map(|(player, module)| {
                let block = self.layout.block(player);
                let mut to_grads = ToGradients::<B> {
                    flat: flat.clone().slice(block),
                    offset: 0,
                    grads: GradientsParams::new(),
                };
                module.visit(&mut to_grads);
                to_grads.grads
            })
            .collect()
    }
}

impl<B, M, L> Game<HvpBackend<B>> for ModuleGame<'_, M, L>
where
    B: Backend,
    M: AutodiffModule<HvpBackend<B>>,
    L: ModuleLosses<HvpBackend<B>, M>,
{
    fn layout(&self) -> ParamLayout {
        self.layout.clone()
    }

    fn losses(&self, params: &Params<HvpBackend<B>>) -> Vec<Tensor<HvpBackend<B>, 1>> {
        self.losses.losses(&self.modules(params))
    }

    fn loss(
        &self,
        player: usize,
        params: &Params<HvpBackend<B>>,
    ) -> Option<Tensor<HvpBackend<B>, 1>> {
        self.losses.loss(player, &self.modules(params))
    }

    fn has_collective_loss(&self) -> bool {
        self.losses.has_collective_loss()
    }

    fn is_separable(&self) -> bool {
        self.losses.is_separable()
    }

    fn collective_loss(&self, params: &Params<HvpBackend<B>>) -> Option<Tensor<HvpBackend<B>, 1>> {
        self.losses.collective_loss(&self.modules(params))
    }
}

impl<M, L> ModuleGame<'_, M, L> {
    /// The players with their trainable parameters replaced by `params` (a mapping, no work).
    fn modules<B>(&self, params: &Params<HvpBackend<B>>) -> Vec<M>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
    {
        self.players
            .iter()
            .enumerate()
            .map(|(player, module)| {
                let tensors = (0..self.layout.shapes(player).len())
                    .map(|k| params.flat(player, k))
                    .collect::<Vec<_>>()
                    .into_iter();
                module.clone().map(&mut Load { tensors })
            })
            .collect()
    }
}

/// Whether a parameter takes part in the game (Burn's `require_grad`).
fn trainable<B: burn::tensor::backend::AutodiffBackend, const D: usize>(
    param: &Param<Tensor<B, D>>,
) -> bool {
    param.is_require_grad()
}

/// Collects shapes, ids and primal values of the trainable float parameters.
struct Collect<B: Backend> {
    shapes: Vec<Vec<usize>>,
    ids: Vec<ParamId>,
    values: Vec<Tensor<B, 1>>,
}

impl<B: Backend> Default for Collect<B> {
    fn default() -> Self {
        Self {
            shapes: Vec::new(),
            ids: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<B: Backend> ModuleVisitor<HvpBackend<B>> for Collect<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<HvpBackend<B>, D>>) {
        if !trainable(param) {
            return;
        }
        let value = param.val();
        let dims = value.dims();
        self.shapes.push(dims.to_vec());
        self.ids.push(param.id);
        let n: usize = dims.iter().product();
        self.values.push(primal(value.inner()).reshape([n]));
    }
}

/// Replaces the trainable float parameters by the given (flat) tensors, in visit order.
struct Load<I> {
    tensors: I,
}

impl<B, I> ModuleMapper<HvpBackend<B>> for Load<I>
where
    B: Backend,
    I: Iterator<Item = Tensor<HvpBackend<B>, 1>>,
{
    fn map_float<const D: usize>(
        &mut self,
        param: Param<Tensor<HvpBackend<B>, D>>,
    ) -> Param<Tensor<HvpBackend<B>, D>> {
        if !trainable(&param) {
            return param;
        }
        let (id, tensor, mapper) = param.consume();
        let flat = self
            .tensors
            .next()
            .expect("the layout has one tensor per trainable parameter");
        Param::from_mapped_value(id, flat.reshape(tensor.dims()), mapper)
    }
}

/// Registers consecutive slices of a flat vector as each parameter's gradient.
struct ToGradients<B: Backend> {
    flat: Tensor<B, 1>,
    offset: usize,
    grads: GradientsParams,
}

impl<B: Backend> ModuleVisitor<HvpBackend<B>> for ToGradients<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<HvpBackend<B>, D>>) {
        if !trainable(param) {
            return;
        }
        let dims = param.val().dims();
        let n: usize = dims.iter().product();
        let part = self.flat.clone().slice(self.offset..self.offset + n);
        self.offset += n;
        self.grads
            .register::<Dual<B>, D>(param.id, constant(part.reshape(dims)));
    }
}

/// The primal of a dual tensor (its tangent dropped).
pub fn primal<B: Backend, const D: usize>(tensor: Tensor<Dual<B>, D>) -> Tensor<B, D> {
    Tensor::from_primitive(TensorPrimitive::Float(
        tensor.into_primitive().tensor().primal,
    ))
}

/// A tensor of `B` as a constant (zero-tangent) tensor of `Dual<B>`.
pub fn constant<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Tensor<Dual<B>, D> {
    Tensor::from_primitive(TensorPrimitive::Float(DualTensor::constant(
        tensor.into_primitive().tensor(),
    )))
}

/// Force Burn's lazy parameter initialisation and return the module.
///
/// Burn initialises parameters on first use, and a clone of a not-yet-initialised module draws
/// its own random weights. Call this before cloning players that must start from the same
/// weights (e.g. to compare two optimisers from one initialisation).
pub fn initialized<B: Backend, M: burn::module::Module<B>>(module: M) -> M {
    struct Touch;
    impl<B: Backend> ModuleVisitor<B> for Touch {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let _ = param.val();
        }
    }
    module.visit(&mut Touch);
    module
}
