//! Every device in one search: the CPU's worker threads and each GPU take ranges of
//! candidates from one dispenser ([`work::SearchWork`]), each at its own speed, on its own
//! host thread, for as long as the [`DeviceSet`] lives.

pub mod acceptance;
pub mod work;

use crate::layout::Layout;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use work::SearchWork;

/// A device's place in its [`DeviceSet`] (and in a search's statistics).
pub type DeviceId = usize;

/// What kind of device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// The CPU's SIMD kernel on worker threads.
    Cpu,
    /// A GPU adapter through wgpu.
    Gpu,
}

impl DeviceKind {
    /// "cpu" or "gpu".
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Gpu => "gpu",
        }
    }
}

/// A device in words.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// CPU or GPU.
    pub kind: DeviceKind,
    /// "cpu (avx512, 2 threads)", or the adapter's name, API and type.
    pub name: String,
    /// Worker threads at most (1 for a GPU: its host thread); a search says how many ran
    /// ([`work::SearchWork::workers_of`]).
    pub threads: usize,
}

/// Shared between the engine, the devices and the progress display.
pub struct Control {
    /// Set to stop the search: devices stop taking ranges and finish the ones they hold. A
    /// stop signal (SIGINT, SIGTERM, SIGHUP) does the same.
    pub stop: AtomicBool,
    /// Candidates tested so far, over every device and search, for progress.
    pub tested: AtomicU64,
    /// The same per device of the set, by id.
    per_device: Vec<AtomicU64>,
    /// Per device: the shortest time it took to return a range, in nanoseconds (u64::MAX
    /// before its first): its fixed cost per range, which a short page may not be worth.
    fastest_turnaround: Vec<AtomicU64>,
}

impl Default for Control {
    fn default() -> Self {
        Self::for_devices(0)
    }
}

impl Control {
    /// A control that also counts per device, for a set of `devices`.
    pub fn for_devices(devices: usize) -> Self {
        Control {
            stop: AtomicBool::new(false),
            tested: AtomicU64::new(0),
            per_device: (0..devices).map(|_| AtomicU64::new(0)).collect(),
            fastest_turnaround: (0..devices).map(|_| AtomicU64::new(u64::MAX)).collect(),
        }
    }

