//! The real WGSL shader, on whatever adapter wgpu finds: a GPU, or Mesa's software Vulkan
//! driver (lavapipe) on machines without one; and the engine with several devices in one
//! search. In CI (CI=true) a missing adapter fails.

mod common;

use ghostsum::address::{Address, GitObject};
use ghostsum::alphabet::Alphabet;
use ghostsum::cpu::CpuDevice;
use ghostsum::device::work::SearchWork;
use ghostsum::device::{Control, Device, DeviceId, DeviceInfo, DeviceKind, DeviceSet, SearchError};
use ghostsum::engine::{search, EngineError, EngineOptions, Found, SearchEvent};
use ghostsum::gpu::{adapter, shader, GpuDevice, GpuOptions};
use ghostsum::hash::HashKind;
use ghostsum::input::Content;
use ghostsum::layout::{Layout, DEFAULT_MIN_SEGMENT_LOG2};
use ghostsum::target::{hex, Prefix};
use md5::{Digest, Md5};
use std::sync::Arc;
use wgpu::util::DeviceExt;

/// A GPU device on the first adapter wgpu finds, or None (with a note) where there is none
/// outside CI.
fn gpu_device(options: GpuOptions) -> Option<GpuDevice> {
    let opened = match adapter::adapters().into_iter().next() {
        Some(a) => GpuDevice::open(&a, options),
        None => Err(anyhow::anyhow!("no adapter")),
    };
    match opened {
        Ok(g) => Some(g),
        Err(e) if std::env::var("CI").is_err() => {
            eprintln!("no GPU adapter, GPU test skipped outside CI: {e:#}");
            None
        }
        Err(e) => panic!("CI must run the GPU tests (install mesa-vulkan-drivers): {e:#}"),
    }
}

/// A set of one GPU device.
fn gpu(options: GpuOptions) -> Option<DeviceSet> {
    gpu_device(options).map(|g| DeviceSet::new(vec![Box::new(g)]))
}

fn cpu() -> DeviceSet {
    DeviceSet::new(vec![Box::new(CpuDevice::new(2, None))])
}

/// Runs a search on `set`; returns the verified result and every event.
fn run_events(
    set: &DeviceSet,
    bytes: &[u8],
    prefix: &str,
    alphabet: &Alphabet,
) -> (Found, Vec<SearchEvent>, Arc<Control>) {
    let content = Content::from_bytes(bytes);
    let control = Arc::new(Control::for_devices(set.infos().len()));
    let mut events = Vec::new();
    let found = search(
        set,
        &content,
        &Prefix::parse(prefix).unwrap(),
        alphabet,
        &EngineOptions::default(),
        &control,
        &mut |e| events.push(e),
    )
    .unwrap()
    .unwrap();
    (found, events, control)
}

/// The layout a search for a `bits`-bit prefix with the default alphabet plans for `content`.
fn whitespace_layout(content: &Content, bits: u32) -> Layout {
    Layout::plan(content, &Alphabet::whitespace(), bits, DEFAULT_MIN_SEGMENT_LOG2).unwrap()
}

fn run(set: &DeviceSet, bytes: &[u8], prefix: &str, alphabet: &Alphabet) -> Found {
    run_events(set, bytes, prefix, alphabet).0
}

/// The generated steps of every hash, against RustCrypto's compression functions.
#[test]
fn generated_compression_matches_the_crates_on_random_states_and_blocks() {
    if gpu_device(GpuOptions::default()).is_none() {
        return;
    }
    let adapter = adapter::adapters().into_iter().next().unwrap();
    let (dev, queue) = adapter::open_device(&adapter).unwrap();
    for hash in [HashKind::Md5, HashKind::Sha1, HashKind::Sha256] {
        compression_matches(&dev, &queue, hash);
    }
}

fn compression_matches(dev: &wgpu::Device, queue: &wgpu::Queue, hash: HashKind) {
    let n = 4096usize;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as u32
    };
    let input: Vec<u32> = (0..n * 24).map(|_| next()).collect();
    let module = dev.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: None,
        source: wgpu::ShaderSource::Wgsl(shader::compress_test_shader(hash).into()),
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
    let size = (n * 32) as u64;
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
    let got: &[[u32; 8]] = bytemuck::cast_slice(&data);
    let used = hash.state_words();
    for (k, chunk) in input.chunks(24).enumerate() {
        let mut state: [u32; 8] = chunk[..8].try_into().unwrap();
        // Through the crates' own byte interface, not the hash's word helpers under test.
        let mut block = [0u8; 64];
        for (t, w) in chunk[8..].iter().enumerate() {
            let bytes = if hash == HashKind::Md5 { w.to_le_bytes() } else { w.to_be_bytes() };
            block[4 * t..4 * t + 4].copy_from_slice(&bytes);
        }
        match hash {
            HashKind::Md5 => {
                let mut s: [u32; 4] = state[..4].try_into().unwrap();
                md5::block_api::compress(&mut s, &[block]);
                state[..4].copy_from_slice(&s);
            }
            HashKind::Sha1 => {
                let mut s: [u32; 5] = state[..5].try_into().unwrap();
                sha1::block_api::compress(&mut s, &[block]);
                state[..5].copy_from_slice(&s);
            }
            HashKind::Sha256 => sha2::block_api::compress256(&mut state, &[block]),
        }
        assert_eq!(got[k][..used], state[..used], "{hash}, pair {k}");
    }
}

