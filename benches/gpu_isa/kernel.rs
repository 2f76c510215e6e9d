//! ghostsum's search kernel for one input and prefix, as WGSL and as the SPIR-V that wgpu's
//! Vulkan backend hands the driver: naga's SPIR-V writer with the options wgpu-hal uses for a
//! shader created by `create_shader_module_trusted` with every runtime check off, as
//! src/gpu/pipeline.rs creates it.

use ghostsum::address::Address;
use ghostsum::alphabet::Alphabet;
use ghostsum::gpu::shader::{generate, ShaderShape};
use ghostsum::hash::HashKind;
use ghostsum::input::Content;
use ghostsum::layout::{Layout, DEFAULT_MIN_SEGMENT_LOG2};
use ghostsum::target::Prefix;
use std::path::Path;

/// The search that a kernel is made for.
pub(crate) struct Search {
    pub(crate) layout: Layout,
    pub(crate) shape: ShaderShape,
}

impl Search {
    /// The layout ghostsum plans for `input`'s bytes' `hash` and `prefix` with `alphabet`,
    /// with `--fast-layout` when `fast`.
    pub(crate) fn plan(
        input: &Path,
        prefix: &str,
        fast: bool,
        hash: HashKind,
        alphabet: &Alphabet,
    ) -> Result<Search, String> {
        let bytes = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
        let mut content = Content::from_bytes(&bytes);
        content.set_address(Address { hash, git_object: None });
        content.fold_for_suffix(0).map_err(|e| e.to_string())?;
        let prefix = Prefix::parse_for(prefix, hash).map_err(|e| e.to_string())?;
        let plan = if fast { Layout::plan_fast } else { Layout::plan };
        let layout = plan(&content, alphabet, prefix.bits(), DEFAULT_MIN_SEGMENT_LOG2).map_err(|e| e.to_string())?;
        // ghostsum's default workgroup size (GHOSTSUM_GPU_WORKGROUP_SIZE).
        let shape = ShaderShape::of(&layout, prefix.first_fixed_word(), 64);
        Ok(Search { layout, shape })
    }

    /// The steps the GPU kernel runs per candidate (the CPU's SHA kernels start at a
    /// multiple of 4).
    pub(crate) fn steps(&self) -> usize {
        self.shape.steps_per_candidate()
    }

    /// One line: what the kernel computes per candidate.
    pub(crate) fn describe(&self) -> String {
        format!(
            "suffix {} symbols, data ends at byte {} of the last block, {} {} steps per candidate",
            self.layout.suffix_len,
            self.layout.data_end,
            self.steps(),
            self.layout.hash.title()
        )
    }

    pub(crate) fn wgsl(&self) -> String {
        generate(&self.shape)
    }
}

/// A WGSL compute shader compiled to SPIR-V words, with the bindings the pipeline layout
/// needs: (binding number, is it a uniform buffer) in group 0.
pub(crate) struct Spirv {
    pub(crate) words: Vec<u32>,
    pub(crate) bindings: Vec<(u32, bool)>,
}

pub(crate) fn spirv(wgsl: &str, entry_point: &str) -> Result<Spirv, String> {
    let module = naga::front::wgsl::parse_str(wgsl).map_err(|e| e.emit_to_string(wgsl))?;
    let info = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
        .validate(&module)
        .map_err(|e| e.emit_to_string(wgsl))?;
    let unchecked = naga::proc::BoundsCheckPolicy::Unchecked;
    let mut options = naga::back::spv::Options {
        // A Vulkan 1.3 device takes SPIR-V 1.6, which wgpu-hal then writes.
        lang_version: (1, 6),
        flags: naga::back::spv::WriterFlags::LABEL_VARYINGS | naga::back::spv::WriterFlags::FORCE_POINT_SIZE,
        bounds_check_policies: naga::proc::BoundsCheckPolicies {
            index: unchecked,
            buffer: unchecked,
            image_load: unchecked,
            binding_array: unchecked,
        },
        zero_initialize_workgroup_memory: naga::back::spv::ZeroInitializeWorkgroupMemoryMode::None,
        ..Default::default()
    };
    options.force_loop_bounding = false;
    let pipeline =
        naga::back::spv::PipelineOptions { shader_stage: naga::ShaderStage::Compute, entry_point: entry_point.into() };
    let words = naga::back::spv::write_vec(&module, &info, &options, Some(&pipeline)).map_err(|e| e.to_string())?;
    let mut bindings: Vec<(u32, bool)> = module
        .global_variables
        .iter()
        .filter_map(|(_, var)| {
            let binding = var.binding.as_ref()?;
            Some((binding.binding, matches!(var.space, naga::AddressSpace::Uniform)))
        })
        .collect();
    bindings.sort();
    Ok(Spirv { words, bindings })
}
