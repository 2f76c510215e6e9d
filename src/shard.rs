//! Keyspace sharding: shard I of N searches one contiguous slice of the candidate indices,
//! so schedulers (Slurm job arrays, Kubernetes indexed jobs, GNU parallel) can spread one
//! search over many machines. The lowest hit over all shards is the unsharded answer.

use crate::layout::Layout;

/// Shard `index` of `count`, 0-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
/// Why a shard was refused.
pub enum ShardError {
    #[error("--shard '{0}' is not I/N with 0 <= I < N (for example --shard 0/8), or env")]
    /// Not I/N with I < N.
    Malformed(String),
    #[error("--shard env found no shard in the environment: set SLURM_ARRAY_TASK_ID (Slurm job array) or JOB_COMPLETION_INDEX with --shard-count N (Kubernetes indexed job)")]
    /// --shard env found no scheduler variables.
    NoEnvironment,
    #[error("--shard env: {0}")]
    /// The scheduler's variables do not make sense.
    BadEnvironment(String),
}

/// `--shard` as given: a fixed shard, or `env` (read from the scheduler when the search starts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    /// `--shard I/N`.
    Fixed(Shard),
    /// `--shard env`: Slurm array or Kubernetes indexed job variables.
    FromEnvironment,
}

impl std::str::FromStr for ShardSpec {
    type Err = ShardError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        if spec == "env" {
            return Ok(ShardSpec::FromEnvironment);
        }
        Shard::parse(spec, None, &|_| None).map(ShardSpec::Fixed)
    }
}

impl ShardSpec {
    /// The shard, reading the scheduler's variables through `env` for `--shard env`.
    pub fn resolve(self, count: Option<u64>, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        match self {
            ShardSpec::Fixed(shard) => Ok(shard),
            ShardSpec::FromEnvironment => Shard::from_env(count, env),
        }
    }
}

impl Shard {
    /// Shard `index` of `count`, if `index < count`.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (count >= 1 && index < count).then_some(Shard { index, count })
    }

    /// Parses `I/N`, or `env` (with `count` for a Kubernetes indexed job).
    pub fn parse(spec: &str, count: Option<u64>, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        if spec == "env" {
            return Self::from_env(count, env);
        }
        let malformed = || ShardError::Malformed(spec.into());
        let (i, n) = spec.split_once('/').ok_or_else(malformed)?;
        let (i, n) = (i.trim().parse().map_err(|_| malformed())?, n.trim().parse().map_err(|_| malformed())?);
        Shard::new(i, n).ok_or_else(malformed)
    }

    fn from_env(count: Option<u64>, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let number = |name: &str| -> Result<Option<u64>, ShardError> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| ShardError::BadEnvironment(format!("{name}={v} is not a number")))
                })
                .transpose()
        };
        if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            if let Some(n) = count {
                // --shard-count N: the task ID is the shard number, so chosen shards can be
                // run again (`sbatch --array=3,5 ... --shard env --shard-count 8`).
                return Shard::new(id, n).ok_or_else(|| {
                    ShardError::BadEnvironment(format!(
                        "with --shard-count {n} the task ID is the shard number, and task {id} is not below {n}; submit --array with IDs from 0 to {}",
                        n.saturating_sub(1)
                    ))
                });
            }
            // Arrays may start anywhere and step (--array=1-8, --array=0-30:2): task k of the
            // progression is shard k of the array's count. A list that is not one
            // (--array=1,6) cannot number the shards, and is refused rather than leaving some
            // unsearched.
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
            if step == 0 {
                return Err(ShardError::BadEnvironment(
                    "SLURM_ARRAY_TASK_STEP=0 is no step (Slurm sets 1 or more); run the task under Slurm, or pass --shard I/N".into(),
                ));
            }
            let n = number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                ShardError::BadEnvironment("SLURM_ARRAY_TASK_COUNT is not set; pass --shard-count N".into())
            })?;
            // `sbatch --array=2` (one task of an earlier array, run again) is a one-task array
            // to Slurm: shard 0 of 1 would be everything. Its share needs the first array's
            // size.
            if n == 1 && id != 0 {
                return Err(ShardError::BadEnvironment(format!(
                    "task {id} is a job array's only task, which looks like one task of a larger array run again: from the environment alone it would be shard 0 of 1, everything; pass --shard-count N (the whole array's size) so the task ID is the shard number"
                )));
            }
            let offset = id.checked_sub(min).ok_or_else(|| {
                ShardError::BadEnvironment("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN".into())
            })?;
            let max = number("SLURM_ARRAY_TASK_MAX")?;
            let progression =
                max.is_none_or(|max| max >= min && (max - min) % step == 0 && (max - min) / step + 1 == n);
            if progression && offset % step != 0 {
                return Err(ShardError::BadEnvironment(format!(
                    "task ID {id} is not one of this array's ({min}, {}, ... every {step}); run the task under Slurm, or pass --shard I/N",
                    min + step
                )));
            }
            if !progression {
                return Err(ShardError::BadEnvironment(format!(
                    "this job array's task IDs ({min} to {}, {n} tasks, step {step}) are not a range, so they cannot number the shards; submit --array=0-{} (a range, with or without :step), or pass --shard-count N to use each task ID as its shard number",
                    max.map_or("?".into(), |m| m.to_string()),
                    n.saturating_sub(1)
                )));
            }
            let index = offset / step;
            return Shard::new(index, n)
                .ok_or_else(|| ShardError::BadEnvironment(format!("task {index} is not below the count {n}")));
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let n = count.ok_or_else(|| {
                ShardError::BadEnvironment("JOB_COMPLETION_INDEX needs --shard-count N (the Job's completions)".into())
            })?;
            return Shard::new(index, n)
                .ok_or_else(|| ShardError::BadEnvironment(format!("index {index} is not below --shard-count {n}")));
        }
        Err(ShardError::NoEnvironment)
    }

    /// Index range of this shard, with boundaries on whole inner tables so that shards
    /// split exactly as an unsharded search walks.
    pub fn range(&self, layout: &Layout) -> (u128, u128) {
        let unit = layout.inner_count() as u128;
        let units = layout.keyspace() / unit;
        let bound = |i: u64| mul_div(units, i as u128, self.count as u128) * unit;
        (bound(self.index), bound(self.index + 1))
    }

    /// This shard's slice of `layout`'s candidate indices.
    pub fn slice(&self, layout: &Layout) -> Slice {
        let (start, end) = self.range(layout);
        Slice { shard: *self, start, end }
    }
}