#[test]
fn gpu_output_equals_cpu_output_for_every_length_mod_64() {
    let Some(gpu) = gpu(GpuOptions::default()) else {
        return;
    };
    let cpu = cpu();
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
        let on_gpu = run(&gpu, &bytes, prefix, alphabet);
        let on_cpu = run(&cpu, &bytes, prefix, alphabet);
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

/// Runs a search for `prefix` of `bytes`' address `address` on `set`, with `--fast-layout`
/// when `fast`; and whether its layout was split.
fn run_address(set: &DeviceSet, bytes: &[u8], prefix: &str, address: Address, fast: bool) -> (Found, bool) {
    let mut content = Content::from_bytes(bytes);
    content.set_address(address);
    let prefix = Prefix::parse_for(prefix, address.hash).unwrap();
    let (alphabet, options) = (Alphabet::whitespace(), EngineOptions { fast_layout: fast, ..Default::default() });
    ghostsum::engine::fold_address(&mut content, &prefix, &alphabet, &options).unwrap();
    let split = ghostsum::engine::plan(&content, &prefix, &alphabet, &options).unwrap().is_split();
    let control = Arc::new(Control::for_devices(set.infos().len()));
    (search(set, &content, &prefix, &alphabet, &options, &control, &mut |_| {}).unwrap().unwrap(), split)
}

/// SHA-1 and SHA-256 of the bytes and as each git object, and MD5, with prefixes whose first
/// fixed digit lies in each of several state words (`_` for any digit), every other SHA case
/// with `--fast-layout` (split layouts among them): the GPU finds the CPU's suffix, and the
/// result has the prefix by Python's hashlib.
#[test]
fn gpu_finds_the_cpus_suffix_for_every_address_kind_and_pattern() {
    let Some(gpu) = gpu(GpuOptions::default()) else {
        return;
    };
    let cpu = cpu();
    let objects = [None, Some(GitObject::Blob), Some(GitObject::Commit), Some(GitObject::Tag)];
    let (mut case, mut split) = (0usize, 0);
    for hash in [HashKind::Md5, HashKind::Sha1, HashKind::Sha256] {
        let words = hash.state_words();
        for git_object in objects.iter().copied().filter(|o| o.is_none() || hash != HashKind::Md5) {
            let address = Address { hash, git_object };
            // The first fixed digit in word 0, 1 and the last word; and a gap in word 0.
            let last = "_".repeat(8 * (words - 1)) + "e";
            for prefix in ["c0", "_7_a", "________5", last.as_str()] {
                case += 1;
                let len = [0usize, 7, 40, 55, 61, 64, 100, 119][case % 8] + case;
                let bytes: Vec<u8> = (0..len).map(|i| b' ' + ((i * 5 + case) % 90) as u8).collect();
                let fast = hash != HashKind::Md5 && case % 2 == 0;
                let (on_gpu, was_split) = run_address(&gpu, &bytes, prefix, address, fast);
                let (on_cpu, _) = run_address(&cpu, &bytes, prefix, address, fast);
                split += usize::from(was_split);
                let what = format!("{}, prefix {prefix}, {len} bytes, fast {fast}", address.describe());
                assert_eq!((on_gpu.index, &on_gpu.suffix), (on_cpu.index, &on_cpu.suffix), "{what}");
                let mut out = bytes.clone();
                out.extend(&on_gpu.suffix);
                let digest = common::python_digest(address, &out);
                let matches = prefix.chars().zip(digest.chars()).all(|(p, d)| p == '_' || p == d);
                assert!(matches, "{what}: {digest}");
            }
        }
    }
    assert!(split >= 4, "only {split} split layouts");
}

/// The (mid, inner) of `mids` whose compression by RustCrypto's crates has `prefix`'s digits
/// in the first state word it fixes.
fn crates_matches(
    layout: &Layout,
    segment: &ghostsum::layout::Segment,
    mids: std::ops::Range<u32>,
    prefix: &Prefix,
) -> Vec<(u32, u32)> {
    let word = prefix.first_fixed_word();
    let mut matches = Vec::new();
    for mid in mids {
        for inner in 0..layout.inner_count() {
            let state = layout.candidate_state(segment, mid, inner);
            if state[word] & prefix.word_masks[word] == prefix.word_values[word] {
                matches.push((mid, inner));
            }
        }
    }
    matches
}

/// The kernel itself, before the host's check: for every hash and address kind, contents
/// that put the inner words anywhere in the block, and a prefix whose first fixed digits lie
/// in each state word, it reports exactly the candidates whose compression by RustCrypto's
/// crates has those digits in that word.
#[test]
fn kernel_reports_exactly_the_candidates_the_crates_match_in_the_tested_word() {
    let Some(mut gpu) = gpu_device(GpuOptions::default()) else {
        return;
    };
    // Which loop structures the SHA layouts below made: one loop, or two with the loop's
    // word holding the lowest, the highest or middle inner digits.
    let mut structures = std::collections::BTreeSet::new();
    for hash in [HashKind::Md5, HashKind::Sha1, HashKind::Sha256] {
        for word in 0..hash.state_words() {
            let git_object = [None, Some(GitObject::Blob), Some(GitObject::Commit)][word % 3];
            let address = Address { hash, git_object: git_object.filter(|_| hash != HashKind::Md5) };
            // Two digits (about one candidate in 256), after `_` for every digit before the word.
            let prefix = Prefix::parse_for(&("_".repeat(8 * word) + "3c"), hash).unwrap();
            assert_eq!(prefix.first_fixed_word(), word);
            let mut matched = 0;
            for (len, alphabet) in [3usize + word, 29 + 3 * word, 50 + word, 14 + word].into_iter().zip([
                Alphabet::whitespace(),
                Alphabet::whitespace(),
                Alphabet::whitespace(),
                Alphabet::space_tab_lf(),
            ]) {
                let bytes: Vec<u8> = (0..len).map(|i| (i * 13 + word) as u8).collect();
                let mut content = Content::from_bytes(&bytes);
                content.set_address(address);
                content.fold_for_suffix(0).unwrap();
                // Planned as for a longer prefix: thousands of candidates a mid value.
                let layout = Layout::plan(&content, &alphabet, 24, 8).unwrap();
                let segment = layout.segment(content.midstate, &content.tail, 0);
                let mids = 0..(layout.mid_count().min(3) as u32);
                let expected = crates_matches(&layout, &segment, mids.clone(), &prefix);
                if hash != HashKind::Md5 {
                    let nest = shader::ShaderShape::of(&layout, word, 64).nest;
                    structures.insert(nest.map(|n| match n.low_count {
                        1 => "lowest",
                        low if low == n.outer_count => "highest",
                        _ => "middle",
                    }));
                }
                let got = gpu.kernel_matches(&layout, &prefix, &segment, mids).unwrap();
                assert_eq!(got, expected, "{}, word {word}, {len} bytes", address.describe());
                matched += expected.len();
            }
            assert!(matched > 10, "{hash}, word {word}: {matched} matches prove little");
        }
    }
    assert_eq!(structures.len(), 4, "every loop structure is tested: {structures:?}");
}

/// SHA's split layout (`--fast-layout`): each invocation compresses the block its mid digits
/// end, then every step of each candidate reads its word from the inner value's row; it
/// reports exactly the candidates whose two blocks, by RustCrypto's crates, have the prefix's
/// digits in the tested word, for the bytes and git's ids and a prefix in each state word.
#[test]
fn split_layouts_report_exactly_the_candidates_the_crates_match() {
    let Some(mut gpu) = gpu_device(GpuOptions::default()) else {
        return;
    };
    for hash in [HashKind::Sha1, HashKind::Sha256] {
        for word in 0..hash.state_words() {
            let prefix = Prefix::parse_for(&("_".repeat(8 * word) + "3c"), hash).unwrap();
            let (mut split, mut matched) = (0, 0);
            for len in (word * 11..).step_by(17).take(40) {
                let git_object = [None, Some(GitObject::Blob)][len % 2];
                let bytes: Vec<u8> = (0..len).map(|i| (i * 13 + word) as u8).collect();
                let mut content = Content::from_bytes(&bytes);
                content.set_address(Address { hash, git_object });
                let options = EngineOptions { min_segment_log2: 8, fast_layout: true, ..Default::default() };
                let alphabet = [Alphabet::whitespace(), Alphabet::space_tab_lf()][len % 2].clone();
                ghostsum::engine::fold_address(&mut content, &prefix, &alphabet, &options).unwrap();
                let layout = ghostsum::engine::plan(&content, &prefix, &alphabet, &options).unwrap();
                if !layout.is_split() {
                    continue;
                }
                let segment = layout.segment(content.midstate, &content.tail, 1);
                let mids = 0..(layout.mid_count().min(3) as u32);
                let expected = crates_matches(&layout, &segment, mids.clone(), &prefix);
                let got = gpu.kernel_matches(&layout, &prefix, &segment, mids).unwrap();
                assert_eq!(got, expected, "{hash}, word {word}, {len} bytes, {alphabet}");
                matched += expected.len();
                split += 1;
                if split == 2 {
                    break;
                }
            }
            assert_eq!(split, 2, "{hash}, word {word}: too few split layouts");
            assert!(matched > 4, "{hash}, word {word}: {matched} matches prove little");
        }
    }
}

#[test]
fn hits_across_dispatch_boundaries_and_hit_buffer_overflow() {
    let bytes = b"dispatch boundaries".to_vec();
    let cpu = cpu();
    // One workgroup per dispatch: a 5-digit hit lies many dispatches in.
    let Some(small) = gpu(GpuOptions { fixed_mids_per_dispatch: Some(64), ..Default::default() }) else {
        return;
    };
    let expected = run(&cpu, &bytes, "c0ffe", &Alphabet::whitespace());
    assert!(expected.index > 64 * 625, "the hit should lie past the first dispatch");
    let got = run(&small, &bytes, "c0ffe", &Alphabet::whitespace());
    assert_eq!(got.index, expected.index);
    // A 1-digit prefix hits about 1 in 16 candidates: thousands per dispatch, into a
    // buffer of 4; the lowest must still win.
    let Some(tiny) = gpu(GpuOptions { hit_capacity: 4, ..Default::default() }) else {
        return;
    };
    for prefix in ["0", "f", "7"] {
        let expected = run(&cpu, &bytes, prefix, &Alphabet::whitespace());
        assert_eq!(run(&tiny, &bytes, prefix, &Alphabet::whitespace()).index, expected.index, "{prefix}");
    }
}

#[test]
fn gpu_long_prefix_is_finished_on_the_host() {
    // 12 digits: the kernel matches A; the host must check B as well.
    let Some(gpu) = gpu(GpuOptions::default()) else {
        return;
    };
    let bytes = b"twelve digits on the gpu";
    let content = Content::from_bytes(bytes);
    let layout = whitespace_layout(&content, 48);
    let mut out = bytes.to_vec();
    out.extend(layout.suffix(700));
    let digest = hex(&Md5::digest(&out));
    assert_eq!(run(&gpu, bytes, &digest[..12], &Alphabet::whitespace()).index, 700);
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
    // Every member the shader reads sits at the Rust field's offset (the WGSL pads with
    // pad0..pad2 where Rust has one `pad` array).
    use ghostsum::gpu::buffers::Params;
    let rust_offsets = [
        ("midstate", std::mem::offset_of!(Params, midstate)),
        ("base_words", std::mem::offset_of!(Params, base_words)),
        ("mid_start", std::mem::offset_of!(Params, mid_start)),
        ("mid_end", std::mem::offset_of!(Params, mid_end)),
        ("match_mask", std::mem::offset_of!(Params, match_mask)),
        ("match_value", std::mem::offset_of!(Params, match_value)),
        ("row_width", std::mem::offset_of!(Params, row_width)),
        ("pad0", std::mem::offset_of!(Params, pad)),
        ("folded", std::mem::offset_of!(Params, folded)),
    ];
    let (_, params) = module.types.iter().find(|(_, t)| t.name.as_deref() == Some("Params")).unwrap();
    let naga::TypeInner::Struct { members, .. } = &params.inner else { panic!("Params is a struct") };
    for (name, offset) in rust_offsets {
        let member = members.iter().find(|m| m.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no {name}"));
        assert_eq!(member.offset as usize, offset, "Params.{name}");
    }
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
    let layout = whitespace_layout(&content, 32);
    let shape = shader::ShaderShape::of(&layout, 0, 64);
    let (per_candidate, full) = shader::ops_per_candidate(&shape).unwrap();
    eprintln!("{per_candidate} integer ops per candidate; a full MD5 compression: {full}");
    assert!(full > 64 * 7, "a full MD5 has at least 7 ops a step: {full}");
    assert!((per_candidate as f64) < 0.85 * full as f64, "{per_candidate} vs {full}");
}

/// SHA-1 and SHA-256: the loop runs only the steps from the first inner word and the
/// schedule words the inner digits reach, for each first inner word a file's length gives.
#[test]
fn sha_kernels_spend_less_than_a_full_compression_per_candidate() {
    for hash in [HashKind::Sha1, HashKind::Sha256] {
        for len in [0usize, 20, 40] {
            let mut content = Content::from_bytes(&vec![b'x'; len]);
            content.set_address(Address { hash, git_object: None });
            content.fold_for_suffix(0).unwrap();
            let layout = whitespace_layout(&content, 32);
            let shape = shader::ShaderShape::of(&layout, 0, 64);
            let (per_candidate, full) = shader::ops_per_candidate(&shape).unwrap();
            let first = layout.first_inner_word as f64;
            eprintln!("{hash}, first inner word {first}: {per_candidate} ops per candidate, full {full}");
            // At least the steps before the first inner word are saved, and a step costs
            // at least 5 operations.
            assert!(full > hash.steps() * 5, "{hash}: {full}");
            let bound = full as f64 * (1.0 - first / hash.steps() as f64);
            assert!((per_candidate as f64) < bound, "{hash}, first word {first}: {per_candidate} vs {full}");
        }
    }
}

/// `git -C DIR ARGS`, which must succeed; its output, trimmed.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().expect("git is installed");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// git's ids from the command line with the GPU searching: a blob in a SHA-256 repository
/// with the CPU beside the GPU (both report candidates; git finds the blob by the prefix)
/// and a commit given its id by `git-commit` on the GPU alone (git log shows it; fsck is
/// clean).
#[test]
fn git_ids_on_the_gpu_from_the_command_line() {
    if gpu_device(GpuOptions::default()).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "--object-format=sha256", "."]);
    std::fs::write(d.join("in.txt"), "found by its blob id\n").unwrap();
    let ran = common::ghostsum()
        .args(["search", "in.txt", "-o", "out.txt", "--git-object", "blob", "--object-format", "sha256"])
        .args(["-p", "5e_7", "-q", "--json", "-b", "cpu,gpu:0"])
        .current_dir(d)
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&ran.get_output().stdout).unwrap();
    let devices = report["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{report}");
    let id = git(d, &["hash-object", "-w", "out.txt"]);
    assert!(id.starts_with("5e") && &id[3..4] == "7", "{id}");
    assert_eq!(report["digest"], id);
    git(d, &["add", "out.txt"]);
    assert_eq!(git(d, &["cat-file", "-p", &id[..4]]), git(d, &["show", ":out.txt"]));

    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    git(r, &["init", "-q", "."]);
    git(r, &["-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-q", "--allow-empty", "-m", "gpu"]);
    // --shortest: the final-block kernel.
    common::ghostsum()
        .args(["git-commit", "-q", "--shortest", "-b", "gpu:0", "-p", "c0ffe", "-C"])
        .arg(r)
        .assert()
        .success();
    assert!(git(r, &["log", "-1", "--format=%H"]).starts_with("c0ffe"));
    git(r, &["fsck", "--strict"]);
    // Again with git-commit's default, the fast layout, whose commit suffix splits (the GPU's
    // split kernel).
    common::ghostsum().args(["git-commit", "-q", "-b", "gpu:0", "-p", "be_ef", "-C"]).arg(r).assert().success();
    let id = git(r, &["log", "-1", "--format=%H"]);
    assert!(id.starts_with("be") && &id[3..5] == "ef", "{id}");
    git(r, &["fsck", "--strict"]);
}

