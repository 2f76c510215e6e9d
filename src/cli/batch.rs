//! `ghostsum batch`: a manifest of linked pages, searched one after another.

use super::{make_backend, BatchArgs, EXIT_INTERRUPTED};
use crate::alphabet::Alphabet;
use crate::backend::{Control, SearchError};
use crate::batch::manifest::Manifest;
use crate::batch::{already_done, resolve_placeholders};
use crate::engine::{self, EngineError, EngineOptions};
use crate::input::Content;
use crate::output::{write_output, Destination};
use crate::progress::{human_count, human_duration, Progress};
use crate::target::{hex, Prefix};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

pub const REPORT_NAME: &str = "ghostsum-report.json";

pub fn run(args: BatchArgs) -> anyhow::Result<i32> {
    let manifest = Manifest::load(&args.manifest)?;
    let alphabet = Alphabet::parse(args.alphabet.as_deref().or(manifest.alphabet.as_deref()).unwrap_or("whitespace"))?;
    // Resolve every page before searching any: a bad placeholder fails in seconds, not hours.
    let resolved: Vec<Vec<u8>> = manifest
        .pages
        .iter()
        .map(|page| {
            let text = std::fs::read(&page.source).map_err(|e| {
                anyhow::anyhow!("cannot read {}: {}", page.source.display(), crate::input::io_reason(&e))
            })?;
            resolve_placeholders(&manifest, page, &text)
        })
        .collect::<anyhow::Result<_>>()?;
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {}", args.out_dir.display(), crate::input::io_reason(&e)))?;
    let (mut backend, note) = make_backend(&args.engine)?;
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    let say = |line: String| {
        if !args.quiet {
            eprintln!("{line}");
        }
    };
    say(format!("ghostsum: {} pages on {}{note}", manifest.pages.len(), backend.device()));
    let control = Arc::new(Control::default());
    super::search::install_ctrl_c(control.clone());
    let mut report = Vec::new();
    let total = manifest.pages.len();
    for (n, (page, bytes)) in manifest.pages.iter().zip(&resolved).enumerate() {
        let prefix = Prefix::parse(&page.prefix)?;
        let output = args.out_dir.join(&page.file);
        if let Some(dir) = output.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let started = Instant::now();
        let (md5, suffix_len, candidates, skipped) =
            if let Some(done) = already_done(&output, bytes, &prefix, &alphabet) {
                say(format!("[{}/{total}] {}: already done", n + 1, page.name));
                (hex(&done.md5), done.suffix_len, 0, true)
            } else {
                say(format!("[{}/{total}] {} -> {}", n + 1, page.name, manifest.address(page)));
                let content = Content::from_bytes(bytes);
                let before = control.tested.load(Ordering::Relaxed);
                let label = format!("[{}/{total}] {} · ", n + 1, page.name);
                let progress = Progress::start_labeled(control.clone(), prefix.bits(), args.quiet, label);
                let result = engine::search(
                    &content,
                    &prefix,
                    &alphabet,
                    backend.as_mut(),
                    &EngineOptions { fast_layout: args.engine.fast_layout, ..EngineOptions::default() },
                    &control,
                    &mut |_| {},
                );
                drop(progress);
                let found = match result {
                    Ok(found) => found.expect("an unsharded search always ends with a hit"),
                    Err(EngineError::Search(SearchError::Cancelled)) => {
                        eprintln!("ghostsum: interrupted; finished pages are kept, run the same command to go on");
                        return Ok(EXIT_INTERRUPTED);
                    }
                    Err(e) => return Err(e.into()),
                };
                write_output(&content, &found.suffix, &Destination::File(output.clone()), &found.digest)?;
                (found.md5_hex(), found.suffix_len, control.tested.load(Ordering::Relaxed) - before, false)
            };
        report.push(serde_json::json!({
            "name": page.name,
            "file": page.file,
            "output": output,
            "prefix": page.prefix,
            "prefix_assigned": page.assigned,
            "address": manifest.address(page),
            "md5": md5,
            "suffix_len": suffix_len,
            "candidates": candidates,
            "seconds": started.elapsed().as_secs_f64(),
            "skipped": skipped,
        }));
    }
    let report = serde_json::json!({ "manifest": manifest.path, "alphabet": alphabet.name(), "backend": backend.device(), "pages": report });
    let report_path = args.out_dir.join(REPORT_NAME);
    let text = serde_json::to_string_pretty(&report)?;
    crate::output::write_file_atomically(&report_path, text.as_bytes())?;
    if args.json {
        println!("{text}");
    } else {
        print_summary(&report);
        println!("report: {}", report_path.display());
    }
    Ok(0)
}

fn print_summary(report: &serde_json::Value) {
    println!(
        "{:<16} {:<10} {:<32} {:>6} {:>10} {:>9}  address",
        "page", "prefix", "md5", "suffix", "candidates", "time"
    );
    for page in report["pages"].as_array().into_iter().flatten() {
        println!(
            "{:<16} {:<10} {:<32} {:>6} {:>10} {:>9}  {}",
            page["name"].as_str().unwrap_or(""),
            page["prefix"].as_str().unwrap_or(""),
            page["md5"].as_str().unwrap_or(""),
            page["suffix_len"],
            if page["skipped"] == true {
                "done".into()
            } else {
                human_count(page["candidates"].as_f64().unwrap_or(0.0))
            },
            human_duration(page["seconds"].as_f64().unwrap_or(0.0)),
            page["address"].as_str().unwrap_or("")
        );
    }
}
