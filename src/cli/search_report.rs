//! The `--json` object of `ghostsum search`: one for every outcome (a hit, a shard without
//! one, a stop, an error), with what ran, how far and how fast.

use super::SearchArgs;
use crate::alphabet::Alphabet;
use crate::device::DeviceKind;
use crate::engine::{Found, Position};
use crate::kind::{ChosenKind, FileKind};
use crate::output::Destination;
use crate::run::{DeviceTally, SearchRun, Session};
use crate::shard::Slice;
use crate::stdio::{print_line, say};
use crate::target::hex;
use std::path::Path;
use std::time::Instant;

/// How a search ended, as `--json` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum SearchStatus {
    /// A hit was written (or the input, which already had the prefix).
    Found,
    /// `no_hit`: a shard's slice held none.
    NoHit,
    /// A stop signal ended it.
    Stopped,
    /// An error ended it; the report's `error` says which.
    Error,
    /// `reader_gone`: the reader of standard output went away while `-o -` was written
    /// (exit 141); the report goes to stderr.
    ReaderGone,
}

/// The `--json` object, for every outcome: a winner, a shard without a hit, a stopped search
/// (so a script can tell them apart). Indices can pass 2^64, so it is serialized directly
/// (serde_json writes u128 as a plain number), not through `serde_json::Value`.
#[derive(serde::Serialize)]
pub(super) struct SearchReport {
    pub(super) status: SearchStatus,
    pub(super) prefix: String,
    /// What the prefix is a prefix of: `md5`, `sha1`, `git-blob-sha1`...
    hashed_as: String,
    /// That digest of the output, in hex; null without a hit.
    digest: Option<String>,
    /// The same for an MD5 search (null for other hashes), as before other hashes.
    md5: Option<String>,
    /// The hit's candidate index; null when the input was written unchanged, or no hit.
    pub(super) index: Option<u128>,
    pub(super) suffix_len: Option<usize>,
    pub(super) suffix_bytes: Option<usize>,
    /// The input already had the prefix and was written as it was.
    pub(super) unchanged: bool,
    pub(super) candidates_tested: u64,
    pub(super) seconds: f64,
    /// The kinds of device that took part: "cpu", "gpu" or "gpu,cpu".
    pub(super) backend: String,
    /// The devices in words.
    pub(super) device: String,
    /// CPU worker threads.
    pub(super) threads: usize,
    /// Each device's share.
    pub(super) devices: Vec<DeviceTally>,
    pub(super) output: String,
    pub(super) shard: Option<ShardReport>,
    /// Where a stopped search saved its progress.
    pub(super) checkpoint: Option<String>,
    /// The alphabet's name.
    pub(super) alphabet: String,
    /// The kind of file (text, markdown, ...), which picks the default alphabet.
    #[serde(rename = "for")]
    pub(super) for_kind: FileKind,
    /// Why the alphabet: "--alphabet", or the kind's default and where the kind came from.
    pub(super) alphabet_reason: String,
    /// Where the suffix goes, in words ("before the final line break"); null before it is chosen.
    pub(super) placement: Option<String>,
    /// The byte offset where the suffix starts in the output (the input's bytes before it);
    /// the input's remaining bytes follow the suffix. Null when nothing was inserted.
    pub(super) inserted_at: Option<u64>,
    /// The file's line ending: "lf" or "crlf"; null before the placement is chosen.
    pub(super) line_ending: Option<&'static str>,
    /// The reader that proved each hit's output reads as the input does, if the kind has one.
    pub(super) proven_by: Option<&'static str>,
    /// What went wrong: the error of a search with status "error", or a stopped search's
    /// checkpoint that could not be saved; null otherwise.
    pub(super) error: Option<String>,
}

/// Which shard ran, and how much of its slice of candidate indices it covered.
#[derive(serde::Serialize)]
pub(super) struct ShardReport {
    pub(super) index: u64,
    pub(super) count: u64,
    /// The slice, `start..end` in candidate indices.
    pub(super) start: u128,
    pub(super) end: u128,
    /// Candidates of the slice searched: up to and with the hit, all of it without one, or up
    /// to where a stopped search got.
    pub(super) searched: u128,
    pub(super) searched_fraction: f64,
}

impl ShardReport {
    pub(super) fn new(Slice { shard, start, end }: Slice, searched_to: u128) -> Self {
        let searched = searched_to.clamp(start, end) - start;
        let fraction = if end > start { searched as f64 / (end - start) as f64 } else { 1.0 };
        ShardReport { index: shard.index, count: shard.count, start, end, searched, searched_fraction: fraction }
    }
}

