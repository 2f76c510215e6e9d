//! `ghostsum batch`: a manifest of linked pages, searched with several in flight, or a job
//! array task's share of them (`--shard`), or collected (`--collect`).

use super::estimate::{refuse_batch_if_too_long, Planned};
use super::BatchArgs;
use crate::alphabet::Alphabet;
use crate::batch::manifest::{Manifest, Page};
use crate::batch::pace::{Pace, Turnaround};
use crate::batch::{already_done, resolve_into, split, FinishedPage};
use crate::device::{DeviceId, DeviceInfo, DeviceKind, DeviceSet};
use crate::engine::{EngineOptions, Started};
use crate::exit::Exit;
use crate::file_id::{file_id, FileId};
use crate::input::{Content, SPOOL_IN_MEMORY};
use crate::kind::FileKind;
use crate::layout::Layout;
use crate::meaning::MeaningCheck;
use crate::output::Destination;
use crate::placement::Request;
use crate::progress::{human_count, human_duration};
use crate::run::{write_if_prefixed, Outcome, Session};
use crate::shard::Shard;
use crate::signals::{Interrupted, Signal};
use crate::stdio::{print_line, say};
use crate::target::{hex, Prefix};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) const REPORT_NAME: &str = "ghostsum-report.json";

/// One page in ghostsum-report.json.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PageReport {
    name: String,
    file: PathBuf,
    output: PathBuf,
    prefix: String,
    prefix_assigned: bool,
    address: String,
    /// The page's alphabet, and the kind of file that chose it by default (absent from
    /// reports of versions before them).
    #[serde(default)]
    alphabet: String,
    #[serde(rename = "for", default)]
    for_kind: FileKind,
    /// Where the suffix went, in words, and the byte of the page it starts at (absent from
    /// reports of versions before placement).
    #[serde(default)]
    placement: String,
    #[serde(default)]
    inserted_at: u64,
    /// What the prefix is a prefix of: `md5`, `git-blob-sha1`... (absent from reports of
    /// versions before git's ids, which were all `md5`).
    #[serde(default = "crate::address::md5_key")]
    hashed_as: String,
    /// That digest, in hex (only `md5` in reports of versions before git's ids).
    #[serde(default)]
    digest: String,
    /// The digest again for an MD5 page, where earlier versions' readers look for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    md5: Option<String>,
    suffix_len: usize,
    /// Candidates the search tested, in the run that made the page; null when that run's
    /// figures are not known here (a page a job array's task wrote, seen by --collect).
    candidates: Option<u64>,
    /// Seconds that search took, in the run that made the page (null as `candidates`).
    seconds: Option<f64>,
    /// True when this run found the page already done (the figures are the first run's).
    skipped: bool,
    /// The devices this run gave the page (a device too slow to be worth a short page sits
    /// it out); none for a page already done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    devices: Vec<String>,
    /// Their ids, named once every GPU has been found.
    #[serde(skip)]
    device_ids: Vec<DeviceId>,
}

impl PageReport {
    /// The page's digest, found or already there.
    fn set_digest(&mut self, digest: &[u8]) {
        self.digest = hex(digest);
        self.md5 = crate::address::is_md5_key(&self.hashed_as).then(|| self.digest.clone());
    }
}

/// ghostsum-report.json.
#[derive(Debug, Serialize, Deserialize)]
struct BatchReport {
    /// `done`: every page this run had is written (other outcomes print a short object with
    /// their own status: see [`run`]).
    #[serde(default)]
    status: String,
    manifest: PathBuf,
    backend: String,
    /// The task of a job array this run was (--shard); its pages are its share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shard: Option<Shard>,
    /// The pages this run searched (the others were already done).
    #[serde(default)]
    searched: Vec<String>,
    pages: Vec<PageReport>,
}

