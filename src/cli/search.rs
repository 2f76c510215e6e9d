//! `ghostsum search`: one file, one prefix.

use super::{make_backend, SearchArgs, EXIT_SHARD_EMPTY};
use crate::backend::{Backend, Control, SearchError};
use crate::checkpoint::{CheckpointFile, SearchIdentity};
use crate::engine::{self, EngineError, EngineOptions, Found};
use crate::input::Content;
use crate::output::{resolve, same_file, write_output, Destination};
use crate::progress::{human_count, human_duration, Progress, ProgressDisplay};
use crate::shard::Shard;
use crate::signals::{Interrupted, Signal};
use crate::stdio::{print_line, say};
use crate::target::{hex, Prefix};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Searches expected to run longer than this are refused unless --force.
const MAX_UNFORCED_SECONDS: f64 = 86400.0;
/// Below this many target bits no backend could take a day, so no rate is measured.
const ESTIMATE_FROM_BITS: u32 = 36;
/// Seconds between checkpoint saves unless --checkpoint-every says otherwise.
const DEFAULT_CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

pub fn run(args: SearchArgs) -> anyhow::Result<i32> {
    args.engine.check()?;
    refuse_options_without_effect(&args)?;
    let destination = destination(&args)?;
    destination.check_writable()?;
    let shard = args.shard.map(|spec| spec.resolve(args.shard_count, &|name| std::env::var(name).ok())).transpose()?;
    if let Some(path) = &args.checkpoint {
        check_checkpoint_path(path, &args.input, &destination)?;
    }
    let content = Content::read(&args.input)?;
    if args.in_place && !content.is_regular_file() {
        anyhow::bail!(
            "--in-place needs a regular file, and {} is not one; write the result elsewhere with -o",
            args.input.display()
        );
    }
    let quiet = args.report.quiet;
    let say = |line: String| {
        if !quiet {
            say(line);
        }
    };
    let prefix = &args.prefix;
    let started = Instant::now();
    let input_md5 = crate::verify::md5_with_suffix(&content.hasher, b"");
    if !args.always_suffix && prefix.matches_digest(&input_md5) {
        if !args.in_place {
            write_output(&content, b"", &destination, &input_md5)?;
        }
        say(format!(
            "ghostsum: {}  {} already starts with {prefix}; written unchanged (pass --always-suffix for a suffix anyway)",
            hex(&input_md5),
            content.describe()
        ));
        let report = SearchReport::unchanged(prefix, &input_md5, &destination, shard, started);
        return report.print(args.report.json, &destination).map(|()| 0);
    }

    let (mut backend, note) = make_backend(&args.engine)?;
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    say(format!("ghostsum: searching on {}{note}", backend.device()));
    refuse_if_too_long(prefix, content.len, args.engine.fast_layout, shard, backend.as_mut(), args.force)?;

    let checkpoint = args.checkpoint.as_ref().map(|path| {
        CheckpointFile::new(
            path,
            SearchIdentity {
                input_md5: hex(&input_md5),
                input_len: content.len,
                prefix: prefix.hex().into(),
                alphabet: args.alphabet.name().into(),
                shard,
                fast_layout: args.engine.fast_layout,
            },
        )
    });
    let resume = match &checkpoint {
        Some(cp) => cp.load()?,
        None => None,
    };
    if let Some((len, next)) = resume {
        say(format!("ghostsum: resuming from the checkpoint at candidate {next} (suffix of {len} symbols)"));
    }
    let options = EngineOptions { shard, resume, fast_layout: args.engine.fast_layout, ..EngineOptions::default() };

    let control = Arc::new(Control::default());
    let display = ProgressDisplay::choose(quiet, args.report.progress_every.map(|s| s.duration()));
    let progress = Progress::start(control.clone(), prefix.bits(), display, String::new());
    let save_every = args.checkpoint_every.map(|s| s.duration()).unwrap_or(DEFAULT_CHECKPOINT_EVERY);
    let mut last_position = resume;
    let mut last_save = Instant::now();
    let mut save_error = None;
    let result =
        engine::search(&content, prefix, &args.alphabet, backend.as_mut(), &options, &control, &mut |searched| {
            let engine::Searched { suffix_len, next_index } = searched;
            last_position = Some((suffix_len, next_index));
            if let Some(cp) = &checkpoint {
                if last_save.elapsed() >= save_every {
                    if let Err(e) = cp.save(suffix_len, next_index) {
                        save_error = Some(e);
                    }
                    last_save = Instant::now();
                }
            }
        });
    drop(progress);
    if let Some(e) = save_error {
        say(format!("ghostsum: warning: {e:#}"));
    }
    let found = match result {
        Ok(Some(found)) => found,
        Ok(None) => {
            if let Some(cp) = &checkpoint {
                cp.remove();
            }
            say("ghostsum: this shard holds no hit; nothing was written".into());
            return Ok(EXIT_SHARD_EMPTY);
        }
        Err(EngineError::Search(SearchError::Cancelled)) => {
            let signal = crate::signals::received().unwrap_or(Signal::INTERRUPT);
            return stop(signal, checkpoint.as_ref(), last_position);
        }
        Err(e) => return Err(e.into()),
    };
    let seconds = started.elapsed().as_secs_f64();
    if let Err(e) = write_output(&content, &found.suffix, &destination, &found.digest) {
        return match e.downcast_ref::<Interrupted>() {
            // Every candidate below the hit holds none: a resume finds it at once.
            Some(Interrupted(signal)) => stop(*signal, checkpoint.as_ref(), Some((found.suffix_len, found.index))),
            None => Err(e),
        };
    }
    if let Some(cp) = &checkpoint {
        cp.remove();
    }
    let tested = control.tested.load(Ordering::Relaxed);
    say(format!(
        "ghostsum: {}  {} (suffix of {} symbols, {} candidates in {})",
        found.md5_hex(),
        destination.describe(),
        found.suffix_len,
        human_count(tested as f64),
        human_duration(seconds)
    ));
    let report = SearchReport::found(prefix, &found, tested, seconds, backend.as_ref(), &destination, shard);
    report.print(args.report.json, &destination)?;
    Ok(0)
}

