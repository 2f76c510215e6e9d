//! What every search backend provides, and what the engine hands it.

use crate::layout::{Batch, Layout};
use crate::steps;
use crate::target::Prefix;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// One batch of one search, as a backend sees it.
pub struct Job<'a> {
    pub layout: &'a Layout,
    pub batch: &'a Batch,
    pub prefix: &'a Prefix,
}

impl Job<'_> {
    /// The full compression of one candidate, checked against every word the prefix fixes:
    /// kernels test state word A only (they stop after step 60), so a prefix longer than 8
    /// digits is finished here.
    pub fn is_real_hit(&self, mid: u32, inner: u32) -> bool {
        let mut state = self.batch.midstate;
        steps::compress_words(&mut state, &self.layout.candidate_words(self.batch, mid, inner));
        self.prefix.matches_state(&state)
    }
}

/// Shared between the engine, the backend's workers and the progress display.
#[derive(Default)]
pub struct Control {
    /// Set to stop the search: backends return [`SearchError::Cancelled`] within a dispatch
    /// or chunk. A stop signal (SIGINT, SIGTERM, SIGHUP) does the same.
    pub stop: AtomicBool,
    /// Candidates tested so far, for progress.
    pub tested: AtomicU64,
}

impl Control {
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || crate::signals::stop_requested().is_some()
    }
    pub fn add_tested(&self, n: u64) {
        self.tested.fetch_add(n, Ordering::Relaxed);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("interrupted")]
    Cancelled,
    #[error("{0}")]
    Backend(String),
}

impl SearchError {
    /// As an error for the command line: a cancellation by a stop signal becomes
    /// [`crate::signals::Interrupted`], which ends the process with 128 + the signal.
    pub fn into_error(self) -> anyhow::Error {
        match (self, crate::signals::received()) {
            (SearchError::Cancelled, Some(signal)) => crate::signals::Interrupted(signal).into(),
            (e, _) => e.into(),
        }
    }
}

pub trait Backend {
    /// "cpu" or "gpu".
    fn kind(&self) -> &'static str;
    /// The device in words: CPU kernel and threads, or the GPU adapter.
    fn device(&self) -> String;
    /// Worker threads (1 for a GPU).
    fn threads(&self) -> usize;
    /// How many mid values the engine should hand over per call: small enough that progress
    /// and checkpoints stay fresh, large enough to keep every core or the GPU busy.
    fn mids_per_call(&self, layout: &Layout) -> u64;
    /// Searches mid values `mids` of `job`'s batch in index order and returns the lowest
    /// (mid, inner) for which [`Job::is_real_hit`] holds, or None when there is none.
    fn search(&mut self, job: &Job, mids: Range<u64>, control: &Control) -> Result<Option<(u32, u32)>, SearchError>;
}
