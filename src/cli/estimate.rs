//! How long a search is expected to take, measured on this machine's devices, and the
//! refusal of one that would take more than a day unless --force (search and batch alike).

use crate::alphabet::Alphabet;
use crate::device::SearchError;
use crate::measure::{self, RateProbe};
use crate::progress::{human_count, human_duration};
use crate::run::Session;
use crate::shard::Shard;
use crate::target::Prefix;
use std::collections::BTreeMap;

/// Searches expected to run longer than this are refused unless --force.
const MAX_UNFORCED_SECONDS: f64 = 86400.0;
/// Below this many target bits (a batch: its pages' candidates together, as bits) no backend
/// could take a day, so no rate is measured.
const ESTIMATE_FROM_BITS: u32 = 36;

/// One search to estimate: its prefix and where its suffix falls.
pub(super) struct Planned<'a> {
    /// The prefix.
    pub prefix: &'a Prefix,
    /// The content's length in bytes.
    pub content_len: u64,
    /// The suffix alphabet.
    pub alphabet: &'a Alphabet,
    /// --fast-layout.
    pub fast_layout: bool,
}

impl Planned<'_> {
    /// The speed measurement for this search's own layout (its speed depends on where the
    /// suffix falls).
    fn probe(&self) -> RateProbe {
        RateProbe {
            content_len: (self.content_len % 64) as usize + 64,
            alphabet: self.alphabet.clone(),
            bits: self.prefix.bits(),
            fast_layout: self.fast_layout,
            hash: self.prefix.hash(),
        }
    }
}

/// Candidates per second on the session's devices, measured once per distinct layout.
#[derive(Default)]
pub(super) struct Rates {
    measured: BTreeMap<(usize, String, u32, bool), f64>,
}

impl Rates {
    fn of(&mut self, session: &Session, planned: &Planned) -> anyhow::Result<f64> {
        let probe = planned.probe();
        let key = (probe.content_len, probe.alphabet.name().to_string(), probe.bits, probe.fast_layout);
        if let Some(rate) = self.measured.get(&key) {
            return Ok(*rate);
        }
        let ids: Vec<_> = session.devices.live().collect();
        let (measured, seconds) =
            measure::measure(&session.devices, &ids, &probe, 0.3).map_err(SearchError::into_error)?;
        let rate = measured.iter().map(|m| m.candidates).sum::<u64>() as f64 / seconds;
        self.measured.insert(key, rate);
        Ok(rate)
    }
}

/// Refuses one search (a shard's share of it for --shard) expected to take more than a day.
/// For a shard, the work is its share: shards run side by side and the first hit ends the
/// job (README, Sharding), so each expects 2^bits / N candidates, and never more than its slice.
pub(super) fn refuse_search_if_too_long(
    planned: &Planned,
    shard: Option<Shard>,
    session: &Session,
) -> anyhow::Result<()> {
    if planned.prefix.bits() < ESTIMATE_FROM_BITS {
        return Ok(());
    }
    let rate = Rates::default().of(session, planned)?;
    let (candidates, whose) = match shard {
        Some(s) => {
            let slice = planned.probe().layout().keyspace() as f64 / s.count as f64;
            let share = (planned.prefix.expected_candidates() / s.count as f64).min(slice);
            (share, format!(" (the share of shard {} of {})", s.index, s.count))
        }
        None => (planned.prefix.expected_candidates(), String::new()),
    };
    let expected = candidates / rate;
    if expected > MAX_UNFORCED_SECONDS {
        anyhow::bail!(
            "a {}-digit prefix takes about {} candidates on average{whose}: {} at {}/s on {}; shorten the prefix, or pass --force to search anyway",
            planned.prefix.bits() / 4,
            human_count(candidates),
            human_duration(expected),
            human_count(rate),
            session.devices.describe()
        );
    }
    Ok(())
}

/// Refuses a batch whose pages together are expected to take more than a day, naming the
/// page that costs the most.
pub(super) fn refuse_batch_if_too_long(pages: &[(&str, Planned)], session: &Session) -> anyhow::Result<()> {
    // The pages together: 10,000 pages of 8 digits take days though none takes one alone.
    let candidates: f64 = pages.iter().map(|(_, p)| p.prefix.expected_candidates()).sum();
    if candidates < 2f64.powi(ESTIMATE_FROM_BITS as i32) {
        return Ok(());
    }
    let Some((name, costliest)) =
        pages.iter().max_by(|(_, a), (_, b)| a.prefix.expected_candidates().total_cmp(&b.prefix.expected_candidates()))
    else {
        return Ok(());
    };
    // One rate, measured on the costliest page's shape: pages differ by a block or two of
    // length, not by orders of magnitude in speed, and a measurement per length would cost
    // 0.3 s a page.
    let rate = Rates::default().of(session, costliest)?;
    let total = candidates / rate;
    if total > MAX_UNFORCED_SECONDS {
        anyhow::bail!(
            "the {} pages take about {} on {} on average; page '{name}' alone, with its {}-digit prefix, about {}; use fewer digits or pages, or pass --force to search anyway",
            pages.len(),
            human_duration(total),
            session.devices.describe(),
            costliest.prefix.hex().len(),
            human_duration(costliest.prefix.expected_candidates() / rate)
        );
    }
    Ok(())
}
