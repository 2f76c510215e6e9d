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
/// Below this many target bits no backend could take a day, so no rate is measured.
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
            planned.prefix.hex().len(),
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
    let mut rates = Rates::default();
    let mut total = 0.0;
    let mut costliest: Option<(&str, &Planned, f64)> = None;
    for (name, planned) in pages.iter().filter(|(_, p)| p.prefix.bits() >= ESTIMATE_FROM_BITS) {
        let seconds = planned.prefix.expected_candidates() / rates.of(session, planned)?;
        total += seconds;
        if costliest.is_none_or(|(_, _, most)| seconds > most) {
            costliest = Some((name, planned, seconds));
        }
    }
    if let Some((name, planned, seconds)) = costliest.filter(|_| total > MAX_UNFORCED_SECONDS) {
        anyhow::bail!(
            "the pages take about {} on {} on average; page '{name}' alone, with its {}-digit prefix, about {}; use fewer digits, or pass --force to search anyway",
            human_duration(total),
            session.devices.describe(),
            planned.prefix.hex().len(),
            human_duration(seconds)
        );
    }
    Ok(())
}
