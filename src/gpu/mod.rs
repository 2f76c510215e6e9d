//! The GPU device: the generated WGSL kernel through wgpu. Each dispatch is one range from
//! the search's dispenser; two are in flight so the GPU stays busy while the host reads
//! back, and their size follows the measured time of the last ones (kept across searches,
//! so a batch's later pages start at full speed).

pub mod adapter;
pub mod buffers;
pub mod helper_check;
pub mod md5_kernel;
pub mod on_demand;
pub mod pipeline;
pub mod sha_kernel;
pub mod shader;
pub mod slots;

use crate::device::work::{Job, SearchWork, WorkRange};
use crate::device::{Device, DeviceId, DeviceInfo, DeviceKind, SearchError};
use crate::layout::Layout;
use buffers::Params;
use pipeline::PipelineCache;
use slots::{Dispatch, Slot};
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Knobs of one GPU device; tests shrink them to force dispatch boundaries, hit-buffer
/// overflow and failures.
#[derive(Clone, Debug)]
pub struct GpuOptions {
    /// Invocations per workgroup ([`crate::tuning::Tuning::gpu_workgroup_size`]).
    pub workgroup_size: u32,
    /// (mid, inner) pairs the hit buffer holds; more hits only raise the counter.
    pub hit_capacity: u32,
    /// Mid values per dispatch; None sizes dispatches from measured time.
    pub fixed_mids_per_dispatch: Option<u32>,
    /// Aim for dispatches of about this long: short enough for progress and Ctrl-C.
    pub target_dispatch: Duration,
    /// Keep wgpu's bounds checks and loop bounding in the shader. Every index the shader
    /// uses is in range by construction, so they only cost time; BENCHMARKS.md has the
    /// measured difference.
    pub runtime_checks: bool,
    /// Fail, as a lost device would, when this many dispatches have been made (tests).
    pub fail_after_dispatches: Option<u32>,
}

impl GpuOptions {
    /// The defaults, with the environment's tuning.
    pub fn from_tuning(tuning: &crate::tuning::Tuning) -> Self {
        GpuOptions {
            workgroup_size: tuning.gpu_workgroup_size,
            hit_capacity: 1024,
            fixed_mids_per_dispatch: None,
            target_dispatch: Duration::from_millis(150),
            runtime_checks: tuning.gpu_runtime_checks,
            fail_after_dispatches: None,
        }
    }
}

impl Default for GpuOptions {
    fn default() -> Self {
        Self::from_tuning(&crate::tuning::Tuning::default())
    }
}

/// One wgpu device on one adapter.
pub struct GpuDevice {
    info: wgpu::AdapterInfo,
    device: wgpu::Device,
    queue: wgpu::Queue,
    options: GpuOptions,
    max_workgroups_per_dim: u32,
    slots: Vec<Slot>,
    pipelines: PipelineCache,
    /// Learned from measured dispatch times, kept from search to search.
    mids_per_dispatch: u32,
    dispatches: u32,
    errors: Arc<Mutex<Option<String>>>,
}

