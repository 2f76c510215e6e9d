//! A GPU named beside the CPU in a batch (`-b cpu,gpu:0`), found and opened on its own
//! device thread only when it first has work. Whether it is there at all is asked of a
//! helper process ([`super::helper_check`]) when the batch has a page long enough for it;
//! where none can be started it is found when its thread starts. Either way the CPU searches
//! and writes pages meanwhile, and a batch of pages too short for the GPU never loads a
//! driver or creates a device it does not use. A GPU that turns out not to exist stops the
//! batch with the error at the next page (the finished ones kept), and the batch waits for
//! the answer at its end. A batch whose every page is too short for any GPU does not look
//! for it at all (unless a page does go to it after all): loading the drivers only to check
//! costs more than such a batch's pages (BENCHMARKS.md).

use super::{adapter, GpuDevice, GpuOptions};
use crate::device::work::SearchWork;
use crate::device::{Device, DeviceId, DeviceInfo, DeviceKind, SearchError};
use crate::layout::Layout;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// How long a run waits for a GPU to open before it gives up on it.
const OPEN_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Finds the adapter the user named, or says why not.
pub type Finder = Box<dyn FnOnce() -> anyhow::Result<wgpu::Adapter> + Send>;

/// GPUs beside the CPU still to be found, each by its device id.
pub type Opening = Vec<(crate::device::DeviceId, Arc<Readiness>)>;

/// Whether a GPU beside the CPU is there: unknown, found (the adapter in words), or why not;
/// and whether anyone is looking for it (a helper, or its thread once a page went to it).
#[derive(Default)]
pub struct Readiness {
    state: Mutex<Option<Result<String, String>>>,
    changed: Condvar,
    looked_for: AtomicBool,
}

impl Readiness {
    /// Unknown yet; `looked_for` when a helper is about to check it.
    pub fn new(looked_for: bool) -> Self {
        Readiness { looked_for: AtomicBool::new(looked_for), ..Readiness::default() }
    }

    /// A page went to it: its thread finds it, and the batch waits for the answer.
    pub fn look_for(&self) {
        self.looked_for.store(true, Ordering::SeqCst);
    }

    /// Whether a helper checks it or a page went to it; if not, nothing will say whether it
    /// is there, and nobody should wait for that.
    pub fn is_looked_for(&self) -> bool {
        self.looked_for.load(Ordering::SeqCst)
    }

    fn set(&self, result: Result<String, String>) {
        *crate::sync::lock(&self.state) = Some(result);
        self.changed.notify_all();
    }

    /// Sets it unless it is known already (finding the GPU here is surer than a helper).
    pub fn set_if_unknown(&self, result: Result<String, String>) {
        let mut state = crate::sync::lock(&self.state);
        if state.is_none() {
            *state = Some(result);
            self.changed.notify_all();
        }
    }

    /// Waits until the GPU has opened or failed to, for at most [`OPEN_WAIT`]: a driver that
    /// hangs must not hold the run forever.
    pub fn wait(&self) -> Result<String, String> {
        let deadline = std::time::Instant::now() + OPEN_WAIT;
        let mut state = crate::sync::lock(&self.state);
        loop {
            if let Some(result) = state.as_ref() {
                return result.clone();
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "a GPU did not open within {} s; check its driver with `ghostsum devices`, or use --backend cpu",
                    OPEN_WAIT.as_secs()
                ));
            }
            state = self.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// How it went, if it has opened or failed yet.
    pub fn known(&self) -> Option<Result<String, String>> {
        crate::sync::lock(&self.state).clone()
    }
}

/// A GPU named `label` ("gpu:0") until its adapter is found, then the adapter itself; the
/// device is created only when it first has work (a batch of short pages never gives it
/// any, and then never pays for creating and destroying it). When a helper process checks
/// that it is here ([`super::helper_check`]), or nothing does, the adapter too is found only
/// at the first work, so a batch that never gives it any never loads a Vulkan driver.
pub struct GpuOnDemand {
    label: String,
    finder: Option<Finder>,
    /// A helper answers `ready`, or nobody asks before a page goes to it: finding waits for
    /// the first work.
    found_at_first_work: bool,
    adapter: Option<wgpu::Adapter>,
    options: GpuOptions,
    device: Option<GpuDevice>,
    ready: Arc<Readiness>,
}

