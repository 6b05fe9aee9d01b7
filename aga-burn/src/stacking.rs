//! Modules that stack agents along the leading dimension of every parameter (as `vmap` stacks
//! them), split into one module per agent and stacked again.
//!
//! A stacked module is one player to the engine ([`crate::ModuleLosses::stacked_agents`]), which
//! is exact only while each agent's loss depends on its own slice. A game whose losses couple
//! the agents needs one player per agent: [`split_agents`] gives those players (with parameter
//! ids derived from the stack's, so that an optimiser's state, keyed by id, follows each agent
//! from step to step and through checkpoints), and [`stack_agents`] puts them back together —
//! differentiably inside a loss (one batched pass over every player's parameters) or as fresh
//! leaves under the stack's own ids after a step.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// The id of agent `agent`'s slice of the stacked parameter `stack` (a fixed mixing of the two,
/// SplitMix64's finaliser, so that it is the same in every process that loads the stack).
pub fn agent_param_id(stack: ParamId, agent: usize) -> ParamId {
    let mut z = stack
        .val()
        .wrapping_add((agent as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ParamId::from(z ^ (z >> 31))
}

/// Every parameter's leading dimension (the number of agents it stacks), in visiting order.
fn leading_dims<B: Backend, M: Module<B>>(module: &M) -> Vec<usize> {
    struct Leading(Vec<usize>);
    impl<B: Backend> ModuleVisitor<B> for Leading {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.push(param.dims()[0]);
        }
    }
    let mut v = Leading(Vec::new());
    module.visit(&mut v);
    v.0
}

/// The agents a stacked module holds: the common leading dimension of its parameters, or
/// `None` if it has none or they disagree.
pub fn stacked_agent_count<B: Backend, M: Module<B>>(module: &M) -> Option<usize> {
    let dims = leading_dims::<B, M>(module);
    let first = *dims.first()?;
    dims.iter().all(|&d| d == first).then_some(first)
}

/// One module per agent: agent `a`'s holds slice `a..a + 1` of every parameter, as a fresh leaf
/// (detached from the stack, tracked if the backend tracks gradients) under the id
/// [`agent_param_id`]`(stack id, a)`.
///
/// # Panics
/// If the module's parameters do not share one leading dimension (see
/// [`stacked_agent_count`]).
pub fn split_agents<B: Backend, M: Module<B>>(stack: &M) -> Vec<M> {
    struct Slice(usize);
    impl<B: Backend> ModuleMapper<B> for Slice {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, tensor, _) = param.consume();
            let a = self.0;
            let slice = tensor.slice(a..a + 1).detach().require_grad();
            Param::initialized(agent_param_id(id, a), slice)
        }
    }
    let agents = stacked_agent_count::<B, M>(stack)
        .expect("a stacked module: every parameter has the same leading dimension");
    (0..agents)
        .map(|a| stack.clone().map(&mut Slice(a)))
        .collect()
}

/// Every parameter of `parts` (one module per agent, each with leading dimension 1)
/// concatenated along the leading dimension, in the structure (and under the parameter ids) of
/// `template`, a stack of as many agents.
///
/// With `leaves = false` the result is a function of the parts' parameters: a loss of it
/// differentiates to every part (use it inside [`crate::ModuleLosses`]). With `leaves = true`
/// every parameter is a fresh leaf (detached, tracked if the backend tracks gradients), as a
/// trained stack is stored.
///
/// # Panics
/// If `parts` does not match `template` (one part per agent of the stack, each of the same
/// structure with leading dimension 1).
pub fn stack_agents<B: Backend, M: Module<B>>(template: &M, parts: &[M], leaves: bool) -> M {
    struct Gather<B: Backend>(Vec<Tensor<B, 1>>);
    impl<B: Backend> ModuleVisitor<B> for Gather<B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.push(param.val().flatten(0, D - 1));
        }
    }
    struct Stack<B: Backend> {
        // `per_part[p][t]`: part `p`'s parameter `t`, flattened.
        per_part: Vec<std::vec::IntoIter<Tensor<B, 1>>>,
        leaves: bool,
    }
    impl<B: Backend> ModuleMapper<B> for Stack<B> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, tensor, _) = param.consume();
            let dims = tensor.dims();
            let pieces: Vec<Tensor<B, 1>> = self
                .per_part
                .iter_mut()
                .map(|p| p.next().expect("every part has the template's parameters"))
                .collect();
            let stacked = Tensor::cat(pieces, 0).reshape(dims);
            let stacked = match self.leaves {
                true => stacked.detach().require_grad(),
                false => stacked,
            };
            Param::initialized(id, stacked)
        }
    }
    assert_eq!(
        stacked_agent_count::<B, M>(template),
        Some(parts.len()),
        "one part per agent of the template"
    );
    let per_part = parts
        .iter()
        .map(|part| {
            assert_eq!(
                stacked_agent_count::<B, M>(part),
                Some(1),
                "each part holds one agent"
            );
            let mut gather = Gather(Vec::new());
            part.visit(&mut gather);
            gather.0.into_iter()
        })
        .collect();
    template.clone().map(&mut Stack { per_part, leaves })
}
