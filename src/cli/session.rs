//! The run pipeline `search` and `batch` share: devices opened once, progress, stop
//! signals, the engine call and what its outcome means for the command line.

use super::{EngineArgs, ReportArgs};
use crate::alphabet::Alphabet;
use crate::device::{Control, DeviceInfo, DeviceKind, DeviceSet, SearchError};
use crate::engine::{self, EngineError, EngineOptions, Found, Position, SearchEvent};
use crate::input::Content;
use crate::progress::{Progress, ProgressDisplay};
use crate::signals::Signal;
use crate::target::Prefix;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// How one search ended, for the command line.
pub enum Outcome {
    /// A verified hit.
    Found(Found),
    /// A shard's slice held none.
    NoHit,
    /// A stop signal came.
    Stopped(Signal),
}

/// What one device did in one search (`--json` `devices`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeviceTally {
    /// cpu or gpu (serialized as "cpu" or "gpu").
    pub backend: DeviceKind,
    /// The device in words.
    pub device: String,
    /// Worker threads (1 for a GPU).
    pub threads: usize,
    /// Candidates it tested.
    pub candidates_tested: u64,
    /// Its rate over the search, candidates per second.
    pub candidates_per_second: f64,
}

/// One search's result with its figures.
pub struct SearchRun {
    /// How it ended.
    pub outcome: Outcome,
    /// Where it got: every candidate below is searched.
    pub position: Position,
    /// Candidates tested over every device.
    pub tested: u64,
    /// Wall time of the search.
    pub seconds: f64,
    /// Per device.
    pub devices: Vec<DeviceTally>,
}

/// Devices, progress and messages for one run of a command.
pub struct Session {
    /// Every device of the run.
    pub devices: DeviceSet,
    /// Why `auto` chose what it did, if it had to choose.
    pub note: Option<String>,
    control: Arc<Control>,
    display: ProgressDisplay,
    quiet: bool,
}

impl Session {
    /// Opens the devices `engine` names (once for the whole run) and the progress display.
    pub fn open(engine: &EngineArgs, report: &ReportArgs) -> anyhow::Result<Session> {
        engine.check()?;
        if report.quiet && report.progress_every.is_some() {
            anyhow::bail!("--progress-every has no effect with --quiet; drop one of them");
        }
        let tuning = crate::tuning::Tuning::from_env()?;
        let (devices, note) =
            super::backends::open(&engine.backend, engine.threads, engine.adapter.as_deref(), &tuning)?;
        let control = Arc::new(Control::for_devices(devices.infos().len()));
        let display = ProgressDisplay::choose(report.quiet, report.progress_every.map(|s| s.duration()));
        Ok(Session { devices, note, control, display, quiet: report.quiet })
    }

    /// A line on stderr, unless --quiet.
    pub fn say(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            crate::stdio::say(line);
        }
    }

    /// The devices in words, with auto's note: "cpu (avx512, 2 threads) (auto chose the CPU: ...)".
    pub fn describe(&self) -> String {
        match &self.note {
            Some(note) => format!("{} ({note})", self.devices.describe()),
            None => self.devices.describe(),
        }
    }

    /// Runs one search with progress led by `label`; `on_position` hears how far it got.
    /// Device failures are reported and the search goes on without them.
    pub fn search(
        &self,
        content: &Content,
        prefix: &Prefix,
        alphabet: &Alphabet,
        options: &EngineOptions,
        label: String,
        on_position: &mut dyn FnMut(Position),
    ) -> Result<SearchRun, EngineError> {
        let infos = self.devices.infos();
        let before: Vec<u64> = (0..infos.len()).map(|id| self.control.device_tested(id)).collect();
        let total_before = self.control.tested.load(Ordering::Relaxed);
        let started = Instant::now();
        let mut position = options.resume.unwrap_or(Position { suffix_len: 0, next_index: 0 });
        let progress = Progress::start(self.control.clone(), infos.clone(), prefix.bits(), self.display, label);
        let result =
            engine::search(
                &self.devices,
                content,
                prefix,
                alphabet,
                options,
                &self.control,
                &mut |event| match event {
                    SearchEvent::Progress(at) => {
                        position = at;
                        on_position(at);
                    }
                    SearchEvent::DeviceDropped { device, reason } => crate::stdio::say(format!(
                        "ghostsum: warning: dropped {device}: {reason}; the other devices go on"
                    )),
                },
            );
        drop(progress);
        let seconds = started.elapsed().as_secs_f64();
        let outcome = match result {
            Ok(Some(found)) => Outcome::Found(found),
            Ok(None) => Outcome::NoHit,
            Err(EngineError::Search(SearchError::Cancelled)) => {
                Outcome::Stopped(crate::signals::received().unwrap_or(Signal::INTERRUPT))
            }
            Err(e) => return Err(e),
        };
        let devices = tallies(&infos, &self.devices, &self.control, &before, seconds);
        let tested = self.control.tested.load(Ordering::Relaxed) - total_before;
        Ok(SearchRun { outcome, position, tested, seconds, devices })
    }
}

/// Per-device figures of one search: the devices still live, and any that did work.
fn tallies(infos: &[DeviceInfo], set: &DeviceSet, control: &Control, before: &[u64], seconds: f64) -> Vec<DeviceTally> {
    let live: Vec<usize> = set.live().collect();
    infos
        .iter()
        .enumerate()
        .filter_map(|(id, info)| {
            let tested = control.device_tested(id) - before[id];
            (live.contains(&id) || tested > 0).then(|| DeviceTally {
                backend: info.kind,
                device: info.name.clone(),
                threads: info.threads,
                candidates_tested: tested,
                candidates_per_second: if seconds > 0.0 { tested as f64 / seconds } else { 0.0 },
            })
        })
        .collect()
}
