//! Makes the Vulkan driver compile a compute shader: a pipeline created on the first device
//! the loader offers, and nothing run. With `RADV_FORCE_FAMILY` Mesa's RADV offers a "null"
//! AMD device of that family, which needs no GPU, and `RADV_DEBUG=shaders` makes it print
//! the shader's ISA on standard error. (wgpu cannot open that device: it reports no memory
//! heaps. So the pipeline is made here directly, with ash.)

use crate::kernel::Spirv;
use ash::vk;

/// The device's name and driver ("RADV NAVI21, Mesa 22.3.6"), after its compiler has
/// built a pipeline for `spirv`'s `entry_point`.
pub(crate) fn compile(spirv: &Spirv, entry_point: &str) -> Result<String, String> {
    let failed = |what: &str, e: vk::Result| format!("{what}: {e}");
    // SAFETY: every Vulkan call gets valid create-info structures that outlive it, objects are
    // used only with the device that made them, and each is destroyed once, children first.
    unsafe {
        let entry = ash::Entry::load().map_err(|e| format!("no Vulkan loader: {e}"))?;
        let app = vk::ApplicationInfo::default().api_version(vk::API_VERSION_1_3);
        let instance = entry
            .create_instance(&vk::InstanceCreateInfo::default().application_info(&app), None)
            .map_err(|e| failed("vkCreateInstance", e))?;
        let physical = *instance
            .enumerate_physical_devices()
            .map_err(|e| failed("vkEnumeratePhysicalDevices", e))?
            .first()
            .ok_or("the loader offers no Vulkan device")?;
        let mut driver = vk::PhysicalDeviceDriverProperties::default();
        let mut properties = vk::PhysicalDeviceProperties2::default().push_next(&mut driver);
        instance.get_physical_device_properties2(physical, &mut properties);
        let device_name = properties.properties.device_name_as_c_str().unwrap_or_default().to_string_lossy();
        // RADV's null device calls itself "Null hardware (RADV NAVI21)".
        let device_name = device_name
            .strip_prefix("Null hardware (")
            .and_then(|n| n.strip_suffix(')'))
            .unwrap_or(&device_name)
            .to_string();
        let name = format!("{device_name}, {}", driver.driver_info_as_c_str().unwrap_or_default().to_string_lossy());
        let family = instance
            .get_physical_device_queue_family_properties(physical)
            .iter()
            .position(|f| f.queue_flags.contains(vk::QueueFlags::COMPUTE))
            .ok_or("the device has no compute queue")? as u32;
        let queue = [vk::DeviceQueueCreateInfo::default().queue_family_index(family).queue_priorities(&[1.0])];
        let device = instance
            .create_device(physical, &vk::DeviceCreateInfo::default().queue_create_infos(&queue), None)
            .map_err(|e| failed("vkCreateDevice", e))?;
        let module = device
            .create_shader_module(&vk::ShaderModuleCreateInfo::default().code(&spirv.words), None)
            .map_err(|e| failed("vkCreateShaderModule", e))?;
        let bindings: Vec<vk::DescriptorSetLayoutBinding> = spirv
            .bindings
            .iter()
            .map(|&(binding, uniform)| {
                vk::DescriptorSetLayoutBinding::default()
                    .binding(binding)
                    .descriptor_count(1)
                    .stage_flags(vk::ShaderStageFlags::COMPUTE)
                    .descriptor_type(if uniform {
                        vk::DescriptorType::UNIFORM_BUFFER
                    } else {
                        vk::DescriptorType::STORAGE_BUFFER
                    })
            })
            .collect();
        let set_layout = device
            .create_descriptor_set_layout(&vk::DescriptorSetLayoutCreateInfo::default().bindings(&bindings), None)
            .map_err(|e| failed("vkCreateDescriptorSetLayout", e))?;
        let set_layouts = [set_layout];
        let layout = device
            .create_pipeline_layout(&vk::PipelineLayoutCreateInfo::default().set_layouts(&set_layouts), None)
            .map_err(|e| failed("vkCreatePipelineLayout", e))?;
        let entry_name = std::ffi::CString::new(entry_point).map_err(|e| e.to_string())?;
        let stage = vk::PipelineShaderStageCreateInfo::default()
            .stage(vk::ShaderStageFlags::COMPUTE)
            .module(module)
            .name(&entry_name);
        let created = device.create_compute_pipelines(
            vk::PipelineCache::null(),
            &[vk::ComputePipelineCreateInfo::default().stage(stage).layout(layout)],
            None,
        );
        let result = match created {
            Ok(pipelines) => {
                pipelines.into_iter().for_each(|p| device.destroy_pipeline(p, None));
                Ok(name)
            }
            Err((_, e)) => Err(failed("vkCreateComputePipelines", e)),
        };
        device.destroy_pipeline_layout(layout, None);
        device.destroy_descriptor_set_layout(set_layout, None);
        device.destroy_shader_module(module, None);
        device.destroy_device(None);
        instance.destroy_instance(None);
        result
    }
}