/// `ghostsum batch`. With --json, one object on stdout whatever the outcome: the report when
/// the batch is done, else `{"status": "error" | "stopped" | "missing", "error": ...,
/// "manifest": ...}` (the same message is also the one line on stderr).
pub(super) fn run(args: BatchArgs) -> anyhow::Result<Exit> {
    let (json, manifest) = (args.report.json, args.manifest.clone());
    let outcome = match run_batch(args) {
        Err(e) => match e.downcast::<Missing>() {
            Ok(Missing(missing)) => {
                say(format!("ghostsum: --collect: {missing}"));
                if json {
                    print_ended(&manifest, "missing", &missing)?;
                }
                return Ok(Exit::Mismatch);
            }
            Err(e) => Err(e),
        },
        done => done,
    };
    if json {
        match &outcome {
            Ok(Exit::Stopped(signal)) => print_ended(&manifest, "stopped", &format!("stopped by {}", signal.name()))?,
            Err(e) if e.is::<crate::stdio::ReaderGone>() => {}
            Err(e) => match Interrupted::signal_of(e) {
                Some(signal) => print_ended(&manifest, "stopped", &format!("stopped by {}", signal.name()))?,
                // The error line still goes to stderr (main); a failure to print is that error's.
                None => {
                    let _ = print_ended(&manifest, "error", &format!("{e:#}"));
                }
            },
            Ok(_) => {}
        }
    }
    outcome
}

/// `--collect` found pages missing or unfinished: exit 1, naming them.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Missing(String);

/// The --json object of a batch that did not finish.
fn print_ended(manifest: &Path, status: &str, error: &str) -> anyhow::Result<()> {
    print_line(serde_json::json!({ "status": status, "manifest": manifest, "error": error }))?;
    Ok(())
}