/// Ends a stopped search: saves the checkpoint if there is one, one line, 128 + the signal.
fn stop(signal: Signal, checkpoint: Option<&CheckpointFile>, position: Option<(usize, u128)>) -> anyhow::Result<i32> {
    match (checkpoint, position) {
        (Some(cp), Some((len, next))) => {
            cp.save(len, next)?;
            say(format!(
                "ghostsum: {}: stopped; progress saved to {}, run the same command to resume",
                signal.name(),
                cp.path.display()
            ));
        }
        _ => say(format!("ghostsum: {}: stopped; nothing was written", signal.name())),
    }
    Ok(signal.exit_code())
}

/// Options that do nothing in the combination given are mistakes worth a word.
fn refuse_options_without_effect(args: &SearchArgs) -> anyhow::Result<()> {
    if args.shard_count.is_some() && args.shard != Some(crate::shard::ShardSpec::FromEnvironment) {
        anyhow::bail!(
            "--shard-count is only for --shard env (a Kubernetes indexed job); with --shard I/N the count is N"
        );
    }
    if args.checkpoint_every.is_some() && args.checkpoint.is_none() {
        anyhow::bail!("--checkpoint-every needs --checkpoint FILE, where the progress is saved");
    }
    if args.report.quiet && args.report.progress_every.is_some() {
        anyhow::bail!("--progress-every has no effect with --quiet; drop one of them");
    }
    Ok(())
}

fn destination(args: &SearchArgs) -> anyhow::Result<Destination> {
    let stdin = args.input == Path::new("-");
    if args.in_place {
        if stdin {
            anyhow::bail!("--in-place needs a file; standard input cannot be rewritten (use -o PATH or -o -)");
        }
        return Ok(Destination::File(args.input.clone()));
    }
    match &args.output {
        Some(p) if p == Path::new("-") => Ok(Destination::Stdout),
        Some(p) => {
            if !stdin && same_file(p, &args.input) {
                anyhow::bail!("-o {} is the input itself; pass --in-place to rewrite it", p.display());
            }
            Ok(Destination::File(p.clone()))
        }
        None => anyhow::bail!(
            "say where the result goes: -o OUTPUT (or -o - for standard output), or --in-place to rewrite the input"
        ),
    }
}

/// A checkpoint must be a file of its own, in a folder ghostsum can write, checked before
/// the search rather than at its first save.
fn check_checkpoint_path(path: &Path, input: &Path, destination: &Destination) -> anyhow::Result<()> {
    if input != Path::new("-") && same_file(path, input) {
        anyhow::bail!("--checkpoint {} is the input; choose another file for the checkpoint", path.display());
    }
    if let Destination::File(output) = destination {
        if same_file(path, output) {
            anyhow::bail!("--checkpoint {} is also the output; choose another file for the checkpoint", path.display());
        }
    }
    match resolve::resolve(path)? {
        resolve::Resolved::Replace { real, .. } => crate::output::probe_folder(resolve::parent_dir(&real)),
        resolve::Resolved::WriteInto(_) => {
            anyhow::bail!("--checkpoint {} is not a regular file; choose a file name", path.display())
        }
    }
}

