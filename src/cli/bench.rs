//! `ghostsum bench`: each backend's real search loop, measured side by side.

use super::{BackendChoice, BenchArgs, BenchChoice, EngineArgs};
use crate::backend::{Control, SearchError};
use crate::engine::{measure_rate, RateProbe};
use crate::progress::human_count;
use crate::stdio::print_line;

pub fn run(args: BenchArgs) -> anyhow::Result<i32> {
    if args.backend == BenchChoice::Cpu && args.adapter.is_some() {
        anyhow::bail!("--adapter picks a GPU and has no effect with --backend cpu; drop one of them");
    }
    if args.backend == BenchChoice::Gpu && args.threads.is_some() {
        anyhow::bail!("--threads sets CPU workers and has no effect with --backend gpu; drop one of them");
    }
    let measure_for = args.seconds.0;
    let choices: Vec<BackendChoice> = match args.backend {
        BenchChoice::Cpu => vec![BackendChoice::Cpu],
        BenchChoice::Gpu => vec![BackendChoice::Gpu],
        BenchChoice::All => vec![BackendChoice::Cpu, BackendChoice::Gpu],
    };
    let probe = RateProbe { content_len: args.content_bytes, bits: 32, fast_layout: args.fast_layout };
    let layout = probe.layout();
    if !args.json {
        print_line(format!(
            "layout: {} bytes of content + {} whitespace symbols; {} MD5 steps per candidate (a full MD5 is 64)",
            args.content_bytes,
            layout.suffix_len,
            layout.steps_per_candidate()
        ))?;
    }
    let mut rows = Vec::new();
    for choice in choices {
        let engine = EngineArgs {
            backend: choice,
            threads: args.threads.filter(|_| choice == BackendChoice::Cpu),
            adapter: args.adapter.clone().filter(|_| choice == BackendChoice::Gpu),
            fast_layout: args.fast_layout,
        };
        let mut backend = match super::make_backend(&engine) {
            Ok((b, _)) => b,
            // `all` measures what this machine has; naming one backend demands it.
            Err(e) if args.backend == BenchChoice::All => {
                crate::stdio::say(format!("ghostsum: skipping the GPU: {e:#}"));
                continue;
            }
            Err(e) => return Err(e),
        };
        let control = Control::default();
        // Warm-up: thread start, caches, clocks, shader compilation.
        measure_rate(backend.as_mut(), probe, (measure_for / 5.0).min(1.0), &control)
            .map_err(SearchError::into_error)?;
        let (candidates, seconds) =
            measure_rate(backend.as_mut(), probe, measure_for, &control).map_err(SearchError::into_error)?;
        rows.push((backend.kind(), backend.device(), backend.threads(), candidates, seconds));
    }
    if !args.json && rows.iter().any(|r| r.0 == "gpu") {
        let shape = crate::gpu::shader::ShaderShape::of(&layout, 64);
        if let Ok((per_candidate, full)) = crate::gpu::shader::ops_per_candidate(&shape) {
            print_line(format!(
                "gpu kernel: {per_candidate} integer ops per candidate in naga's IR (a full MD5 compression: {full})"
            ))?;
        }
    }
    let fastest = rows.iter().map(|r| r.3 as f64 / r.4).fold(0.0, f64::max);
    for (kind, device, threads, candidates, seconds) in &rows {
        let rate = *candidates as f64 / seconds;
        if args.json {
            print_line(serde_json::json!({
                "backend": kind, "device": device, "threads": threads, "candidates": candidates,
                "seconds": seconds, "candidates_per_second": rate,
                "content_bytes": args.content_bytes, "steps_per_candidate": layout.steps_per_candidate(),
            }))?;
        } else {
            print_line(format!(
                "{kind:4} {:>10}/s  {:>6.3}x of fastest  {device}  ({} candidates in {seconds:.2} s)",
                human_count(rate),
                rate / fastest,
                human_count(*candidates as f64)
            ))?;
        }
    }
    Ok(0)
}