/// A shard with its slice of one layout's candidate indices, `start..end` (reports say
/// how much of it a search covered).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    /// The shard.
    pub shard: Shard,
    /// Its first index.
    pub start: u128,
    /// One past its last index.
    pub end: u128,
}

/// `a * b / c` without overflowing u128 for the sizes used here.
fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    match a.checked_mul(b) {
        Some(p) => p / c,
        None => a / c * b + a % c * b / c,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn impossible_slurm_variables_are_named_as_they_are() {
        let step_0 = [("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_STEP", "0"), ("SLURM_ARRAY_TASK_COUNT", "4")];
        let err = Shard::from_env(None, &env_of(&step_0)).unwrap_err().to_string();
        assert!(err.contains("SLURM_ARRAY_TASK_STEP=0 is no step"), "{err}");
        let off_step = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "6"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        let err = Shard::from_env(None, &env_of(&off_step)).unwrap_err().to_string();
        assert!(err.contains("task ID 3 is not one of this array's (0, 2, ... every 2)"), "{err}");
    }

    #[test]
    fn one_task_of_an_array_run_again_needs_the_arrays_size() {
        let rerun = |count| {
            Shard::from_env(count, &|name: &str| {
                [
                    ("SLURM_ARRAY_TASK_ID", "2"),
                    ("SLURM_ARRAY_TASK_MIN", "2"),
                    ("SLURM_ARRAY_TASK_MAX", "2"),
                    ("SLURM_ARRAY_TASK_COUNT", "1"),
                ]
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
            })
        };
        let err = rerun(None).unwrap_err().to_string();
        assert!(err.contains("--shard-count N") && err.contains("run again"), "{err}");
        assert_eq!(rerun(Some(4)).unwrap(), Shard { index: 2, count: 4 });
    }
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let owned: Vec<(String, String)> = vars.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        move |k| owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn parses_plain_and_environment_shards() {
        let none = env_of(&[]);
        assert_eq!(Shard::parse("2/8", None, &none), Ok(Shard { index: 2, count: 8 }));
        assert!(Shard::parse("8/8", None, &none).is_err());
        assert!(Shard::parse("x", None, &none).is_err());
        assert_eq!(Shard::parse("env", None, &none), Err(ShardError::NoEnvironment));
        let slurm =
            env_of(&[("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "8")]);
        assert_eq!(Shard::parse("env", None, &slurm), Ok(Shard { index: 4, count: 8 }));
        // Steps (--array=0-6:2), a single task, chosen shards again, and a list that is not a range.
        let step = |id: &str, min: &str, max: &str, step: &str, count: &str| {
            let vars = [
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", min),
                ("SLURM_ARRAY_TASK_MAX", max),
                ("SLURM_ARRAY_TASK_STEP", step),
                ("SLURM_ARRAY_TASK_COUNT", count),
            ];
            Shard::parse("env", None, &env_of(&vars))
        };
        for (id, index) in [("0", 0), ("2", 1), ("4", 2), ("6", 3)] {
            assert_eq!(step(id, "0", "6", "2", "4"), Ok(Shard { index, count: 4 }));
        }
        // A one-task array numbered 5 is a task run again, not a whole search: refused.
        assert!(
            matches!(step("5", "5", "5", "1", "1"), Err(ShardError::BadEnvironment(m)) if m.contains("--shard-count"))
        );
        assert_eq!(step("0", "0", "0", "1", "1"), Ok(Shard { index: 0, count: 1 }));
        assert!(
            matches!(step("6", "1", "6", "1", "2"), Err(ShardError::BadEnvironment(m)) if m.contains("not a range"))
        );
        assert!(matches!(step("1", "1", "6", "1", "2"), Err(ShardError::BadEnvironment(_))));
        let again =
            env_of(&[("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "3"), ("SLURM_ARRAY_TASK_COUNT", "2")]);
        assert_eq!(Shard::parse("env", Some(8), &again), Ok(Shard { index: 5, count: 8 }));
        assert!(Shard::parse("env", Some(4), &again).is_err());
        let k8s = env_of(&[("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(Shard::parse("env", Some(4), &k8s), Ok(Shard { index: 3, count: 4 }));
        assert!(Shard::parse("env", None, &k8s).is_err());
    }

    #[test]
    fn shards_tile_the_keyspace() {
        let content = crate::input::Content::from_bytes(b"tiles");
        let layout = Layout::plan(&content, &crate::alphabet::Alphabet::whitespace(), 24, 34).unwrap();
        for n in [1u64, 2, 3, 7, 64] {
            let mut expected_start = 0;
            for i in 0..n {
                let (lo, hi) = Shard { index: i, count: n }.range(&layout);
                assert_eq!(lo, expected_start);
                assert_eq!(lo % layout.inner_count() as u128, 0);
                expected_start = hi;
            }
            assert_eq!(expected_start, layout.keyspace());
        }
    }
}