fn run_batch(args: BatchArgs) -> anyhow::Result<Exit> {
    args.engine.check()?;
    let shard = args.sharding.resolve()?;
    let manifest = Manifest::load(&args.manifest)?;
    // Every check before any search: a bad placeholder, a FIFO where a page goes or a page
    // that would take years fails in seconds, not hours. A task checks every page's output,
    // not only its own: every task of an array then refuses the same manifest alike.
    let outputs = check_outputs(&manifest, &args.out_dir)?;
    let prefixes: Vec<Prefix> = manifest.pages.iter().map(|p| p.prefix.clone()).collect();
    // This run's pages: a task's share, or all of them. Every address comes from the whole
    // manifest (prefixes are chosen before any search), so a task writes the same bytes as
    // an unsharded run.
    let mine: Vec<usize> = match shard {
        Some(shard) => {
            let work: Vec<f64> = prefixes.iter().map(Prefix::expected_candidates).collect();
            split::pages_of(shard, &work)
        }
        None => (0..manifest.pages.len()).collect(),
    };
    // Each page resolved up front, streaming (in memory up to 16 MiB, past that in an
    // unnamed temporary file): a GPU compiles each distinct shader shape once, in the
    // background, while the CPU already takes the first pages' ranges.
    let mut contents: BTreeMap<usize, Content> = BTreeMap::new();
    let mut placed: BTreeMap<usize, PagePlacement> = BTreeMap::new();
    for &n in &mine {
        let mut content = resolved_page(&manifest, &manifest.pages[n])?;
        content.set_address(manifest.pages[n].hashed_as);
        let placement = place_page(&args, &manifest, n, &mut content, &prefixes[n])?;
        // git's ids: the header names the page's length, so the suffix length is settled here.
        let fold = EngineOptions { fast_layout: args.engine.fast_layout, ..EngineOptions::default() };
        crate::engine::fold_address(&mut content, &prefixes[n], &placement.alphabet, &fold)?;
        placed.insert(n, placement);
        contents.insert(n, content);
    }
    let alphabets: BTreeMap<usize, Alphabet> = placed.iter().map(|(&n, p)| (n, p.alphabet.clone())).collect();
    let done: BTreeMap<usize, FinishedPage> = mine
        .iter()
        .filter_map(|&n| Some((n, already_done(&outputs[n], &contents[&n], &prefixes[n], &alphabets[&n])?)))
        .collect();
    if args.collect {
        if let Some(missing) = unfinished(&manifest, &done) {
            return Err(Missing(missing).into());
        }
    }
    std::fs::create_dir_all(&args.out_dir).map_err(|e| crate::io_error::at("create", &args.out_dir, &e))?;
    let report_path = args.out_dir.join(REPORT_NAME);
    let earlier = earlier_figures(&report_path);
    let pending: Vec<usize> = mine.iter().copied().filter(|n| !done.contains_key(n)).collect();
    // What this run will write, checked now, not after hours of search: an immutable or
    // append-only page or report (chattr +i, +a) is named before any page is searched.
    // (A new page's folder is probed by check_outputs, or made later.)
    for &n in pending.iter().filter(|&&n| outputs[n].exists()) {
        Destination::File(outputs[n].clone())
            .check_writable()
            .map_err(|e| anyhow::anyhow!("page '{}': {e:#}", manifest.pages[n].name))?;
    }
    if shard.is_none() && report_path.exists() {
        Destination::File(report_path.clone()).check_writable()?;
    }
    // Nothing left to search (a collect job, or a run after every page is done): no device is
    // opened, so such a run loads no GPU driver and needs no GPU, whatever --backend the
    // searching runs were given.
    let (session, on) = if pending.is_empty() {
        let session = Session::new(DeviceSet::new(Vec::new()), None, args.report.reporting()?);
        (session, "no device: every page is already done".to_string())
    } else {
        // A GPU beside the CPU is checked at once only if some page could ever go to it.
        let longest = pending.iter().map(|&n| prefixes[n].expected_candidates()).fold(0.0, f64::max);
        // The CPU's kernel is chosen for a hash (SHA's by measuring): a batch with a page
        // addressed by a git id chooses it for that page's hash; MD5 pages run on the lanes.
        let needs = pending.iter().map(|&n| manifest.pages[n].hashed_as).find(|a| a.hash != crate::hash::HashKind::Md5);
        let engine = args.engine.for_address(&needs.unwrap_or(crate::address::Address::MD5));
        let session = engine.batch_session(&args.report, crate::batch::pace::may_reach_a_gpu(longest))?;
        let on = session.describe();
        (session, on)
    };
    match shard {
        Some(s) => session.say(format!(
            "ghostsum: task {}/{}: {} of {} pages on {}",
            s.index,
            s.count,
            mine.len(),
            manifest.pages.len(),
            on
        )),
        None => session.say(format!("ghostsum: {} pages on {on}", manifest.pages.len())),
    }
    let options = EngineOptions { fast_layout: args.engine.fast_layout, ..EngineOptions::default() };
    if !args.force {
        let planned: Vec<(&str, Planned)> = pending
            .iter()
            .map(|&n| {
                let planned = Planned {
                    prefix: &prefixes[n],
                    content_len: contents[&n].len,
                    alphabet: &alphabets[&n],
                    fast_layout: args.engine.fast_layout,
                };
                (manifest.pages[n].name.as_str(), planned)
            })
            .collect();
        refuse_batch_if_too_long(&planned, &session)?;
    }
    // Every page's layout is checked before any search. Nothing is compiled ahead: a GPU
    // compiles a shape when it first takes a page of it, and sits out pages too short for it
    // (pace.rs), where compiling would only compete with the CPU.
    for &n in &pending {
        Layout::check(&contents[&n], &alphabets[&n], prefixes[n].bits(), options.min_segment_log2)?;
    }
    // Each page's own reader checks its hits.
    let page_options: BTreeMap<usize, EngineOptions> = pending
        .iter()
        .map(|&n| (n, EngineOptions { meaning: placed[&n].meaning.clone(), ..options.clone() }))
        .collect();
    // Pages in flight: while one page's hit is verified and written, the next ones are
    // already with the devices (each device works on the oldest it has), so no device waits
    // on a write or a set-up. One page at a time until the first has set the pace.
    let mut pace = Pace::new();
    let mut in_flight: VecDeque<Flight> = VecDeque::new();
    let mut pages: Vec<Option<PageReport>> = vec![None; mine.len()];
    let total = mine.len();
    for (step, &n) in mine.iter().enumerate() {
        let (page, output) = (&manifest.pages[n], &outputs[n]);
        let (content, prefix, alphabet) = (&contents[&n], &prefixes[n], &alphabets[&n]);
        let mut entry = PageReport {
            name: page.name.clone(),
            file: page.file.clone(),
            output: output.clone(),
            prefix: page.prefix.hex().to_string(),
            prefix_assigned: page.assigned,
            address: manifest.address(page),
            alphabet: alphabet.name().into(),
            for_kind: page.kind.kind,
            placement: placed[&n].describe.clone(),
            inserted_at: contents[&n].len,
            hashed_as: page.hashed_as.key(),
            digest: String::new(),
            md5: None,
            suffix_len: 0,
            candidates: None,
            seconds: None,
            skipped: false,
            devices: Vec::new(),
            device_ids: Vec::new(),
        };
        if let Some(done) = done.get(&n) {
            let how = if args.collect { "finished, verified" } else { "already done" };
            session.say(format!("[{}/{total}] {}: {how}", step + 1, page.name));
            entry.set_digest(&done.digest);
            entry.suffix_len = done.suffix_len;
            entry.skipped = true;
            if let Some(first) =
                earlier.get(&page.name).filter(|e| e.digest == entry.digest && e.prefix == entry.prefix)
            {
                (entry.candidates, entry.seconds) = (first.candidates, first.seconds);
            }
            pages[step] = Some(entry);
            continue;
        }
        if let Some(dir) = output.parent() {
            std::fs::create_dir_all(dir).map_err(|e| crate::io_error::at("create", dir, &e))?;
        }
        session.say(format!("[{}/{total}] {} -> {}", step + 1, page.name, manifest.address(page)));
        let destination = Destination::File(output.clone());
        session.check_opening()?;
        match write_if_prefixed(content, prefix, Some(&destination)) {
            Ok(Some(unchanged)) => {
                entry.set_digest(&unchanged);
                (entry.candidates, entry.seconds) = (Some(0), Some(0.0));
                pages[step] = Some(entry);
                continue;
            }
            Ok(None) => {}
            Err(e) => return Interrupted::signal_of(&e).map(stopped).ok_or(e),
        }
        let infos = session.devices.infos();
        let turnarounds: Vec<Turnaround> = session
            .devices
            .live()
            .map(|id| Turnaround { id, fastest: session.fastest_turnaround(id), cpu_threads: cpu_threads(&infos[id]) })
            .collect();
        let ids = pace.devices_for(prefix.expected_candidates(), &turnarounds);
        pace.page_started();
        let started = session.start(content, prefix, alphabet, &page_options[&n], &ids)?;
        in_flight.push_back(Flight { step, entry, destination, started, ids });
        let depth = if pace.rate().is_some() { IN_FLIGHT } else { 1 };
        while in_flight.len() >= depth {
            if let Some(signal) = land_oldest(&session, &mut in_flight, &mut pages, &mut pace)? {
                return Ok(stopped(signal));
            }
        }
    }
    while !in_flight.is_empty() {
        if let Some(signal) = land_oldest(&session, &mut in_flight, &mut pages, &mut pace)? {
            return Ok(stopped(signal));
        }
    }
    // A GPU named beside the CPU that never opened fails the batch, however short it was.
    if let Err(e) = session.settle() {
        return Interrupted::signal_of(&e).map(stopped).ok_or(e);
    }
    let names = session.device_names();
    let mut pages: Vec<PageReport> = pages.into_iter().map(|p| p.expect("every page landed")).collect();
    for page in &mut pages {
        page.devices = page.device_ids.iter().map(|&id| names[id].clone()).collect();
    }
    let searched = pages.iter().filter(|p| !p.skipped).map(|p| p.name.clone()).collect();
    let report = BatchReport {
        status: "done".into(),
        manifest: manifest.path.clone(),
        backend: session.describe_devices(),
        shard,
        searched,
        pages,
    };
    let text = serde_json::to_string_pretty(&report)?;
    // A task's pages are only part of the batch: the report is the collect run's to write,
    // and two tasks never write the same file.
    if shard.is_none() {
        crate::output::write_file_atomically(&report_path, text.as_bytes())?;
    }
    if args.report.json {
        print_line(&text)?;
    } else {
        print_summary(&report)?;
        match shard {
            None => print_line(format!("report: {}", report_path.display()))?,
            Some(s) => print_line(format!(
                "task {}/{} done; when every task is, `ghostsum batch {} --out-dir {} --collect` checks the pages and writes the report",
                s.index,
                s.count,
                args.manifest.display(),
                args.out_dir.display()
            ))?,
        }
    }
    Ok(Exit::Done)
}

