//! Speed, measured: the devices side by side on their real hot path, for `ghostsum bench`
//! and for the estimate a long search prints (and refuses past a day) before it starts.

use crate::alphabet::Alphabet;
use crate::device::work::WorkOutcome;
use crate::device::{Control, DeviceId, DeviceInfo, DeviceSet, SearchError};
use crate::engine::{run_work, EngineError};
use crate::input::Content;
use crate::layout::{Layout, DEFAULT_MIN_SEGMENT_LOG2};
use crate::target::Prefix;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What [`measure`] measures: the layout of a `bits`-bit search after `content_len` bytes.
/// The speed depends on it: the later the first inner word, the fewer steps.
#[derive(Clone, Debug)]
pub struct RateProbe {
    /// Bytes of filler content.
    pub content_len: usize,
    /// The suffix alphabet: its size and width place the inner digits.
    pub alphabet: Alphabet,
    /// Target bits the layout is planned for.
    pub bits: u32,
    /// Plan the fast layout instead of the shortest.
    pub fast_layout: bool,
    /// The hash searched.
    pub hash: crate::hash::HashKind,
}

impl RateProbe {
    /// The probe's content: `content_len` bytes of filler.
    fn content(&self) -> Content {
        let mut content = Content::from_bytes(&vec![b'x'; self.content_len]);
        content.set_address(crate::address::Address { hash: self.hash, git_object: None });
        content.fold_for_suffix(0).expect("content in memory folds");
        content
    }

    /// The layout measured.
    pub fn layout(&self) -> Layout {
        self.layout_for(&self.content())
    }

    fn layout_for(&self, content: &Content) -> Layout {
        let plan = if self.fast_layout { Layout::plan_fast } else { Layout::plan };
        plan(content, &self.alphabet, self.bits, DEFAULT_MIN_SEGMENT_LOG2)
            .expect("a layout that searches fitted this alphabet; its probe fits too")
    }
}

/// What each device did in a measurement.
#[derive(Clone, Debug)]
pub struct Measured {
    /// The device.
    pub info: DeviceInfo,
    /// Its worker threads in this measurement, as it said (a CPU beside a GPU that takes part
    /// runs fewer).
    pub threads: usize,
    /// Candidates it tested.
    pub candidates: u64,
}

/// Measures the devices `ids` side by side on their real hot path for about `seconds`: a
/// search for a 32-digit prefix, which (almost surely) never hits, laid out as `probe` says.
/// Returns each device's count and the seconds measured.
pub fn measure(
    devices: &DeviceSet,
    ids: &[DeviceId],
    probe: &RateProbe,
    seconds: f64,
) -> Result<(Vec<Measured>, f64), SearchError> {
    let content = probe.content();
    let prefix = Prefix::parse_for("0123456789abcdef0123456789abcdef", probe.hash).expect("a valid prefix");
    let layout = probe.layout_for(&content);
    let infos = devices.infos();
    let control = Arc::new(Control::for_devices(infos.len()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let timer = {
        let control = control.clone();
        std::thread::spawn(move || {
            // Parked, not slept: a measurement that ends early (a device failed) wakes it.
            while Instant::now() < deadline && !control.stop.load(Ordering::SeqCst) {
                std::thread::park_timeout(deadline.saturating_duration_since(Instant::now()));
            }
            control.stop.store(true, Ordering::SeqCst);
        })
    };
    let ran = run_work(devices, ids, &layout, &prefix, &content, 0..layout.keyspace(), &control, &mut |_| {});
    let elapsed = started.elapsed().as_secs_f64();
    control.stop.store(true, Ordering::SeqCst);
    timer.thread().unpark();
    let _ = timer.join();
    let work = match ran {
        Err(EngineError::Search(e)) => return Err(e),
        Err(e) => return Err(SearchError::Backend(e.to_string())),
        Ok((WorkOutcome::NoDevices(why), _)) => {
            return Err(SearchError::Backend(format!("every device failed ({why})")))
        }
        Ok(_) if crate::signals::received().is_some() => return Err(SearchError::Cancelled),
        Ok((_, work)) => work,
    };
    let measured = ids
        .iter()
        .map(|&id| Measured {
            info: infos[id].clone(),
            threads: work.workers_of(id).unwrap_or(infos[id].threads),
            candidates: control.device_tested(id),
        })
        .collect();
    Ok((measured, elapsed))
}
