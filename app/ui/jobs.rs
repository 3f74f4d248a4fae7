//! Work that must not block a frame: hardware detection at start and the memory bandwidth
//! measurement. Each runs on its own thread and reports through a channel; the thread asks
//! egui for a repaint when it is done so the result shows without user input.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

use crate::detect::{self, BandwidthMeasurement, BandwidthOptions, Detection, MachineMatch};
use crate::engine::types::Catalog;

/// How long each detection probe may take before it is reported as timed out.
pub const DETECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the window's hardware detection comes from.
// Built once per window, so the size of the injected variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum DetectionSource {
    /// Run [`detect::detect_all`] on a background thread at start.
    Background,
    /// A result given in advance (tests, or a detection saved elsewhere).
    Injected(Detection),
    /// No detection: the user picks the machine.
    Off,
}

/// The state of hardware detection.
#[derive(Debug, Default)]
pub enum DetectionJob {
    /// Waiting for the first frame (which gives the thread an egui context to wake).
    #[default]
    Pending,
    Running(Receiver<Detection>),
    Done {
        detection: Box<Detection>,
        matched: MachineMatch,
    },
    /// Turned off, or the thread could not start (the reason is kept).
    Off(Option<String>),
}

impl DetectionJob {
    /// Starts the background thread, once.
    pub fn start(&mut self, ctx: &egui::Context) {
        if !matches!(self, DetectionJob::Pending) {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("headroom-detect".to_owned())
            .spawn(move || {
                let detection = detect::detect_all(DETECTION_TIMEOUT);
                // The window may have closed meanwhile: nobody to tell.
                let _ = tx.send(detection);
                ctx.request_repaint();
            });
        *self = match spawned {
            Ok(_) => DetectionJob::Running(rx),
            Err(e) => DetectionJob::Off(Some(format!("detection could not start a thread: {e}"))),
        };
    }

    /// Takes a finished result; returns the match when it arrived on this call.
    pub fn poll(&mut self, catalog: &Catalog) -> Option<MachineMatch> {
        let DetectionJob::Running(rx) = self else {
            return None;
        };
        match rx.try_recv() {
            Ok(detection) => Some(self.finish(detection, catalog)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                *self = DetectionJob::Off(Some("detection stopped without a result".to_owned()));
                None
            }
        }
    }

    /// Records a detection and matches it onto the catalogue.
    pub fn finish(&mut self, detection: Detection, catalog: &Catalog) -> MachineMatch {
        let matched = detect::match_machine(&detection, &detect::machine_refs(catalog));
        *self = DetectionJob::Done {
            detection: Box::new(detection),
            matched: matched.clone(),
        };
        matched
    }

    /// Matches again after the catalogue changed (a dropped file may add the exact machine).
    pub fn rematch(&mut self, catalog: &Catalog) {
        if let DetectionJob::Done { detection, matched } = self {
            *matched = detect::match_machine(detection, &detect::machine_refs(catalog));
        }
    }
}

/// A bandwidth measurement in flight.
#[derive(Debug)]
pub struct RunningMeasurement {
    cancel: Arc<AtomicBool>,
    /// Progress 0..=1 as `f32` bits, written by the measuring thread.
    progress: Arc<AtomicU32>,
    rx: Receiver<Result<BandwidthMeasurement, String>>,
}

/// The memory bandwidth measurement: idle, running, or its last result.
#[derive(Debug, Default)]
pub struct BandwidthJob {
    pub running: Option<RunningMeasurement>,
    pub last: Option<Result<BandwidthMeasurement, String>>,
}

impl BandwidthJob {
    /// Starts a measurement unless one is running.
    pub fn start(&mut self, ctx: &egui::Context) {
        if self.running.is_some() {
            return;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(AtomicU32::new(0.0f32.to_bits()));
        let (tx, rx) = mpsc::channel();
        let (thread_cancel, thread_progress, ctx) = (cancel.clone(), progress.clone(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("headroom-bandwidth".to_owned())
            .spawn(move || {
                let report = |fraction: f32| {
                    thread_progress.store(fraction.to_bits(), Ordering::Relaxed);
                    ctx.request_repaint();
                };
                let result =
                    detect::measure_bandwidth(BandwidthOptions::default(), &thread_cancel, &report)
                        .map_err(|e| e.to_string());
                let _ = tx.send(result);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => {
                self.running = Some(RunningMeasurement {
                    cancel,
                    progress,
                    rx,
                })
            }
            Err(e) => self.last = Some(Err(format!("could not start the measurement thread: {e}"))),
        }
    }

    /// Asks a running measurement to stop; its result (cancelled) arrives through [`Self::poll`].
    pub fn cancel(&self) {
        if let Some(running) = &self.running {
            running.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Progress 0..=1 of the running measurement.
    pub fn progress(&self) -> Option<f32> {
        self.running
            .as_ref()
            .map(|r| f32::from_bits(r.progress.load(Ordering::Relaxed)).clamp(0.0, 1.0))
    }

    /// Collects a finished measurement.
    pub fn poll(&mut self) {
        let Some(running) = &self.running else {
            return;
        };
        match running.rx.try_recv() {
            Ok(result) => {
                self.last = Some(result);
                self.running = None;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.last = Some(Err(
                    "the measurement thread stopped without a result".to_owned()
                ));
                self.running = None;
            }
        }
    }
}

/// The diagnosis of the user's local setup (Ollama store, GGUF folders, a running Ollama):
/// it reads files and asks a local server, so it runs on its own thread.
#[derive(Debug, Default)]
pub struct DiagnoseJob {
    pub running: Option<Receiver<Result<DiagnosisDone, String>>>,
    /// The last diagnosis, or why it failed.
    pub last: Option<Result<DiagnosisDone, String>>,
}

/// A finished diagnosis: its settings feed the verdict, and the Diagnose tab draws it.
#[derive(Debug, Clone)]
pub struct DiagnosisDone {
    pub diagnosis: crate::diagnose::Diagnosis,
}

impl DiagnoseJob {
    /// Starts a diagnosis unless one is running.
    pub fn start(
        &mut self,
        ctx: &egui::Context,
        catalog: Catalog,
        request: crate::diagnose::request::DiagnoseRequest,
    ) {
        if self.running.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("headroom-diagnose".to_owned())
            .spawn(move || {
                let result = crate::diagnose::request::run(&catalog, &request)
                    .map(|diagnosis| DiagnosisDone { diagnosis })
                    .map_err(|e| e.to_string());
                let _ = tx.send(result);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.running = Some(rx),
            Err(e) => self.last = Some(Err(format!("could not start the diagnosis thread: {e}"))),
        }
    }

    /// Collects a finished diagnosis; returns the settings it found (inputs of the verdict)
    /// when one finished on this call.
    pub fn poll(&mut self) -> Option<Vec<crate::engine::Setting>> {
        let rx = self.running.as_ref()?;
        match rx.try_recv() {
            Ok(result) => {
                let found = result.as_ref().ok().map(|d| d.diagnosis.found_settings());
                self.last = Some(result);
                self.running = None;
                found
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.last = Some(Err("the diagnosis stopped without a result".to_owned()));
                self.running = None;
                None
            }
        }
    }
}
