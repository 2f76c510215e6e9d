//! Dispatch slots: the buffers of one dispatch in flight (its parameters, its hit list, the
//! hit list's read-back copy), how a dispatch is encoded into one, and how its hits are read.

use super::buffers::{HitsHeader, Params, HIT_SIZE};
use crate::device::SearchError;
use crate::sync::lock;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Longest a single dispatch may take before the GPU is declared hung.
pub const DISPATCH_TIMEOUT: Duration = Duration::from_secs(20);

/// Buffers for one dispatch in flight.
pub struct Slot {
    /// The parameter block.
    pub params: wgpu::Buffer,
    /// Hit counter, lowest hit and hit list, written by the shader.
    pub hits: wgpu::Buffer,
    /// Where the hits are copied to be mapped.
    pub readback: wgpu::Buffer,
    /// What the read-back's `map_async` callback reported for the dispatch in flight (None
    /// until it runs): a failed mapping is an error of the device, with wgpu's reason.
    mapped: Arc<Mutex<Option<Result<(), wgpu::BufferAsyncError>>>>,
}

impl Slot {
    /// A slot whose hit list holds `capacity` entries.
    pub fn new(device: &wgpu::Device, capacity: u32) -> Self {
        let hits_size = 16 + capacity as u64 * HIT_SIZE;
        let buffer = |label: &str, size: u64, usage| {
            device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation: false })
        };
        Slot {
            params: buffer(
                "params",
                std::mem::size_of::<Params>() as u64,
                wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            ),
            hits: buffer(
                "hits",
                hits_size,
                wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            ),
            readback: buffer("hits readback", hits_size, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST),
            mapped: Arc::new(Mutex::new(None)),
        }
    }
}

/// What a dispatch needs besides its slot.
pub struct Dispatch<'a> {
    /// The compiled search.
    pub pipeline: &'a wgpu::ComputePipeline,
    /// The bind group of the slot the dispatch uses.
    pub bind_group: &'a wgpu::BindGroup,
    /// The parameter block, its mid range included.
    pub params: Params,
    /// Invocations per workgroup.
    pub workgroup_size: u32,
    /// The device's limit on workgroups per dimension.
    pub max_workgroups_per_dim: u32,
    /// The hit list's capacity.
    pub hit_capacity: u32,
}

/// The parameter block's `row_width` and the dispatch's (x, y) workgroups for `mids`.
pub fn grid(mids: &Range<u32>, workgroup_size: u32, max_per_dim: u32) -> (u32, u32, u32) {
    let workgroups = (mids.end - mids.start).div_ceil(workgroup_size);
    let x = workgroups.min(max_per_dim);
    (x * workgroup_size, x, workgroups.div_ceil(x))
}

/// Encodes and submits one dispatch into slot `index`.
pub fn submit(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    slots: &[Slot],
    index: usize,
    dispatch: &Dispatch,
) -> wgpu::SubmissionIndex {
    let s = &slots[index];
    let mids = dispatch.params.mid_start..dispatch.params.mid_end;
    let (_, x, y) = grid(&mids, dispatch.workgroup_size, dispatch.max_workgroups_per_dim);
    queue.write_buffer(&s.params, 0, bytemuck::bytes_of(&dispatch.params));
    queue.write_buffer(&s.hits, 0, bytemuck::bytes_of(&HitsHeader::empty(dispatch.hit_capacity)));
    let mut encoder = device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(dispatch.pipeline);
        pass.set_bind_group(0, dispatch.bind_group, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
    encoder.copy_buffer_to_buffer(&s.hits, 0, &s.readback, 0, s.readback.size());
    let submission = queue.submit([encoder.finish()]);
    let mapped = Arc::clone(&s.mapped);
    *lock(&mapped) = None;
    s.readback.slice(..).map_async(wgpu::MapMode::Read, move |result| *lock(&mapped) = Some(result));
    submission
}

/// Waits for a slot's dispatch and reads its header and hits. `check` reports errors the
/// device raised meanwhile.
pub fn collect(
    device: &wgpu::Device,
    slot: &Slot,
    submission: wgpu::SubmissionIndex,
    adapter_name: &str,
    check: &dyn Fn() -> Result<(), SearchError>,
) -> Result<(HitsHeader, Vec<[u32; 2]>), SearchError> {
    let wait = wgpu::PollType::Wait { submission_index: Some(submission), timeout: Some(DISPATCH_TIMEOUT) };
    if let Err(e) = device.poll(wait) {
        check()?;
        return Err(SearchError::Backend(format!(
            "a GPU dispatch on {adapter_name} did not finish within {} s ({e}); try --backend cpu",
            DISPATCH_TIMEOUT.as_secs()
        )));
    }
    check()?;
    match lock(&slot.mapped).take() {
        Some(Ok(())) => {}
        Some(Err(e)) => {
            return Err(SearchError::Backend(format!("cannot read GPU results back from {adapter_name}: {e}")))
        }
        None => {
            return Err(SearchError::Backend(format!(
                "GPU results from {adapter_name} were never mapped after the dispatch finished"
            )))
        }
    }
    let (header, items) = {
        let data = slot
            .readback
            .slice(..)
            .get_mapped_range()
            .map_err(|e| SearchError::Backend(format!("cannot read GPU results back: {e}")))?;
        let header: HitsHeader = *bytemuck::from_bytes(&data[..16]);
        let stored = header.count.min(header.capacity) as usize;
        let items: Vec<[u32; 2]> = bytemuck::cast_slice(&data[16..16 + stored * HIT_SIZE as usize]).to_vec();
        (header, items)
    };
    slot.readback.unmap();
    Ok((header, items))
}
