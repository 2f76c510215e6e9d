//! The search plan in motion: plans the layout, hands the keyspace (or a shard's slice of it)
//! to every device of a [`DeviceSet`] through one dispenser, waits for the lowest hit,
//! re-checks it with the md-5 crate, and grows the suffix if a keyspace is ever exhausted.

use crate::alphabet::Alphabet;
use crate::device::acceptance::GaveUp;
use crate::device::work::{Acceptance, SearchWork, WorkOutcome};
use crate::device::{Control, DeviceId, DeviceSet, SearchError};
use crate::input::Content;
use crate::layout::{Layout, LayoutError, DEFAULT_MIN_SEGMENT_LOG2};
use crate::line_fit::LineFit;
use crate::meaning::MeaningCheck;
use crate::shard::Shard;
use crate::target::{hex, Prefix};
use std::sync::Arc;
use std::time::Duration;

/// How often the engine looks up from waiting, to report progress and dropped devices.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// What a search covers and how.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Search only this shard's slice.
    pub shard: Option<Shard>,
    /// Resume here (from a checkpoint).
    pub resume: Option<Position>,
    /// Smallest segment the layout accepts, as log2 (tests shrink it).
    pub min_segment_log2: u32,
    /// Trade a longer suffix for fewer MD5 steps per candidate ([`Layout::plan_fast`]).
    pub fast_layout: bool,
    /// The file's reader: a hit whose output it reads differently is passed over.
    pub meaning: Option<Arc<MeaningCheck>>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            shard: None,
            resume: None,
            min_segment_log2: DEFAULT_MIN_SEGMENT_LOG2,
            fast_layout: false,
            meaning: None,
        }
    }
}

/// A verified result.
#[derive(Clone, Debug)]
pub struct Found {
    /// The candidate index: the lowest matching one in what was searched.
    pub index: u128,
    /// The suffix's bytes.
    pub suffix: Vec<u8>,
    /// Its length in symbols.
    pub suffix_len: usize,
    /// The address of content + suffix, by RustCrypto's crates (md-5, sha1, sha2).
    pub digest: Vec<u8>,
}

impl Found {
    /// The digest as md5sum (sha1sum, git) prints it.
    pub fn digest_hex(&self) -> String {
        hex(&self.digest)
    }
}

/// How far a search got; made by the dispenser that hands the keyspace out.
pub use crate::device::work::Position;

/// What the engine tells its caller while a search runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchEvent {
    /// Everything below this position is searched (checkpoints save it).
    Progress(Position),
    /// A device failed and was dropped; the others go on with its work.
    DeviceDropped {
        /// The device in words.
        device: String,
        /// What went wrong.
        reason: String,
    },
}

/// Why a search ended without a result.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Stopped, or every device failed.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// No layout fits (an alphabet that cannot).
    // Transparent: with "{0}" and #[from], `{:#}` printed the message twice (as the error
    // and again as its source).
    #[error(transparent)]
    Layout(#[from] crate::layout::LayoutError),
    /// The content could not be read back (its last line, for the line-width check).
    #[error("{0:#}")]
    Read(anyhow::Error),
    /// A hit that the md-5 crate does not confirm: a bug, never written.
    #[error("internal error: the backend reported suffix index {index} but RustCrypto's digest of the output is {md5}, which does not start with {prefix}; nothing was written. Please report this bug.")]
    #[allow(missing_docs)]
    VerificationFailed { index: u128, md5: String, prefix: String },
    /// The file's reader passed over so many hits that the search would not end.
    #[error("gave up: {} hits in a row read differently ({}), so the place keeps the meaning for too few suffixes to finish; pass --place end, or --for text to search without the proof", .0.count, .0.reason)]
    GaveUp(GaveUp),
}

