//! `ghostsum bench`: each backend's real search loop, measured side by side.

use super::{BackendChoice, BenchArgs, BenchChoice, EngineArgs};
use crate::backend::Control;
use crate::engine::{measure_rate, RateProbe};
use crate::progress::human_count;

pub fn run(args: BenchArgs) -> anyhow::Result<i32> {
    if !(args.seconds > 0.0 && args.seconds.is_finite()) {
        anyhow::bail!("--seconds must be a positive number");
    }
    let choices: Vec<BackendChoice> = match args.backend {
        BenchChoice::Cpu => vec![BackendChoice::Cpu],
        BenchChoice::Gpu => vec![BackendChoice::Gpu],
        BenchChoice::All => vec![BackendChoice::Cpu, BackendChoice::Gpu],
    };
    let probe = RateProbe { content_len: args.content_bytes, bits: 32, fast_layout: args.fast_layout };
    let layout = probe.layout();
    if !args.json {
        println!(
            "layout: {} bytes of content + {} whitespace symbols; {} MD5 steps per candidate (a full MD5 is 64)",
            args.content_bytes,
            layout.suffix_len,
            layout.steps_per_candidate()
        );
    }
    let mut rows = Vec::new();
    for choice in choices {
        let engine = EngineArgs {
            backend: choice,
            threads: args.threads,
            adapter: args.adapter.clone(),
            fast_layout: args.fast_layout,
        };
        let mut backend = match super::make_backend(&engine) {
            Ok((b, _)) => b,
            // `all` measures what this machine has; naming one backend demands it.
            Err(e) if args.backend == BenchChoice::All => {
                eprintln!("ghostsum: skipping the GPU: {e:#}");
                continue;
            }
            Err(e) => return Err(e),
        };
        let control = Control::default();
        // Warm-up: thread start, caches, clocks, shader compilation.
        measure_rate(backend.as_mut(), probe, (args.seconds / 5.0).min(1.0), &control)?;
        let (candidates, seconds) = measure_rate(backend.as_mut(), probe, args.seconds, &control)?;
        rows.push((backend.kind(), backend.device(), backend.threads(), candidates, seconds));
    }
    if !args.json && rows.iter().any(|r| r.0 == "gpu") {
        let shape = crate::gpu::shader::ShaderShape::of(&layout, 64);
        if let Ok((per_candidate, full)) = crate::gpu::shader::ops_per_candidate(&shape) {
            println!(
                "gpu kernel: {per_candidate} integer ops per candidate in naga's IR (a full MD5 compression: {full})"
            );
        }
    }
    let fastest = rows.iter().map(|r| r.3 as f64 / r.4).fold(0.0, f64::max);
    for (kind, device, threads, candidates, seconds) in &rows {
        let rate = *candidates as f64 / seconds;
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "backend": kind, "device": device, "threads": threads, "candidates": candidates,
                    "seconds": seconds, "candidates_per_second": rate,
                    "content_bytes": args.content_bytes, "steps_per_candidate": layout.steps_per_candidate(),
                })
            );
        } else {
            println!(
                "{kind:4} {:>10}/s  {:>6.3}x of fastest  {device}  ({} candidates in {seconds:.2} s)",
                human_count(rate),
                rate / fastest,
                human_count(*candidates as f64)
            );
        }
    }
    Ok(0)
}
