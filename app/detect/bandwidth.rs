//! Memory bandwidth probe: multi-threaded streaming reads over a buffer far larger than the
//! last-level cache; cancellable, with progress reports.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::GIB_BYTES;

/// Reads are done in blocks of this many bytes between checks of cancel / deadline.
const BLOCK_BYTES: usize = 4 << 20;

/// Settings for [`measure_bandwidth`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandwidthOptions {
    /// Size of the buffer read over and over.
    pub buffer_bytes: usize,
    /// How long to keep reading.
    pub duration: Duration,
    /// Reader threads.
    pub threads: usize,
}

impl BandwidthOptions {
    /// Defaults for a machine with `total_ram_bytes` of RAM: a buffer of 1 GiB or 1/8 of RAM,
    /// whichever is smaller (at least 64 MiB), 3 seconds, one thread per logical CPU.
    pub fn for_total_ram(total_ram_bytes: u64) -> Self {
        let eighth = if total_ram_bytes == 0 {
            GIB_BYTES
        } else {
            total_ram_bytes / 8
        };
        let buffer = eighth.clamp(64 << 20, GIB_BYTES);
        BandwidthOptions {
            buffer_bytes: usize::try_from(buffer).unwrap_or(64 << 20),
            duration: Duration::from_secs(3),
            threads: thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }
}

impl Default for BandwidthOptions {
    /// [`BandwidthOptions::for_total_ram`] with this machine's RAM (via sysinfo).
    fn default() -> Self {
        let ram = sysinfo::System::new()
            .map(|mut s| {
                s.refresh_memory();
                s.total_memory()
            })
            .unwrap_or(0);
        Self::for_total_ram(ram)
    }
}

/// Result of a bandwidth measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandwidthMeasurement {
    /// Read bandwidth in GB/s (10^9 bytes per second).
    pub gb_per_s: f64,
    /// Reader threads used.
    pub threads: usize,
    /// Buffer size.
    pub buffer_bytes: usize,
    /// Whole-buffer passes read in total (all threads together).
    pub passes: u64,
}

/// Why a bandwidth measurement failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BandwidthError {
    /// `threads` was 0.
    #[error("at least one thread is needed")]
    NoThreads,
    /// Buffer too small to give each thread at least one u64.
    #[error("buffer of {buffer_bytes} bytes is too small for {threads} threads")]
    BufferTooSmall {
        /// Requested buffer size.
        buffer_bytes: usize,
        /// Requested thread count.
        threads: usize,
    },
    /// Duration was zero.
    #[error("duration must be positive")]
    ZeroDuration,
    /// The buffer could not be allocated.
    #[error("could not allocate {buffer_bytes} bytes")]
    Allocation {
        /// Requested buffer size.
        buffer_bytes: usize,
    },
    /// The cancel flag was set.
    #[error("cancelled after {elapsed_ms} ms")]
    Cancelled {
        /// Time spent before stopping.
        elapsed_ms: u64,
    },
    /// A reader thread panicked or could not start.
    #[error("reader thread failed")]
    ThreadFailed,
}

fn sum_block(block: &[u64]) -> u64 {
    // Four independent accumulators keep several loads in flight.
    let mut acc = [0u64; 4];
    let mut chunks = block.chunks_exact(4);
    for c in &mut chunks {
        acc[0] = acc[0].wrapping_add(c[0]);
        acc[1] = acc[1].wrapping_add(c[1]);
        acc[2] = acc[2].wrapping_add(c[2]);
        acc[3] = acc[3].wrapping_add(c[3]);
    }
    let tail: u64 = chunks.remainder().iter().fold(0, |a, b| a.wrapping_add(*b));
    acc[0]
        .wrapping_add(acc[1])
        .wrapping_add(acc[2])
        .wrapping_add(acc[3])
        .wrapping_add(tail)
}

