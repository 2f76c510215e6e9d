//! The GPU backend: the generated WGSL kernel through wgpu, two dispatches in flight so the
//! GPU stays busy while the host reads back, dispatches sized from measured time.

pub mod buffers;
pub mod device;
pub mod shader;

use crate::backend::{Backend, Control, Job, SearchError};
use crate::layout::Layout;
use buffers::{HitsHeader, Params, HIT_SIZE};
use shader::ShaderShape;
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Tuning knobs; tests shrink them to force dispatch boundaries and hit-buffer overflow.
#[derive(Clone, Debug)]
pub struct GpuOptions {
    pub adapter: Option<String>,
    /// Only a discrete or integrated GPU (what `--backend auto` accepts).
    pub real_gpu_only: bool,
    pub workgroup_size: u32,
    /// (mid, inner) pairs the hit buffer holds; more hits only raise the counter.
    pub hit_capacity: u32,
    /// Mid values per dispatch; None sizes dispatches from measured time.
    pub fixed_mids_per_dispatch: Option<u32>,
    /// Aim for dispatches of about this long: short enough for progress and Ctrl-C.
    pub target_dispatch: Duration,
    /// Keep wgpu's bounds checks and loop bounding in the shader. Every index the shader
    /// uses is in range by construction (inner < INNER_COUNT, digit < RADIX, hit slot <
    /// capacity), so they only cost time; BENCHMARKS.md has the measured difference.
    pub runtime_checks: bool,
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions {
            adapter: None,
            real_gpu_only: false,
            // Tuning knob for measurements on new hardware (BENCHMARKS.md).
            workgroup_size: std::env::var("GHOSTSUM_GPU_WORKGROUP_SIZE")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(64),
            hit_capacity: 1024,
            fixed_mids_per_dispatch: None,
            target_dispatch: Duration::from_millis(150),
            runtime_checks: std::env::var("GHOSTSUM_GPU_RUNTIME_CHECKS").is_ok_and(|v| v == "1"),
        }
    }
}

/// Buffers for one dispatch in flight.
struct Slot {
    params: wgpu::Buffer,
    hits: wgpu::Buffer,
    readback: wgpu::Buffer,
}

/// Everything that depends on the layout: rebuilt when a search changes layout.
struct Prepared {
    shape: ShaderShape,
    alphabet: crate::alphabet::Alphabet,
    pipeline: wgpu::ComputePipeline,
    bind_groups: Vec<wgpu::BindGroup>,
}

pub struct GpuBackend {
    info: wgpu::AdapterInfo,
    device: wgpu::Device,
    queue: wgpu::Queue,
    options: GpuOptions,
    max_workgroups_per_dim: u32,
    slots: Vec<Slot>,
    prepared: Option<Prepared>,
    /// Learned from measured dispatch times.
    mids_per_dispatch: u32,
    errors: Arc<Mutex<Option<String>>>,
}

