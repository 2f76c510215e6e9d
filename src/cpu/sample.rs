//! Which of two kernel sets searches a hash faster on this CPU: each runs a short sample of
//! a real layout's candidates, in turns, and the shorter best time wins. SHA-NI against the
//! widest lanes differs from CPU to CPU (AVX-512's lanes win on a Zen 4; one block at a
//! time SHA-NI is latency-bound), so it is measured rather than guessed.
//!
//! A failure to plan the sample (it cannot fail for this fixed content) keeps the lanes.

use crate::address::Address;
use crate::alphabet::Alphabet;
use crate::cpu::kernel::{InnerColumns, KernelInput, KernelKind};
use crate::hash::HashKind;
use crate::input::Content;
use crate::layout::Layout;
use std::time::{Duration, Instant};

/// Turns each kernel gets; the best of them counts, so one preempted turn does not decide.
const TURNS: usize = 3;

/// Mid values a turn searches: a few thousand candidates each, a few milliseconds a turn. A
/// multiple of every lane kernel's width over mid values (SHA-1's 64 and 24 lanes, a split
/// SHA-256's 48 and 16): with 64, AVX-512's 48 lanes ran a second group a third full, and
/// SHA-NI's 139 M/s beat the lanes' 186 in a split layout.
const MIDS_PER_TURN: u32 = 192;

/// `a` or `b`, whichever searched a sample of `hash` candidates, in a `split` layout or
/// not, in less time (`a` on a tie).
pub(super) fn faster(hash: HashKind, split: bool, a: KernelKind, b: KernelKind) -> KernelKind {
    let Some((content, layout)) = sample_layout(hash, split) else { return a };
    let segment = layout.segment(content.midstate, &content.tail, 1);
    let columns = InnerColumns::new(&layout);
    // A mask no candidate can match: every candidate is tested, none reported.
    let input =
        KernelInput { layout: &layout, segment: &segment, columns: &columns, match_word: 0, a_mask: 0, a_value: 1 };
    let kernels = [a, b].map(|kind| crate::cpu::kernel::select(&layout, Some(kind)).1);
    let mut best = [Duration::MAX; 2];
    for _ in 0..TURNS {
        for (kernel, best) in kernels.iter().zip(&mut best) {
            let started = Instant::now();
            kernel(&input, 0..MIDS_PER_TURN, &mut |_, _| false);
            *best = (*best).min(started.elapsed());
        }
    }
    if best[1] < best[0] {
        b
    } else {
        a
    }
}

/// A layout of a short commit-sized message, as a search of `hash` plans one: the shortest,
/// or with `split` the fast one, which is split.
fn sample_layout(hash: HashKind, split: bool) -> Option<(Content, Layout)> {
    let mut content = Content::from_bytes(&[b'x'; 200]);
    content.set_address(Address { hash, git_object: None });
    content.fold_for_suffix(0).ok()?;
    let plan = if split { Layout::plan_fast } else { Layout::plan };
    let layout = plan(&content, &Alphabet::space_tab(), 28, 8).ok()?;
    (layout.is_split() == split).then_some((content, layout))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample is a real search's layout, and the choice is one of the two offered.
    #[test]
    fn the_choice_is_one_of_the_two() {
        for hash in [HashKind::Sha1, HashKind::Sha256] {
            for split in [false, true] {
                assert!(sample_layout(hash, split).is_some(), "{hash} split {split}");
                let lanes = KernelKind::fastest_lanes();
                assert!([lanes, KernelKind::Portable].contains(&faster(hash, split, lanes, KernelKind::Portable)));
            }
        }
    }
}