/// Measures memory read bandwidth with `opts.threads` threads streaming over a buffer.
///
/// Calls `progress` with a fraction 0..=1 of the duration elapsed (from the calling thread, about
/// every 50 ms). Setting `cancel` stops the readers within a few milliseconds and returns
/// [`BandwidthError::Cancelled`].
pub fn measure_bandwidth(
    opts: BandwidthOptions,
    cancel: &AtomicBool,
    progress: &dyn Fn(f32),
) -> Result<BandwidthMeasurement, BandwidthError> {
    if opts.threads == 0 {
        return Err(BandwidthError::NoThreads);
    }
    if opts.duration.is_zero() {
        return Err(BandwidthError::ZeroDuration);
    }
    let words = opts.buffer_bytes / 8;
    if words < opts.threads {
        return Err(BandwidthError::BufferTooSmall {
            buffer_bytes: opts.buffer_bytes,
            threads: opts.threads,
        });
    }
    let mut buf: Vec<u64> = Vec::new();
    buf.try_reserve_exact(words)
        .map_err(|_| BandwidthError::Allocation {
            buffer_bytes: opts.buffer_bytes,
        })?;
    // Touch every page with non-trivial data so reads hit real memory, not the zero page.
    buf.extend((0..words as u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));

    let per_thread = words / opts.threads;
    let bytes_read = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let deadline = start + opts.duration;

    let joined: Result<(), BandwidthError> = thread::scope(|s| {
        let mut handles = Vec::new();
        for t in 0..opts.threads {
            let lo = t * per_thread;
            let hi = if t + 1 == opts.threads {
                words
            } else {
                lo + per_thread
            };
            let slice = &buf[lo..hi];
            let bytes_read = &bytes_read;
            let stop = &stop;
            let h = thread::Builder::new().spawn_scoped(s, move || {
                let block_words = (BLOCK_BYTES / 8).max(1);
                let mut total = 0u64;
                'outer: loop {
                    for block in slice.chunks(block_words) {
                        if stop.load(Ordering::Relaxed)
                            || cancel.load(Ordering::Relaxed)
                            || Instant::now() >= deadline
                        {
                            break 'outer;
                        }
                        black_box(sum_block(black_box(block)));
                        total += (block.len() * 8) as u64;
                    }
                }
                bytes_read.fetch_add(total, Ordering::Relaxed);
            });
            match h {
                Ok(h) => handles.push(h),
                Err(_) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(BandwidthError::ThreadFailed);
                }
            }
        }
        // Report progress from the caller's thread until the readers finish.
        while !handles.iter().all(|h| h.is_finished()) {
            if cancel.load(Ordering::Relaxed) {
                stop.store(true, Ordering::Relaxed);
            }
            let frac = start.elapsed().as_secs_f32() / opts.duration.as_secs_f32();
            progress(frac.clamp(0.0, 1.0));
            thread::sleep(Duration::from_millis(20));
        }
        let mut ok = true;
        for h in handles {
            ok &= h.join().is_ok();
        }
        if ok {
            Ok(())
        } else {
            Err(BandwidthError::ThreadFailed)
        }
    });
    joined?;
    let elapsed = start.elapsed();
    if cancel.load(Ordering::Relaxed) {
        return Err(BandwidthError::Cancelled {
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        });
    }
    progress(1.0);
    let total = bytes_read.load(Ordering::Relaxed);
    let secs = elapsed.as_secs_f64().max(1e-9);
    Ok(BandwidthMeasurement {
        gb_per_s: total as f64 / secs / 1e9,
        threads: opts.threads,
        buffer_bytes: opts.buffer_bytes,
        passes: total / (words as u64 * 8),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn small_buffer_gives_positive_finite_figure_and_progress() {
        let cancel = AtomicBool::new(false);
        let calls = AtomicUsize::new(0);
        let last = std::sync::Mutex::new(0.0f32);
        let m = measure_bandwidth(
            BandwidthOptions {
                buffer_bytes: 16 << 20,
                duration: Duration::from_millis(300),
                threads: 2,
            },
            &cancel,
            &|p| {
                calls.fetch_add(1, Ordering::Relaxed);
                assert!((0.0..=1.0).contains(&p));
                *last.lock().unwrap() = p;
            },
        )
        .unwrap();
        assert!(m.gb_per_s.is_finite() && m.gb_per_s > 0.0, "{m:?}");
        assert!(m.passes >= 1);
        assert_eq!(m.threads, 2);
        assert!(calls.load(Ordering::Relaxed) >= 2);
        assert_eq!(*last.lock().unwrap(), 1.0);
    }

    #[test]
    fn cancel_stops_early() {
        let cancel = Arc::new(AtomicBool::new(false));
        let c2 = Arc::clone(&cancel);
        let setter = thread::spawn(move || {
            thread::sleep(Duration::from_millis(150));
            c2.store(true, Ordering::Relaxed);
        });
        let t0 = Instant::now();
        let r = measure_bandwidth(
            BandwidthOptions {
                buffer_bytes: 16 << 20,
                duration: Duration::from_secs(30),
                threads: 2,
            },
            &cancel,
            &|_| {},
        );
        setter.join().unwrap();
        assert!(matches!(r, Err(BandwidthError::Cancelled { .. })), "{r:?}");
        assert!(t0.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn bad_options_are_errors() {
        let cancel = AtomicBool::new(false);
        let o = |b, t| BandwidthOptions {
            buffer_bytes: b,
            duration: Duration::from_millis(10),
            threads: t,
        };
        assert_eq!(
            measure_bandwidth(o(1024, 0), &cancel, &|_| {}),
            Err(BandwidthError::NoThreads)
        );
        assert!(matches!(
            measure_bandwidth(o(8, 4), &cancel, &|_| {}),
            Err(BandwidthError::BufferTooSmall { .. })
        ));
    }

    /// The default buffer measures memory, not caches, and leaves the machine its RAM: on
    /// 4 GiB or more it is at least four times the largest desktop L3 cache (AMD's Ryzen 9
    /// 9950X3D, 128 MB, amd.com), never more than an eighth of RAM, and never smaller on a
    /// bigger machine.
    #[test]
    fn default_buffer_is_larger_than_caches_and_small_beside_ram() {
        let largest_desktop_l3_bytes = 128_000_000;
        let mut previous = 0;
        for ram_gib in 1..=512u64 {
            let ram = ram_gib * GIB_BYTES;
            let o = BandwidthOptions::for_total_ram(ram);
            let buffer = o.buffer_bytes as u64;
            assert!(buffer <= ram / 8, "{ram_gib} GiB: {buffer} B");
            if ram_gib >= 4 {
                assert!(
                    buffer >= 4 * largest_desktop_l3_bytes,
                    "{ram_gib} GiB: {buffer} B"
                );
            }
            assert!(
                buffer >= previous,
                "{ram_gib} GiB: {buffer} B after {previous} B"
            );
            assert!(o.duration >= Duration::from_secs(1));
            previous = buffer;
        }
    }
}