#[test]
fn devices_lists_adapters_and_auto_never_picks_a_software_one() {
    let out = assert_cmd::Command::cargo_bin("ghostsum").unwrap().arg("devices").assert().success();
    let listing = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    if std::env::var("CI").is_ok() {
        assert!(listing.contains("Vulkan"), "{listing}");
    }
    let software_only = !listing.lines().any(|l| l.ends_with("[GPU]"));
    let json = assert_cmd::Command::cargo_bin("ghostsum").unwrap().args(["devices", "--json"]).assert().success();
    let adapters: Vec<serde_json::Value> =
        String::from_utf8_lossy(&json.get_output().stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(adapters.len(), listing.lines().filter(|l| l.starts_with("gpu:")).count());
    for (i, a) in adapters.iter().enumerate() {
        assert_eq!((a["index"].as_u64(), a["backend"].as_str()), (Some(i as u64), Some(format!("gpu:{i}").as_str())));
        assert!(a["name"].is_string() && a["real_gpu"].is_boolean());
    }
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

/// A device that takes a range, then fails holding it: the engine must hand the range to the
/// others, so no candidate is skipped.
struct FailsHoldingARange;

impl Device for FailsHoldingARange {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Gpu, name: "a failing device".into(), threads: 1 }
    }

    fn run(&mut self, work: &SearchWork, me: DeviceId) -> Result<(), SearchError> {
        match work.take(me, 1 << 20) {
            Some(_) => Err(SearchError::Backend("injected failure with a range in hand".into())),
            None => Ok(()),
        }
    }
}

