//! The run pipeline `search` and `batch` share: devices opened once, progress, stop
//! signals, the engine call, the write of its result, and what the outcome means.

use crate::alphabet::Alphabet;
use crate::device::{Control, DeviceId, DeviceInfo, DeviceKind, DeviceSet, SearchError};
use crate::engine::{self, EngineError, EngineOptions, Found, Position, SearchEvent, Started};
use crate::gpu::on_demand::Opening;
use crate::input::Content;
use crate::output::{write_output, Destination};
use crate::progress::{Progress, ProgressDisplay};
use crate::signals::{Interrupted, Signal};
use crate::target::Prefix;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How one search ended, for the command line.
pub enum Outcome {
    /// A verified hit ([`Session::search_and_write`]: and written).
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
    /// GPUs beside the CPU still to be found, by device id ([`crate::backends::open_beside_cpu`]).
    opening: Opening,
}

/// How a run reports on stderr.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reporting {
    /// No progress and no messages but errors.
    pub quiet: bool,
    /// A plain progress line this often (else a live line on a terminal, every 10 s elsewhere).
    pub progress_every: Option<Duration>,
}

impl Session {
    /// A run over `devices` (opened once for all its searches; `note` says why `auto` chose
    /// them), reporting as `reporting` says.
    pub fn new(devices: DeviceSet, note: Option<String>, reporting: Reporting) -> Session {
        let control = Arc::new(Control::for_devices(devices.infos().len()));
        let display = ProgressDisplay::choose(reporting.quiet, reporting.progress_every);
        Session { devices, note, control, display, quiet: reporting.quiet, opening: Vec::new() }
    }

    /// The same run, with GPUs that are still opening on their device threads.
    pub fn with_opening(mut self, opening: Opening) -> Session {
        self.opening = opening;
        self
    }

    /// An error once a GPU still opening has failed to ([`crate::backends::open`] would have
    /// said it before the run began): the batch stops there, its finished pages kept. Not
    /// after a stop signal: the same signal may have ended a GPU's helper, and the run is
    /// stopping for the signal, which its search reports.
    pub fn check_opening(&self) -> anyhow::Result<()> {
        if crate::signals::received().is_some() {
            return Ok(());
        }
        match self.opening.iter().find_map(|(_, ready)| ready.known().and_then(Result::err)) {
            Some(why) => Err(anyhow::anyhow!(why)),
            None => Ok(()),
        }
    }

    /// Waits for the GPUs still opening that anyone looks for: an error when one could not be
    /// found or opened ([`Interrupted`] when a stop signal came meanwhile, as in
    /// [`Session::check_opening`]).
    pub fn settle(&self) -> anyhow::Result<()> {
        for (_, ready) in self.opening.iter().filter(|(_, ready)| ready.is_looked_for()) {
            if let Err(why) = ready.wait() {
                return Err(match crate::signals::received() {
                    Some(signal) => Interrupted(signal).into(),
                    None => anyhow::anyhow!(why),
                });
            }
        }
        Ok(())
    }

