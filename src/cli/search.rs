//! `ghostsum search`: one file, one prefix.

use super::estimate::{refuse_search_if_too_long, Planned};
use super::search_report::{alphabet_reason, SearchReport, SearchStatus, ShardReport};
use super::SearchArgs;
use crate::checkpoint::{CheckpointFile, SearchIdentity};
use crate::engine::EngineError;
use crate::engine::{self, EngineOptions, Position};
use crate::exit::Exit;
use crate::input::Content;
use crate::kind::ChosenKind;
use crate::layout::Layout;
use crate::output::{resolve, same_file, Destination};
use crate::placement::{self, Request};
use crate::progress::{human_count, human_duration};
use crate::run::{write_if_prefixed, Outcome};
use crate::shard::Slice;
use crate::signals::{Interrupted, Signal};
use crate::stdio::say;
use crate::target::hex;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Seconds between checkpoint saves unless --checkpoint-every says otherwise.
const DEFAULT_CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// `ghostsum search`. With --json, one object whatever the outcome: found, no hit, stopped
/// (also while reading the input or measuring the speed) and errors (`"status": "error"`).
pub(super) fn run(args: SearchArgs) -> anyhow::Result<Exit> {
    let mut report = None;
    let result = find_and_write(&args, &mut report);
    if !args.report.json {
        return result;
    }
    let on_stderr = args.output.as_deref() == Some(Path::new("-"));
    match result {
        Ok(code) => Ok(code),
        Err(e) if e.is::<crate::stdio::ReaderGone>() => {
            // With -o -, the report goes to stderr, which is still there: say what happened.
            if on_stderr {
                let mut report = report.unwrap_or_else(|| SearchReport::before_start(&args));
                report.status = SearchStatus::ReaderGone;
                report.error = Some("the reader of standard output went away; what it read is incomplete".into());
                let _ = report.print(true, true);
            }
            Err(e)
        }
        Err(e) => {
            let mut report = report.unwrap_or_else(|| SearchReport::before_start(&args));
            if let Some(signal) = Interrupted::signal_of(&e) {
                report.status = SearchStatus::Stopped;
                say(format!("ghostsum: {}: stopped; nothing was written", signal.name()));
                report.print(true, on_stderr)?;
                return Ok(Exit::Stopped(signal));
            }
            report.status = SearchStatus::Error;
            report.error = Some(format!("{e:#}"));
            // The error line still goes to stderr (main); a failure to print is that error's.
            let _ = report.print(true, on_stderr);
            Err(e)
        }
    }
}