impl GpuBackend {
    pub fn new(options: GpuOptions) -> anyhow::Result<Self> {
        let adapter = device::choose_adapter(options.adapter.as_deref(), options.real_gpu_only)?;
        let info = adapter.get_info();
        let (device, queue) = device::open_device(&adapter)?;
        let errors = Arc::new(Mutex::new(None::<String>));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().unwrap().get_or_insert(e.to_string());
        }));
        let lost = errors.clone();
        device.set_device_lost_callback(move |_reason, message| {
            lost.lock().unwrap().get_or_insert(format!("the GPU device was lost: {message}"));
        });
        let limits = device.limits();
        let workgroup_size = options
            .workgroup_size
            .min(limits.max_compute_workgroup_size_x)
            .min(limits.max_compute_invocations_per_workgroup);
        let options = GpuOptions { workgroup_size, ..options };
        let slots = (0..2).map(|_| make_slot(&device, options.hit_capacity)).collect();
        let mids_per_dispatch = options.fixed_mids_per_dispatch.unwrap_or(64 * workgroup_size);
        Ok(GpuBackend {
            info,
            device,
            queue,
            max_workgroups_per_dim: limits.max_compute_workgroups_per_dimension,
            options,
            slots,
            prepared: None,
            mids_per_dispatch,
            errors,
        })
    }

    fn check_errors(&self) -> Result<(), SearchError> {
        match self.errors.lock().unwrap().take() {
            Some(e) => Err(SearchError::Backend(format!("GPU error on {}: {e}", self.info.name))),
            None => Ok(()),
        }
    }

    fn prepare(&mut self, layout: &Layout) -> Result<(), SearchError> {
        let shape = ShaderShape::of(layout, self.options.workgroup_size);
        if self.prepared.as_ref().is_some_and(|p| p.shape == shape && p.alphabet == layout.alphabet) {
            return Ok(());
        }
        let source = shader::generate(&shape);
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let descriptor = wgpu::ShaderModuleDescriptor {
            label: Some("ghostsum search"),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        };
        let module = if self.options.runtime_checks {
            self.device.create_shader_module(descriptor)
        } else {
            // SAFETY: the generated shader indexes only within its buffers (see
            // GpuOptions::runtime_checks), and its one loop runs INNER_COUNT times.
            unsafe { self.device.create_shader_module_trusted(descriptor, wgpu::ShaderRuntimeChecks::unchecked()) }
        };
        // Explicit, so a binding the generated code happens not to use (no mid digits, say)
        // stays in the layout.
        let bind_layout = buffers::bind_group_layout(&self.device);
        let pipeline_layout = self.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("ghostsum search"),
            bind_group_layouts: &[Some(&bind_layout)],
            immediate_size: 0,
        });
        let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("ghostsum search"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("search"),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(SearchError::Backend(format!(
                "the search shader failed to compile on {}: {e}",
                self.info.name
            )));
        }
        use wgpu::util::DeviceExt;
        let inner: Vec<u32> =
            layout.inner_table.iter().flat_map(|e| e[..layout.inner_word_count].iter().copied()).collect();
        let inner_buffer = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("inner_table"),
            contents: bytemuck::cast_slice(&inner),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let symbols: Vec<u32> = layout
            .alphabet
            .symbols()
            .iter()
            .map(|s| s.iter().enumerate().fold(0u32, |w, (i, &b)| w | (b as u32) << (8 * i)))
            .collect();
        let symbol_buffer = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("symbols"),
            contents: bytemuck::cast_slice(&symbols),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let bind_groups = self
            .slots
            .iter()
            .map(|slot| {
                self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("ghostsum search"),
                    layout: &bind_layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: slot.params.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 1, resource: inner_buffer.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 2, resource: symbol_buffer.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 3, resource: slot.hits.as_entire_binding() },
                    ],
                })
            })
            .collect();
        self.prepared = Some(Prepared { shape, alphabet: layout.alphabet.clone(), pipeline, bind_groups });
        self.check_errors()
    }

    /// Encodes and submits one dispatch over `mids` into slot `slot`.
    fn submit(&self, job: &Job, slot: usize, mids: Range<u32>) -> wgpu::SubmissionIndex {
        let prepared = self.prepared.as_ref().expect("prepared before submitting");
        let count = mids.end - mids.start;
        let wg = self.options.workgroup_size;
        let workgroups = count.div_ceil(wg);
        let x = workgroups.min(self.max_workgroups_per_dim);
        let y = workgroups.div_ceil(x);
        let params = Params {
            midstate: job.batch.midstate,
            base_words: job.batch.base_words,
            mid_start: mids.start,
            mid_end: mids.end,
            a_mask: job.prefix.word_masks[0],
            a_value: job.prefix.word_values[0],
            row_width: x * wg,
            pad: [0; 3],
            folded: std::array::from_fn(|i| {
                crate::steps::K[i].wrapping_add(job.batch.base_words[crate::steps::message_index(i)])
            }),
        };
        let s = &self.slots[slot];
        self.queue.write_buffer(&s.params, 0, bytemuck::bytes_of(&params));
        self.queue.write_buffer(&s.hits, 0, bytemuck::bytes_of(&HitsHeader::empty(self.options.hit_capacity)));
        let mut encoder = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&prepared.pipeline);
            pass.set_bind_group(0, &prepared.bind_groups[slot], &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
        encoder.copy_buffer_to_buffer(&s.hits, 0, &s.readback, 0, s.readback.size());
        let index = self.queue.submit([encoder.finish()]);
        s.readback.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        index
    }

    /// Waits for a slot's dispatch and reads its header and hits.
    fn collect(
        &self,
        slot: usize,
        submission: wgpu::SubmissionIndex,
    ) -> Result<(HitsHeader, Vec<[u32; 2]>), SearchError> {
        let wait = wgpu::PollType::Wait { submission_index: Some(submission), timeout: Some(device::DISPATCH_TIMEOUT) };
        if let Err(e) = self.device.poll(wait) {
            self.check_errors()?;
            return Err(SearchError::Backend(format!(
                "a GPU dispatch on {} did not finish within {} s ({e}); try --backend cpu",
                self.info.name,
                device::DISPATCH_TIMEOUT.as_secs()
            )));
        }
        self.check_errors()?;
        let s = &self.slots[slot];
        let (header, items) = {
            let data = s
                .readback
                .slice(..)
                .get_mapped_range()
                .map_err(|e| SearchError::Backend(format!("cannot read GPU results back: {e}")))?;
            let header: HitsHeader = *bytemuck::from_bytes(&data[..16]);
            let stored = header.count.min(header.capacity) as usize;
            let items: Vec<[u32; 2]> = bytemuck::cast_slice(&data[16..16 + stored * HIT_SIZE as usize]).to_vec();
            (header, items)
        };
        s.readback.unmap();
        Ok((header, items))
    }

    fn adapt_dispatch_size(&mut self, mids: u32, elapsed: Duration) {
        if self.options.fixed_mids_per_dispatch.is_some() || elapsed.is_zero() {
            return;
        }
        let wanted = mids as f64 * self.options.target_dispatch.as_secs_f64() / elapsed.as_secs_f64();
        let grown = wanted.clamp(mids as f64 / 4.0, mids as f64 * 4.0);
        let most = self.max_workgroups_per_dim as f64 * self.options.workgroup_size as f64 * 64.0;
        self.mids_per_dispatch = grown.clamp(self.options.workgroup_size as f64, most) as u32;
    }
}

