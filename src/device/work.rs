//! One search, as every device sees it: a dispenser that hands out ranges of candidates in
//! increasing index order, and the bookkeeping that makes the lowest hit win whatever mix of
//! devices took which range.
//!
//! Work is counted in *mid units*: one mid value of one segment, that is `inner_count`
//! consecutive candidate indices (global mid `g` covers indices `g * inner_count ..`). A range
//! never straddles two segments, so a device sees one segment midstate per range.
//!
//! * A device asks for a range sized to its own speed ([`SearchWork::take`]: a CPU chunk, a GPU
//!   dispatch) and reports it done with its lowest real hit, if any ([`SearchWork::complete`]).
//! * A hit at global mid `H` stops fresh ranges at `H`; ranges already out below it still run.
//!   The search is over when every range below the lowest hit is done: that hit is then the
//!   lowest index of all, the same answer on one device or many.
//! * A device that fails gives its ranges back; the next takers get them first.
//! * Early in a search, ranges are no larger than everything handed out so far (they double),
//!   and never larger than a sixteenth of the work a hit takes on average, so a short search
//!   is not held up by one big dispatch.
//! * Once nothing fresh is left below the lowest hit, an idle device searches the lowest part
//!   of a range another device still holds (a backup copy): a slow device holding a low range
//!   then delays the answer by no more than the fast device takes to search it again.

pub use super::acceptance::Acceptance;
use super::{DeviceId, DeviceInfo, DeviceKind};
use crate::layout::{Layout, Segment};
use crate::target::Prefix;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How far a search got: every candidate below `next_index` (for suffixes of `suffix_len`
/// symbols) has been searched. The dispenser computes it from its frontier; the engine
/// reports it after each backend call; checkpoints save it; a resumed search starts there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Suffix length of the layout searched.
    pub suffix_len: usize,
    /// Every candidate below this index is searched.
    pub next_index: u128,
}

/// The smallest range of a search's first takes, in mid units (about 800,000 candidates for
/// whitespace): enough to amortise a GPU dispatch, small enough for a short page.
const RAMP_START_MIDS: u128 = 256;

/// One segment of one search, as a device sees it.
pub struct Job<'a> {
    /// The search's layout.
    pub layout: &'a Layout,
    /// The segment the range lies in.
    pub segment: &'a Segment,
    /// The target.
    pub prefix: &'a Prefix,
    /// Which suffixes keep their lines within a terminal's width, and the file's meaning.
    pub accept: &'a Acceptance,
}

impl Job<'_> {
    /// The full compression of one candidate, checked against every word the prefix fixes:
    /// kernels test state word A only (they stop after step 60), so a prefix longer than 8
    /// digits is finished here.
    /// A hit whose suffix would make a line too wide to show whole is passed over (see
    /// [`LineFit`]).
    pub fn is_real_hit(&self, mid: u32, inner: u32) -> bool {
        let state = self.layout.candidate_state(self.segment, mid, inner);
        self.prefix.matches_state(&state)
            && self.accept.takes(&self.layout.suffix(self.layout.index_of(self.segment, mid, inner)))
    }
}

/// A range of mid values of one segment, handed to one device.
#[derive(Clone)]
pub struct WorkRange {
    /// Global mid of `mids.start` (the dispenser's key for this range).
    pub first: u128,
    /// The segment, shared by every range in it.
    pub segment: Arc<Segment>,
    /// Mid values within the segment.
    pub mids: Range<u32>,
    /// When the device took it (the device's turnaround is measured from here).
    taken: Instant,
}

impl WorkRange {
    /// Mid values in the range.
    pub fn len(&self) -> u32 {
        self.mids.end - self.mids.start
    }