/// Readies `content` for its address once the suffix is placed: folds it with the address's
/// hash, and for git's ids, whose header names the object's length, settles the suffix
/// length first. That length is the shortest that fits the final block with the header it
/// makes (a longer suffix can lengthen the header by a digit, which moves the block's
/// boundary, so the two are settled together), with `fast_layout` the fastest within 64
/// symbols of it (compared by the header each length makes), or the one a checkpoint had
/// reached.
pub fn fold_address(
    content: &mut Content,
    prefix: &Prefix,
    alphabet: &Alphabet,
    options: &EngineOptions,
) -> Result<(), EngineError> {
    // Without a header the suffix's length does not matter; with one, it is settled first
    // (a fold for any other length would be read again).
    if content.address().git_object.is_none() {
        return content.fold_for_suffix(0).map_err(EngineError::Read);
    }
    let width = alphabet.width() as u64;
    if options.fast_layout {
        // The fast length was compared with each length's own header: fold for it as it is
        // (a split layout's length is no shortest fit, which the loop below settles on). A
        // checkpoint at that length or before resumes there, as `plan` does.
        let fast = Layout::fast_suffix_len(content, alphabet, prefix.bits(), options.min_segment_log2)?;
        if options.resume.is_none_or(|r| r.suffix_len <= fast) {
            return content.fold_for_suffix(fast as u64 * width).map_err(EngineError::Read);
        }
    }
    let mut len =
        crate::layout::min_suffix_len(alphabet.radix(), prefix.bits()).max(options.resume.map_or(0, |r| r.suffix_len));
    loop {
        content.fold_for_suffix(len as u64 * width).map_err(EngineError::Read)?;
        let layout = Layout::plan_from(content, alphabet, len, options.min_segment_log2)?;
        if layout.suffix_len == len {
            return Ok(());
        }
        len = layout.suffix_len;
    }
}

/// The layout a search starts with: the shortest (or with `fast_layout` the fastest) for the
/// prefix, or the longer one a checkpoint had grown to; for git's ids, the length
/// [`fold_address`] settled.
pub fn plan(
    content: &Content,
    prefix: &Prefix,
    alphabet: &Alphabet,
    options: &EngineOptions,
) -> Result<Layout, LayoutError> {
    if let Some(bytes) = content.fixed_suffix_bytes() {
        let len = (bytes / alphabet.width() as u64) as usize;
        if options.fast_layout {
            // The length `fold_address` settled is the fast one's unless a checkpoint grew it.
            let fast = Layout::plan_fast(content, alphabet, prefix.bits(), options.min_segment_log2)?;
            if fast.suffix_len == len {
                return Ok(fast);
            }
        }
        return Layout::plan_from(content, alphabet, len, options.min_segment_log2);
    }
    let layout = if options.fast_layout {
        Layout::plan_fast(content, alphabet, prefix.bits(), options.min_segment_log2)?
    } else {
        Layout::plan(content, alphabet, prefix.bits(), options.min_segment_log2)?
    };
    match options.resume {
        Some(resume) if resume.suffix_len > layout.suffix_len => {
            Layout::plan_from(content, alphabet, resume.suffix_len, options.min_segment_log2)
        }
        _ => Ok(layout),
    }
}

/// Suffix lengths past the first a search may reach: each longer suffix is taken only after
/// every candidate of the shorter one (64 times the expected work) held no hit.
const MAX_SUFFIX_GROWTH: usize = 4;

/// Is `at` (a checkpoint's position) one this search can reach? A checkpoint is only trusted
/// as far as it could have been written by this search: its suffix length one the search
/// walks, its index inside that layout's candidates (or the shard's slice of them).
pub fn reachable(
    content: &Content,
    prefix: &Prefix,
    alphabet: &Alphabet,
    options: &EngineOptions,
    at: Position,
) -> Result<(), String> {
    let fresh = EngineOptions { resume: None, ..options.clone() };
    let first = plan(content, prefix, alphabet, &fresh).map_err(|e| e.to_string())?;
    if at.suffix_len < first.suffix_len || at.suffix_len > first.suffix_len + MAX_SUFFIX_GROWTH {
        return Err(format!(
            "suffix_len {} is not one this search reaches (it starts at {} symbols, and takes one more only after every candidate of the shorter held no hit)",
            at.suffix_len, first.suffix_len
        ));
    }
    // The layout `plan` resumes with: the first one at its length (a fast layout may be
    // split, which no shortest fit is), a grown one after it.
    let layout = match at.suffix_len == first.suffix_len {
        true => first,
        false => {
            Layout::plan_from(content, alphabet, at.suffix_len, options.min_segment_log2).map_err(|e| e.to_string())?
        }
    };
    let end = match options.shard {
        Some(shard) => shard.range(&layout).1,
        None => layout.keyspace(),
    };
    if at.next_index > end {
        return Err(format!("next_index {} is past the last candidate of its layout ({end})", at.next_index));
    }
    Ok(())
}

/// Runs the search on every live device of `devices`; None only when a shard's slice holds
/// no hit. `on_event` hears progress and dropped devices; per-device counts go to `control`.
pub fn search(
    devices: &DeviceSet,
    content: &Content,
    prefix: &Prefix,
    alphabet: &Alphabet,
    options: &EngineOptions,
    control: &Arc<Control>,
    on_event: &mut dyn FnMut(SearchEvent),
) -> Result<Option<Found>, EngineError> {
    let ids: Vec<DeviceId> = devices.live().collect();
    start(devices, &ids, content, prefix, alphabet, options, control)?.finish(devices, on_event)
}