fn make_slot(device: &wgpu::Device, capacity: u32) -> Slot {
    let hits_size = 16 + capacity as u64 * HIT_SIZE;
    let buffer = |label: &str, size: u64, usage| {
        device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation: false })
    };
    Slot {
        params: buffer(
            "params",
            std::mem::size_of::<Params>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        ),
        hits: buffer(
            "hits",
            hits_size,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
        ),
        readback: buffer("hits readback", hits_size, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST),
    }
}

impl Backend for GpuBackend {
    fn kind(&self) -> &'static str {
        "gpu"
    }

    fn device(&self) -> String {
        device::describe(&self.info)
    }

    fn threads(&self) -> usize {
        1
    }

    fn mids_per_call(&self, _layout: &Layout) -> u64 {
        // Enough for several dispatches in a row between progress reports.
        self.mids_per_dispatch as u64 * 8
    }

    fn search(&mut self, job: &Job, mids: Range<u64>, control: &Control) -> Result<Option<(u32, u32)>, SearchError> {
        self.prepare(job.layout)?;
        if mids.start == 0 && self.options.fixed_mids_per_dispatch.is_none() {
            // A new search: start small and let measured times grow the dispatches, so an
            // easy target is not held up by one huge first dispatch.
            self.mids_per_dispatch = self.options.workgroup_size;
        }
        let inner_count = job.layout.inner_count() as u64;
        let end = mids.end as u32;
        let mut next = mids.start as u32;
        let mut in_flight: VecDeque<(usize, Range<u32>, wgpu::SubmissionIndex)> = VecDeque::new();
        let mut last_done = Instant::now();
        loop {
            while in_flight.len() < self.slots.len() && next < end && !control.stopped() {
                let used: Vec<usize> = in_flight.iter().map(|f| f.0).collect();
                let slot = (0..self.slots.len()).find(|s| !used.contains(s)).unwrap();
                let range = next..end.min(next.saturating_add(self.mids_per_dispatch));
                next = range.end;
                let index = self.submit(job, slot, range.clone());
                in_flight.push_back((slot, range, index));
            }
            let Some((slot, range, index)) = in_flight.pop_front() else {
                return if control.stopped() { Err(SearchError::Cancelled) } else { Ok(None) };
            };
            let (header, items) = self.collect(slot, index)?;
            let now = Instant::now();
            self.adapt_dispatch_size(range.end - range.start, now - last_done);
            last_done = now;
            if header.count == 0 {
                control.add_tested((range.end - range.start) as u64 * inner_count);
                continue;
            }
            if header.count <= header.capacity && items.iter().map(|h| h[0]).min() != Some(header.lowest_mid) {
                return Err(SearchError::Backend("internal error: the GPU's hit list and lowest hit disagree".into()));
            }
            let mid = header.lowest_mid;
            control.add_tested((mid - range.start) as u64 * inner_count);
            // The kernel matched state word A; the full check (and the lowest inner) is here.
            if let Some(inner) = (0..inner_count as u32).find(|&inner| job.is_real_hit(mid, inner)) {
                for (slot, _, index) in in_flight.drain(..) {
                    self.collect(slot, index)?;
                }
                return Ok(Some((mid, inner)));
            }
            // Only A matched (a prefix of more than 8 digits): go on after this mid.
            for (slot, _, index) in in_flight.drain(..) {
                self.collect(slot, index)?;
            }
            next = mid + 1;
        }
    }
}
