//! The CPU backend: the SIMD kernel on every core, the keyspace cut into chunks of mid
//! values handed out in index order, so the lowest hit wins whatever the thread count.

pub mod kernel;
pub mod lanes;

use crate::backend::{Backend, Control, Job, SearchError};
use crate::layout::Layout;
use kernel::{InnerColumns, KernelInput};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Candidates per chunk a worker takes at a time (about a millisecond of work).
const CANDIDATES_PER_CHUNK: u64 = 1 << 18;

pub struct CpuBackend {
    threads: usize,
}

impl CpuBackend {
    pub fn new(threads: usize) -> Self {
        CpuBackend { threads: threads.max(1) }
    }

    pub fn all_cores() -> Self {
        Self::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
    }
}

impl Backend for CpuBackend {
    fn kind(&self) -> &'static str {
        "cpu"
    }

    fn device(&self) -> String {
        let probe = Layout::plan_from(0, &crate::alphabet::Alphabet::whitespace(), 16, 8).expect("a plain layout");
        let (name, _) = kernel::best_kernel(&probe);
        let plural = if self.threads == 1 { "" } else { "s" };
        format!("cpu ({name}, {} thread{plural})", self.threads)
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn mids_per_call(&self, layout: &Layout) -> u64 {
        // About 50 chunks per thread: a fraction of a second between progress updates.
        (CANDIDATES_PER_CHUNK * 50 * self.threads as u64 / layout.inner_count() as u64).max(1)
    }

    fn search(&mut self, job: &Job, mids: Range<u64>, control: &Control) -> Result<Option<(u32, u32)>, SearchError> {
        let threads = self.threads;
        let (_, kernel_fn) = kernel::best_kernel(job.layout);
        // Rebuilt per call (microseconds, against a call's tens of milliseconds), so it can
        // never be stale for a new layout.
        let columns = InnerColumns::new(job.layout);
        let input = KernelInput::new(job, &columns);
        let mids_per_chunk = (CANDIDATES_PER_CHUNK / columns.count as u64).max(1);
        let chunk_count = (mids.end - mids.start).div_ceil(mids_per_chunk);
        let next_chunk = AtomicU64::new(0);
        // Lowest chunk holding a hit so far: no worker starts a chunk above it.
        let hit_chunk = AtomicU64::new(u64::MAX);
        let best: Mutex<Option<(u32, u32)>> = Mutex::new(None);
        let cancelled = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            for _ in 0..threads.min(chunk_count as usize).max(1) {
                scope.spawn(|| loop {
                    let chunk = next_chunk.fetch_add(1, Ordering::Relaxed);
                    if chunk >= chunk_count || chunk > hit_chunk.load(Ordering::Acquire) {
                        return;
                    }
                    if control.stopped() {
                        cancelled.store(true, Ordering::Relaxed);
                        return;
                    }
                    let start = mids.start + chunk * mids_per_chunk;
                    let end = (start + mids_per_chunk).min(mids.end);
                    let mut found = None;
                    let tested = kernel_fn(&input, start as u32..end as u32, &mut |mid, inner| {
                        let real = job.is_real_hit(mid, inner);
                        if real {
                            found = Some((mid, inner));
                        }
                        real
                    });
                    control.add_tested(tested);
                    if let Some(hit) = found {
                        hit_chunk.fetch_min(chunk, Ordering::AcqRel);
                        let mut best = best.lock().unwrap();
                        if best.is_none_or(|b| hit < b) {
                            *best = Some(hit);
                        }
                    }
                });
            }
        });
        let best = best.into_inner().unwrap();
        if best.is_none() && cancelled.into_inner() {
            return Err(SearchError::Cancelled);
        }
        Ok(best)
    }
}