/// Hands a search to the devices `ids` and returns at once: they work on it in the
/// background (each device on the oldest search it has) until [`Started::finish`] waits for
/// its answer, so the next search of a batch can start before this one's hit is written.
pub fn start<'a>(
    devices: &DeviceSet,
    ids: &[DeviceId],
    content: &'a Content,
    prefix: &'a Prefix,
    alphabet: &'a Alphabet,
    options: &'a EngineOptions,
    control: &Arc<Control>,
) -> Result<Started<'a>, EngineError> {
    let layout = plan(content, prefix, alphabet, options)?;
    let whole_fit = LineFit::for_content(content, alphabet).map_err(EngineError::Read)?;
    let mut started =
        Started { content, prefix, alphabet, options, control: control.clone(), whole_fit, layout, works: Vec::new() };
    started.launch(devices, ids)?;
    Ok(started)
}

/// A search the devices are working on ([`start`]); dropping it unfinished withdraws it.
pub struct Started<'a> {
    content: &'a Content,
    prefix: &'a Prefix,
    alphabet: &'a Alphabet,
    options: &'a EngineOptions,
    control: Arc<Control>,
    /// Which suffixes fit the content's last line, for any range.
    whole_fit: LineFit,
    layout: Layout,
    /// Every layout's work handed out, the current one last (a search grows its suffix only
    /// when a keyspace is exhausted).
    works: Vec<Arc<SearchWork>>,
}

impl<'a> Started<'a> {
    /// Hands the current layout's indices (or the shard's slice, from the resume point) to `ids`.
    fn launch(&mut self, devices: &DeviceSet, ids: &[DeviceId]) -> Result<(), EngineError> {
        let (mut start, end) = match self.options.shard {
            Some(shard) => shard.range(&self.layout),
            None => (0, self.layout.keyspace()),
        };
        let line_fit = self.whole_fit.for_range(&self.layout, start, end, self.prefix.bits());
        let accept = Acceptance::new(line_fit, self.options.meaning.clone());
        if let Some(resume) = self.options.resume {
            if resume.suffix_len == self.layout.suffix_len {
                start = start.max(resume.next_index.min(end));
            }
        }
        let work = hand_out(devices, ids, &self.layout, self.prefix, self.content, accept, start..end, &self.control)?;
        self.works.push(work);
        Ok(())
    }

    /// The target.
    pub fn prefix(&self) -> &Prefix {
        self.prefix
    }

    /// The content searched.
    pub fn content(&self) -> &'a Content {
        self.content
    }

    /// Where the search starts: a checkpoint's position, or the beginning.
    pub fn start_position(&self) -> Position {
        self.options.resume.unwrap_or(Position { suffix_len: 0, next_index: 0 })
    }

    /// Candidates tested for this search so far, over every device.
    pub fn tested(&self) -> u64 {
        self.works.iter().map(|w| w.tested()).sum()
    }

    /// The most worker threads device `id` said it searched any layout of this with.
    pub fn workers_of(&self, id: DeviceId) -> Option<usize> {
        self.works.iter().filter_map(|w| w.workers_of(id)).max()
    }

    /// Candidates device `id` tested for this search so far.
    pub fn tested_by(&self, id: DeviceId) -> u64 {
        self.works.iter().map(|w| w.tested_by(id)).sum()
    }

    /// Waits for the answer: the lowest hit, verified with the md-5 crate; None only when a
    /// shard's slice holds none. An exhausted keyspace (practically never) grows the suffix
    /// and goes on, on every live device.
    pub fn finish(
        &mut self,
        devices: &DeviceSet,
        on_event: &mut dyn FnMut(SearchEvent),
    ) -> Result<Option<Found>, EngineError> {
        loop {
            let work = self.works.last().cloned().expect("a launched search");
            match wait_for(&work, on_event)? {
                WorkOutcome::Hit(index) => {
                    return verified(self.content, self.prefix, &self.layout, &work.accept, index).map(Some)
                }
                WorkOutcome::Exhausted if self.options.shard.is_some() => return Ok(None),
                // A git id's header names the suffix length: the search cannot grow it.
                WorkOutcome::Exhausted if self.content.fixed_suffix_bytes().is_some() => {
                    return Err(SearchError::Backend(format!(
                        "no suffix of {} symbols gives {}: with 64 times the expected candidates searched, this is all but impossible; please report it",
                        self.layout.suffix_len,
                        self.prefix
                    ))
                    .into())
                }
                // Practically unreachable (the keyspace is 2^6 times the expected trials), but
                // a search must never give up: one more symbol, and on.
                WorkOutcome::Exhausted => {
                    self.layout = Layout::plan_from(
                        self.content,
                        self.alphabet,
                        self.layout.suffix_len + 1,
                        self.options.min_segment_log2,
                    )?;
                    let ids: Vec<DeviceId> = devices.live().collect();
                    self.launch(devices, &ids)?;
                }
                WorkOutcome::Stopped => return Err(SearchError::Cancelled.into()),
                WorkOutcome::NoDevices(why) => {
                    return Err(SearchError::Backend(format!("every device failed ({why}); try --backend cpu")).into())
                }
            }
        }
    }
}

