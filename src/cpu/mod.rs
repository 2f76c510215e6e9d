//! The CPU device: the SIMD kernel on worker threads, each taking chunks of mid values from
//! the search's dispenser in index order, so the lowest hit wins whatever the thread count.

pub mod kernel;
pub mod lanes;

use crate::device::work::{Job, SearchWork};
use crate::device::{Device, DeviceId, DeviceInfo, DeviceKind, SearchError};
use kernel::{InnerColumns, KernelInput};

/// Candidates per chunk a worker takes at a time (about a millisecond of work).
const CANDIDATES_PER_CHUNK: u64 = 1 << 18;

/// Worker threads running the fastest kernel this CPU has (or the one the tuning names).
pub struct CpuDevice {
    threads: usize,
    kernel: kernel::KernelKind,
}

impl CpuDevice {
    /// `threads` workers (at least 1); `kernel` forces one that this CPU runs
    /// ([`kernel::KernelKind::available`]), else the fastest.
    pub fn new(threads: usize, kernel: Option<kernel::KernelKind>) -> Self {
        let kernel = kernel.filter(|k| k.runs_here()).unwrap_or(kernel::KernelKind::available()[0]);
        CpuDevice { threads: threads.max(1), kernel }
    }
}

impl Device for CpuDevice {
    fn info(&self) -> DeviceInfo {
        let plural = if self.threads == 1 { "" } else { "s" };
        DeviceInfo {
            kind: DeviceKind::Cpu,
            name: format!("cpu ({}, {} thread{plural})", self.kernel, self.threads),
            threads: self.threads,
        }
    }

    fn run(&mut self, work: &SearchWork, me: DeviceId) -> Result<(), SearchError> {
        let layout = &work.layout;
        let (_, kernel_fn) = kernel::select(layout, Some(self.kernel));
        // Built per search (microseconds, against a search's milliseconds at the least).
        let columns = InnerColumns::new(layout);
        let mids_per_chunk = (CANDIDATES_PER_CHUNK / columns.count as u64).max(1) as u128;
        let search = || {
            while let Some(range) = work.take(me, mids_per_chunk) {
                let job = Job { layout, segment: &range.segment, prefix: &work.prefix, line_fit: work.line_fit };
                let input = KernelInput::new(&job, &columns);
                let mut hit = None;
                let tested = kernel_fn(&input, range.mids.clone(), &mut |mid, inner| {
                    let real = job.is_real_hit(mid, inner);
                    if real {
                        hit = Some(layout.index_of(&range.segment, mid, inner));
                    }
                    real
                });
                work.complete(me, &range, hit, tested);
            }
        };
        // This device's own thread is one of the workers: a batch runs a search a page, and
        // with -j 1 a thread spawned for each cost as much as a 4-digit page's search.
        std::thread::scope(|scope| {
            for _ in 1..self.threads {
                scope.spawn(search);
            }
            search();
        });
        Ok(())
    }
}