/// The pages not finished yet, in words; None when every one is (--collect searches nothing).
fn unfinished(manifest: &Manifest, done: &BTreeMap<usize, FinishedPage>) -> Option<String> {
    let missing: Vec<&str> =
        (0..manifest.pages.len()).filter(|n| !done.contains_key(n)).map(|n| manifest.pages[n].name.as_str()).collect();
    if missing.is_empty() {
        return None;
    }
    const NAMED: usize = 10;
    let mut names = missing.iter().take(NAMED).map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    if missing.len() > NAMED {
        names += &format!(" and {} more", missing.len() - NAMED);
    }
    Some(format!(
        "{} of {} pages are missing or unfinished: {names}; run their tasks again, or run the batch without --collect to search them here",
        missing.len(),
        manifest.pages.len()
    ))
}

/// Pages a batch keeps with the devices at once: the one being written and two more, so
/// that a device finishing one page finds the next already there.
const IN_FLIGHT: usize = 3;

/// A page handed to the devices, waiting to be landed.
struct Flight<'a> {
    step: usize,
    entry: PageReport,
    destination: Destination,
    started: Started<'a>,
    /// The devices it was given.
    ids: Vec<DeviceId>,
}

/// A device's CPU worker threads (0 for a GPU), for the pace's first guess of a rate.
fn cpu_threads(info: &DeviceInfo) -> usize {
    match info.kind {
        DeviceKind::Cpu => info.threads,
        DeviceKind::Gpu => 0,
    }
}