impl GpuDevice {
    /// Opens a device on `adapter`.
    pub fn open(adapter: &wgpu::Adapter, options: GpuOptions) -> anyhow::Result<Self> {
        let info = adapter.get_info();
        let (device, queue) = adapter::open_device(adapter)?;
        let errors = Arc::new(Mutex::new(None::<String>));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            crate::sync::lock(&sink).get_or_insert(e.to_string());
        }));
        let lost = errors.clone();
        device.set_device_lost_callback(move |_reason, message| {
            crate::sync::lock(&lost).get_or_insert(format!("the GPU device was lost: {message}"));
        });
        let limits = device.limits();
        let workgroup_size = options
            .workgroup_size
            .min(limits.max_compute_workgroup_size_x)
            .min(limits.max_compute_invocations_per_workgroup);
        let options = GpuOptions { workgroup_size, ..options };
        let slots = (0..2).map(|_| Slot::new(&device, options.hit_capacity)).collect();
        let mids_per_dispatch = options.fixed_mids_per_dispatch.unwrap_or(64 * workgroup_size);
        let pipelines = PipelineCache::new(&info.name, options.workgroup_size, options.runtime_checks);
        Ok(GpuDevice {
            info,
            device,
            queue,
            max_workgroups_per_dim: limits.max_compute_workgroups_per_dimension,
            options,
            slots,
            pipelines,
            mids_per_dispatch,
            dispatches: 0,
            errors,
        })
    }

    /// Shapes compiled so far.
    pub fn compiled_shapes(&self) -> usize {
        self.pipelines.len()
    }

    fn check_errors(&self) -> Result<(), SearchError> {
        match crate::sync::lock(&self.errors).take() {
            Some(e) => Err(SearchError::Backend(format!("GPU error on {}: {e}", self.info.name))),
            None => Ok(()),
        }
    }

    /// Submits `mids` of `range`'s segment into slot `slot`.
    fn submit(
        &mut self,
        work: &SearchWork,
        range: &WorkRange,
        mids: Range<u32>,
        slot: usize,
    ) -> Result<wgpu::SubmissionIndex, SearchError> {
        self.submit_segment(&work.layout, &work.prefix, &range.segment, mids, slot)
    }

    /// Every candidate of `mids` in `segment` whose tested state word matches `prefix`, as
    /// (mid, inner) in order, from one dispatch: what the kernel itself reports, before the
    /// host's full check (for tests, which compare it with the crates' compression).
    pub fn kernel_matches(
        &mut self,
        layout: &Layout,
        prefix: &crate::target::Prefix,
        segment: &crate::layout::Segment,
        mids: Range<u32>,
    ) -> Result<Vec<(u32, u32)>, SearchError> {
        let submission = self.submit_segment(layout, prefix, segment, mids, 0)?;
        let (header, items) = self.collect(0, submission)?;
        if header.count > header.capacity {
            return Err(SearchError::Backend(format!("{} matches overflowed the hit list", header.count)));
        }
        let mut matches: Vec<(u32, u32)> = items.iter().map(|h| (h[0], h[1])).collect();
        matches.sort_unstable();
        Ok(matches)
    }

    fn submit_segment(
        &mut self,
        layout: &Layout,
        prefix: &crate::target::Prefix,
        segment: &crate::layout::Segment,
        mids: Range<u32>,
        slot: usize,
    ) -> Result<wgpu::SubmissionIndex, SearchError> {
        self.dispatches += 1;
        if self.options.fail_after_dispatches.is_some_and(|n| self.dispatches > n) {
            return Err(SearchError::Backend(format!(
                "{}: failure injected after {} dispatches",
                self.info.name,
                self.dispatches - 1
            )));
        }
        let (row_width, _, _) = slots::grid(&mids, self.options.workgroup_size, self.max_workgroups_per_dim);
        let match_word = prefix.first_fixed_word();
        let folded = match layout.hash {
            crate::hash::HashKind::Md5 => crate::steps::folded_constants(&segment.base_words),
            _ => [0; 64],
        };
        let params = Params {
            midstate: segment.midstate,
            base_words: segment.base_words,
            mid_start: mids.start,
            mid_end: mids.end,
            match_mask: prefix.word_masks[match_word],
            match_value: prefix.word_values[match_word],
            row_width,
            pad: [0; 3],
            folded,
        };
        let prepared = self.pipelines.get_or_build(&self.device, layout, match_word, &self.slots)?;
        let dispatch = Dispatch {
            pipeline: &prepared.pipeline,
            bind_group: &prepared.bind_groups[slot],
            params,
            workgroup_size: self.options.workgroup_size,
            max_workgroups_per_dim: self.max_workgroups_per_dim,
            hit_capacity: self.options.hit_capacity,
        };
        Ok(slots::submit(&self.device, &self.queue, &self.slots, slot, &dispatch))
    }

    fn collect(
        &self,
        slot: usize,
        submission: wgpu::SubmissionIndex,
    ) -> Result<(buffers::HitsHeader, Vec<[u32; 2]>), SearchError> {
        slots::collect(&self.device, &self.slots[slot], submission, &self.info.name, &|| self.check_errors())
    }

    /// The range's lowest real hit from its dispatch's results: the kernel matched one
    /// state word (the first the prefix fixes); the full check, and the lowest inner value,
    /// are done here. When only that word matched (a prefix of more than 8 digits) the rest
    /// of the range is searched again.
    fn lowest_hit(
        &mut self,
        work: &SearchWork,
        range: &WorkRange,
        slot: usize,
        mut found: (buffers::HitsHeader, Vec<[u32; 2]>),
    ) -> Result<(Option<u128>, u64), SearchError> {
        let inner_count = work.layout.inner_count();
        let job = Job { layout: &work.layout, segment: &range.segment, prefix: &work.prefix, accept: &work.accept };
        loop {
            let (header, items) = &found;
            if header.count == 0 {
                return Ok((None, range.len() as u64 * inner_count as u64));
            }
            if header.count <= header.capacity && items.iter().map(|h| h[0]).min() != Some(header.lowest_mid) {
                return Err(SearchError::Backend("internal error: the GPU's hit list and lowest hit disagree".into()));
            }
            let mid = header.lowest_mid;
            let tested = |inner: u32| (mid - range.mids.start) as u64 * inner_count as u64 + inner as u64;
            if let Some(inner) = (0..inner_count).find(|&inner| job.is_real_hit(mid, inner)) {
                return Ok((Some(work.layout.index_of(&range.segment, mid, inner)), tested(inner + 1)));
            }
            if mid + 1 >= range.mids.end {
                return Ok((None, range.len() as u64 * inner_count as u64));
            }
            let submission = self.submit(work, range, mid + 1..range.mids.end, slot)?;
            found = self.collect(slot, submission)?;
        }
    }

    fn adapt_dispatch_size(&mut self, mids: u32, elapsed: Duration) {
        if self.options.fixed_mids_per_dispatch.is_some() || elapsed.is_zero() {
            return;
        }
        let wanted = mids as f64 * self.options.target_dispatch.as_secs_f64() / elapsed.as_secs_f64();
        // A short range (the dispenser's ramp, a shard's end) says little: grow from the
        // larger of it and the current size.
        let base = (mids as f64).max(self.mids_per_dispatch as f64 / 4.0);
        let grown = wanted.clamp(base / 4.0, base * 4.0);
        let most = self.max_workgroups_per_dim as f64 * self.options.workgroup_size as f64 * 64.0;
        self.mids_per_dispatch = grown.clamp(self.options.workgroup_size as f64, most) as u32;
    }
}

