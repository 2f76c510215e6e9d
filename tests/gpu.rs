//! The real WGSL shader, on whatever adapter wgpu finds: a GPU, or Mesa's software Vulkan
//! driver (lavapipe) on machines without one. In CI (CI=true) a missing adapter fails.

use ghostsum::alphabet::Alphabet;
use ghostsum::backend::Control;
use ghostsum::cpu::CpuBackend;
use ghostsum::engine::{search, EngineOptions, Found};
use ghostsum::gpu::{device, shader, GpuBackend, GpuOptions};
use ghostsum::input::Content;
use ghostsum::target::{hex, Prefix};
use md5::{Digest, Md5};
use wgpu::util::DeviceExt;

/// The GPU backend, or None (with a note) where no adapter exists outside CI.
fn gpu(options: GpuOptions) -> Option<GpuBackend> {
    match GpuBackend::new(options) {
        Ok(g) => Some(g),
        Err(e) if std::env::var("CI").is_err() => {
            eprintln!("no GPU adapter, GPU test skipped outside CI: {e:#}");
            None
        }
        Err(e) => panic!("CI must run the GPU tests (install mesa-vulkan-drivers): {e:#}"),
    }
}

fn run(backend: &mut dyn ghostsum::backend::Backend, bytes: &[u8], prefix: &str, alphabet: &Alphabet) -> Found {
    let content = Content::from_bytes(bytes);
    search(
        &content,
        &Prefix::parse(prefix).unwrap(),
        alphabet,
        backend,
        &EngineOptions::default(),
        &Control::default(),
        &mut |_| {},
    )
    .unwrap()
    .unwrap()
}

#[test]
fn generated_compression_matches_md5_crate_on_random_states_and_blocks() {
    if gpu(GpuOptions::default()).is_none() {
        return;
    }
    let adapter = device::choose_adapter(None, false).unwrap();
    let (dev, queue) = device::open_device(&adapter).unwrap();
    let n = 4096usize;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as u32
    };
    let input: Vec<u32> = (0..n * 20).map(|_| next()).collect();
    let module = dev.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: None,
        source: wgpu::ShaderSource::Wgsl(shader::compress_test_shader().into()),
    });
    let pipeline = dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: None,
        layout: None,
        module: &module,
        entry_point: Some("compress"),
        compilation_options: Default::default(),
        cache: None,
    });
    let input_buf = dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: None,
        contents: bytemuck::cast_slice(&input),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let size = (n * 16) as u64;
    let output = dev.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let readback = dev.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let bind = dev.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: input_buf.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: output.as_entire_binding() },
        ],
    });
    let mut encoder = dev.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups((n as u32).div_ceil(64), 1, 1);
    }
    encoder.copy_buffer_to_buffer(&output, 0, &readback, 0, size);
    queue.submit([encoder.finish()]);
    readback.slice(..).map_async(wgpu::MapMode::Read, |_| {});
    dev.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let data = readback.slice(..).get_mapped_range().unwrap();
    let got: &[[u32; 4]] = bytemuck::cast_slice(&data);
    for (k, chunk) in input.chunks(20).enumerate() {
        let mut state: [u32; 4] = chunk[..4].try_into().unwrap();
        let mut block = [0u8; 64];
        for (t, w) in chunk[4..].iter().enumerate() {
            block[4 * t..4 * t + 4].copy_from_slice(&w.to_le_bytes());
        }
        md5::block_api::compress(&mut state, &[block]);
        assert_eq!(got[k], state, "pair {k}");
    }
}

#[test]
fn gpu_output_equals_cpu_output_for_every_length_mod_64() {
    let Some(mut gpu) = gpu(GpuOptions::default()) else {
        return;
    };
    let mut cpu = CpuBackend::new(2);
    let alphabets = [
        Alphabet::whitespace(),
        Alphabet::space_tab(),
        Alphabet::zero_width(),
        Alphabet::parse("bytes:c2a0,2020").unwrap(),
    ];
    for len in (0..=130).chain([1000, 4097]) {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
        let alphabet = &alphabets[len % alphabets.len()];
        let prefix = ["a", "5e", "c0f", "beef"][len % 4];
        let on_gpu = run(&mut gpu, &bytes, prefix, alphabet);
        let on_cpu = run(&mut cpu, &bytes, prefix, alphabet);
        assert_eq!(
            (on_gpu.index, &on_gpu.suffix),
            (on_cpu.index, &on_cpu.suffix),
            "length {len}, prefix {prefix}, {alphabet}"
        );
        let mut out = bytes.clone();
        out.extend(&on_gpu.suffix);
        assert!(hex(&Md5::digest(&out)).starts_with(prefix));
    }
}

