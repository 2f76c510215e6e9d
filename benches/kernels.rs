//! Criterion benchmarks of the hot paths, so a change's effect is measured, not guessed:
//! each CPU kernel on one thread, a naive loop over the md-5 crate (the baseline every
//! trick is measured against), and one GPU dispatch range on whatever adapter wgpu finds.
//!
//! `cargo bench --bench kernels`; throughput is in candidates (elements) per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ghostsum::alphabet::Alphabet;
use ghostsum::cpu::kernel::{available_kernels, InnerColumns, KernelInput};
use ghostsum::device::work::{Job, SearchWork};
use ghostsum::device::{Control, Device};
use ghostsum::input::Content;
use ghostsum::layout::{Layout, DEFAULT_MIN_SEGMENT_LOG2};
use ghostsum::target::Prefix;
use std::hint::black_box;

/// 1059 bytes put the data end at byte 52 for an 8-digit target: the common fast layout.
fn setup(content_len: usize) -> (Content, Layout) {
    let content = Content::from_bytes(&vec![b'x'; content_len]);
    let layout = Layout::plan(&content, &Alphabet::whitespace(), 32, DEFAULT_MIN_SEGMENT_LOG2).unwrap();
    (content, layout)
}

fn cpu_kernels(c: &mut Criterion) {
    let prefix = Prefix::parse("0123456789abcdef0123456789abcdef").unwrap();
    for content_len in [1000, 1059] {
        let (content, layout) = setup(content_len);
        let segment = layout.segment(content.midstate, &content.tail, 0);
        let columns = InnerColumns::new(&layout);
        let job = Job {
            layout: &layout,
            segment: &segment,
            prefix: &prefix,
            accept: &ghostsum::device::work::Acceptance::any(),
        };
        let input = KernelInput::new(&job, &columns);
        let mids = 64u32;
        let mut group = c.benchmark_group(format!("cpu_kernel/{}_steps", layout.steps_per_candidate()));
        group.throughput(Throughput::Elements(mids as u64 * layout.inner_count() as u64));
        for (name, kernel) in available_kernels(&layout) {
            group.bench_function(name.name(), |b| b.iter(|| kernel(&input, black_box(0..mids), &mut |_, _| false)));
        }
        group.finish();
    }
}

fn naive_md5_crate(c: &mut Criterion) {
    // The obvious loop: clone the hasher of the content, add a suffix, finalise, compare.
    let (content, layout) = setup(1059);
    let candidates = 4096u64;
    let mut group = c.benchmark_group("naive_md5_crate");
    group.throughput(Throughput::Elements(candidates));
    group.bench_function("clone_update_finalize", |b| {
        b.iter(|| {
            let mut hits = 0;
            for index in 0..candidates {
                let mut h = content.hasher.clone();
                h.update(&layout.suffix(index as u128));
                hits += (h.finalize()[0] == 0xc0) as u32;
            }
            black_box(hits)
        })
    });
    group.finish();
}

fn gpu_dispatch(c: &mut Criterion) {
    let options = ghostsum::gpu::GpuOptions { fixed_mids_per_dispatch: Some(4096), ..Default::default() };
    let opened = ghostsum::gpu::adapter::adapters().first().map(|a| ghostsum::gpu::GpuDevice::open(a, options));
    let Some(Ok(mut gpu)) = opened else {
        eprintln!("no GPU adapter: gpu_dispatch skipped");
        return;
    };
    let (content, layout) = setup(1059);
    let prefix = Prefix::parse("0123456789abcdef0123456789abcdef").unwrap();
    // Two dispatches of 4096 mid values, through the device's own search loop.
    let candidates = 2 * 4096 * layout.inner_count() as u128;
    let name = gpu.info().name;
    let mut group = c.benchmark_group("gpu_dispatch");
    group.sample_size(10);
    group.throughput(Throughput::Elements(candidates as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            let control = std::sync::Arc::new(Control::for_devices(1));
            let infos = vec![gpu.info()];
            let work = SearchWork::new(layout.clone(), prefix.clone(), &content, 0..candidates, control, infos, &[0]);
            gpu.run(&work, 0).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, cpu_kernels, naive_md5_crate, gpu_dispatch);
criterion_main!(benches);
