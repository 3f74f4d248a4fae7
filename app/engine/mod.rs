//! The simulation engine: pure functions over plain data.
//!
//! No egui, no files, no system calls, no clock. Everything here can be called from a test,
//! the CLI or a UI frame with the same result.

pub mod calibrate;
pub mod claims;
pub mod memory;
pub mod mix;
pub mod rank;
pub mod reason;
pub mod series;
pub mod serving;
pub mod speed;
pub mod types;
pub mod verdict;

pub use memory::{LoadedModel, MemoryPlan, Placement};
pub use mix::{evaluate, MixOptions, MixResult, Setup};
pub use rank::{rank, Objective, Owned, RankEntry, RankOptions, Ranking};
pub use types::*;
pub use verdict::{decide, Decision, DecisionInputs, SeenSpeeds, Setting, VerdictKind};