fn assert_same_as_cpu(set: &DeviceSet, cases: &[(&[u8], &str)]) -> Vec<Vec<SearchEvent>> {
    let cpu = cpu();
    cases
        .iter()
        .map(|&(bytes, prefix)| {
            let expected = run(&cpu, bytes, prefix, &Alphabet::whitespace());
            let (got, events, _) = run_events(set, bytes, prefix, &Alphabet::whitespace());
            assert_eq!((got.index, &got.suffix), (expected.index, &expected.suffix), "{prefix}");
            events
        })
        .collect()
}

#[test]
fn cpu_and_gpu_in_one_search_give_the_bytes_of_the_cpu_alone() {
    let Some(gpu) = gpu_device(GpuOptions::default()) else {
        return;
    };
    let both = DeviceSet::new(vec![Box::new(gpu), Box::new(CpuDevice::new(1, None))]);
    let cases: Vec<(&[u8], &str)> =
        vec![(b"shared work", "c0ffe"), (b"", "a"), (b"a longer page of text\n", "5eed"), (b"x", "abcdef")];
    assert_same_as_cpu(&both, &cases);
    // Both devices did part of a long search.
    let (_, _, control) = run_events(&both, b"both devices busy", "0123456", &Alphabet::whitespace());
    assert!(
        control.device_tested(0) > 0 && control.device_tested(1) > 0,
        "{} / {}",
        control.device_tested(0),
        control.device_tested(1)
    );
}

