//! Which hits a search takes. A real hit is passed over when its suffix makes a line too wide
//! to show whole ([`LineFit`]) or its output reads differently to the file's reader
//! ([`MeaningCheck`]); the search goes on to the next, so the answer is still the lowest
//! acceptable index on every device.
//!
//! The reader's place was chosen because the first suffixes a search tries read the same
//! ([`crate::placement`]), which says little about the rest: a place where nearly every hit
//! reads differently would search without end. After [`GIVE_UP_AFTER`] hits passed over by
//! the reader (and none taken: the search stops at its first), the search gives up and says
//! why.

use crate::line_fit::LineFit;
use crate::meaning::MeaningCheck;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Hits the reader may pass over before the search gives up: 64 passed over before the first
/// taken means fewer than about 1 in 20 hits keep the meaning (with 95% confidence), so the
/// search would take 20 times its estimate or more.
pub const GIVE_UP_AFTER: u32 = 64;

/// Which hits a search takes, and how many the reader passed over.
#[derive(Clone, Debug)]
pub struct Acceptance {
    /// The line width check.
    pub line_fit: LineFit,
    /// The file's reader, when its kind has one.
    pub meaning: Option<Arc<MeaningCheck>>,
    passed_over: Arc<PassedOver>,
}

#[derive(Debug, Default)]
struct PassedOver {
    count: AtomicU32,
    last_reason: Mutex<Option<String>>,
}

/// Why a search gave up: hits passed over, and the reader's reason for the last one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GaveUp {
    /// Hits passed over.
    pub count: u32,
    /// What the reader said of the last one.
    pub reason: String,
}

impl Acceptance {
    /// Takes hits that fit `line_fit` and keep `meaning`.
    pub fn new(line_fit: LineFit, meaning: Option<Arc<MeaningCheck>>) -> Acceptance {
        Acceptance { line_fit, meaning, passed_over: Arc::default() }
    }

    /// Takes every hit.
    pub fn any() -> Acceptance {
        Acceptance::new(LineFit::ANY, None)
    }

    /// Does the search take a hit with this suffix? (The reader's refusals are counted.)
    pub fn takes(&self, suffix: &[u8]) -> bool {
        if !self.line_fit.fits(suffix) {
            return false;
        }
        let Some(why) = self.meaning.as_ref().and_then(|check| check.changed(suffix)) else { return true };
        self.passed_over.count.fetch_add(1, Ordering::Relaxed);
        *self.passed_over.last_reason.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        false
    }

    /// Whether the reader has passed over so many hits that the search should give up.
    pub fn gave_up(&self) -> Option<GaveUp> {
        let count = self.passed_over.count.load(Ordering::Relaxed);
        (count >= GIVE_UP_AFTER).then(|| GaveUp {
            count,
            reason: self.passed_over.last_reason.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meaning::Reader;

    #[test]
    fn a_reader_that_passes_over_every_hit_makes_the_search_give_up() {
        // A literal block scalar last: a line of more blanks than its indentation is content.
        let check = MeaningCheck::new(Reader::Yaml, b"k: |\n  x\n".to_vec()).unwrap().placed_before(1).unwrap();
        let accept = Acceptance::new(LineFit::ANY, Some(Arc::new(check)));
        assert!(accept.takes(b"\n\n "), "a blank line within the indentation is no content");
        for _ in 0..GIVE_UP_AFTER - 1 {
            assert!(!accept.takes(b"\n     "));
        }
        assert_eq!(accept.gave_up(), None);
        assert!(!accept.clone().takes(b"\n     "), "clones count together (every device holds one)");
        let gave_up = accept.gave_up().unwrap();
        assert_eq!(gave_up.count, GIVE_UP_AFTER);
        assert!(gave_up.reason.contains("YAML reader"), "{gave_up:?}");
        assert!(Acceptance::any().takes(b"\n     "));
    }
}
