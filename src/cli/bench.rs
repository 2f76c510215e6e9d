//! `ghostsum bench`: each device's real search loop alone, then all of them together in one
//! search, side by side.

use super::BenchArgs;
use crate::device::{DeviceKind, SearchError};
use crate::exit::Exit;
use crate::measure::{measure, Measured, RateProbe};
use crate::progress::human_count;
use crate::stdio::print_line;

/// One measured run: alone (one device) or together (every device in one search).
struct Run {
    together: bool,
    devices: Vec<Measured>,
    seconds: f64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.devices.iter().map(|d| d.candidates).sum::<u64>() as f64 / self.seconds
    }
}

pub(super) fn run(args: BenchArgs) -> anyhow::Result<Exit> {
    args.engine.check()?;
    let tuning = crate::tuning::Tuning::from_env()?;
    let address = crate::address::Address { hash: args.hash, git_object: None };
    let (devices, note) = args.engine.for_address(&address).open_devices()?;
    if let Some(note) = note {
        crate::stdio::say(format!("ghostsum: {note}"));
    }
    let probe = RateProbe {
        content_len: args.content_bytes,
        alphabet: args.alphabet.clone(),
        bits: 32,
        fast_layout: args.engine.fast_layout,
        hash: args.hash,
    };
    let layout = probe.layout();
    if !args.json {
        let words = format!("{}-{}", layout.first_inner_word, layout.first_inner_word + layout.inner_word_count - 1);
        let placed = match layout.is_split() {
            true => format!(
                "split: the mid digits end the block before the last, the inner digits alone fill \
                 its words {words} (its schedule computed once per search)"
            ),
            false => format!("the inner digits fill message words {words} of the last block"),
        };
        print_line(format!(
            "layout: {} bytes of content + {} {} symbols; {} {} steps per candidate (a full {} is {}); {placed}",
            args.content_bytes,
            layout.suffix_len,
            args.alphabet,
            layout.steps_per_candidate(),
            args.hash.title(),
            args.hash.title(),
            layout.hash.steps(),
        ))?;
    }
    let ids: Vec<usize> = devices.live().collect();
    let seconds = args.seconds.0;
    // Warm-up: threads, caches, clocks, shader compilation, a GPU's dispatch size.
    measure(&devices, &ids, &probe, (seconds / 5.0).clamp(0.1, 1.0)).map_err(SearchError::into_error)?;
    let mut runs = Vec::new();
    for &id in &ids {
        let (measured, took) = measure(&devices, &[id], &probe, seconds).map_err(SearchError::into_error)?;
        runs.push(Run { together: false, devices: measured, seconds: took });
    }
    if ids.len() > 1 {
        let (measured, took) = measure(&devices, &ids, &probe, seconds).map_err(SearchError::into_error)?;
        runs.push(Run { together: true, devices: measured, seconds: took });
    }
    let infos = devices.infos();
    if !args.json && ids.iter().any(|&id| infos[id].kind == DeviceKind::Gpu) {
        let shape = crate::gpu::shader::ShaderShape::of(&layout, 0, tuning.gpu_workgroup_size);
        if let Ok((per_candidate, full)) = crate::gpu::shader::ops_per_candidate(&shape) {
            print_line(format!(
                "gpu kernel: {} steps and {per_candidate} integer ops per candidate in naga's IR (a full {} compression: {full})",
                shape.steps_per_candidate(),
                layout.hash.title()
            ))?;
        }
    }
    let fastest = runs.iter().filter(|r| !r.together).map(Run::rate).fold(0.0, f64::max);
    for run in &runs {
        if args.json {
            print_json(run, &args, layout.steps_per_candidate())?;
            continue;
        }
        let rate = run.rate();
        if !run.together {
            let d = &run.devices[0];
            print_line(format!(
                "{:4} {:>10}/s  {:>6.3}x of fastest  {}  ({} candidates in {:.2} s)",
                d.info.kind.name(),
                human_count(rate),
                rate / fastest,
                d.info.name,
                human_count(d.candidates as f64),
                run.seconds
            ))?;
            continue;
        }
        let alone: f64 = runs.iter().filter(|r| !r.together).map(Run::rate).sum();
        print_line(format!(
            "all  {:>10}/s  {:>6.3}x of fastest  every device in one search ({:.3}x the sum of their rates alone)",
            human_count(rate),
            rate / fastest,
            rate / alone
        ))?;
        for d in &run.devices {
            print_line(format!(
                "       {:>10}/s  of it on {}",
                human_count(d.candidates as f64 / run.seconds),
                d.info.name
            ))?;
        }
    }
    Ok(Exit::Done)
}

/// One JSON object per run: the first fields describe the first device (a single-device run
/// reads as before), `devices` lists each one.
fn print_json(run: &Run, args: &BenchArgs, steps: usize) -> anyhow::Result<()> {
    let first = &run.devices[0];
    let devices: Vec<serde_json::Value> = run
        .devices
        .iter()
        .map(|d| {
            serde_json::json!({
                "backend": d.info.kind.name(), "device": d.info.name, "threads": d.threads,
                "candidates": d.candidates, "candidates_per_second": d.candidates as f64 / run.seconds,
            })
        })
        .collect();
    let total: u64 = run.devices.iter().map(|d| d.candidates).sum();
    print_line(serde_json::json!({
        "run": if run.together { "together" } else { "alone" },
        "backend": if run.together { "all" } else { first.info.kind.name() },
        "device": if run.together { "all".to_string() } else { first.info.name.clone() },
        "threads": run.devices.iter().map(|d| d.threads).sum::<usize>(),
        "candidates": total, "seconds": run.seconds, "candidates_per_second": run.rate(),
        "content_bytes": args.content_bytes, "hash": args.hash, "steps_per_candidate": steps, "devices": devices,
    }))?;
    Ok(())
}