/// Waits for the oldest page in flight, writes it and puts its report in its place in
/// `pages`; Some(signal) when a stop signal came instead.
fn land_oldest(
    session: &Session,
    in_flight: &mut VecDeque<Flight>,
    pages: &mut [Option<PageReport>],
    pace: &mut Pace,
) -> anyhow::Result<Option<Signal>> {
    let Some(Flight { step, mut entry, destination, started, ids }) = in_flight.pop_front() else { return Ok(None) };
    session.check_opening()?;
    let label = format!("[{}/{}] {} · ", step + 1, pages.len(), entry.name);
    let run = session.finish_and_write(started, &destination, label)?;
    // Named at the end: a GPU beside the CPU may not have been found yet.
    entry.device_ids = ids;
    pace.page_done(run.tested);
    match run.outcome {
        Outcome::Found(found) => {
            (entry.suffix_len, entry.candidates) = (found.suffix_len, Some(run.tested));
            entry.set_digest(&found.digest);
            // From when this page was waited for: the devices work on the oldest page first,
            // so a page behind others is searched in about that time.
            entry.seconds = Some(run.seconds);
            pages[step] = Some(entry);
            Ok(None)
        }
        Outcome::NoHit => unreachable!("an unsharded search always ends with a hit"),
        Outcome::Stopped(signal) => Ok(Some(signal)),
    }
}

/// Where a page's suffix goes, with which symbols, proven by which reader.
struct PagePlacement {
    alphabet: Alphabet,
    describe: String,
    meaning: Option<Arc<MeaningCheck>>,
}

