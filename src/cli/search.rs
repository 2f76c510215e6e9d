//! `ghostsum search`: one file, one prefix.

use super::{make_backend, SearchArgs, EXIT_INTERRUPTED, EXIT_SHARD_EMPTY};
use crate::alphabet::Alphabet;
use crate::backend::{Backend, Control, SearchError};
use crate::checkpoint::{CheckpointFile, SearchIdentity};
use crate::engine::{self, EngineError, EngineOptions, Found};
use crate::input::Content;
use crate::output::{write_output, Destination};
use crate::progress::{human_count, human_duration, Progress};
use crate::shard::Shard;
use crate::target::Prefix;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Searches expected to run longer than this are refused unless --force.
const MAX_UNFORCED_SECONDS: f64 = 86400.0;
/// Below this many target bits no backend could take a day, so no rate is measured.
const ESTIMATE_FROM_BITS: u32 = 36;

pub fn run(args: SearchArgs) -> anyhow::Result<i32> {
    let prefix = Prefix::parse(&args.prefix)?;
    let alphabet = Alphabet::parse(&args.alphabet)?;
    let destination = destination(&args)?;
    destination.check_writable()?;
    let shard = match &args.shard {
        Some(spec) => Some(Shard::parse(spec, args.shard_count, &|name| std::env::var(name).ok())?),
        None => None,
    };
    let content = Content::read(&args.input)?;
    let (mut backend, note) = make_backend(&args.engine)?;
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    let say = |line: String| {
        if !args.quiet {
            eprintln!("{line}");
        }
    };
    say(format!("ghostsum: searching on {}{note}", backend.device()));
    refuse_if_too_long(&prefix, content.len, args.engine.fast_layout, backend.as_mut(), args.force)?;

    let checkpoint = args.checkpoint.as_ref().map(|path| {
        let input_md5 = crate::target::hex(&crate::verify::md5_with_suffix(&content.hasher, b""));
        CheckpointFile::new(
            path,
            SearchIdentity {
                input_md5,
                input_len: content.len,
                prefix: prefix.hex().into(),
                alphabet: alphabet.name().into(),
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
    install_ctrl_c(control.clone());
    let started = Instant::now();
    let progress = Progress::start(control.clone(), prefix.bits(), args.quiet);
    let mut last_position = resume;
    let mut last_save = Instant::now();
    let mut save_error = None;
    let result = engine::search(&content, &prefix, &alphabet, backend.as_mut(), &options, &control, &mut |searched| {
        let engine::Searched { suffix_len, next_index } = searched;
        last_position = Some((suffix_len, next_index));
        if let Some(cp) = &checkpoint {
            if last_save.elapsed().as_secs_f64() >= args.checkpoint_every {
                if let Err(e) = cp.save(suffix_len, next_index) {
                    save_error = Some(e);
                }
                last_save = Instant::now();
            }
        }
    });
    drop(progress);
    if let Some(e) = save_error {
        eprintln!("ghostsum: warning: {e:#}");
    }
    let seconds = started.elapsed().as_secs_f64();
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
            match (&checkpoint, last_position) {
                (Some(cp), Some((len, next))) => {
                    cp.save(len, next)?;
                    eprintln!(
                        "ghostsum: interrupted; progress saved to {}, run the same command to resume",
                        cp.path.display()
                    );
                }
                _ => eprintln!("ghostsum: interrupted; nothing was written"),
            }
            return Ok(EXIT_INTERRUPTED);
        }
        Err(e) => return Err(e.into()),
    };
    write_output(&content, &found.suffix, &destination, &found.digest)?;
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
    if args.json {
        let report = report_json(&prefix, &found, tested, seconds, backend.as_ref(), &destination, shard);
        if destination == Destination::Stdout {
            eprintln!("{report}");
        } else {
            println!("{report}");
        }
    }
    Ok(0)
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

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Estimates the search's time from the target's bits and the backend's measured speed.
fn refuse_if_too_long(
    prefix: &Prefix,
    content_len: u64,
    fast_layout: bool,
    backend: &mut dyn Backend,
    force: bool,
) -> anyhow::Result<()> {
    if force || prefix.bits() < ESTIMATE_FROM_BITS {
        return Ok(());
    }
    // Measured on this search's own layout (its speed depends on where the suffix falls).
    let probe = engine::RateProbe { content_len: (content_len % 64) as usize + 64, bits: prefix.bits(), fast_layout };
    let (tested, seconds) = engine::measure_rate(backend, probe, 0.3, &Control::default())?;
    let rate = tested as f64 / seconds;
    let expected = 2f64.powi(prefix.bits() as i32) / rate;
    if expected > MAX_UNFORCED_SECONDS {
        anyhow::bail!(
            "a {}-digit prefix takes about {} candidates on average: {} at {}/s on {}; shorten the prefix, or pass --force to search anyway",
            prefix.hex().len(),
            human_count(2f64.powi(prefix.bits() as i32)),
            human_duration(expected),
            human_count(rate),
            backend.device()
        );
    }
    Ok(())
}

/// First Ctrl-C asks the search to stop cleanly; a second one ends the process at once.
pub fn install_ctrl_c(control: Arc<Control>) {
    let _ = ctrlc::set_handler(move || {
        if control.stop.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED);
        }
    });
}

fn report_json(
    prefix: &Prefix,
    found: &Found,
    tested: u64,
    seconds: f64,
    backend: &dyn Backend,
    destination: &Destination,
    shard: Option<Shard>,
) -> String {
    serde_json::json!({
        "prefix": prefix.hex(),
        "md5": found.md5_hex(),
        "index": found.index,
        "suffix_len": found.suffix_len,
        "suffix_bytes": found.suffix.len(),
        "candidates_tested": tested,
        "seconds": seconds,
        "backend": backend.kind(),
        "device": backend.device(),
        "threads": backend.threads(),
        "output": destination.describe(),
        "shard": shard.map(|s| format!("{}/{}", s.index, s.count)),
    })
    .to_string()
}
