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
    pub bound_tokens_per_s: f64,
    /// The claim exceeds what the memory bandwidth allows.
    pub exceeds_bound: bool,
}

impl ClaimCheck {
    /// One sentence for people.
    pub fn sentence(&self) -> String {
        if self.exceeds_bound {
            format!(
                "claim check: {} says \"{}\" ({:.0} tok/s), but the bandwidth bound for {} {} is {:.1} tok/s: the claim breaks physics",
                self.by, self.text, self.claimed_tokens_per_s, self.model, self.quant, self.bound_tokens_per_s
            )
        } else {
            format!(
                "claim check: {} says \"{}\" ({:.0} tok/s); the bandwidth bound for {} {} is {:.1} tok/s, so it is possible",
                self.by, self.text, self.claimed_tokens_per_s, self.model, self.quant, self.bound_tokens_per_s
            )
        }
    }
}

/// Checks every claim the catalogue records for `machine`.
pub fn check(catalog: &Catalog, machine: &Machine) -> Vec<ClaimCheck> {
    machine
        .claims
        .iter()
        .filter_map(|claim| check_one(catalog, machine, claim))
        .collect()
}

fn check_one(catalog: &Catalog, machine: &Machine, claim: &Claim) -> Option<ClaimCheck> {
    let loaded = LoadedModel {
        model: catalog.model(&claim.model)?,
        quant: catalog.quant(&claim.quant)?,
        kv: catalog.kv_type("f16")?,
    };
    let bound = decode_bound_tokens_per_s(machine, &loaded);
    Some(ClaimCheck {
        by: claim.by.clone(),
        text: claim.text.clone(),
        model: claim.model.clone(),
        quant: claim.quant.clone(),
        claimed_tokens_per_s: claim.decode_tokens_per_s,
        bound_tokens_per_s: bound,
        exceeds_bound: claim.decode_tokens_per_s > bound,
    })
}