/// Places page `n`'s suffix as search does (src/placement.rs), before any page is searched: a
/// page no place keeps the meaning of fails the batch at once, naming the page. The alphabet
/// is --alphabet, else the page's, else the manifest's, else the default for the page's kind
/// (in the page's line ending).
fn place_page(
    args: &BatchArgs,
    manifest: &Manifest,
    n: usize,
    content: &mut Content,
    prefix: &Prefix,
) -> anyhow::Result<PagePlacement> {
    let page = &manifest.pages[n];
    let named = args.alphabet.as_ref().or(page.alphabet.as_ref()).or(manifest.alphabet.as_ref());
    if prefix.matches_digest(&content.digest_with_suffix(b"")?) {
        // Written as it is (write_if_prefixed): no place to prove, nothing added.
        let alphabet = named.cloned().unwrap_or_else(|| page.kind.kind.default_alphabet());
        return Ok(PagePlacement { alphabet, describe: "unchanged (it has its prefix already)".into(), meaning: None });
    }
    let request = Request { kind: page.kind.kind, alphabet: named, mode: args.place, bits: prefix.bits() };
    let placement = crate::placement::choose(content, &request)?;
    placement.apply(content)?;
    Ok(PagePlacement {
        alphabet: placement.alphabet,
        describe: placement.describe,
        meaning: placement.meaning.map(Arc::new),
    })
}

/// A page's text with its placeholders resolved, read streaming from its source.
fn resolved_page(manifest: &Manifest, page: &Page) -> anyhow::Result<Content> {
    let source = std::fs::File::open(&page.source).map_err(|e| crate::io_error::at("read", &page.source, &e))?;
    let mut spool = tempfile::spooled_tempfile(SPOOL_IN_MEMORY);
    resolve_into(manifest, page, std::io::BufReader::new(source), &mut spool)?;
    Content::from_spool(spool, &format!("page '{}'", page.name))
}

fn stopped(signal: Signal) -> Exit {
    say(format!("ghostsum: {}: stopped; finished pages are kept, run the same command to go on", signal.name()));
    Exit::Stopped(signal)
}

/// Each page's output path, refused (before anything is searched) when it would overwrite a
/// source page, the manifest, the report or another page's output, when something that is
/// not a regular file is in its place (a FIFO would block, a device swallow the page), or
/// when a file stands where its folder must be. The report gets the same checks.
fn check_outputs(manifest: &Manifest, out_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if out_dir.exists() && !out_dir.is_dir() {
        anyhow::bail!("--out-dir {} is a file, not a folder; name a folder for the pages", out_dir.display());
    }
    if let (Err(_), Ok(link)) = (std::fs::metadata(out_dir), std::fs::read_link(out_dir)) {
        anyhow::bail!(
            "--out-dir {} is a symlink to {}, which does not exist; create the folder or remove the link",
            out_dir.display(),
            link.display()
        );
    }
    let resolve =
        |path: &Path| file_id(path).ok_or_else(|| anyhow::anyhow!("cannot resolve the path {}", path.display()));
    let mut inputs: BTreeMap<FileId, String> = BTreeMap::new();
    inputs.insert(resolve(&manifest.path)?, format!("the manifest {}", manifest.path.display()));
    for page in &manifest.pages {
        inputs.insert(resolve(&page.source)?, format!("the source of page '{}', {}", page.name, page.source.display()));
    }
    let report = out_dir.join(REPORT_NAME);
    let report_real = resolve(&report)?;
    if let Some(what) = inputs.get(&report_real) {
        anyhow::bail!("the report {} would overwrite {what}; choose another --out-dir", report.display());
    }
    check_regular_or_new(&report, &format!("the report {REPORT_NAME}"))?;
    let mut taken: BTreeMap<FileId, String> = BTreeMap::new();
    taken.insert(report_real, format!("the report {REPORT_NAME}"));
    let mut outputs = Vec::new();
    for page in &manifest.pages {
        let output = out_dir.join(&page.file);
        let real = resolve(&output)?;
        if let Some(what) = inputs.get(&real) {
            anyhow::bail!(
                "page '{}' would be written to {}, which is {what}; choose another --out-dir",
                page.name,
                output.display()
            );
        }
        if let Some(other) = taken.insert(real, format!("the output of page '{}'", page.name)) {
            anyhow::bail!(
                "page '{}' would be written to {}, which is also {other}; give the pages distinct files",
                page.name,
                output.display()
            );
        }
        check_regular_or_new(&output, &format!("page '{}'", page.name))?;
        outputs.push(output);
    }
    Ok(outputs)
}

