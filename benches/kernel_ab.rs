//! Every CPU kernel this machine can run, one thread each, measured in alternating short
//! bursts so that the machine's noise (a busy neighbour, a clock change) falls on all of them
//! alike, each round starting with the next kernel: the medians' ratios are the figures to read. `cargo bench --bench kernel_ab`
//! (criterion's benches/kernels.rs measures one kernel after another instead).
//!
//! Arguments: `[rounds] [seconds-per-burst]`, 15 and 0.2 by default.

use ghostsum::alphabet::Alphabet;
use ghostsum::cpu::kernel::{available_kernels, InnerColumns, KernelInput};
use ghostsum::device::work::Job;
use ghostsum::input::Content;
use ghostsum::layout::{Layout, DEFAULT_MIN_SEGMENT_LOG2};
use ghostsum::target::Prefix;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let rounds: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(15);
    let burst: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0.2);
    let prefix = Prefix::parse("0123456789abcdef0123456789abcdef").unwrap();
    // 1000 bytes: 59 steps a candidate (the shortest suffix); 1059 bytes: 50 (the fast layout).
    for content_len in [1000, 1059] {
        let content = Content::from_bytes(&vec![b'x'; content_len]);
        let layout = Layout::plan(&content, &Alphabet::whitespace(), 32, DEFAULT_MIN_SEGMENT_LOG2).unwrap();
        let segment = layout.segment(content.midstate, &content.tail, 0);
        let columns = InnerColumns::new(&layout);
        let job = Job {
            layout: &layout,
            segment: &segment,
            prefix: &prefix,
            accept: &ghostsum::device::work::Acceptance::any(),
        };
        let input = KernelInput::new(&job, &columns);
        let kernels = available_kernels(&layout);
        let mut rates: Vec<Vec<f64>> = vec![Vec::new(); kernels.len()];
        for round in 0..rounds {
            // Each round starts with the next kernel: none always follows the same one (after
            // AVX-512 code a core may run slower for a while).
            for k in (0..kernels.len()).map(|j| (j + round) % kernels.len()) {
                let kernel = kernels[k].1;
                let started = Instant::now();
                let mut tested = 0u64;
                let mut mid = 0u32;
                while started.elapsed().as_secs_f64() < burst {
                    tested += kernel(&input, black_box(mid..mid + 16), &mut |_, _| false);
                    mid = (mid + 16) % 1_000_000;
                }
                rates[k].push(tested as f64 / started.elapsed().as_secs_f64());
            }
        }
        println!(
            "{} steps a candidate, {rounds} alternating bursts of {burst} s each, one thread:",
            layout.steps_per_candidate()
        );
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            v[v.len() / 2]
        };
        let medians: Vec<f64> = rates.iter_mut().map(median).collect();
        for (k, (name, _)) in kernels.iter().enumerate() {
            let (lo, hi) = (rates[k][0], rates[k][rates[k].len() - 1]);
            println!(
                "  {name:14} median {:7.1} M/s  (min {:7.1}, max {:7.1})  {:.3}x of {}",
                medians[k] / 1e6,
                lo / 1e6,
                hi / 1e6,
                medians[k] / medians[0],
                kernels[0].0
            );
        }
    }
}
