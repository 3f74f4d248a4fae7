//! Published speed claims checked against physics: a claim above the bandwidth bound
//! (spec bandwidth over the bytes read per token, with no losses at all) cannot be true.

use serde::Serialize;

use super::memory::LoadedModel;
use super::speed::decode_bound_tokens_per_s;
use super::types::{Catalog, Claim, Machine};

/// One claim and its verdict.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ClaimCheck {
    pub by: String,
    pub text: String,
    pub model: String,
    pub quant: String,
    pub claimed_tokens_per_s: f64,
    /// Spec bandwidth over bytes read per token; `None` when the model or quant is unknown.
    pub bound_tokens_per_s: Option<f64>,
    /// The claim exceeds what the memory bandwidth allows.
    pub exceeds_bound: bool,
}

/// Checks every claim the catalogue records for `machine`: the one claims checker, used by
/// the ranking's reasons, `estimate` and the window's details.
pub fn check(catalog: &Catalog, machine: &Machine) -> Vec<ClaimCheck> {
    machine
        .claims
        .iter()
        .map(|claim| check_one(catalog, machine, claim))
        .collect()
}

fn check_one(catalog: &Catalog, machine: &Machine, claim: &Claim) -> ClaimCheck {
    // The bound reads active weights only, so the KV type does not matter here.
    let bound = match (
        catalog.model(&claim.model),
        catalog.quant(&claim.quant),
        catalog.kv_types.first(),
    ) {
        (Some(model), Some(quant), Some(kv)) => Some(decode_bound_tokens_per_s(
            machine,
            &LoadedModel { model, quant, kv },
        )),
        _ => None,
    };
    ClaimCheck {
        by: claim.by.clone(),
        text: claim.text.clone(),
        model: claim.model.clone(),
        quant: claim.quant.clone(),
        claimed_tokens_per_s: claim.decode_tokens_per_s,
        bound_tokens_per_s: bound,
        exceeds_bound: bound.is_some_and(|b| claim.decode_tokens_per_s > b),
    }
}
