//! Progress on stderr while a search runs: candidates, rate, and for an open-ended search
//! the chance of a hit by now and when 50% and 99% are expected.

use crate::device::{Control, DeviceInfo};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Chance that `tested` candidates hold at least one hit for a `bits`-bit target.
pub fn chance_found(tested: f64, bits: u32) -> f64 {
    1.0 - (-tested / 2f64.powi(bits as i32)).exp()
}

/// Candidates needed for a `p` chance of a hit.
pub fn candidates_for_chance(p: f64, bits: u32) -> f64 {
    -(1.0 - p).ln() * 2f64.powi(bits as i32)
}

/// A count with a k, M, G or T suffix.
pub fn human_count(x: f64) -> String {
    let (v, unit) = match x {
        x if x >= 1e15 => return format!("{x:.2e}"),
        x if x >= 1e12 => (x / 1e12, "T"),
        x if x >= 1e9 => (x / 1e9, "G"),
        x if x >= 1e6 => (x / 1e6, "M"),
        x if x >= 1e3 => (x / 1e3, "k"),
        // Whole numbers below a thousand are counts: "381", not "381.0".
        x if x.fract() == 0.0 => return format!("{x:.0}"),
        _ => (x, ""),
    };
    format!("{v:.1}{unit}")
}

/// Seconds as ms, s, min, h, days or years.
pub fn human_duration(seconds: f64) -> String {
    match seconds {
        s if !s.is_finite() => "forever".into(),
        s if s < 1.0 => format!("{:.0} ms", s * 1e3),
        s if s < 120.0 => format!("{s:.1} s"),
        s if s < 7200.0 => format!("{:.1} min", s / 60.0),
        s if s < 172800.0 => format!("{:.1} h", s / 3600.0),
        s if s < 3.0 * 31557600.0 => format!("{:.1} days", s / 86400.0),
        s if s < 1e6 * 31557600.0 => format!("{:.0} years", s / 31557600.0),
        s => format!("{:.2e} years", s / 31557600.0),
    }
}

/// How progress is shown on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressDisplay {
    /// `-q`: nothing.
    Hidden,
    /// A live spinner line, redrawn in place: stderr is a terminal.
    Spinner,
    /// A plain line every interval: for job logs (Slurm, Kubernetes, `2>log`).
    Lines(Duration),
}

/// Plain progress lines come this often when stderr is not a terminal.
pub const DEFAULT_LINE_INTERVAL: Duration = Duration::from_secs(10);

impl ProgressDisplay {
    /// `-q` hides progress; an explicit interval, or a stderr that is not a terminal, gives
    /// plain lines; else a spinner.
    pub fn choose(quiet: bool, every: Option<Duration>) -> Self {
        match (quiet, every) {
            (true, _) => ProgressDisplay::Hidden,
            (false, Some(interval)) => ProgressDisplay::Lines(interval),
            (false, None) if crate::stdio::stderr_is_terminal() => ProgressDisplay::Spinner,
            (false, None) => ProgressDisplay::Lines(DEFAULT_LINE_INTERVAL),
        }
    }
}

/// Shows the shared counter while a search runs; stops when dropped.
pub struct Progress {
    bar: Option<ProgressBar>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts showing progress, each line led by `label` (a batch's "[2/5] cave · "). With
    /// more than one device, each one's rate follows the total.
    pub fn start(
        control: Arc<Control>,
        devices: Vec<DeviceInfo>,
        bits: u32,
        display: ProgressDisplay,
        label: String,
    ) -> Progress {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (bar, wake_every) = match display {
            ProgressDisplay::Hidden => return Progress { bar: None, stop, thread: None },
            ProgressDisplay::Spinner => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(ProgressStyle::with_template("{spinner} {msg}").unwrap());
                (Some(bar), Duration::from_millis(200))
            }
            ProgressDisplay::Lines(interval) => (None, interval),
        };
        let thread = {
            let (bar, stop) = (bar.clone(), stop.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                // Counts from here: a batch shares one counter across its pages.
                let base = control.tested.load(Ordering::Relaxed);
                let device_base: Vec<u64> = (0..devices.len()).map(|id| control.device_tested(id)).collect();
                let mut next = started + wake_every;
                while !stop.load(Ordering::Relaxed) {
                    // Parked, not slept: dropping the Progress wakes it at once.
                    std::thread::park_timeout(next.saturating_duration_since(Instant::now()));
                    if stop.load(Ordering::Relaxed) || Instant::now() < next {
                        continue;
                    }
                    next += wake_every;
                    let tested = (control.tested.load(Ordering::Relaxed) - base) as f64;
                    let elapsed = started.elapsed().as_secs_f64();
                    let mut line = format!("{label}{}", progress_line(tested, elapsed, bits));
                    if devices.len() > 1 {
                        let each: Vec<String> = devices
                            .iter()
                            .enumerate()
                            .map(|(id, d)| {
                                let rate = (control.device_tested(id) - device_base[id]) as f64 / elapsed.max(1e-9);
                                format!("{} {}/s", short_name(&d.name), human_count(rate))
                            })
                            .collect();
                        line = format!("{line} · {}", each.join(", "));
                    }
                    match &bar {
                        Some(bar) => {
                            bar.set_message(line);
                            bar.tick();
                        }
                        None => crate::stdio::say(format!("ghostsum: {line}")),
                    }
                }
            })
        };
        Progress { bar, stop, thread: Some(thread) }
    }
}

/// A device's name without the details in brackets: "cpu", "llvmpipe".
fn short_name(name: &str) -> &str {
    name.split(" (").next().unwrap_or(name)
}

/// Candidates, rate, the chance of a hit by now, and when 50% and 99% are expected.
pub fn progress_line(tested: f64, elapsed: f64, bits: u32) -> String {
    let rate = if elapsed > 0.0 { tested / elapsed } else { 0.0 };
    let eta = |p: f64| {
        let needed = candidates_for_chance(p, bits);
        if tested >= needed {
            "passed".to_string()
        } else if rate > 0.0 {
            format!("in {}", human_duration((needed - tested) / rate))
        } else {
            "…".to_string()
        }
    };
    format!(
        "{} candidates · {}/s · {:.0}% chance of a hit by now · 50% {} · 99% {}",
        human_count(tested),
        human_count(rate),
        100.0 * chance_found(tested, bits),
        eta(0.5),
        eta(0.99)
    )
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chances() {
        assert!((chance_found(candidates_for_chance(0.5, 24), 24) - 0.5).abs() < 1e-9);
        assert!((candidates_for_chance(0.5, 4) - 16.0 * std::f64::consts::LN_2).abs() < 1e-9);
        assert_eq!(human_duration(90.0), "90.0 s");
        assert!(human_duration(1e12).ends_with("years"));
    }

    #[test]
    fn counts_read_as_counts() {
        assert_eq!(human_count(381.0), "381");
        assert_eq!(human_count(0.5), "0.5");
        assert_eq!(human_count(29_500_000.0), "29.5M");
        assert_eq!(human_count(2e15), "2.00e15");
    }
}
