//! The machine you have, resolved once for every front end: what detection found, matched
//! to the catalogue, and for a machine the catalogue lacks an entry built from detection
//! (every guessed figure marked) that joins the catalogue as "this machine". The CLI's
//! `--have this`, `diagnose` without `--have` and the window all call [`resolve_machine`].

use crate::engine::rank::Owned;
use crate::engine::types::Catalog;

use super::{Detection, MachineMatch};

/// The machine you have and how it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedMachine {
    pub owned: Owned,
    /// In words: "detected: ...", or why it is an entry built from detection.
    pub how: String,
    /// The catalogue lacked it: an entry built from detection was added.
    pub built_from_detection: bool,
}

/// Resolves `matched` (from [`super::match_machine`] on `detection`) against `catalog`,
/// adding an entry built from detection when the catalogue lacks the machine.
/// `measured_bandwidth_gb_per_s` is the bandwidth probe's result on this machine, if any.
pub fn resolve_machine(
    catalog: &mut Catalog,
    detection: &Detection,
    matched: &MachineMatch,
    measured_bandwidth_gb_per_s: Option<f64>,
) -> ResolvedMachine {
    match matched {
        MachineMatch::Exact { id, memory_gb, why } => ResolvedMachine {
            owned: Owned {
                machine: id.clone(),
                per_device_gb: *memory_gb,
            },
            how: format!("detected: {why}"),
            built_from_detection: false,
        },
        MachineMatch::Family {
            id,
            memory_gb,
            why,
            differences,
        } => ResolvedMachine {
            owned: Owned {
                machine: id.clone(),
                per_device_gb: *memory_gb,
            },
            how: format!(
                "detected, nearest catalogue machine: {why}; differs in: {}",
                differences.join(", ")
            ),
            built_from_detection: false,
        },
        MachineMatch::Unknown { guessed } => {
            let machine =
                super::this_machine::this_machine(detection, guessed, measured_bandwidth_gb_per_s);
            let owned = Owned {
                machine: machine.id.clone(),
                per_device_gb: machine
                    .memory_options
                    .first()
                    .map_or(0.0, |o| o.per_device_gb),
            };
            catalog.machines.retain(|m| m.id != machine.id);
            catalog.machines.push(machine);
            ResolvedMachine {
                owned,
                how: format!(
                    "detected: {}, not in the catalogue; its figures come from detection, guesses marked as estimates",
                    guessed.name
                ),
                built_from_detection: true,
            }
        }
    }
}

/// Detects this machine (each probe within `timeout`) and resolves it against `catalog`.
pub fn detect_and_resolve(catalog: &mut Catalog, timeout: std::time::Duration) -> ResolvedMachine {
    let detection = super::detect_all(timeout);
    let matched = super::match_machine(&detection, &super::machine_refs(catalog));
    resolve_machine(catalog, &detection, &matched, None)
}
