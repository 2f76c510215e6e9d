//! The CPU device: the SIMD kernel on worker threads, each taking chunks of mid values from
//! the search's dispenser in index order, so the lowest hit wins whatever the thread count.

pub mod kernel;
pub mod lanes;
mod mid_lanes;
mod sample;
pub mod sha;
mod sha1_by_mid;
#[cfg(target_arch = "aarch64")]
mod sha_arm;
mod sha_blocks;
#[cfg(target_arch = "x86_64")]
mod sha_ni;
mod sha_split;
// This CPU architecture's own SHA instructions, under one name.
#[cfg(target_arch = "aarch64")]
use sha_arm as sha_instructions;
#[cfg(target_arch = "x86_64")]
use sha_ni as sha_instructions;

use crate::device::work::{Job, SearchWork};
use crate::device::{Device, DeviceId, DeviceInfo, DeviceKind, SearchError};
use kernel::{InnerColumns, KernelInput};

/// Candidates per chunk a worker takes at a time (about a millisecond of work).
const CANDIDATES_PER_CHUNK: u64 = 1 << 18;

/// Worker threads running the fastest kernel this CPU has (or the one the tuning names).
pub struct CpuDevice {
    threads: usize,
    /// Workers while a GPU takes part in the search: fewer, when each GPU is left the core its
    /// host thread needs to feed it.
    threads_beside_a_gpu: usize,
    /// The kernel set the tuning forced; else each search takes the fastest for its hash.
    forced: Option<kernel::KernelKind>,
}

impl CpuDevice {
    /// `threads` workers (at least 1); `kernel` forces one that this CPU runs
    /// ([`kernel::KernelKind::available`]), else the fastest.
    pub fn new(threads: usize, kernel: Option<kernel::KernelKind>) -> Self {
        let forced = kernel.filter(|k| k.runs_here());
        let threads = threads.max(1);
        CpuDevice { threads, threads_beside_a_gpu: threads, forced }
    }

    /// The same device, with only `threads` workers (at least 1, at most its own) while a GPU
    /// takes part in a search. In a batch a GPU beside the CPU sits out pages too short for
    /// it (`batch::pace`), and the core it would need is the CPU's for those.
    pub fn beside_a_gpu(mut self, threads: usize) -> Self {
        self.threads_beside_a_gpu = threads.clamp(1, self.threads);
        self
    }
}

/// Workers for a search expected to take `expected` candidates, out of `threads`: a thread
/// joins only a search expected to give it a chunk's work at least. On a 4-digit page
/// (65,536 candidates on average) a second thread mostly searched past the hit: a batch of
/// such pages ran 1.26x slower on two threads than on one; on 5-digit pages two were 1.5x
/// faster (BENCHMARKS.md).
fn workers_for(threads: usize, expected: f64) -> usize {
    let worth = (expected / CANDIDATES_PER_CHUNK as f64).ceil().max(1.0);
    threads.min(worth as usize).max(1)
}

impl Device for CpuDevice {
    fn info(&self) -> DeviceInfo {
        let plural = if self.threads == 1 { "" } else { "s" };
        // Unforced: the lanes, and the SHA instructions where the CPU has them (SHA searches
        // measure which).
        let lanes = kernel::KernelKind::fastest_lanes();
        let kernels = match (self.forced, kernel::KernelKind::sha_instructions()) {
            (Some(kind), _) => kind.to_string(),
            (None, Some(instructions)) => format!("{lanes}/{instructions}"),
            (None, None) => lanes.to_string(),
        };
        let mut name = format!("cpu ({kernels}, {} thread{plural}", self.threads);
        if self.threads_beside_a_gpu < self.threads {
            name += &format!(", {} while a GPU works", self.threads_beside_a_gpu);
        }
        DeviceInfo { kind: DeviceKind::Cpu, name: name + ")", threads: self.threads }
    }

    fn run(&mut self, work: &SearchWork, me: DeviceId) -> Result<(), SearchError> {
        let layout = &work.layout;
        let (_, kernel_fn) = kernel::select(layout, self.forced);
        // Built per search (microseconds, against a search's milliseconds at the least).
        let columns = InnerColumns::new(layout);
        let mids_per_chunk = (CANDIDATES_PER_CHUNK / columns.count as u64).max(1) as u128;
        let search = || {
            while let Some(range) = work.take(me, mids_per_chunk) {
                let job = Job { layout, segment: &range.segment, prefix: &work.prefix, accept: &work.accept };
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
        let beside = if work.has_a_gpu() { self.threads_beside_a_gpu } else { self.threads };
        let threads = workers_for(beside, work.prefix.expected_candidates());
        work.set_workers(me, threads);
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(search);
            }
            search();
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_core_left_to_a_gpu_is_the_cpus_while_the_gpu_sits_a_search_out() {
        let beside = CpuDevice::new(4, None).beside_a_gpu(3);
        assert_eq!((beside.threads, beside.threads_beside_a_gpu), (4, 3));
        assert!(beside.info().name.ends_with(", 4 threads, 3 while a GPU works)"), "{}", beside.info().name);
        let alone = CpuDevice::new(2, None);
        assert_eq!((alone.threads, alone.threads_beside_a_gpu), (2, 2));
        assert!(alone.info().name.ends_with(", 2 threads)"));
        // Never none, never more than its own.
        assert_eq!(CpuDevice::new(1, None).beside_a_gpu(0).threads_beside_a_gpu, 1);
        assert_eq!(CpuDevice::new(2, None).beside_a_gpu(9).threads_beside_a_gpu, 2);
    }

    #[test]
    fn short_searches_take_fewer_threads() {
        let chunk = CANDIDATES_PER_CHUNK as f64;
        assert_eq!(workers_for(16, 65536.0), 1);
        assert_eq!(workers_for(16, 2f64.powi(20)), 4);
        assert_eq!(workers_for(16, 2f64.powi(24)), 16);
        assert_eq!(workers_for(3, chunk * 2.5), 3);
        assert_eq!(workers_for(1, 0.0), 1);
    }
}