#[test]
fn hits_across_dispatch_boundaries_and_hit_buffer_overflow() {
    let bytes = b"dispatch boundaries".to_vec();
    let mut cpu = CpuBackend::new(2);
    // One workgroup per dispatch: a 5-digit hit lies many dispatches in.
    let Some(mut small) = gpu(GpuOptions { fixed_mids_per_dispatch: Some(64), ..Default::default() }) else {
        return;
    };
    let expected = run(&mut cpu, &bytes, "c0ffe", &Alphabet::whitespace());
    assert!(expected.index > 64 * 625, "the hit should lie past the first dispatch");
    let got = run(&mut small, &bytes, "c0ffe", &Alphabet::whitespace());
    assert_eq!(got.index, expected.index);
    // A 1-digit prefix hits about 1 in 16 candidates: thousands per dispatch, into a
    // buffer of 4; the lowest must still win.
    let Some(mut tiny) = gpu(GpuOptions { hit_capacity: 4, ..Default::default() }) else {
        return;
    };
    for prefix in ["0", "f", "7"] {
        let expected = run(&mut cpu, &bytes, prefix, &Alphabet::whitespace());
        assert_eq!(run(&mut tiny, &bytes, prefix, &Alphabet::whitespace()).index, expected.index, "{prefix}");
    }
}

#[test]
fn gpu_long_prefix_is_finished_on_the_host() {
    // 12 digits: the kernel matches A; the host must check B as well.
    let Some(mut gpu) = gpu(GpuOptions::default()) else {
        return;
    };
    let bytes = b"twelve digits on the gpu";
    let content = Content::from_bytes(bytes);
    let layout =
        ghostsum::layout::Layout::plan(&content, &Alphabet::whitespace(), 48, ghostsum::layout::DEFAULT_MIN_BATCH_LOG2)
            .unwrap();
    let mut out = bytes.to_vec();
    out.extend(layout.suffix(700));
    let digest = hex(&Md5::digest(&out));
    assert_eq!(run(&mut gpu, bytes, &digest[..12], &Alphabet::whitespace()).index, 700);
}

#[test]
fn params_struct_matches_the_wgsl_struct() {
    // The template has placeholders; its struct declarations parse on their own.
    let structs = shader::TEMPLATE.split("@group(0)").next().unwrap();
    let module = naga::front::wgsl::parse_str(structs).expect("struct declarations parse");
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    let size_of = |name: &str| {
        let (handle, _) = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(name)).unwrap();
        layouter[handle].size
    };
    assert_eq!(size_of("Params") as usize, std::mem::size_of::<ghostsum::gpu::buffers::Params>());
    // Hits = header + runtime array: the header is the array's offset.
    let (_, ty) = module.types.iter().find(|(_, t)| t.name.as_deref() == Some("Hits")).unwrap();
    if let naga::TypeInner::Struct { members, .. } = &ty.inner {
        assert_eq!(members.last().unwrap().offset as usize, std::mem::size_of::<ghostsum::gpu::buffers::HitsHeader>());
    } else {
        panic!("Hits is a struct");
    }
}

#[test]
fn kernel_spends_well_under_a_full_md5_per_candidate() {
    // Counted from naga's IR of the generated WGSL: no GPU needed.
    let content = Content::from_bytes(&[b'x'; 1059]);
    let layout =
        ghostsum::layout::Layout::plan(&content, &Alphabet::whitespace(), 32, ghostsum::layout::DEFAULT_MIN_BATCH_LOG2)
            .unwrap();
    let shape = shader::ShaderShape::of(&layout, 64);
    let (per_candidate, full) = shader::ops_per_candidate(&shape).unwrap();
    eprintln!("{per_candidate} integer ops per candidate; a full MD5 compression: {full}");
    assert!(full > 64 * 7, "a full MD5 has at least 7 ops a step: {full}");
    assert!((per_candidate as f64) < 0.85 * full as f64, "{per_candidate} vs {full}");
}

#[test]
fn devices_lists_adapters_and_auto_never_picks_a_software_one() {
    let out = assert_cmd::Command::cargo_bin("ghostsum").unwrap().arg("devices").assert().success();
    let listing = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    if std::env::var("CI").is_ok() {
        assert!(listing.contains("Vulkan"), "{listing}");
    }
    let software_only = !listing.lines().any(|l| l.ends_with("[GPU]"));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "auto").unwrap();
    let out = dir.path().join("out.txt");
    let run = assert_cmd::Command::cargo_bin("ghostsum")
        .unwrap()
        .args(["search", input.to_str().unwrap(), "-p", "ab", "-o", out.to_str().unwrap(), "--backend", "auto"])
        .assert()
        .success();
    let said = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    // auto says which backend it chose, and with only a software adapter it is the CPU.
    assert!(said.contains("searching on"), "{said}");
    if software_only {
        assert!(said.contains("searching on cpu") && said.contains("auto chose the CPU"), "{said}");
    }
}