impl SearchReport {
    pub(super) fn new(
        prefix: &str,
        address: &crate::address::Address,
        destination: &Destination,
        checkpoint: Option<&Path>,
        alphabet: &Alphabet,
        kind: &ChosenKind,
        reason: &str,
    ) -> Self {
        SearchReport {
            // Until the search says otherwise: a stop signal can come at any moment.
            status: SearchStatus::Stopped,
            prefix: prefix.into(),
            hashed_as: address.key(),
            digest: None,
            md5: None,
            index: None,
            suffix_len: None,
            suffix_bytes: None,
            unchanged: false,
            candidates_tested: 0,
            seconds: 0.0,
            backend: "none".into(),
            device: "none".into(),
            threads: 0,
            devices: Vec::new(),
            output: destination.describe(),
            shard: None,
            checkpoint: checkpoint.map(|p| p.display().to_string()),
            alphabet: alphabet.name().into(),
            for_kind: kind.kind,
            alphabet_reason: reason.into(),
            placement: None,
            inserted_at: None,
            line_ending: None,
            proven_by: None,
            error: None,
        }
    }

    /// The place chosen for the suffix, and the symbols for it.
    pub(super) fn placed(&mut self, placement: &crate::placement::Placement, inserted_at: u64) {
        self.alphabet = placement.alphabet.name().into();
        self.placement = Some(placement.describe.clone());
        self.inserted_at = Some(inserted_at);
        self.line_ending = Some(match placement.ending {
            crate::placement::LineEnding::Lf => "lf",
            crate::placement::LineEnding::Crlf => "crlf",
        });
        self.proven_by = placement.meaning.as_ref().map(|m| m.reader().name());
    }

    pub(super) fn ran(&mut self, session: &Session, run: &SearchRun, started: Instant) {
        let mut kinds: Vec<&str> = run.devices.iter().map(|d| d.backend.name()).collect();
        kinds.dedup();
        self.backend = kinds.join(",");
        self.device = session.devices.describe();
        self.threads = run.devices.iter().filter(|d| d.backend == DeviceKind::Cpu).map(|d| d.threads).sum();
        self.devices = run.devices.clone();
        (self.candidates_tested, self.seconds) = (run.tested, started.elapsed().as_secs_f64());
    }

    /// The output's digest, and again as `md5` for an MD5 search.
    fn set_digest(&mut self, digest: &[u8]) {
        self.digest = Some(hex(digest));
        self.md5 = crate::address::is_md5_key(&self.hashed_as).then(|| hex(digest));
    }

    pub(super) fn unchanged(&mut self, digest: &[u8], started: Instant) {
        self.set_digest(digest);
        (self.status, self.unchanged) = (SearchStatus::Found, true);
        (self.suffix_len, self.suffix_bytes, self.checkpoint) = (Some(0), Some(0), None);
        self.seconds = started.elapsed().as_secs_f64();
    }

    pub(super) fn found(&mut self, found: &Found, slice: Option<Slice>) {
        self.set_digest(&found.digest);
        (self.status, self.index) = (SearchStatus::Found, Some(found.index));
        (self.suffix_len, self.suffix_bytes, self.checkpoint) =
            (Some(found.suffix_len), Some(found.suffix.len()), None);
        self.shard = slice.map(|s| ShardReport::new(s, found.index + 1));
    }

    pub(super) fn no_hit(&mut self, slice: Option<Slice>) {
        (self.status, self.checkpoint) = (SearchStatus::NoHit, None);
        self.shard = slice.map(|s| ShardReport::new(s, u128::MAX));
    }

    pub(super) fn stopped(&mut self, slice: Option<Slice>, at: Position) {
        self.status = SearchStatus::Stopped;
        self.shard = slice.map(|s| ShardReport::new(s, at.next_index));
    }

    /// The report of a search that ended before its report was made (a bad argument).
    pub(super) fn before_start(args: &SearchArgs) -> Self {
        let output = match (&args.output, args.in_place) {
            (Some(p), _) if p == Path::new("-") => Destination::Stdout,
            (Some(p), _) => Destination::File(p.clone()),
            (None, _) => Destination::File(args.input.clone()),
        };
        let kind = ChosenKind::decide(args.kind.for_kind, &[&args.input]);
        let alphabet = args.alphabet.clone().unwrap_or_else(|| kind.kind.default_alphabet());
        let reason = alphabet_reason(&kind, args.alphabet.is_some());
        SearchReport::new(
            &args.prefix.hex(),
            &args.address.address(),
            &output,
            args.checkpoint.as_deref(),
            &alphabet,
            &kind,
            &reason,
        )
    }

    /// With --json: on stdout, or on stderr when the file itself went to stdout.
    pub(super) fn print(&self, json: bool, on_stderr: bool) -> anyhow::Result<()> {
        if !json {
            return Ok(());
        }
        let text = serde_json::to_string(self)?;
        if on_stderr {
            say(text);
        } else {
            print_line(text)?;
        }
        Ok(())
    }
}

/// Why this alphabet, in a few words: named with --alphabet, or the kind's default.
pub(super) fn alphabet_reason(kind: &ChosenKind, named: bool) -> String {
    if named {
        "named with --alphabet".into()
    } else {
        format!("the default for {} files, from {}: see ghostsum alphabets", kind.kind, kind.source_text())
    }
}
