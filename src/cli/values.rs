//! Command-line values checked once, as clap parses them: a thread count within what the
//! machine can use, a number of seconds that is finite and not absurdly small, a benchmark
//! content that fits in memory.

use std::time::Duration;

/// The most CPU worker threads accepted: four per core (more only adds switching), at most 1024.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    (4 * cores).min(1024)
}

/// `--threads N`: 1 to [`max_threads`].
pub fn parse_threads(text: &str) -> Result<usize, String> {
    let n: usize = text.trim().parse().map_err(|_| format!("'{text}' is not a whole number of threads"))?;
    let most = max_threads();
    match n {
        0 => Err("must be at least 1".into()),
        n if n > most => Err(format!("{n} is more than this machine can use: at most {most} (4 per core)")),
        n => Ok(n),
    }
}

/// The largest content `bench --content-bytes` accepts: the content is held in memory, and
/// only its length modulo 64 changes what is measured.
pub const MAX_CONTENT_BYTES: usize = 1 << 30;

/// `bench --content-bytes N`: 0 to [`MAX_CONTENT_BYTES`].
pub fn parse_content_bytes(text: &str) -> Result<usize, String> {
    let n: u128 = text.trim().parse().map_err(|_| format!("'{text}' is not a whole number of bytes"))?;
    match usize::try_from(n) {
        Ok(n) if n <= MAX_CONTENT_BYTES => Ok(n),
        _ => Err(format!(
            "{n} is more than {MAX_CONTENT_BYTES} (1 GiB); only the length modulo 64 changes the layout measured, so use {}",
            n % 64 + 64 * 15
        )),
    }
}

/// The shortest interval accepted for checkpoints, progress lines and benchmarks.
pub const MIN_SECONDS: f64 = 0.1;

/// A number of seconds, finite and at least [`MIN_SECONDS`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Seconds(pub f64);

impl Seconds {
    /// As a Duration.
    pub fn duration(self) -> Duration {
        Duration::from_secs_f64(self.0)
    }
}

impl std::str::FromStr for Seconds {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s: f64 = text.trim().parse().map_err(|_| format!("'{text}' is not a number of seconds"))?;
        if !s.is_finite() || s < MIN_SECONDS {
            return Err(format!("'{text}' must be a finite number of seconds, at least {MIN_SECONDS}"));
        }
        // Past a year, Duration's arithmetic gains nothing and a typo is more likely.
        if s > 365.0 * 86400.0 {
            return Err(format!("'{text}' is more than a year"));
        }
        Ok(Seconds(s))
    }
}

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_threads_are_bounded() {
        for bad in ["0", "-1", "nan", "inf", "1e-9", "0.05", "x", "1e12"] {
            assert!(bad.parse::<Seconds>().is_err(), "{bad}");
        }
        assert_eq!("0.1".parse::<Seconds>(), Ok(Seconds(0.1)));
        assert_eq!("2".parse::<Seconds>(), Ok(Seconds(2.0)));
        assert!(parse_threads("0").is_err());
        assert!(parse_threads("99999999999").is_err());
        assert!(parse_threads(&(max_threads() + 1).to_string()).is_err());
        assert_eq!(parse_threads("1"), Ok(1));
    }
}
