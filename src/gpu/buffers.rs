//! The structs shared with the shader: one Rust struct per buffer, mirrored by one WGSL
//! struct in shaders/search.wgsl (their sizes and offsets are compared in a test).

use bytemuck::{Pod, Zeroable};

/// The per-dispatch parameter block (`Params` in WGSL), a read-only storage buffer (the
/// shader says why not a uniform one).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Params {
    /// The state entering the final block (MD5 uses 4 words, SHA-1 5, SHA-256 8).
    pub midstate: [u32; 8],
    /// The final block's constant words.
    pub base_words: [u32; 16],
    /// First mid value of the dispatch.
    pub mid_start: u32,
    /// One past the last mid value.
    pub mid_end: u32,
    /// Bits of the tested state word the prefix fixes.
    pub match_mask: u32,
    /// Their values.
    pub match_value: u32,
    /// Invocations per row of the two-dimensional dispatch.
    pub row_width: u32,
    /// Alignment of `folded` to 16 bytes.
    pub pad: [u32; 3],
    /// MD5: `K[i] + base_words[message_index(i)]` for every step i (SHA kernels compute
    /// their schedule in the shader, once per invocation).
    pub folded: [u32; 64],
}

/// The head of the hits buffer (`Hits` in WGSL, before its `items`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct HitsHeader {
    /// Every A-matching candidate adds one, even when `items` is full.
    pub count: u32,
    /// The lowest mid value with an A match: exact however many hits overflowed.
    pub lowest_mid: u32,
    /// How many (mid, inner) pairs `items` holds.
    pub capacity: u32,
    /// Alignment.
    pub pad: u32,
}

impl HitsHeader {
    /// A header before a dispatch: no hits, lowest mid at its maximum.
    pub fn empty(capacity: u32) -> Self {
        HitsHeader { count: 0, lowest_mid: u32::MAX, capacity, pad: 0 }
    }
}

/// Bytes per hit-list entry: (mid, inner).
pub const HIT_SIZE: u64 = 8;

/// The bindings of shaders/search.wgsl: params, inner_table, symbols, hits.
pub fn bind_group_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    let entry = |binding: u32, ty: wgpu::BufferBindingType| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    };
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("ghostsum search"),
        entries: &[
            entry(0, wgpu::BufferBindingType::Storage { read_only: true }),
            entry(1, wgpu::BufferBindingType::Storage { read_only: true }),
            entry(2, wgpu::BufferBindingType::Storage { read_only: true }),
            entry(3, wgpu::BufferBindingType::Storage { read_only: false }),
        ],
    })
}
