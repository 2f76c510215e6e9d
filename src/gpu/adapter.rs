//! Finding GPUs: instance, adapters (in the order `ghostsum devices` lists them), device and
//! queue, set up in one place.

/// Backends asked for: not GL, which prints XDG_RUNTIME_DIR noise on headless machines.
pub fn backends() -> wgpu::Backends {
    wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12
}

/// A wgpu instance on the compute-capable APIs.
pub fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends();
    wgpu::Instance::new(desc)
}

/// Every adapter wgpu finds that runs compute shaders, best first: discrete, integrated,
/// virtual, then software.
pub fn adapters() -> Vec<wgpu::Adapter> {
    let mut list = pollster::block_on(instance().enumerate_adapters(backends()));
    // Vulkan, Metal and DX12 adapters all have compute; a downlevel one without it could
    // only fail later, at pipeline creation.
    list.retain(|a| a.get_downlevel_capabilities().flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS));
    list.sort_by_key(|a| rank(a.get_info().device_type));
    list
}

fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

/// A real GPU, not a software rasteriser: what `--backend auto` may pick on its own.
pub fn is_real_gpu(info: &wgpu::AdapterInfo) -> bool {
    matches!(info.device_type, wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu)
}

/// An adapter in words: name, API, type.
pub fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
}

/// Opens a device and its queue on `adapter`, with the adapter's own limits.
pub fn open_device(adapter: &wgpu::Adapter) -> anyhow::Result<(wgpu::Device, wgpu::Queue)> {
    let desc = wgpu::DeviceDescriptor {
        label: Some("ghostsum"),
        required_limits: wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits()),
        ..Default::default()
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&desc))
        .map_err(|e| anyhow::anyhow!("cannot open GPU {}: {e}", adapter.get_info().name))?;
    Ok((device, queue))
}
