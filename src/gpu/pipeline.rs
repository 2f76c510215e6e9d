//! Pipeline set-up: the generated shader compiled for one layout shape, with the buffers that
//! depend on the layout (inner table, symbols) and one bind group per dispatch slot. Cached
//! by shape, so a batch whose pages share a shape compiles it once.

use super::buffers;
use super::shader::{self, ShaderShape};
use super::slots::Slot;
use crate::alphabet::Alphabet;
use crate::device::SearchError;
use crate::layout::Layout;
use std::collections::HashMap;
use wgpu::util::DeviceExt;

/// A compiled search for one shape and alphabet.
pub struct Prepared {
    /// The compute pipeline.
    pub pipeline: wgpu::ComputePipeline,
    /// One per dispatch slot.
    pub bind_groups: Vec<wgpu::BindGroup>,
}

/// Compiled pipelines of one GPU, by what the generated code and its buffers depend on,
/// with the settings every one of them is compiled with.
pub struct PipelineCache {
    adapter_name: String,
    workgroup_size: u32,
    runtime_checks: bool,
    prepared: HashMap<(ShaderShape, Alphabet), Prepared>,
}

impl PipelineCache {
    /// An empty cache for the adapter `adapter_name` (named in compile errors), compiling with
    /// `workgroup_size` invocations a workgroup and, with `runtime_checks`, wgpu's bounds checks.
    pub fn new(adapter_name: &str, workgroup_size: u32, runtime_checks: bool) -> Self {
        PipelineCache { adapter_name: adapter_name.into(), workgroup_size, runtime_checks, prepared: HashMap::new() }
    }

    /// The pipeline for `layout` testing state word `match_word`, compiled on first use,
    /// with a bind group for each of `slots`.
    pub fn get_or_build(
        &mut self,
        device: &wgpu::Device,
        layout: &Layout,
        match_word: usize,
        slots: &[Slot],
    ) -> Result<&Prepared, SearchError> {
        let key = (ShaderShape::of(layout, match_word, self.workgroup_size), layout.alphabet.clone());
        if !self.prepared.contains_key(&key) {
            let built = build(device, &self.adapter_name, layout, &key.0, self.runtime_checks, slots)?;
            self.prepared.insert(key.clone(), built);
        }
        Ok(&self.prepared[&key])
    }

    /// How many shapes are compiled.
    pub fn len(&self) -> usize {
        self.prepared.len()
    }

    /// True before the first compilation.
    pub fn is_empty(&self) -> bool {
        self.prepared.is_empty()
    }
}

fn build(
    device: &wgpu::Device,
    adapter_name: &str,
    layout: &Layout,
    shape: &ShaderShape,
    runtime_checks: bool,
    slots: &[Slot],
) -> Result<Prepared, SearchError> {
    let source = shader::generate(shape);
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let descriptor = wgpu::ShaderModuleDescriptor {
        label: Some("ghostsum search"),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    };
    let module = if runtime_checks {
        device.create_shader_module(descriptor)
    } else {
        // SAFETY: the generated shader indexes only within its buffers (inner < INNER_COUNT,
        // digit < RADIX, hit slot < capacity), and its one loop runs INNER_COUNT times.
        unsafe { device.create_shader_module_trusted(descriptor, wgpu::ShaderRuntimeChecks::unchecked()) }
    };
    // Explicit, so a binding the generated code happens not to use (no mid digits, say)
    // stays in the layout.
    let bind_layout = buffers::bind_group_layout(device);
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("ghostsum search"),
        bind_group_layouts: &[Some(&bind_layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("ghostsum search"),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("search"),
        compilation_options: Default::default(),
        cache: None,
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(SearchError::Backend(format!("the search shader failed to compile on {adapter_name}: {e}")));
    }
    let inner: Vec<u32> = match layout.is_split() {
        // Each inner value's row: its final block's constants plus schedule, step by step.
        true => layout.final_schedules().iter().flat_map(|row| row[..layout.hash.steps()].iter().copied()).collect(),
        false => layout.inner_table.iter().flat_map(|e| e[..layout.inner_word_count].iter().copied()).collect(),
    };
    let inner_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
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
    let symbol_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("symbols"),
        contents: bytemuck::cast_slice(&symbols),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let bind_groups = slots
        .iter()
        .map(|slot| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
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
    Ok(Prepared { pipeline, bind_groups })
}