fn find_and_write(args: &SearchArgs, report_slot: &mut Option<SearchReport>) -> anyhow::Result<Exit> {
    args.engine.check()?;
    let address = args.address.address();
    let engine_args = args.engine.for_address(&address);
    if args.report.json
        && args.output.as_deref() != Some(Path::new("-"))
        && crate::stdio::closed_at_start(crate::stdio::Stream::Stdout)
    {
        anyhow::bail!(
            "--json writes its report to standard output, which is closed (>&-); redirect it, or drop --json"
        );
    }
    refuse_options_without_effect(args)?;
    let destination = destination(args)?;
    destination.check_writable()?;
    let shard = args.sharding.resolve()?;
    if let Some(path) = &args.checkpoint {
        check_checkpoint_path(path, &args.input, &destination)?;
    }
    // The kind from the input's name, else the output's (`-o notes.md` from standard input).
    let named: Vec<&Path> = match &destination {
        Destination::File(output) => vec![&args.input, output],
        _ => vec![&args.input],
    };
    let kind = ChosenKind::decide(args.kind.for_kind, &named);
    let alphabet = args.alphabet.clone().unwrap_or_else(|| kind.kind.default_alphabet());
    let reason = alphabet_reason(&kind, args.alphabet.is_some());
    let report = report_slot.insert(SearchReport::new(
        &args.prefix.hex(),
        &address,
        &destination,
        args.checkpoint.as_deref(),
        &alphabet,
        &kind,
        &reason,
    ));
    let not_a_file = || {
        anyhow::anyhow!(
            "--in-place needs a regular file, and {} is not one; write the result elsewhere with -o",
            args.input.display()
        )
    };
    // Before reading, so a FIFO's writer keeps its data; and after, for a file swapped
    // for something else in between.
    if args.in_place && !std::fs::metadata(&args.input).is_ok_and(|m| m.is_file()) {
        return Err(not_a_file());
    }
    let prefix = &args.address.prefix(&args.prefix)?;
    let mut content = Content::read(&args.input)?;
    if args.in_place && !content.is_regular_file() {
        return Err(not_a_file());
    }
    content.set_address(address);
    let say = |line: String| {
        if !args.report.quiet {
            say(line);
        }
    };
    let started = Instant::now();
    let unchanged = match args.always_suffix {
        true => None,
        false => write_if_prefixed(&content, prefix, (!args.in_place).then_some(&destination))?,
    };
    if let Some(input_md5) = unchanged {
        say(format!(
            "ghostsum: {}  {} already starts with {prefix}; written unchanged (pass --always-suffix for a suffix anyway)",
            hex(&input_md5),
            content.describe()
        ));
        report.unchanged(&input_md5, started);
        if let Some(s) = shard {
            // Every shard writes the input unchanged; its slice is still the one it was given.
            let options = EngineOptions { fast_layout: args.engine.fast_layout, ..EngineOptions::default() };
            let layout = engine::plan(&content, prefix, &alphabet, &options)?;
            report.shard = Some(ShardReport::new(s.slice(&layout), 0));
        }
        return report.print(args.report.json, destination == Destination::Stdout).map(|()| Exit::Done);
    }

    let request = Request { kind: kind.kind, alphabet: args.alphabet.as_ref(), mode: args.place, bits: prefix.bits() };
    let placement = placement::choose(&content, &request)?;
    placement.apply(&mut content)?;
    report.placed(&placement, content.len);
    let alphabet = placement.alphabet.clone();
    let fold = EngineOptions { fast_layout: args.engine.fast_layout, ..EngineOptions::default() };
    engine::fold_address(&mut content, prefix, &alphabet, &fold)?;
    let meaning = placement.meaning.map(Arc::new);
    let session = engine_args.session(&args.report)?;
    session.say(format!(
        "ghostsum: searching on {}; alphabet {alphabet} ({reason}); suffix {}{}",
        session.describe(),
        placement.describe,
        meaning.as_ref().map(|m| format!(", each hit read by the {}", m.reader().name())).unwrap_or_default()
    ));
    if !args.force {
        let planned =
            Planned { prefix, content_len: content.len, alphabet: &alphabet, fast_layout: args.engine.fast_layout };
        refuse_search_if_too_long(&planned, shard, &session)?;
    }
    if let Some(note) = &placement.note {
        say(format!("ghostsum: note: {}: {note}", content.describe()));
    }

    let input_md5 = content.input_digest()?;
    let checkpoint = args.checkpoint.as_ref().map(|path| {
        CheckpointFile::new(
            path,
            SearchIdentity {
                hashed_as: address.key(),
                input_md5: hex(&input_md5),
                input_len: content.input_len(),
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
    let options =
        EngineOptions { shard, resume, fast_layout: args.engine.fast_layout, meaning, ..EngineOptions::default() };
    if let (Some(at), Some(cp)) = (resume, &checkpoint) {
        engine::reachable(&content, prefix, &alphabet, &options, at).map_err(|why| {
            anyhow::anyhow!("checkpoint {} is damaged: {why}; delete it to start over", cp.path.display())
        })?;
    }
    if let Some(at) = resume {
        session.say(format!(
            "ghostsum: resuming from the checkpoint at candidate {} (suffix of {} symbols)",
            at.next_index, at.suffix_len
        ));
    }
    // The slice a shard covers, for its report: from the layout the engine plans.
    let slice_of = |suffix_len: usize| -> Option<Slice> {
        let layout = Layout::plan_from(&content, &alphabet, suffix_len, options.min_segment_log2).ok()?;
        shard.map(|s| s.slice(&layout))
    };
    let save_every = args.checkpoint_every.map(|s| s.duration()).unwrap_or(DEFAULT_CHECKPOINT_EVERY);
    let mut last_save = Instant::now();
    let mut save_error = None;
    let run = session
        .search_and_write(&content, prefix, &alphabet, &options, &destination, String::new(), &mut |at| {
            if let Some(cp) = &checkpoint {
                if last_save.elapsed() >= save_every {
                    if let Err(e) = cp.save(at) {
                        save_error = Some(e);
                    }
                    last_save = Instant::now();
                }
            }
        })
        .map_err(|e| match e.downcast_ref::<EngineError>() {
            // The reader's refusal is the file's: name it, as the refusals before the search do.
            Some(gave_up @ EngineError::GaveUp(_)) => anyhow::anyhow!("{}: {gave_up}", content.describe()),
            _ => e,
        })?;
    if let Some(e) = save_error {
        session.say(format!("ghostsum: warning: {e:#}"));
    }
    report.ran(&session, &run, started);
    let found = match run.outcome {
        // Found and written.
        Outcome::Found(found) => found,
        Outcome::NoHit => {
            if let Some(cp) = &checkpoint {
                cp.remove();
            }
            session.say("ghostsum: this shard holds no hit; nothing was written");
            report.no_hit(slice_of(run.position.suffix_len));
            report.print(args.report.json, destination == Destination::Stdout)?;
            return Ok(Exit::ShardEmpty);
        }
        Outcome::Stopped(signal) => {
            report.stopped(slice_of(run.position.suffix_len), run.position);
            return stop(
                signal,
                checkpoint.as_ref(),
                run.position,
                report,
                args.report.json,
                destination == Destination::Stdout,
            );
        }
    };
    if let Some(cp) = &checkpoint {
        cp.remove();
    }
    report.found(&found, slice_of(found.suffix_len));
    session.say(format!(
        "ghostsum: {}  {} (suffix of {} symbols, {} candidates in {})",
        found.digest_hex(),
        destination.describe(),
        found.suffix_len,
        human_count(report.candidates_tested as f64),
        human_duration(report.seconds)
    ));
    report.print(args.report.json, destination == Destination::Stdout)?;
    Ok(Exit::Done)
}

/// Ends a stopped search: saves the checkpoint if there is one, one line (and the report
/// with --json), 128 + the signal. A checkpoint that cannot be saved is a warning: the
/// search was still stopped, and says so.
fn stop(
    signal: Signal,
    checkpoint: Option<&CheckpointFile>,
    at: Position,
    report: &mut SearchReport,
    json: bool,
    on_stderr: bool,
) -> anyhow::Result<Exit> {
    match checkpoint.map(|cp| (cp, cp.save(at))) {
        Some((cp, Ok(()))) => say(format!(
            "ghostsum: {}: stopped; progress saved to {}, run the same command to resume",
            signal.name(),
            cp.path.display()
        )),
        Some((_, Err(e))) => {
            say(format!("ghostsum: {}: stopped; nothing was written, and the progress is lost: {e:#}", signal.name()));
            report.checkpoint = None;
            report.error = Some(format!("{e:#}"));
        }
        None => say(format!("ghostsum: {}: stopped; nothing was written", signal.name())),
    }
    report.print(json, on_stderr)?;
    Ok(Exit::Stopped(signal))
}

/// Options that do nothing in the combination given are mistakes worth a word.
fn refuse_options_without_effect(args: &SearchArgs) -> anyhow::Result<()> {
    if args.checkpoint_every.is_some() && args.checkpoint.is_none() {
        anyhow::bail!("--checkpoint-every needs --checkpoint FILE, where the progress is saved");
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
        Some(p) if p == Path::new("-") => {
            // `ghostsum search a -o - >> a` would read what it writes, and grow `a` without end
            // (cat refuses the same: "input file is output file").
            if !stdin && same_file(Path::new("/dev/stdout"), &args.input) {
                anyhow::bail!(
                    "standard output is the input {} itself; write to another file, or pass --in-place to rewrite it",
                    args.input.display()
                );
            }
            Ok(Destination::Stdout)
        }
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
        resolve::Resolved::Replace { real, .. } => crate::output::probe_folder(crate::file_id::parent_dir(&real)),
        resolve::Resolved::WriteInto(_) | resolve::Resolved::Descriptor(_) => {
            anyhow::bail!("--checkpoint {} is not a regular file; choose a file name", path.display())
        }
    }
}
