//! Which devices take a batch's next page. A device has a fixed cost per range it takes (a
//! GPU's dispatch and readback: tens of milliseconds on a software Vulkan driver), which a
//! short page is not worth: a page expected to take less than many of those turnarounds on
//! the whole set goes to the quicker devices only. The CPU returns its ranges in-process and
//! counts as quick from the start; a GPU that has not returned a range yet is taken to be
//! slow (it has a driver to load and a shader to compile) and joins only pages long enough
//! for a slow device, until it has shown its turnaround. Before the first page has set the
//! pace, the rate is a deliberately low guess from the CPU's threads, which errs towards
//! letting a device join.

use crate::device::DeviceId;
use std::time::{Duration, Instant};

/// A device joins a page only when the page is expected to take at least this many of its
/// turnarounds. Below that it holds the page's lowest ranges (where its hit most likely is)
/// for as long as the others need to search them again as backup copies, while it competes
/// with them for the host: measured on lavapipe beside one CPU core, a 21 ms turnaround made
/// 6-digit pages (88 ms on the CPU) 1.18x slower at 4 turnarounds a page.
const TURNAROUNDS_PER_PAGE: f64 = 16.0;

/// What a device that has not yet returned a range is taken to need for one: it joins pages
/// expected to take a second or more.
const UNKNOWN_TURNAROUND: Duration = Duration::from_millis(62);

/// The slowest a batch is taken to run (candidates a second over its wall time, writes
/// included) when it decides, before its first page, whether any page could go to a GPU: a
/// fiftieth of the slowest batch measured (200 pages of 4 digits on one core, one page at a
/// time: 50M/s).
const SLOWEST_BATCH_RATE: f64 = 1e6;

/// Whether a page expected to take `expected` candidates could go to a GPU that has not
/// returned a range yet, even in a batch as slow as [`SLOWEST_BATCH_RATE`]. When no page of a
/// batch could (4-digit pages: 65,536 candidates), its GPUs are not looked for: loading the
/// drivers to check them would cost more than the pages.
pub fn may_reach_a_gpu(expected: f64) -> bool {
    expected / SLOWEST_BATCH_RATE >= UNKNOWN_TURNAROUND.as_secs_f64() * TURNAROUNDS_PER_PAGE
}

/// The rate guessed per CPU thread before any page has ended: a quarter to an eighth of what
/// the kernels do on the AVX2 and AVX-512 machines measured in BENCHMARKS.md.
const GUESSED_RATE_PER_CPU_THREAD: f64 = 25e6;

/// The batch's pace so far: candidates tested over the time since its first page began.
pub struct Pace {
    began: Option<Instant>,
    candidates: f64,
}

/// A device as the pace sees it: its id and the shortest time it has taken to return a range.
#[derive(Clone, Copy, Debug)]
pub struct Turnaround {
    /// The device.
    pub id: DeviceId,
    /// None before it returned its first range.
    pub fastest: Option<Duration>,
    /// Its CPU worker threads; 0 for a GPU.
    pub cpu_threads: usize,
}

impl Turnaround {
    /// Its turnaround, known or taken: the CPU's is nothing to speak of.
    fn taken(&self) -> Option<Duration> {
        self.fastest.or((self.cpu_threads > 0).then_some(Duration::ZERO))
    }
}

impl Default for Pace {
    fn default() -> Self {
        Self::new()
    }
}

impl Pace {
    /// No page yet.
    pub fn new() -> Self {
        Pace { began: None, candidates: 0.0 }
    }

    /// A page starts (the first one starts the clock).
    pub fn page_started(&mut self) {
        self.began.get_or_insert_with(Instant::now);
    }

    /// A page ended after `candidates` were tested for it.
    pub fn page_done(&mut self, candidates: u64) {
        self.candidates += candidates as f64;
    }

    /// Candidates per second over the batch so far (writes and all); None before a page ended.
    pub fn rate(&self) -> Option<f64> {
        let seconds = self.began?.elapsed().as_secs_f64();
        (self.candidates > 0.0 && seconds > 0.0).then(|| self.candidates / seconds)
    }