    /// Every device's name, by id: a GPU beside the CPU by its adapter as soon as it has
    /// been found (here or by its helper), even while its thread is still busy.
    pub fn device_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.devices.infos().into_iter().map(|info| info.name).collect();
        for (id, ready) in &self.opening {
            if let Some(Ok(found)) = ready.known() {
                names[*id] = found;
            }
        }
        names
    }

    /// The devices still working, by those names: "cpu (avx512, 1 thread) + llvmpipe (...)".
    pub fn describe_devices(&self) -> String {
        self.devices.describe_named(&self.device_names())
    }

    /// The shortest time device `id` has taken to return a range in this run; None before
    /// its first.
    pub fn fastest_turnaround(&self, id: DeviceId) -> Option<Duration> {
        self.control.fastest_turnaround(id)
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
        let ids: Vec<DeviceId> = self.devices.live().collect();
        let started = self.start(content, prefix, alphabet, options, &ids)?;
        self.finish(started, label, on_position)
    }

    /// Hands a search to the devices `ids` and returns at once ([`engine::start`]): a batch
    /// keeps the next pages in flight while it waits for one and writes it.
    pub fn start<'a>(
        &self,
        content: &'a Content,
        prefix: &'a Prefix,
        alphabet: &'a Alphabet,
        options: &'a EngineOptions,
        ids: &[DeviceId],
    ) -> Result<Started<'a>, EngineError> {
        // A GPU still to be found that takes part is looked for now, on its thread: the
        // batch will wait for the answer.
        for (_, ready) in self.opening.iter().filter(|(id, _)| ids.contains(id)) {
            ready.look_for();
        }
        engine::start(&self.devices, ids, content, prefix, alphabet, options, &self.control)
    }

    /// Waits for a started search, with progress led by `label`.
    pub fn finish(
        &self,
        mut started: Started,
        label: String,
        on_position: &mut dyn FnMut(Position),
    ) -> Result<SearchRun, EngineError> {
        let infos = self.devices.infos();
        let started_at = Instant::now();
        let mut position = started.start_position();
        let progress =
            Progress::start(self.control.clone(), infos.clone(), started.prefix().bits(), self.display, label);
        let result = started.finish(&self.devices, &mut |event| match event {
            SearchEvent::Progress(at) => {
                position = at;
                on_position(at);
            }
            SearchEvent::DeviceDropped { device, reason } => {
                crate::stdio::say(format!("ghostsum: warning: dropped {device}: {reason}; the other devices go on"))
            }
        });
        let tested = started.tested();
        drop(progress);
        let seconds = started_at.elapsed().as_secs_f64();
        let outcome = match result {
            Ok(Some(found)) => Outcome::Found(found),
            Ok(None) => Outcome::NoHit,
            Err(EngineError::Search(SearchError::Cancelled)) => {
                Outcome::Stopped(crate::signals::received().unwrap_or(Signal::INTERRUPT))
            }
            Err(e) => return Err(e),
        };
        let devices = tallies(&infos, &self.devices, &started, seconds);
        Ok(SearchRun { outcome, position, tested, seconds, devices })
    }

    /// Waits for a started search and writes its hit to `destination`, as
    /// [`Session::search_and_write`] does.
    pub fn finish_and_write(
        &self,
        started: Started<'_>,
        destination: &Destination,
        label: String,
    ) -> anyhow::Result<SearchRun> {
        let content = started.content();
        let run = self.finish(started, label, &mut |_| {})?;
        write_found(run, content, destination)
    }
}

impl Session {
    /// Searches, then writes the hit to `destination`: the one way `search` and `batch` turn
    /// content into a result. A stop signal during the write leaves the destination as it
    /// was and ends as [`Outcome::Stopped`] at the hit's own index (every candidate below it
    /// holds none, so a resume finds it at once).
    #[allow(clippy::too_many_arguments)]
    pub fn search_and_write(
        &self,
        content: &Content,
        prefix: &Prefix,
        alphabet: &Alphabet,
        options: &EngineOptions,
        destination: &Destination,
        label: String,
        on_position: &mut dyn FnMut(Position),
    ) -> anyhow::Result<SearchRun> {
        let run = self.search(content, prefix, alphabet, options, label, on_position)?;
        write_found(run, content, destination)
    }
}

/// Writes a run's hit (if it found one) to `destination`; a stop signal during the write
/// turns the run into [`Outcome::Stopped`] at the hit's index.
fn write_found(mut run: SearchRun, content: &Content, destination: &Destination) -> anyhow::Result<SearchRun> {
    if let Outcome::Found(found) = &run.outcome {
        if let Err(e) = write_output(content, &found.suffix, destination, &found.digest) {
            let signal = Interrupted::signal_of(&e).ok_or(e)?;
            run.position = Position { suffix_len: found.suffix_len, next_index: found.index };
            run.outcome = Outcome::Stopped(signal);
        }
    }
    Ok(run)
}

/// Writes `content` unchanged to `destination` (None: nowhere, for --in-place) when its
/// digest already starts with `prefix`, and returns that digest; None when it does not.
pub fn write_if_prefixed(
    content: &Content,
    prefix: &Prefix,
    destination: Option<&Destination>,
) -> anyhow::Result<Option<Vec<u8>>> {
    let md5 = content.digest_with_suffix(b"")?;
    if !prefix.matches_digest(&md5) {
        return Ok(None);
    }
    if let Some(destination) = destination {
        write_output(content, b"", destination, &md5)?;
    }
    Ok(Some(md5))
}

/// Per-device figures of one search: the devices still live, and any that did work.
fn tallies(infos: &[DeviceInfo], set: &DeviceSet, started: &Started, seconds: f64) -> Vec<DeviceTally> {
    let live: Vec<usize> = set.live().collect();
    infos
        .iter()
        .enumerate()
        .filter_map(|(id, info)| {
            let tested = started.tested_by(id);
            (live.contains(&id) || tested > 0).then(|| DeviceTally {
                backend: info.kind,
                device: info.name.clone(),
                threads: started.workers_of(id).unwrap_or(info.threads),
                candidates_tested: tested,
                candidates_per_second: if seconds > 0.0 { tested as f64 / seconds } else { 0.0 },
            })
        })
        .collect()
}