    /// True for an empty range (never handed out).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where the dispenser stands; behind the one lock.
struct Dispenser {
    /// Next fresh global mid.
    next: u128,
    /// Global mid where the search's ranges end (the shard's or the keyspace's end).
    end: u128,
    /// Ranges given back by failed devices, handed out first: start -> end.
    returned: BTreeMap<u128, u128>,
    /// Ranges out: (start, device) -> end; backup copies overlap the ranges they copy.
    out: BTreeMap<(u128, DeviceId), u128>,
    /// Global mid below which every range out has a backup copy (or is done).
    backed_up_to: u128,
    /// Done ranges above the frontier, disjoint: start -> end.
    done: BTreeMap<u128, u128>,
    /// Every global mid below this is done.
    frontier: u128,
    /// The lowest real hit so far: (candidate index, global mid).
    best: Option<(u128, u128)>,
    /// The segment of the latest fresh range.
    segment: Option<Arc<Segment>>,
    /// Devices still taking part.
    live: usize,
    /// Why devices were dropped: (device, reason), reported once each.
    dropped: Vec<(DeviceId, String)>,
    reported_drops: usize,
}

/// One search's shared state.
pub struct SearchWork {
    /// The layout every range belongs to.
    pub layout: Layout,
    /// The target.
    pub prefix: Prefix,
    /// Which hits the search takes.
    pub accept: Acceptance,
    content_midstate: crate::hash::State,
    content_tail: Vec<u8>,
    first: u128,
    /// The largest range handed out, in mid units (see `take`).
    range_cap: u128,
    /// Whether a GPU takes part (it needs a core to feed it).
    a_gpu_takes_part: bool,
    stop: Arc<super::Control>,
    state: Mutex<Dispenser>,
    changed: Condvar,
    /// Every device of the set, by id (names for messages).
    infos: Vec<DeviceInfo>,
    finished: AtomicBool,
    /// Candidates tested for this search, per device, by id.
    tested_by: Vec<AtomicU64>,
    /// Worker threads each device searches this with, by id, as it said (0 before).
    workers_by: Vec<AtomicUsize>,
}

/// How a search ended, as the dispenser saw it.
pub enum WorkOutcome {
    /// The lowest hit's candidate index.
    Hit(u128),
    /// Every range was searched without a hit.
    Exhausted,
    /// A stop was asked for; everything below `Position` is done.
    Stopped,
    /// Every device failed.
    NoDevices(String),
}

impl SearchWork {
    /// The same search, passing over hits that `accept` refuses (see [`Acceptance`]).
    pub fn with_acceptance(mut self, accept: Acceptance) -> Self {
        self.accept = accept;
        self
    }

    /// A search over candidate indices `indices` (from the start of the first mid unit that
    /// holds `indices.start`), on devices described by `infos`, of which those in `ids` take
    /// part.
    pub fn new(
        layout: Layout,
        prefix: Prefix,
        content: &crate::input::Content,
        indices: Range<u128>,
        control: Arc<super::Control>,
        infos: Vec<DeviceInfo>,
        ids: &[DeviceId],
    ) -> Self {
        let unit = layout.inner_count() as u128;
        let (first, end) = (indices.start / unit, indices.end.div_ceil(unit));
        let expected = 1u128.checked_shl(prefix.bits()).unwrap_or(u128::MAX);
        let range_cap = (expected / 16 / unit).max(RAMP_START_MIDS);
        let tested_by = (0..infos.len()).map(|_| AtomicU64::new(0)).collect();
        let workers_by = (0..infos.len()).map(|_| AtomicUsize::new(0)).collect();
        let a_gpu_takes_part = ids.iter().any(|&id| infos.get(id).is_some_and(|i| i.kind == DeviceKind::Gpu));
        SearchWork {
            layout,
            prefix,
            accept: Acceptance::any(),
            content_midstate: content.midstate,
            content_tail: content.tail.clone(),
            first,
            range_cap,
            a_gpu_takes_part,
            stop: control,
            state: Mutex::new(Dispenser {
                next: first,
                end,
                returned: BTreeMap::new(),
                out: BTreeMap::new(),
                backed_up_to: first,
                done: BTreeMap::new(),
                frontier: first,
                best: None,
                segment: None,
                live: ids.len(),
                dropped: Vec::new(),
                reported_drops: 0,
            }),
            changed: Condvar::new(),
            infos,
            finished: AtomicBool::new(false),
            tested_by,
            workers_by,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Dispenser> {
        crate::sync::lock(&self.state)
    }

    /// True once the engine has its answer (or withdrew the search): a device still getting
    /// ready need not join, and no device takes another range.
    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Relaxed)
    }