#[test]
fn two_wgpu_devices_and_the_cpu_give_the_same_bytes_again() {
    let (Some(first), Some(second)) = (gpu_device(GpuOptions::default()), gpu_device(GpuOptions::default())) else {
        return;
    };
    let three = DeviceSet::new(vec![Box::new(first), Box::new(second), Box::new(CpuDevice::new(1, None))]);
    assert_same_as_cpu(&three, &[(b"three devices", "c0ffe"), (b"three devices again", "beef1")]);
}

#[test]
fn a_device_that_fails_mid_search_is_dropped_and_the_others_finish() {
    // A real GPU device that fails after a few dispatches, as a lost device would. Its shader
    // is compiled first, so it surely takes part in this (7-digit, second-long) search.
    let Some(mut flaky) = gpu_device(GpuOptions {
        fail_after_dispatches: Some(3),
        fixed_mids_per_dispatch: Some(64),
        ..Default::default()
    }) else {
        return;
    };
    let bytes: &[u8] = b"a device fails";
    let layout = whitespace_layout(&Content::from_bytes(bytes), 28);
    flaky.prepare(&layout).unwrap();
    let set = DeviceSet::new(vec![Box::new(flaky), Box::new(CpuDevice::new(1, None))]);
    let events = assert_same_as_cpu(&set, &[(bytes, "c0ffee1")]);
    let dropped: Vec<&SearchEvent> =
        events[0].iter().filter(|e| matches!(e, SearchEvent::DeviceDropped { .. })).collect();
    assert_eq!(dropped.len(), 1, "{events:?}");
    assert_eq!(set.live().collect::<Vec<_>>(), vec![1], "the failed device stays out of later searches");
    assert_same_as_cpu(&set, &[(b"after the failure", "beef")]);
    // A device that fails holding the very first range: that range is searched by the CPU.
    let set = DeviceSet::new(vec![Box::new(FailsHoldingARange), Box::new(CpuDevice::new(1, None))]);
    assert_same_as_cpu(&set, &[(b"the lowest range was held", "a"), (b"another", "c0f")]);
    // Alone, it fails the search with a clear error.
    let alone = DeviceSet::new(vec![Box::new(FailsHoldingARange)]);
    let content = Content::from_bytes(b"nobody left");
    let control = Arc::new(Control::default());
    let err = search(
        &alone,
        &content,
        &Prefix::parse("ab").unwrap(),
        &Alphabet::whitespace(),
        &EngineOptions::default(),
        &control,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, EngineError::Search(_)) && err.to_string().contains("every device failed"), "{err}");
}

