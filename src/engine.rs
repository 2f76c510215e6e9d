//! The search plan in motion: walks the keyspace in index order, batch by batch, hands mid
//! ranges to a backend, re-checks every hit with the md-5 crate, and grows the suffix if a
//! keyspace is ever exhausted.

use crate::alphabet::Alphabet;
use crate::backend::{Backend, Control, Job, SearchError};
use crate::input::Content;
use crate::layout::{Batch, Layout, LayoutError, DEFAULT_MIN_BATCH_LOG2};
use crate::shard::Shard;
use crate::target::{hex, Prefix};
use crate::verify;
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct EngineOptions {
    pub shard: Option<Shard>,
    /// Resume here (from a checkpoint).
    pub resume: Option<Position>,
    pub min_batch_log2: u32,
    /// Trade a longer suffix for fewer MD5 steps per candidate ([`Layout::plan_fast`]).
    pub fast_layout: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions { shard: None, resume: None, min_batch_log2: DEFAULT_MIN_BATCH_LOG2, fast_layout: false }
    }
}

/// A verified result.
#[derive(Clone, Debug)]
pub struct Found {
    pub index: u128,
    pub suffix: Vec<u8>,
    pub suffix_len: usize,
    pub digest: [u8; 16],
}

impl Found {
    pub fn md5_hex(&self) -> String {
        hex(&self.digest)
    }
}

/// How far a search got: every candidate below `next_index` (for suffixes of `suffix_len`
/// symbols) has been searched. The engine reports it after each backend call; checkpoints
/// save it; a resumed search starts there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub suffix_len: usize,
    pub next_index: u128,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("{0}")]
    Layout(#[from] crate::layout::LayoutError),
    #[error("internal error: the backend reported suffix index {index} but the md-5 crate's digest of the output is {md5}, which does not start with {prefix}; nothing was written. Please report this bug.")]
    VerificationFailed { index: u128, md5: String, prefix: String },
}

/// The layout a search starts with: the shortest (or with `fast_layout` the fastest) for the
/// prefix, or the longer one a checkpoint had grown to.
pub fn plan(
    content: &Content,
    prefix: &Prefix,
    alphabet: &Alphabet,
    options: &EngineOptions,
) -> Result<Layout, LayoutError> {
    let layout = if options.fast_layout {
        Layout::plan_fast(content, alphabet, prefix.bits(), options.min_batch_log2)?
    } else {
        Layout::plan(content, alphabet, prefix.bits(), options.min_batch_log2)?
    };
    match options.resume {
        Some(resume) if resume.suffix_len > layout.suffix_len => {
            Layout::plan_from(content.len, alphabet, resume.suffix_len, options.min_batch_log2)
        }
        _ => Ok(layout),
    }
}

/// Runs the search; None only when a shard's part of the keyspace holds no hit.
pub fn search(
    content: &Content,
    prefix: &Prefix,
    alphabet: &Alphabet,
    backend: &mut dyn Backend,
    options: &EngineOptions,
    control: &Control,
    on_progress: &mut dyn FnMut(Position),
) -> Result<Option<Found>, EngineError> {
    let mut layout = plan(content, prefix, alphabet, options)?;
    loop {
        let (mut next, end) = match options.shard {
            Some(shard) => shard.range(&layout),
            None => (0, layout.keyspace()),
        };
        if let Some(resume) = options.resume {
            if resume.suffix_len == layout.suffix_len {
                next = next.max(resume.next_index);
            }
        }
        let mut batch: Option<Batch> = None;
        while next < end {
            let (batch_number, mid, _) = layout.split_index(next);
            if batch.as_ref().is_none_or(|b| b.index_base != batch_number * layout.batch_size()) {
                batch = Some(layout.batch(content.midstate, &content.tail, batch_number));
            }
            let batch = batch.as_ref().unwrap();
            let batch_end_mid =
                ((end - batch.index_base) / layout.inner_count() as u128).min(layout.mid_count() as u128) as u64;
            let mid_end = (mid as u64 + backend.mids_per_call(&layout)).min(batch_end_mid);
            let job = Job { layout: &layout, batch, prefix };
            if let Some((hit_mid, inner)) = backend.search(&job, mid as u64..mid_end, control)? {
                let index = layout.index_of(batch, hit_mid, inner);
                return verified(content, prefix, &layout, index).map(Some);
            }
            next = batch.index_base + mid_end as u128 * layout.inner_count() as u128;
            on_progress(Position { suffix_len: layout.suffix_len, next_index: next });
        }
        if options.shard.is_some() {
            return Ok(None);
        }
        // Practically unreachable (the keyspace is 2^6 times the expected trials), but a
        // search must never give up: one more symbol, and on.
        layout = Layout::plan_from(content.len, alphabet, layout.suffix_len + 1, options.min_batch_log2)?;
    }
}

/// Rebuilds a hit's bytes and hashes them with the md-5 crate before anyone sees it.
fn verified(content: &Content, prefix: &Prefix, layout: &Layout, index: u128) -> Result<Found, EngineError> {
    let suffix = layout.suffix(index);
    let digest = verify::md5_with_suffix(&content.hasher, &suffix);
    if !prefix.matches_digest(&digest) {
        return Err(EngineError::VerificationFailed { index, md5: hex(&digest), prefix: prefix.to_string() });
    }
    Ok(Found { index, suffix, suffix_len: layout.suffix_len, digest })
}

/// What `measure_rate` measures: the layout of a `bits`-bit search after `content_len`
/// bytes. The speed depends on it: the later the first inner word, the fewer steps.
#[derive(Clone, Copy, Debug)]
pub struct RateProbe {
    pub content_len: usize,
    pub bits: u32,
    pub fast_layout: bool,
}

impl RateProbe {
    /// The probe's content: `content_len` bytes of filler.
    fn content(&self) -> Content {
        Content::from_bytes(&vec![b'x'; self.content_len])
    }

    pub fn layout(&self) -> Layout {
        self.layout_for(&self.content())
    }

    fn layout_for(&self, content: &Content) -> Layout {
        let alphabet = Alphabet::whitespace();
        let plan = if self.fast_layout { Layout::plan_fast } else { Layout::plan };
        plan(content, &alphabet, self.bits, DEFAULT_MIN_BATCH_LOG2).expect("whitespace always has a layout")
    }
}

/// Measures a backend's real hot path for about `seconds`: a search for a 32-digit prefix,
/// which (almost surely) never hits, laid out as `probe` says. Returns (candidates, seconds).
pub fn measure_rate(
    backend: &mut dyn Backend,
    probe: RateProbe,
    seconds: f64,
    control: &Control,
) -> Result<(u64, f64), SearchError> {
    let content = probe.content();
    let prefix = Prefix::parse("0123456789abcdef0123456789abcdef").unwrap();
    let layout = probe.layout_for(&content);
    let batch = layout.batch(content.midstate, &content.tail, 0);
    let job = Job { layout: &layout, batch: &batch, prefix: &prefix };
    let step = backend.mids_per_call(&layout);
    let before = control.tested.load(std::sync::atomic::Ordering::Relaxed);
    let started = Instant::now();
    let mut mid = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        let end = (mid + step).min(layout.mid_count());
        backend.search(&job, mid..end, control)?;
        mid = if end == layout.mid_count() { 0 } else { end };
    }
    let tested = control.tested.load(std::sync::atomic::Ordering::Relaxed) - before;
    Ok((tested, started.elapsed().as_secs_f64()))
}