/// Estimates the search's time from the target's bits and the backend's measured speed.
/// For a shard, the work is its share: shards run side by side and the first hit ends the
/// job (README, Sharding), so each expects 2^bits / N candidates, and never more than its slice.
fn refuse_if_too_long(
    prefix: &Prefix,
    content_len: u64,
    fast_layout: bool,
    shard: Option<Shard>,
    backend: &mut dyn Backend,
    force: bool,
) -> anyhow::Result<()> {
    if force || prefix.bits() < ESTIMATE_FROM_BITS {
        return Ok(());
    }
    // Measured on this search's own layout (its speed depends on where the suffix falls).
    let probe = engine::RateProbe { content_len: (content_len % 64) as usize + 64, bits: prefix.bits(), fast_layout };
    let (tested, seconds) =
        engine::measure_rate(backend, probe, 0.3, &Control::default()).map_err(SearchError::into_error)?;
    let rate = tested as f64 / seconds;
    let (candidates, whose) = match shard {
        Some(s) => {
            let slice = probe.layout().keyspace() as f64 / s.count as f64;
            let share = (2f64.powi(prefix.bits() as i32) / s.count as f64).min(slice);
            (share, format!(" (the share of shard {} of {})", s.index, s.count))
        }
        None => (2f64.powi(prefix.bits() as i32), String::new()),
    };
    let expected = candidates / rate;
    if expected > MAX_UNFORCED_SECONDS {
        anyhow::bail!(
            "a {}-digit prefix takes about {} candidates on average{whose}: {} at {}/s on {}; shorten the prefix, or pass --force to search anyway",
            prefix.hex().len(),
            human_count(candidates),
            human_duration(expected),
            human_count(rate),
            backend.device()
        );
    }
    Ok(())
}

/// The `--json` object. Indices can pass 2^64, so this is serialized directly (serde_json
/// writes u128 as a plain number), not through `serde_json::Value`.
#[derive(serde::Serialize)]
struct SearchReport {
    prefix: String,
    md5: String,
    /// The hit's candidate index; null when the input was written unchanged.
    index: Option<u128>,
    suffix_len: usize,
    suffix_bytes: usize,
    candidates_tested: u64,
    seconds: f64,
    backend: &'static str,
    device: String,
    threads: usize,
    output: String,
    shard: Option<String>,
    unchanged: bool,
}

impl SearchReport {
    fn found(
        prefix: &Prefix,
        found: &Found,
        tested: u64,
        seconds: f64,
        backend: &dyn Backend,
        destination: &Destination,
        shard: Option<Shard>,
    ) -> Self {
        SearchReport {
            prefix: prefix.hex().into(),
            md5: found.md5_hex(),
            index: Some(found.index),
            suffix_len: found.suffix_len,
            suffix_bytes: found.suffix.len(),
            candidates_tested: tested,
            seconds,
            backend: backend.kind(),
            device: backend.device(),
            threads: backend.threads(),
            output: destination.describe(),
            shard: shard.map(|s| format!("{}/{}", s.index, s.count)),
            unchanged: false,
        }
    }

    fn unchanged(
        prefix: &Prefix,
        md5: &[u8; 16],
        destination: &Destination,
        shard: Option<Shard>,
        started: Instant,
    ) -> Self {
        SearchReport {
            prefix: prefix.hex().into(),
            md5: hex(md5),
            index: None,
            suffix_len: 0,
            suffix_bytes: 0,
            candidates_tested: 0,
            seconds: started.elapsed().as_secs_f64(),
            backend: "none",
            device: "none".into(),
            threads: 0,
            output: destination.describe(),
            shard: shard.map(|s| format!("{}/{}", s.index, s.count)),
            unchanged: true,
        }
    }

    /// With --json: on stdout, or on stderr when the file itself went to stdout.
    fn print(&self, json: bool, destination: &Destination) -> anyhow::Result<()> {
        if !json {
            return Ok(());
        }
        let text = serde_json::to_string(self)?;
        if *destination == Destination::Stdout {
            say(text);
        } else {
            print_line(text)?;
        }
        Ok(())
    }
}