    /// Ends the search for the devices: nobody waits for its answer any more. Ranges out are
    /// finished by their devices; no new one is handed out.
    pub fn withdraw(&self) {
        self.finished.store(true, Ordering::Relaxed);
        self.changed.notify_all();
    }

    /// Whether a GPU takes part: the CPU then leaves it the core its host thread needs.
    pub fn has_a_gpu(&self) -> bool {
        self.a_gpu_takes_part
    }

    /// Candidates tested for this search so far, over every device.
    pub fn tested(&self) -> u64 {
        self.tested_by.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Device `id` searches this with `threads` worker threads (what reports give).
    pub fn set_workers(&self, id: DeviceId, threads: usize) {
        if let Some(workers) = self.workers_by.get(id) {
            workers.store(threads, Ordering::Relaxed);
        }
    }

    /// The worker threads device `id` said it searches this with; None if it has not.
    pub fn workers_of(&self, id: DeviceId) -> Option<usize> {
        Some(self.workers_by.get(id)?.load(Ordering::Relaxed)).filter(|&n| n > 0)
    }

    /// Candidates device `id` tested for this search so far.
    pub fn tested_by(&self, id: DeviceId) -> u64 {
        self.tested_by.get(id).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// The next range for `device`, at most `max_mids` mid values; None when there is no more
    /// work for it (the search is over, a stop was asked for, or a hit made the rest useless).
    pub fn take(&self, device: DeviceId, max_mids: u128) -> Option<WorkRange> {
        if self.is_finished() || self.stop.stopped() {
            return None;
        }
        let mut d = self.lock();
        let limit = d.best.map_or(d.end, |(_, mid)| mid.min(d.end));
        let mid_count = self.layout.mid_count() as u128;
        // Ranges given back by a failed device come first: they are the lowest.
        let (start, end) = if let Some((&start, &end)) = d.returned.iter().next().filter(|(&s, _)| s < limit) {
            d.returned.remove(&start);
            let cut = end.min(start + max_mids.max(1)).min((start / mid_count + 1) * mid_count);
            if cut < end {
                d.returned.insert(cut, end);
            }
            (start, cut)
        } else if d.next < limit {
            // Double at most (no range is bigger than all handed out before it), and no more
            // than a sixteenth of the work a hit takes on average: a range handed out just
            // before the hit is found still runs, and should cost little beside the search.
            let ramp = (d.next - self.first).max(RAMP_START_MIDS).min(self.range_cap);
            let segment_end = (d.next / mid_count + 1) * mid_count;
            let end = (d.next + max_mids.max(1).min(ramp)).min(limit).min(segment_end);
            let start = d.next;
            d.next = end;
            (start, end)
        } else {
            backup_range(&mut d, device, limit, max_mids, mid_count)?
        };
        let segment_number = start / mid_count;
        let segment = match &d.segment {
            Some(b) if b.index_base == segment_number * self.layout.segment_size() => b.clone(),
            _ => {
                let b = Arc::new(self.layout.segment(self.content_midstate, &self.content_tail, segment_number));
                d.segment = Some(b.clone());
                b
            }
        };
        d.out.insert((start, device), end);
        let offset = segment_number * mid_count;
        Some(WorkRange {
            first: start,
            segment,
            mids: (start - offset) as u32..(end - offset) as u32,
            taken: Instant::now(),
        })
    }

    /// Reports a range done: `hit` is its lowest real hit (candidate index), `tested` the
    /// candidates the device tested for it.
    pub fn complete(&self, device: DeviceId, range: &WorkRange, hit: Option<u128>, tested: u64) {
        self.stop.add_tested(device, tested);
        self.stop.record_turnaround(device, range.taken.elapsed());
        if let Some(count) = self.tested_by.get(device) {
            count.fetch_add(tested, Ordering::Relaxed);
        }
        let mut d = self.lock();
        let Some(end) = d.out.remove(&(range.first, device)) else { return };
        if let Some(index) = hit {
            let mid = index / self.layout.inner_count() as u128;
            if d.best.is_none_or(|(best, _)| index < best) {
                d.best = Some((index, mid));
            }
        }
        mark_done(&mut d, range.first, end);
        self.changed.notify_all();
    }

    /// Drops a device from this search: its ranges go back to the dispenser.
    pub fn fail(&self, device: DeviceId, reason: String) {
        let mut d = self.lock();
        let mine: Vec<(u128, u128)> =
            d.out.iter().filter(|((_, owner), _)| *owner == device).map(|(&(s, _), &e)| (s, e)).collect();
        for (start, end) in mine {
            d.out.remove(&(start, device));
            d.returned.insert(start, end);
        }
        d.live = d.live.saturating_sub(1);
        d.dropped.push((device, reason));
        self.changed.notify_all();
    }

    /// Devices dropped since the last call: (name, reason).
    pub fn new_drops(&self) -> Vec<(String, String)> {
        let mut d = self.lock();
        let fresh: Vec<(DeviceId, String)> = d.dropped[d.reported_drops..].to_vec();
        d.reported_drops = d.dropped.len();
        fresh.into_iter().map(|(id, why)| (self.infos[id].name.clone(), why)).collect()
    }

    /// Every candidate below this index is searched.
    pub fn position(&self) -> Position {
        let frontier = self.lock().frontier;
        Position { suffix_len: self.layout.suffix_len, next_index: frontier * self.layout.inner_count() as u128 }
    }

    /// Waits up to `timeout` for the search to end; None while it goes on.
    pub fn wait(&self, timeout: Duration) -> Option<WorkOutcome> {
        let d = self.lock();
        let d = match self.outcome(&d) {
            Some(_) => d,
            None => self.changed.wait_timeout(d, timeout).unwrap_or_else(|e| e.into_inner()).0,
        };
        let outcome = self.outcome(&d);
        if outcome.is_some() {
            self.finished.store(true, Ordering::Relaxed);
        }
        outcome
    }

    fn outcome(&self, d: &Dispenser) -> Option<WorkOutcome> {
        match d.best {
            // Everything below the hit's mid unit is done (its own unit was searched in order).
            Some((index, mid)) if d.frontier > mid => return Some(WorkOutcome::Hit(index)),
            None if d.frontier >= d.end && d.returned.is_empty() => return Some(WorkOutcome::Exhausted),
            _ => {}
        }
        if self.stop.stopped() && d.out.is_empty() {
            return Some(WorkOutcome::Stopped);
        }
        if d.live == 0 {
            let reasons: Vec<String> =
                d.dropped.iter().map(|(id, why)| format!("{}: {why}", self.infos[*id].name)).collect();
            return Some(WorkOutcome::NoDevices(reasons.join("; ")));
        }
        None
    }
}

/// Records `start..end` as done in the disjoint interval map and moves the frontier on.
fn mark_done(d: &mut Dispenser, start: u128, end: u128) {
    let (mut start, mut end) = (start.max(d.frontier), end);
    if start >= end {
        return;
    }
    // Merge with every done interval it touches.
    let touching: Vec<(u128, u128)> =
        d.done.range(..=end).filter(|(_, &e)| e >= start).map(|(&s, &e)| (s, e)).collect();
    for (s, e) in touching {
        d.done.remove(&s);
        (start, end) = (start.min(s), end.max(e));
    }
    d.done.insert(start, end);
    if let Some((&s, &e)) = d.done.iter().next() {
        if s <= d.frontier {
            d.done.remove(&s);
            d.frontier = d.frontier.max(e);
        }
    }
}

/// A backup copy for `device` of the lowest part of a range another device holds below
/// `limit`, not yet done nor copied; None when there is none.
fn backup_range(
    d: &mut Dispenser,
    device: DeviceId,
    limit: u128,
    max_mids: u128,
    mid_count: u128,
) -> Option<(u128, u128)> {
    let from = d.backed_up_to.max(d.frontier);
    let (&(start, _), &end) = d
        .out
        .iter()
        .filter(|((s, owner), e)| *owner != device && **e > from && *s < limit)
        .min_by_key(|((s, _), _)| (*s).max(from))?;
    let mut start = start.max(from);
    // Skip what is already done.
    if let Some((_, &done_end)) = d.done.range(..=start).next_back().filter(|(_, &e)| e > start) {
        start = done_end;
    }
    let end = end.min(limit).min(start + max_mids.max(1)).min((start / mid_count + 1) * mid_count);
    if start >= end {
        d.backed_up_to = d.backed_up_to.max(end.max(start));
        return None;
    }
    d.backed_up_to = end;
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alphabet::Alphabet;
    use crate::device::{Control, DeviceKind};
    use crate::input::Content;

    fn work(indices: Range<u128>, devices: usize) -> SearchWork {
        work_for("abcdef", indices, devices)
    }

    fn work_for(prefix: &str, indices: Range<u128>, devices: usize) -> SearchWork {
        let content = Content::from_bytes(b"dispenser");
        let layout =
            Layout::plan(&content, &Alphabet::whitespace(), 24, crate::layout::DEFAULT_MIN_SEGMENT_LOG2).unwrap();
        let infos = (0..devices)
            .map(|i| DeviceInfo { kind: DeviceKind::Cpu, name: format!("device {i}"), threads: 1 })
            .collect();
        let prefix = Prefix::parse(prefix).unwrap();
        let ids: Vec<usize> = (0..devices).collect();
        SearchWork::new(layout, prefix, &content, indices, Arc::new(Control::for_devices(devices)), infos, &ids)
    }

    #[test]
    fn a_search_knows_whether_a_gpu_takes_part() {
        let content = Content::from_bytes(b"dispenser");
        let layout =
            Layout::plan(&content, &Alphabet::whitespace(), 24, crate::layout::DEFAULT_MIN_SEGMENT_LOG2).unwrap();
        let infos = vec![
            DeviceInfo { kind: DeviceKind::Gpu, name: "gpu".into(), threads: 1 },
            DeviceInfo { kind: DeviceKind::Cpu, name: "cpu".into(), threads: 2 },
        ];
        let with = |ids: &[DeviceId]| {
            let control = Arc::new(Control::for_devices(2));
            let prefix = Prefix::parse("abc").unwrap();
            SearchWork::new(layout.clone(), prefix, &content, 0..1 << 20, control, infos.clone(), ids).has_a_gpu()
        };
        assert!(!with(&[1]));
        assert!(with(&[0, 1]) && with(&[0]));
    }

    #[test]
    fn ranges_go_out_in_order_and_double_from_a_small_start() {
        let w = work_for("0123456789abcdef", 0..u128::MAX / 4, 1);
        let sizes: Vec<u32> = (0..6).map(|_| w.take(0, 1 << 40).unwrap().len()).collect();
        assert_eq!(sizes, vec![256, 256, 512, 1024, 2048, 4096]);
        // A 6-digit prefix takes 2^24 candidates on average: ranges stop growing at 2^20.
        let w = work(0..u128::MAX / 4, 1);
        let sizes: Vec<u32> = (0..4).map(|_| w.take(0, 1 << 40).unwrap().len()).collect();
        assert_eq!(sizes, vec![256, 256, 335, 335]);
    }

    #[test]
    fn the_lowest_hit_wins_once_everything_below_it_is_done() {
        let unit = 3125u128; // inner values of this layout
        let w = work(0..u128::MAX / 4, 2);
        let low = w.take(0, 10).unwrap();
        let high = w.take(1, 10).unwrap();
        assert_eq!((low.first, high.first), (0, 10));
        // The higher range finds a hit first: not the answer while the lower one runs.
        w.complete(1, &high, Some(12 * unit + 7), 100);
        assert!(w.wait(Duration::ZERO).is_none());
        // No fresh range above the hit: at most a backup copy of the range below it.
        assert_eq!(w.take(1, 10).map(|r| r.first), Some(0));
        w.complete(0, &low, Some(3 * unit + 1), 100);
        assert!(matches!(w.wait(Duration::ZERO), Some(WorkOutcome::Hit(i)) if i == 3 * unit + 1));
    }

    #[test]
    fn a_failed_devices_ranges_go_to_the_others_first() {
        let w = work(0..u128::MAX / 4, 2);
        let held = w.take(0, 100).unwrap();
        let next = w.take(1, 100).unwrap();
        w.fail(0, "lost".into());
        assert_eq!(w.new_drops(), vec![("device 0".to_string(), "lost".to_string())]);
        let again = w.take(1, 1000).unwrap();
        assert_eq!((again.first, again.len()), (held.first, held.len()), "the held range comes back first");
        w.complete(1, &next, None, 0);
        w.complete(1, &again, None, 0);
        assert_eq!(w.position().next_index, (held.len() + next.len()) as u128 * 3125);
        // The last device failing ends the search with the reasons.
        w.fail(1, "lost too".into());
        assert!(matches!(w.wait(Duration::ZERO), Some(WorkOutcome::NoDevices(why)) if why.contains("lost too")));
    }

    #[test]
    fn a_slice_is_searched_to_its_end_and_no_further() {
        let unit = 3125u128;
        let w = work(5 * unit..9 * unit, 1);
        let r = w.take(0, 1000).unwrap();
        assert_eq!((r.first, r.len()), (5, 4));
        assert!(w.take(0, 1000).is_none());
        w.complete(0, &r, None, 4 * 3125);
        assert!(matches!(w.wait(Duration::ZERO), Some(WorkOutcome::Exhausted)));
        assert_eq!(w.position().next_index, 9 * unit);
    }

    #[test]
    fn an_idle_device_backs_up_a_slow_devices_low_range() {
        let unit = 3125u128;
        let w = work(0..u128::MAX / 4, 2);
        let slow = w.take(0, 100).unwrap();
        let fast = w.take(1, 100).unwrap();
        assert_eq!((slow.first, slow.len(), fast.first), (0, 100, 100));
        w.complete(1, &fast, Some(150 * unit), 1);
        // Nothing fresh below the hit: the fast device copies the slow one's range, in parts.
        let copy = w.take(1, 60).unwrap();
        assert_eq!((copy.first, copy.len()), (0, 60));
        let rest = w.take(1, 60).unwrap();
        assert_eq!((rest.first, rest.len()), (60, 40));
        assert!(w.take(1, 60).is_none(), "everything below the hit is out or copied");
        w.complete(1, &copy, None, 1);
        w.complete(1, &rest, Some(70 * unit + 3), 1);
        // The answer is in without the slow device.
        assert!(matches!(w.wait(Duration::ZERO), Some(WorkOutcome::Hit(i)) if i == 70 * unit + 3));
        // Its late report changes nothing.
        w.complete(0, &slow, Some(70 * unit + 3), 1);
        assert_eq!(w.position().next_index, 200 * unit);
    }
}
