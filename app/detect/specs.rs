//! A card's spec memory bandwidth from what its driver reports. Matching (which catalogue
//! machine is this?) and `this_machine` (an entry for a machine the catalogue lacks) both
//! use it, so it lives apart from both and neither imports the other for it.

use super::{GpuInfo, GpuSpecs};

/// Spec memory bandwidth of an NVIDIA card from what NVML reports, GB/s: bus width times
/// the data rate, which is twice the memory clock NVML gives for GDDR6, GDDR6X, GDDR7 and
/// HBM alike (RTX 4090: 384-bit at 10,501 MHz, 48 B x 21.0 GT/s = 1,008 GB/s; RTX 5090:
/// 512-bit at 14,001 MHz = 1,792 GB/s, both the published figures).
pub fn spec_bandwidth_gb_per_s(specs: &GpuSpecs) -> Option<f64> {
    let bits = f64::from(specs.memory_bus_width_bits?);
    let mhz = f64::from(specs.max_memory_clock_mhz?);
    Some(bits / 8.0 * mhz * 2.0 / 1000.0)
}

/// The slowest spec bandwidth among `cards` that report their memory bus, with the figures
/// it comes from: the engine runs identical devices, so the slowest one sets the pace.
pub fn slowest_card_bandwidth<'a>(
    cards: impl IntoIterator<Item = &'a GpuInfo>,
) -> Option<(GpuSpecs, f64)> {
    cards
        .into_iter()
        .filter_map(|g| Some((g.specs?, spec_bandwidth_gb_per_s(g.specs.as_ref()?)?)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}