#[test]
fn pipelines_are_compiled_once_per_shape() {
    let Some(mut gpu) = gpu_device(GpuOptions::default()) else {
        return;
    };
    let plan = |len: usize| whitespace_layout(&Content::from_bytes(&vec![b'x'; len]), 24);
    // 64 bytes apart: the same place in the block, the same shape.
    gpu.prepare(&plan(100)).unwrap();
    gpu.prepare(&plan(164)).unwrap();
    assert_eq!(gpu.compiled_shapes(), 1);
    gpu.prepare(&plan(101)).unwrap();
    assert_eq!(gpu.compiled_shapes(), 2);
}

#[test]
fn the_command_line_takes_a_list_of_devices_and_reports_each() {
    if gpu_device(GpuOptions::default()).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "every device at once\n").unwrap();
    let mut outputs = Vec::new();
    for backend in ["cpu", "cpu,gpu:0", "gpu:0", "gpu:0,gpu:0,cpu"] {
        let out = dir.path().join(format!("out-{backend}"));
        let assert = assert_cmd::Command::cargo_bin("ghostsum")
            .unwrap()
            .args([
                "search",
                input.to_str().unwrap(),
                "-p",
                "c0ffe",
                "-q",
                "--json",
                "-b",
                backend,
                "-o",
                out.to_str().unwrap(),
            ])
            .assert()
            .success();
        let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
        let devices = report["devices"].as_array().unwrap();
        let expected = if backend == "gpu:0,gpu:0,cpu" { 2 } else { backend.split(',').count() };
        assert_eq!(devices.len(), expected, "{backend}: {report}");
        let sum: u64 = devices.iter().map(|d| d["candidates_tested"].as_u64().unwrap()).sum();
        assert_eq!(sum, report["candidates_tested"].as_u64().unwrap());
        assert!(devices.iter().all(|d| d["backend"].is_string() && d["device"].is_string()));
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "different bytes from different devices");
    // `-b gpu` takes a real GPU: where there is one it searches, where there is only a
    // software adapter it refuses and points at gpu:N. Either way the output stays in the
    // test's folder.
    let real_gpu = String::from_utf8(
        assert_cmd::Command::cargo_bin("ghostsum").unwrap().args(["devices", "--json"]).output().unwrap().stdout,
    )
    .unwrap()
    .lines()
    .any(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["real_gpu"] == true);
    let out = dir.path().join("out-gpu");
    let run = assert_cmd::Command::cargo_bin("ghostsum")
        .unwrap()
        .args(["search", input.to_str().unwrap(), "-p", "c0ffe", "-b", "gpu", "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr).to_string();
    if real_gpu {
        assert!(run.status.success() && err.contains("searching on"), "{err}");
        assert_eq!(std::fs::read(&out).unwrap(), outputs[0]);
    } else {
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(err.contains("gpu:N") || err.contains("real GPU"), "{err}");
        assert!(!out.exists());
    }
}

/// Many short GPU searches with the CPU kept busy beside them, where lavapipe's exit handlers
/// once raced a device thread still tearing down its Vulkan instance: SIGSEGV (exit 139)
/// after a correct result, 6 of 200 runs. Every run must now exit 0 with a right result.
#[test]
fn short_gpu_searches_exit_cleanly_while_the_cpu_is_busy() {
    if gpu_device(GpuOptions::default()).is_none() {
        return;
    }
    /// Ends the busy process however the test ends.
    struct Busy(std::process::Child);
    impl Drop for Busy {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let bin = assert_cmd::cargo::cargo_bin("ghostsum");
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("empty"), dir.path().join("out"));
    std::fs::write(&input, "").unwrap();
    let _busy = Busy(
        std::process::Command::new(&bin)
            .args(["bench", "-b", "cpu", "-j", "2", "-s", "600"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    for i in 0..120usize {
        let prefix = format!("{:02x}", (i * 37 + 11) % 256);
        let backend = ["gpu:0", "cpu,gpu:0"][i % 2];
        let workgroup = [32, 64, 128][i % 3].to_string();
        let run = std::process::Command::new(&bin)
            .args(["search", input.to_str().unwrap(), "-p", &prefix, "-b", backend, "-q", "-o"])
            .arg(&out)
            .env("GHOSTSUM_GPU_WORKGROUP_SIZE", &workgroup)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "run {i} (-p {prefix} -b {backend}, workgroup {workgroup}): {:?} {}",
            run.status,
            String::from_utf8_lossy(&run.stderr)
        );
        let digest = hex(&Md5::digest(std::fs::read(&out).unwrap()));
        assert!(digest.starts_with(&prefix), "run {i}: {digest}");
    }
}

/// A batch keeps a slow device (lavapipe, a software GPU) out of pages too short for it and
/// gives it the long ones (issue 19): 12 pages of 4 digits, then one of 7 whose hit lies
/// 685.7 million candidates in. Every page's report names its devices, and every output's
/// MD5 (md5sum) starts with its prefix.
#[test]
fn batch_gives_a_slow_gpu_only_pages_long_enough_for_it() {
    if gpu_device(GpuOptions::default()).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::from("url = \"https://pace.example/{prefix}\"\ndigits = 4\nseed = 11\n");
    for n in 0..12 {
        std::fs::write(dir.path().join(format!("s{n}.txt")), format!("short page {n}\n")).unwrap();
        manifest += &format!("[[page]]\nname = \"s{n}\"\nfile = \"s{n}.txt\"\n");
    }
    std::fs::write(dir.path().join("long.txt"), "the long page links to {{url:s0}}\n").unwrap();
    manifest += "[[page]]\nname = \"long\"\nfile = \"long.txt\"\nprefix = \"1234567\"\n";
    std::fs::write(dir.path().join("site.toml"), manifest).unwrap();
    let run = assert_cmd::Command::cargo_bin("ghostsum")
        .unwrap()
        .args(["batch", "site.toml", "--out-dir", "out", "-b", "cpu,gpu:0", "-q", "--json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    for page in report["pages"].as_array().unwrap() {
        let devices: Vec<&str> = page["devices"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
        let with_gpu = devices.iter().any(|d| d.contains("llvmpipe"));
        assert!(devices.iter().any(|d| d.starts_with("cpu")), "{page}");
        // 65,536 candidates on average: a millisecond or two on one core, under the 16
        // turnarounds of any lavapipe dispatch; the long page is seconds.
        assert_eq!(with_gpu, page["name"] == "long", "{page}");
        let output = dir.path().join("out").join(page["file"].as_str().unwrap());
        let md5sum = std::process::Command::new("md5sum").arg(&output).output().unwrap();
        assert!(String::from_utf8_lossy(&md5sum.stdout).starts_with(page["prefix"].as_str().unwrap()), "{page}");
    }
}

/// `batch -b cpu,gpu:N` opens the GPU on its own thread while the CPU starts (issue 19). When
/// a page is long enough that it could go to the GPU, a GPU that does not exist fails the
/// batch with the one-line error `search` gives, exit 2, leaving only whole, verified pages
/// and no temporary file. When every page is too short for any GPU, the GPU is not looked
/// for: the batch succeeds on the CPU and its report says so.
#[test]
fn batch_beside_a_gpu_that_does_not_exist_fails_when_a_page_may_need_it() {
    let dir = tempfile::tempdir().unwrap();
    let short = common::ring_manifest(dir.path(), "n", 30, "none.example", 3, 2);
    std::fs::write(dir.path().join("short.toml"), &short).unwrap();
    std::fs::write(dir.path().join("long.txt"), "a page of five digits\n").unwrap();
    let long = short + "[[page]]\nname = \"long\"\nfile = \"long.txt\"\nprefix = \"c0ffe\"\n";
    std::fs::write(dir.path().join("long.toml"), long).unwrap();
    let batch = |manifest: &str, out: &str| {
        assert_cmd::Command::cargo_bin("ghostsum")
            .unwrap()
            .args(["batch", manifest, "--out-dir", out, "-b", "cpu,gpu:63", "-q"])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };

    let run = batch("long.toml", "out");
    let said = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{said}");
    assert!(said.contains("--backend gpu:63: there is no adapter 63"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(!dir.path().join("out/ghostsum-report.json").exists());
    for entry in std::fs::read_dir(dir.path().join("out")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(!name.starts_with(".ghostsum-"), "{name}");
        let md5sum = std::process::Command::new("md5sum").arg(&path).output().unwrap();
        // The page's own text, up to its link (resolved in the output).
        let page = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        let text = page.split("{{").next().unwrap().trim_end_matches('\n');
        assert!(std::fs::read_to_string(&path).unwrap().starts_with(text), "{name}");
        assert_eq!(md5sum.status.code(), Some(0));
    }

    let run = batch("short.toml", "short-out");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("short-out/ghostsum-report.json")).unwrap())
            .unwrap();
    let backend = report["backend"].as_str().unwrap();
    assert!(backend.starts_with("gpu:63 (not looked for: every page is too short for it) + cpu ("), "{backend}");
    for page in report["pages"].as_array().unwrap() {
        assert!(page["devices"].as_array().unwrap().iter().all(|d| d.as_str().unwrap().starts_with("cpu")), "{page}");
    }
}

/// `devices --check LIST` finds what search would open, without opening it: what a job
/// script asks before it starts (issue 19; a batch asks it of a helper process).
#[test]
fn devices_check_says_whether_a_backend_list_is_here() {
    if gpu_device(GpuOptions::default()).is_none() {
        return;
    }
    let check = |list: &str| {
        assert_cmd::Command::cargo_bin("ghostsum").unwrap().args(["devices", "--check", list]).output().unwrap()
    };
    let here = check("cpu,gpu:0");
    let said = String::from_utf8_lossy(&here.stdout);
    assert_eq!(here.status.code(), Some(0), "{}", String::from_utf8_lossy(&here.stderr));
    assert!(said.starts_with("found: gpu:0 ") && said.trim_end().ends_with(", cpu"), "{said}");
    let missing = check("gpu:63");
    let said = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "{said}");
    assert!(said.starts_with("ghostsum: error: --backend gpu:63: there is no adapter 63"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(missing.stdout.is_empty());
}

/// A GPU beside the CPU is checked by a helper process when a page could be long enough for
/// it (5 digits and up), and the batch process itself loads no Vulkan driver for pages too
/// short for the GPU; when no page could be (4 digits and fewer), no process loads one. The
/// dynamic linker's own log, one file a process, says which process loaded what.
#[test]
fn a_gpu_beside_short_pages_is_checked_by_a_helper_only_when_a_page_may_need_it() {
    if gpu_device(GpuOptions::default()).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (digits, expect_helper) in [(5, true), (3, false)] {
        let site = format!("site{digits}.toml");
        std::fs::write(dir.path().join(&site), common::ring_manifest(dir.path(), "p", 6, "short.example", digits, 5))
            .unwrap();
        let logs = dir.path().join(format!("ld{digits}"));
        std::fs::create_dir(&logs).unwrap();
        let out = format!("out{digits}");
        let batch = std::process::Command::new(assert_cmd::cargo::cargo_bin("ghostsum"))
            .args(["batch", &site, "--out-dir", &out, "-b", "cpu,gpu:0", "-q", "--json"])
            .current_dir(dir.path())
            .env("LD_DEBUG", "files")
            .env("LD_DEBUG_OUTPUT", logs.join("log"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = batch.id();
        let finished = batch.wait_with_output().unwrap();
        assert!(finished.status.success());
        let report: serde_json::Value = serde_json::from_slice(&finished.stdout).unwrap();
        for page in report["pages"].as_array().unwrap() {
            let devices = page["devices"].as_array().unwrap();
            assert!(devices.iter().all(|d| d.as_str().unwrap().starts_with("cpu")), "{digits} digits: {page}");
        }
        let loaded_vulkan = |log: &std::path::Path| std::fs::read_to_string(log).unwrap().contains("file=libvulkan.so");
        let own_log = logs.join(format!("log.{pid}"));
        assert!(own_log.exists(), "the dynamic linker wrote no log for the batch");
        assert!(!loaded_vulkan(&own_log), "the batch process loaded a Vulkan driver for pages too short for the GPU");
        let others: Vec<_> =
            std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).filter(|p| *p != own_log).collect();
        if expect_helper {
            assert_eq!(others.len(), 1, "one helper process: {others:?}");
            assert!(loaded_vulkan(&others[0]), "the helper checked gpu:0 through Vulkan");
            // Named as the helper found it, not as the user did.
            assert!(!report["backend"].as_str().unwrap().starts_with("gpu:0"), "{}", report["backend"]);
        } else {
            assert!(others.is_empty(), "{digits}-digit pages cannot go to a GPU, but a helper ran: {others:?}");
            assert!(report["backend"].as_str().unwrap().contains("gpu:0 (not looked for"), "{}", report["backend"]);
        }
        for n in 0..6 {
            assert!(dir.path().join(format!("{out}/p{n}.txt")).exists());
        }
    }
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            // Fields after the command's closing parenthesis: state, then the parent's pid.
            stat.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').nth(1)?.parse::<u32>().ok()) == Some(pid)
        })
        .collect()
}

/// A stop signal sent to the whole process group (Ctrl-C, a scheduler's kill) ends the GPU's
/// helper too; the batch must still stop as stopped (143, finished pages kept), not fail on
/// the helper's death as if the GPU were missing (exit 2).
#[test]
fn a_stop_signal_that_also_ends_the_gpu_check_stops_the_batch_as_stopped() {
    use std::os::unix::process::CommandExt;
    if gpu_device(GpuOptions::default()).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.toml"), common::ring_manifest(dir.path(), "p", 40, "stop.example", 5, 3))
        .unwrap();
    for round in 0..12 {
        let _ = std::fs::remove_dir_all(dir.path().join("out"));
        let batch = std::process::Command::new(assert_cmd::cargo::cargo_bin("ghostsum"))
            .args(["batch", "site.toml", "--out-dir", "out", "-b", "cpu,gpu:0", "-j", "1", "-q"])
            .current_dir(dir.path())
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = batch.id();
        let helper_runs = common::wait_until(std::time::Duration::from_secs(10), || !children_of(pid).is_empty());
        assert!(helper_runs, "round {round}: no helper appeared");
        // SAFETY: kill(2) on the process group this test just made.
        unsafe { libc::kill(-(pid as i32), libc::SIGTERM) };
        let ended = batch.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&ended.stderr);
        assert_eq!(ended.status.code(), Some(143), "round {round}: {said}");
        assert!(said.contains("SIGTERM: stopped; finished pages are kept"), "round {round}: {said}");
    }
}

/// The CPU beside a GPU leaves it a core only while the GPU takes part (issue 19): reports
/// give the threads that ran. Search with the GPU in it: every core less one; bench's CPU
/// alone: every core, and beside the GPU together: every core less one.
#[test]
fn reports_give_the_cpu_threads_that_ran_beside_a_gpu() {
    if gpu_device(GpuOptions::default()).is_none() {
        return;
    }
    let cores = std::thread::available_parallelism().unwrap().get();
    // A 6-digit search gives up to 64 threads a chunk each.
    let beside = cores.saturating_sub(1).clamp(1, 64);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.txt"), "hello\n").unwrap();
    let ghostsum = |args: &[&str]| {
        let run =
            assert_cmd::Command::cargo_bin("ghostsum").unwrap().args(args).current_dir(dir.path()).output().unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        String::from_utf8(run.stdout).unwrap()
    };
    let search: serde_json::Value = serde_json::from_str(&ghostsum(&[
        "search",
        "h.txt",
        "-p",
        "abcdef",
        "-b",
        "cpu,gpu:0",
        "--json",
        "-o",
        "out.txt",
    ]))
    .unwrap();
    assert_eq!(search["threads"], beside, "{search}");
    let cpu = search["devices"].as_array().unwrap().iter().find(|d| d["backend"] == "cpu").unwrap().clone();
    assert_eq!(cpu["threads"], beside, "{search}");
    let runs: Vec<serde_json::Value> = ghostsum(&["bench", "-b", "cpu,gpu:0", "-s", "0.1", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cpu_threads = |run: &str| {
        let run = runs
            .iter()
            .find(|r| r["run"] == run && r["devices"].as_array().unwrap().iter().any(|d| d["backend"] == "cpu"));
        let run = run.unwrap_or_else(|| panic!("no {run:?} run with the CPU: {runs:?}"));
        run["devices"].as_array().unwrap().iter().find(|d| d["backend"] == "cpu").unwrap()["threads"].clone()
    };
    assert_eq!(cpu_threads("alone"), cores);
    assert_eq!(cpu_threads("together"), beside);
}