impl Drop for Started<'_> {
    /// A search nobody waits for any more (a batch stopped or failed with pages in flight)
    /// must not keep the devices busy.
    fn drop(&mut self) {
        if let Some(work) = self.works.last() {
            work.withdraw();
        }
    }
}

/// Hands one layout's indices to the devices `ids` and waits for the outcome, reporting
/// progress and dropped devices on the way (a measurement: [`crate::measure`], which takes
/// every hit); returns the work too, for what each device did.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_work(
    devices: &DeviceSet,
    ids: &[DeviceId],
    layout: &Layout,
    prefix: &Prefix,
    content: &Content,
    indices: std::ops::Range<u128>,
    control: &Arc<Control>,
    on_event: &mut dyn FnMut(SearchEvent),
) -> Result<(WorkOutcome, Arc<SearchWork>), EngineError> {
    let work = hand_out(devices, ids, layout, prefix, content, Acceptance::any(), indices, control)?;
    Ok((wait_for(&work, on_event)?, work))
}

/// Hands one layout's indices to the devices `ids`, who start on it at once.
#[allow(clippy::too_many_arguments)]
fn hand_out(
    devices: &DeviceSet,
    ids: &[DeviceId],
    layout: &Layout,
    prefix: &Prefix,
    content: &Content,
    accept: Acceptance,
    indices: std::ops::Range<u128>,
    control: &Arc<Control>,
) -> Result<Arc<SearchWork>, EngineError> {
    if ids.is_empty() {
        return Err(SearchError::Backend("no device is left to search on; try --backend cpu".into()).into());
    }
    let work = Arc::new(
        SearchWork::new(layout.clone(), prefix.clone(), content, indices, control.clone(), devices.infos(), ids)
            .with_acceptance(accept),
    );
    devices.start(&work, ids);
    Ok(work)
}

/// Waits for one search's outcome, reporting progress and dropped devices on the way; gives
/// up when the file's reader passes over too many hits.
fn wait_for(work: &SearchWork, on_event: &mut dyn FnMut(SearchEvent)) -> Result<WorkOutcome, EngineError> {
    let mut reported = None;
    loop {
        let outcome = work.wait(REPORT_EVERY);
        for (device, reason) in work.new_drops() {
            on_event(SearchEvent::DeviceDropped { device, reason });
        }
        let position = work.position();
        if reported != Some(position) {
            on_event(SearchEvent::Progress(position));
            reported = Some(position);
        }
        if let Some(outcome) = outcome {
            return Ok(outcome);
        }
        if let Some(gave_up) = work.accept.gave_up() {
            work.withdraw();
            return Err(EngineError::GaveUp(gave_up));
        }
    }
}

/// Rebuilds a hit's bytes and hashes them with the md-5 crate before anyone sees it.
fn verified(
    content: &Content,
    prefix: &Prefix,
    layout: &Layout,
    accept: &Acceptance,
    index: u128,
) -> Result<Found, EngineError> {
    let suffix = layout.suffix(index);
    let digest = content.digest_with_suffix(&suffix).map_err(EngineError::Read)?;
    if !prefix.matches_digest(&digest) || !accept.takes(&suffix) {
        return Err(EngineError::VerificationFailed { index, md5: hex(&digest), prefix: prefix.to_string() });
    }
    Ok(Found { index, suffix, suffix_len: layout.suffix_len, digest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_error_is_said_once() {
        let e: anyhow::Error = EngineError::from(LayoutError::NoLength(40)).into();
        let said = format!("{e:#}");
        assert_eq!(said.matches("no suffix length").count(), 1, "{said}");
    }
}