impl Device for GpuDevice {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Gpu, name: adapter::describe(&self.info), threads: 1 }
    }

    fn prepare(&mut self, layout: &Layout) -> Result<(), SearchError> {
        // Most prefixes fix state word 0, the one compiled ahead.
        self.pipelines.get_or_build(&self.device, layout, 0, &self.slots)?;
        self.check_errors()
    }

    fn run(&mut self, work: &SearchWork, me: DeviceId) -> Result<(), SearchError> {
        self.pipelines.get_or_build(&self.device, &work.layout, work.prefix.first_fixed_word(), &self.slots)?;
        self.check_errors()?;
        let mut in_flight: VecDeque<(usize, WorkRange, wgpu::SubmissionIndex)> = VecDeque::new();
        let mut last_done = Instant::now();
        let result = (|| loop {
            while in_flight.len() < self.slots.len() {
                let Some(range) = work.take(me, self.mids_per_dispatch as u128) else { break };
                let slot = (0..self.slots.len()).find(|s| in_flight.iter().all(|f| f.0 != *s)).unwrap();
                let submission = self.submit(work, &range, range.mids.clone(), slot)?;
                in_flight.push_back((slot, range, submission));
            }
            let Some((slot, range, submission)) = in_flight.pop_front() else { return Ok(()) };
            let found = self.collect(slot, submission)?;
            let now = Instant::now();
            self.adapt_dispatch_size(range.len(), now - last_done);
            last_done = now;
            let (hit, tested) = self.lowest_hit(work, &range, slot, found)?;
            work.complete(me, &range, hit, tested);
        })();
        if result.is_err() {
            // Leave no dispatch running into the next search.
            let _ = self
                .device
                .poll(wgpu::PollType::Wait { submission_index: None, timeout: Some(slots::DISPATCH_TIMEOUT) });
        }
        result
    }
}