impl GpuOnDemand {
    /// A GPU `finder` finds on the device thread (when it opens, or with
    /// `found_at_first_work` when it first has work), opened with `options` when it first has
    /// work; `ready` says when it has been found (or why not).
    pub fn new(
        label: String,
        finder: Finder,
        found_at_first_work: bool,
        options: GpuOptions,
        ready: Arc<Readiness>,
    ) -> Self {
        GpuOnDemand { label, finder: Some(finder), found_at_first_work, adapter: None, options, device: None, ready }
    }

    /// Finds the adapter, once; `ready` is told either way.
    fn find(&mut self) -> Result<(), SearchError> {
        let Some(finder) = self.finder.take() else { return Ok(()) };
        match find_politely(finder) {
            Ok(adapter) => {
                self.ready.set(Ok(adapter::describe(&adapter.get_info())));
                self.adapter = Some(adapter);
                Ok(())
            }
            Err(e) => {
                let why = format!("{e:#}");
                self.ready.set(Err(why.clone()));
                Err(SearchError::Backend(why))
            }
        }
    }

    fn device(&mut self) -> Result<&mut GpuDevice, SearchError> {
        self.find()?;
        if self.device.is_none() {
            let adapter =
                self.adapter.as_ref().ok_or_else(|| SearchError::Backend(format!("{} was not found", self.label)))?;
            let device = GpuDevice::open(adapter, self.options.clone())
                .map_err(|e| SearchError::Backend(format!("it could not be opened: {e:#}")))?;
            self.device = Some(device);
        }
        Ok(self.device.as_mut().expect("opened just now"))
    }
}

/// Runs `finder` on a short-lived thread at the lowest priority: loading a driver is tens of
/// milliseconds of CPU work, which should take the cores the CPU device leaves idle rather
/// than slow its workers. (A thread's niceness cannot be raised back without privilege, so
/// the device thread itself, which feeds the GPU afterwards, keeps its own.)
fn find_politely(finder: Finder) -> anyhow::Result<wgpu::Adapter> {
    let thread = std::thread::Builder::new().name("ghostsum gpu open".into()).spawn(move || {
        #[cfg(target_os = "linux")]
        // SAFETY: setpriority on the calling thread (who = 0) touches no memory of ours.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, 19);
        }
        finder()
    })?;
    thread.join().unwrap_or_else(|_| Err(anyhow::anyhow!("finding the GPU panicked")))
}

impl Drop for GpuOnDemand {
    /// Nobody waits forever on a GPU whose thread ended before it opened it.
    fn drop(&mut self) {
        self.ready.set_if_unknown(Err(format!("{} was never opened", self.label)));
    }
}

impl Device for GpuOnDemand {
    fn info(&self) -> DeviceInfo {
        // The adapter found here, else the one the helper found, else what the user named.
        let name = match (&self.adapter, self.ready.known()) {
            (Some(adapter), _) => adapter::describe(&adapter.get_info()),
            (None, Some(Ok(found))) => found,
            (None, None) if !self.ready.is_looked_for() => {
                format!("{} (not looked for: every page is too short for it)", self.label)
            }
            (None, _) => self.label.clone(),
        };
        DeviceInfo { kind: DeviceKind::Gpu, name, threads: 1 }
    }

    fn open(&mut self) -> Result<(), SearchError> {
        if self.found_at_first_work {
            return Ok(());
        }
        self.find()
    }

    fn before_search(&mut self) -> Result<(), SearchError> {
        self.find()
    }

    fn prepare(&mut self, layout: &Layout) -> Result<(), SearchError> {
        self.device()?.prepare(layout)
    }

    fn run(&mut self, work: &SearchWork, me: DeviceId) -> Result<(), SearchError> {
        self.device()?.run(work, me)
    }
}
