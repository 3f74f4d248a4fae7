//! headroom: decide whether your machine is enough for your local language models, and if
//! not, what to buy. The engine is pure; the catalogue, CLI, report and UI sit around it.

pub mod catalog;
pub mod cli;
pub mod detect;
pub mod diagnose;
pub mod engine;
pub mod fsio;
pub mod local;
pub mod present;
pub mod report;
pub mod scenario;
pub mod ui;