/// `path` must be a regular file, or nothing yet with folders (or nothing)
/// on the way to it.
fn check_regular_or_new(path: &Path, what: &str) -> anyhow::Result<()> {
    let in_the_way = |thing: &str| {
        anyhow::anyhow!(
            "{what} would be written to {}, which is {thing}; batch writes only regular files: remove it, or choose another --out-dir",
            path.display()
        )
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => return Ok(()),
        Ok(meta) if meta.is_dir() => return Err(in_the_way("a folder")),
        Ok(meta) => return Err(in_the_way(crate::output::resolve::kind_of(&meta))),
        Err(_) => {}
    }
    if let Ok(link) = std::fs::read_link(path) {
        return Err(in_the_way(&format!("a symlink to {}, which does not exist", link.display())));
    }
    if path.parent().is_some_and(Path::is_dir) {
        // An immutable page or folder, another user's page in a sticky folder: found now.
        Destination::File(path.to_path_buf()).check_writable()?;
    }
    for ancestor in path.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
        if let Ok(meta) = std::fs::metadata(ancestor) {
            if !meta.is_dir() {
                anyhow::bail!(
                    "{what} would be written to {}, but {} is a file, not a folder; remove it, or choose another --out-dir",
                    path.display(),
                    ancestor.display()
                );
            }
            break;
        }
        // A folder that is a link to nothing: creating it would fail with "File exists".
        if let Ok(link) = std::fs::read_link(ancestor) {
            anyhow::bail!(
                "{what} would be written to {}, but {} is a symlink to {}, which does not exist; create the folder it names, or remove the link",
                path.display(),
                ancestor.display(),
                link.display()
            );
        }
    }
    Ok(())
}

/// The figures of an earlier run's report, by page name: a re-run keeps them for the pages
/// it skips. An unreadable or foreign report has none.
fn earlier_figures(report_path: &Path) -> BTreeMap<String, PageReport> {
    crate::small_file::read(report_path, 256 << 20)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<BatchReport>(&bytes).ok())
        .map(|report| {
            let with_digest = |mut page: PageReport| {
                if page.digest.is_empty() {
                    page.digest = page.md5.clone().unwrap_or_default();
                }
                page
            };
            report.pages.into_iter().map(|p| (p.name.clone(), with_digest(p))).collect()
        })
        .unwrap_or_default()
}

fn print_summary(report: &BatchReport) -> anyhow::Result<()> {
    // "md5" over MD5 digests, "id" over git's ids (or a mix), as wide as the longest.
    let all_md5 = report.pages.iter().all(|p| p.md5.is_some());
    let width = report.pages.iter().map(|p| p.digest.len()).max().unwrap_or(32).max(32);
    print_line(format!(
        "{:<16} {:<10} {:<width$} {:>6} {:>10} {:>9}  address",
        "page",
        "prefix",
        if all_md5 { "md5" } else { "id" },
        "suffix",
        "candidates",
        "time"
    ))?;
    for page in &report.pages {
        print_line(format!(
            "{:<16} {:<10} {:<width$} {:>6} {:>10} {:>9}  {}",
            page.name,
            page.prefix,
            page.digest,
            page.suffix_len,
            page.candidates.map_or("?".into(), |c| human_count(c as f64)),
            page.seconds.map_or("?".into(), human_duration),
            page.address
        ))?;
    }
    Ok(())
}
