//! The ranking and chart series of the current inputs, recomputed only when an input changed.

use crate::engine::rank::{rank, RankOptions, Ranking};
use crate::engine::series::{chart_series, ChartSeries};
use crate::engine::types::{Catalog, Workload};

/// The inputs a ranking was computed from.
#[derive(Clone, Debug, PartialEq)]
struct Key {
    catalog_generation: u64,
    workload: Workload,
    options: RankOptions,
}

/// The last ranking, its chart series, and what they were computed from.
#[derive(Debug, Default)]
pub struct RankCache {
    key: Option<Key>,
    pub ranking: Option<Ranking>,
    pub series: ChartSeries,
    /// Times the ranking was computed; tests check that idle frames leave it alone.
    pub runs: u64,
}

impl RankCache {
    /// Recomputes when any input differs from the last computation's; returns whether it did.
    /// Comparing costs microseconds; ranking the whole catalogue about a millisecond.
    pub fn refresh(
        &mut self,
        catalog: &Catalog,
        catalog_generation: u64,
        workload: &Workload,
        options: &RankOptions,
    ) -> bool {
        let unchanged = self.key.as_ref().is_some_and(|k| {
            k.catalog_generation == catalog_generation
                && &k.workload == workload
                && &k.options == options
        });
        if unchanged {
            return false;
        }
        let ranking = rank(catalog, workload, options);
        self.series = chart_series(catalog, workload, &ranking);
        self.ranking = Some(ranking);
        self.key = Some(Key {
            catalog_generation,
            workload: workload.clone(),
            options: options.clone(),
        });
        self.runs += 1;
        true
    }
}