    /// Has a stop been asked for, by the engine's user or by a signal?
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || crate::signals::stop_requested().is_some()
    }

    /// Counts candidates `device` tested.
    pub fn add_tested(&self, device: DeviceId, n: u64) {
        self.tested.fetch_add(n, Ordering::Relaxed);
        if let Some(count) = self.per_device.get(device) {
            count.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Notes that `device` returned a range `took` after taking it.
    pub fn record_turnaround(&self, device: DeviceId, took: std::time::Duration) {
        if let Some(fastest) = self.fastest_turnaround.get(device) {
            fastest.fetch_min(took.as_nanos().min(u64::MAX as u128 - 1) as u64, Ordering::Relaxed);
        }
    }

    /// The shortest time `device` has taken to return a range; None before its first.
    pub fn fastest_turnaround(&self, device: DeviceId) -> Option<std::time::Duration> {
        let nanos = self.fastest_turnaround.get(device)?.load(Ordering::Relaxed);
        (nanos != u64::MAX).then(|| std::time::Duration::from_nanos(nanos))
    }

    /// Candidates `device` has tested so far.
    pub fn device_tested(&self, device: DeviceId) -> u64 {
        self.per_device.get(device).map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

/// Why a search did not end with an answer.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A stop was asked for.
    #[error("interrupted")]
    Cancelled,
    /// A device (or every device) failed.
    #[error("{0}")]
    Backend(String),
}

impl SearchError {
    /// As an error for the command line: a cancellation by a stop signal becomes
    /// [`crate::signals::Interrupted`], which ends the process with 128 + the signal.
    pub fn into_error(self) -> anyhow::Error {
        match (self, crate::signals::received()) {
            (SearchError::Cancelled, Some(signal)) => crate::signals::Interrupted(signal).into(),
            (e, _) => e.into(),
        }
    }
}

/// One source of compute.
pub trait Device: Send {
    /// The device in words.
    fn info(&self) -> DeviceInfo;

    /// Opens the device, on its own thread, before anything else (a GPU beside the CPU that
    /// no helper checks finds its adapter here while the CPU already searches). Failing drops
    /// the device.
    fn open(&mut self) -> Result<(), SearchError> {
        Ok(())
    }

    /// Called before each search it is given: a device that puts off finding itself until it
    /// has work (a GPU beside the CPU in a batch, [`crate::gpu::on_demand`]) does so here, so
    /// that its name is known while it searches. Failing drops the device.
    fn before_search(&mut self) -> Result<(), SearchError> {
        Ok(())
    }

    /// Gets ready for searches with this layout ahead of time (a GPU compiles its shader,
    /// once per shape). Failing drops the device.
    fn prepare(&mut self, _layout: &Layout) -> Result<(), SearchError> {
        Ok(())
    }

    /// Works on one search from its beginning to its end: takes ranges from `work` as `me`
    /// until none are left for it, completing each. An error drops the device; the ranges it
    /// held go to the others.
    fn run(&mut self, work: &SearchWork, me: DeviceId) -> Result<(), SearchError>;
}

enum Command {
    Prepare(Arc<Layout>),
    Search(Arc<SearchWork>),
}

/// A device on its own host thread, fed searches through a channel. `alive` is also the
/// gate between sending a search and the thread dying: a search sent is either run or
/// failed, never lost.
struct DeviceThread {
    /// Its description, refreshed once the device has opened (a GPU opened on its thread
    /// knows its adapter's name only then).
    info: Arc<Mutex<DeviceInfo>>,
    commands: mpsc::Sender<Command>,
    alive: Arc<Mutex<bool>>,
    thread: std::thread::JoinHandle<()>,
}

/// How long a dropped [`DeviceSet`] waits for its threads to drop their devices: longer than
/// any dispatch or shader compilation, short enough that a hung driver cannot hold the exit.
const END_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Every device of a run, opened once and kept for all its searches (a batch's pages reuse
/// compiled shaders and measured dispatch sizes).
pub struct DeviceSet {
    devices: Vec<DeviceThread>,
    /// A message from each thread once its device is dropped ([`SaysWhenEnded`]).
    ended: mpsc::Receiver<()>,
}

/// Held by a device thread for its whole life: dropped last, after the device, it tells the
/// set that the thread has ended (a panic included), so the set waits exactly that long.
struct SaysWhenEnded(mpsc::Sender<()>);

impl Drop for SaysWhenEnded {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// A device thread's loop: a live search first (the oldest unfinished one), else one
/// layout to prepare, else wait. So a GPU compiling a batch's shapes joins the running page
/// between two compilations instead of after all of them.
fn serve(
    mut device: Box<dyn Device>,
    id: DeviceId,
    inbox: mpsc::Receiver<Command>,
    alive: Arc<Mutex<bool>>,
    info: Arc<Mutex<DeviceInfo>>,
) {
    let mut prepares: VecDeque<Arc<Layout>> = VecDeque::new();
    let mut searches: VecDeque<Arc<SearchWork>> = VecDeque::new();
    let opened = device.open();
    *crate::sync::lock(&info) = device.info();
    if let Err(error) = opened {
        return die(id, &error, &alive, &inbox, Vec::new());
    }
    loop {
        let waited = if prepares.is_empty() && searches.is_empty() {
            match inbox.recv() {
                Ok(command) => Some(command),
                Err(_) => return,
            }
        } else {
            None
        };
        for command in waited.into_iter().chain(inbox.try_iter()) {
            match command {
                Command::Prepare(layout) => prepares.push_back(layout),
                Command::Search(work) => searches.push_back(work),
            }
        }
        searches.retain(|work| !work.is_finished());
        let result = if let Some(work) = searches.pop_front() {
            let ran = device.before_search().and_then(|()| {
                *crate::sync::lock(&info) = device.info();
                device.run(&work, id)
            });
            ran.map_err(|e| (e, Some(work)))
        } else if let Some(layout) = prepares.pop_front() {
            device.prepare(&layout).map_err(|e| (e, None))
        } else {
            continue;
        };
        if let Err((error, work)) = result {
            return die(id, &error, &alive, &inbox, work.into_iter().chain(searches.drain(..)).collect());
        }
    }
}

/// A device failed: it is marked dead (under the gate, so no search is sent to it after),
/// and every search it held or was sent fails over to the others.
fn die(
    id: DeviceId,
    error: &SearchError,
    alive: &Mutex<bool>,
    inbox: &mpsc::Receiver<Command>,
    held: Vec<Arc<SearchWork>>,
) {
    let mut alive = crate::sync::lock(alive);
    *alive = false;
    let reason = error.to_string();
    for work in held {
        work.fail(id, reason.clone());
    }
    for command in inbox.try_iter() {
        if let Command::Search(work) = command {
            work.fail(id, reason.clone());
        }
    }
}

/// Ends every device thread before the set is gone, so that each device (and every wgpu
/// object in it) is dropped before the process starts exiting. A thread still tearing down
/// its Vulkan instance while the main thread ran the exit handlers crashed with SIGSEGV on
/// lavapipe after a correct search, and a scheduler then saw exit 139, not 0.
impl Drop for DeviceSet {
    fn drop(&mut self) {
        let deadline = std::time::Instant::now() + END_WAIT;
        // Closing every inbox first lets all threads end at once.
        let threads: Vec<_> = self.devices.drain(..).map(|d| d.thread).collect();
        let mut ended = 0;
        while ended < threads.len() {
            match self.ended.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
                Ok(()) => ended += 1,
                Err(_) => break,
            }
        }
        let all_ended = ended == threads.len();
        for thread in threads {
            // When every thread has said so, each is past its device and returns at once;
            // after the wait, one still held by a hung driver is left rather than waited for.
            if all_ended || thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

impl DeviceSet {
    /// Starts a host thread for each device.
    pub fn new(devices: Vec<Box<dyn Device>>) -> Self {
        let (says_ended, ended) = mpsc::channel();
        let devices = devices
            .into_iter()
            .enumerate()
            .map(|(id, device)| {
                let info = Arc::new(Mutex::new(device.info()));
                let (commands, inbox) = mpsc::channel::<Command>();
                let alive = Arc::new(Mutex::new(true));
                let (gate, described) = (alive.clone(), info.clone());
                let says_ended = SaysWhenEnded(says_ended.clone());
                let thread = std::thread::Builder::new()
                    .name(format!("ghostsum device {id}"))
                    .spawn(move || {
                        let _says_ended = says_ended;
                        serve(device, id, inbox, gate, described)
                    })
                    .expect("a device thread starts");
                DeviceThread { info, commands, alive, thread }
            })
            .collect();
        DeviceSet { devices, ended }
    }

    /// Every device, in the order they were given (their ids), live or not.
    pub fn infos(&self) -> Vec<DeviceInfo> {
        self.devices.iter().map(|d| crate::sync::lock(&d.info).clone()).collect()
    }

    /// The devices still working, in words: "cpu (avx512, 2 threads) + llvmpipe (...)".
    pub fn describe(&self) -> String {
        let names: Vec<String> = self.infos().into_iter().map(|info| info.name).collect();
        self.describe_named(&names)
    }

    /// The same, each device called by `names` (by id).
    pub fn describe_named(&self, names: &[String]) -> String {
        let live: Vec<&str> = self.live().map(|id| names[id].as_str()).collect();
        if live.is_empty() {
            "no device".into()
        } else {
            live.join(" + ")
        }
    }

    fn is_alive(&self, id: DeviceId) -> bool {
        *crate::sync::lock(&self.devices[id].alive)
    }

    /// Ids of the devices that have not failed.
    pub fn live(&self) -> impl Iterator<Item = DeviceId> + '_ {
        (0..self.devices.len()).filter(|&id| self.is_alive(id))
    }

    /// Asks every device to get ready for `layout` in the background.
    pub fn prepare(&self, layout: &Layout) {
        let layout = Arc::new(layout.clone());
        for id in self.live() {
            let _ = self.devices[id].commands.send(Command::Prepare(layout.clone()));
        }
    }

    /// Hands a search to the devices `ids`; a device that has died is dropped from it.
    pub fn start(&self, work: &Arc<SearchWork>, ids: &[DeviceId]) {
        for &id in ids {
            let alive = crate::sync::lock(&self.devices[id].alive);
            if !*alive || self.devices[id].commands.send(Command::Search(work.clone())).is_err() {
                work.fail(id, "it failed earlier".into());
            }
        }
    }
}