    /// The devices for a page expected to take `expected` candidates, out of the live
    /// `devices`: the quickest to turn a range around always, the others when the page is
    /// long enough for them.
    pub fn devices_for(&self, expected: f64, devices: &[Turnaround]) -> Vec<DeviceId> {
        let all = || devices.iter().map(|d| d.id).collect();
        let guessed = devices.iter().map(|d| d.cpu_threads).sum::<usize>() as f64 * GUESSED_RATE_PER_CPU_THREAD;
        let Some(rate) = self.rate().or((guessed > 0.0).then_some(guessed)) else { return all() };
        let Some((_, quickest)) = devices.iter().filter_map(|d| d.taken().map(|t| (t, d.id))).min() else {
            return all();
        };
        let page_seconds = expected / rate;
        devices
            .iter()
            .filter(|d| {
                let turnaround = d.taken().unwrap_or(UNKNOWN_TURNAROUND).as_secs_f64();
                d.id == quickest || turnaround * TURNAROUNDS_PER_PAGE <= page_seconds
            })
            .map(|d| d.id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_of_five_digits_and_more_may_reach_a_gpu() {
        assert!(!may_reach_a_gpu(2f64.powi(16)));
        assert!(may_reach_a_gpu(2f64.powi(20)));
        // However slow the batch, such a page is under 16 unknown turnarounds: the pace
        // would never give it to a GPU not yet seen.
        let slowest = Pace { began: Some(Instant::now() - Duration::from_secs(1)), candidates: SLOWEST_BATCH_RATE };
        assert_eq!(slowest.devices_for(2f64.powi(16), &[gpu(0, None), cpu(1, None)]), vec![1]);
        assert_eq!(slowest.devices_for(2f64.powi(20), &[gpu(0, None), cpu(1, None)]), vec![0, 1]);
    }

    fn pace_at(rate: f64) -> Pace {
        // One second of batch at `rate`.
        Pace { began: Some(Instant::now() - Duration::from_secs(1)), candidates: rate }
    }

    fn gpu(id: DeviceId, fastest: Option<Duration>) -> Turnaround {
        Turnaround { id, fastest, cpu_threads: 0 }
    }

    fn cpu(id: DeviceId, fastest: Option<Duration>) -> Turnaround {
        Turnaround { id, fastest, cpu_threads: 1 }
    }

    #[test]
    fn a_slow_device_sits_out_short_pages_only() {
        let ms = |n: u64| Some(Duration::from_millis(n));
        let set = [gpu(0, ms(30)), cpu(1, ms(1))];
        let pace = pace_at(100e6);
        // 65,536 candidates at ~100M/s: under a millisecond, not worth a 30 ms turnaround.
        assert_eq!(pace.devices_for(65536.0, &set), vec![1]);
        // 2^28: about 2.7 s. 2^24: 168 ms, under 16 turnarounds.
        assert_eq!(pace.devices_for(2f64.powi(28), &set), vec![0, 1]);
        assert_eq!(pace.devices_for(2f64.powi(24), &set), vec![1]);
        // The quickest device always takes part, even when it too is slow for the page.
        let slow = [gpu(0, ms(50)), gpu(1, ms(30))];
        assert_eq!(pace.devices_for(1.0, &slow), vec![1]);
    }

    #[test]
    fn a_gpu_not_yet_seen_joins_only_long_pages_and_the_first_page_is_guessed() {
        let set = [gpu(0, None), cpu(1, None)];
        // First page, one CPU thread guessed at 25M/s: 2^24 is 0.67 s, 2^28 11 s.
        assert_eq!(Pace::new().devices_for(2f64.powi(24), &set), vec![1]);
        assert_eq!(Pace::new().devices_for(2f64.powi(28), &set), vec![0, 1]);
        let pace = pace_at(100e6);
        assert_eq!(pace.devices_for(1e6, &set), vec![1]);
        assert_eq!(pace.devices_for(1e8, &set), vec![0, 1]);
        // GPUs alone, none seen: all of them.
        assert_eq!(pace.devices_for(1.0, &[gpu(0, None), gpu(1, None)]), vec![0, 1]);
        assert_eq!(Pace::new().devices_for(1.0, &[gpu(0, None)]), vec![0]);
    }
}
