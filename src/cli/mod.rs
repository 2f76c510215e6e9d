//! The command line: arguments parsed into typed values, one module per subcommand.

pub mod batch;
mod bench;
mod estimate;
mod extras;
mod git_commit;
mod search;
mod search_report;
pub mod values;
mod verify;

use crate::alphabet::Alphabet;
use crate::backends::{self, BackendList};
use crate::exit::Exit;
use crate::kind::FileKind;
use crate::shard::{Shard, ShardSpec};
use crate::target::PrefixDigits;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use values::{parse_threads, Seconds};

/// `--alphabet`'s help, from the one list of named alphabets, so it cannot fall behind it.
fn alphabet_help() -> String {
    let names: Vec<&str> = crate::alphabet::NAMED.iter().map(|(name, _)| *name).collect();
    format!(
        "The suffix symbols (default: the kind's, see --for): {}, or bytes:HEX,HEX,... for your own. \
         `ghostsum alphabets` lists them with what each viewer shows of them",
        names.join(", ")
    )
}

#[derive(Parser, Debug)]
#[command(
    name = "ghostsum",
    version,
    arg_required_else_help = true,
    about = "Make a file's MD5 digest (or SHA-1, SHA-256, git id) start with the hex digits you choose, by appending invisible whitespace.",
    long_about = "Make a file's MD5 digest (or its SHA-1, SHA-256, or the id git gives it: --hash, \
--git-object, git-commit) start with the hex digits you choose, by appending a short \
suffix of invisible whitespace. The file reads the same; only its digest moves.\n\n\
Every hit is re-checked with an independent hash (RustCrypto's md-5, sha1, sha2) before anything is written, and \
files are written to a temporary file and renamed, so an interrupted run leaves the old file or \
the finished one, never half of one.\n\n\
Examples:\n  ghostsum search notes.txt --prefix c0ffee -o notes.out.txt\n  \
ghostsum search - --prefix abcd -o - < in > out\n  ghostsum search notes.txt --prefix c0ffee --in-place\n  \
ghostsum verify notes.out.txt --prefix c0ffee\n  ghostsum search notes.md --prefix c0ffee1 --git-object blob -o notes.out.md\n  \
ghostsum git-commit --prefix c0ffee1\n  ghostsum bench --seconds 5",
    after_help = crate::exit::HELP
)]
/// The whole command line.
pub struct Cli {
    #[command(subcommand)]
    /// The subcommand.
    pub command: Command,
}

#[derive(Subcommand, Debug)]
/// The subcommands.
pub enum Command {
    /// Append an invisible suffix so the file's MD5 starts with PREFIX.
    #[command(
        after_help = crate::exit::HELP,
        // -o or --in-place is required, which clap cannot say of two options.
        override_usage = "ghostsum search [OPTIONS] --prefix <HEX> (--output <PATH> | --in-place) <INPUT>"
    )]
    Search(SearchArgs),
    /// Check that a file's MD5 starts with PREFIX (exit 0) or not (exit 1), and show its suffix.
    #[command(after_help = crate::exit::HELP)]
    Verify(VerifyArgs),
    /// Measure candidates per second of each backend's real search loop, side by side.
    #[command(mut_arg("backend", |a| a
        .default_value("all")
        .help("Devices to measure, each alone and then all together (see search --backend)")))]
    #[command(mut_arg("fast_layout", |a| a
        .help("Measure the --fast-layout layout of that content instead of the shortest one")))]
    Bench(BenchArgs),
    /// Build linked pages from a TOML manifest: each page's MD5 starts with its prefix, and
    /// {{url:NAME}} / {{prefix:NAME}} in any page become that page's address / prefix.
    #[command(after_help = crate::exit::HELP)]
    Batch(BatchArgs),
    /// Give the git repository's HEAD commit an id that starts with PREFIX, by spaces and tabs
    /// before its message's final line break (nothing else changes; the old commit stays in
    /// the reflog).
    #[command(name = "git-commit", after_help = crate::exit::HELP)]
    #[command(mut_arg("fast_layout", |a| a
        .help("The default here (kept so scripts that say it still run): see --shortest")))]
    GitCommit(GitCommitArgs),
    /// List the suffix alphabets, and the one each kind of file gets by default and why.
    Alphabets {
        /// One JSON object: the alphabets with their symbols (hex), and the kinds.
        #[arg(long)]
        json: bool,
    },
    /// List the GPU adapters wgpu finds, numbered for --backend gpu:N.
    Devices {
        /// One JSON object per line: index, name, api, type, real_gpu.
        #[arg(long)]
        json: bool,
        /// Only check that the devices of this --backend list are here (the adapters are
        /// found, not opened): exit 0, or search's one-line error and exit 2.
        #[arg(long, value_name = "LIST", conflicts_with = "json")]
        check: Option<BackendList>,
    },
    /// Print a shell completion script: ghostsum completions bash > /etc/bash_completion.d/ghostsum
    /// (for everyone), or into ~/.local/share/bash-completion/completions/ (for you: mkdir -p it
    /// first)
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (ghostsum man > ghostsum.1), or write one page per subcommand into DIR.
    Man {
        /// Write ghostsum.1 and ghostsum-SUBCOMMAND.1 here instead of printing ghostsum.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
/// `ghostsum search`.
pub struct SearchArgs {
    /// The file to extend, or - for standard input (FIFOs and <(cmd) work: the input is read once).
    pub input: PathBuf,
    /// Hex digits the address (MD5 unless --hash or --git-object say otherwise) must start
    /// with, either case; _ stands for any digit (c0ffee_____1).
    #[arg(short, long, value_name = "HEX")]
    pub prefix: PrefixDigits,
    #[command(flatten)]
    /// Which digest is the address.
    pub address: AddressArgs,
    /// Where to write the result: a path (a symlink's target is replaced, a device or FIFO
    /// written into), or - for standard output.
    #[arg(short, long, value_name = "PATH", conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// Rewrite INPUT itself, atomically, keeping its mode and owner; a symlink's target is rewritten.
    #[arg(long)]
    pub in_place: bool,
    #[command(flatten)]
    /// Devices.
    pub engine: EngineArgs,
    /// The suffix symbols; the help lists [`crate::alphabet::NAMED`].
    #[arg(short, long, value_name = "NAME", help = alphabet_help())]
    pub alphabet: Option<Alphabet>,
    #[command(flatten)]
    /// What kind of file it is.
    pub kind: KindArgs,
    /// Where the suffix goes: `auto` puts it before the file's last line break (so the file
    /// ends as it did, in its own line ending), where the file's reader (JSON, TOML, YAML,
    /// CSV, Markdown, HTML, Python and shell grammars) proves the meaning kept, moving up a
    /// line or refusing when it cannot; `end` appends it after the last byte.
    #[arg(long, value_name = "WHERE", value_enum, default_value_t = crate::placement::PlaceMode::Auto)]
    pub place: crate::placement::PlaceMode,
    /// Append a suffix even when the input's MD5 already starts with PREFIX (else it is
    /// written unchanged).
    #[arg(long)]
    pub always_suffix: bool,
    #[command(flatten)]
    /// Progress and reports.
    pub report: ReportArgs,
    /// Search even when the estimate says it would take more than a day.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    /// --shard and --shard-count.
    pub sharding: ShardArgs<SearchShardHelp>,
    /// Save progress to FILE and resume from it when the same command runs again.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Seconds between checkpoint saves (default 2, at least 0.1).
    #[arg(long, value_name = "SECONDS")]
    pub checkpoint_every: Option<Seconds>,
}

/// Which digest names the file.
#[derive(Args, Debug, Clone)]
pub struct AddressArgs {
    /// The digest to move: md5 (md5sum's, the default), sha1 (sha1sum's) or sha256
    /// (sha256sum's).
    #[arg(long, value_enum, value_name = "HASH", conflicts_with = "git_object")]
    pub hash: Option<crate::hash::HashKind>,
    /// Move git's id of the file as this type of object instead (what `git hash-object -t
    /// TYPE FILE` prints, and `git add` stores a file as: blob), so that `git show PREFIX`
    /// finds it once committed.
    #[arg(long, value_enum, value_name = "TYPE")]
    pub git_object: Option<crate::address::GitObject>,
    /// The repository's object format, with --git-object: sha1 (git's default) or sha256
    /// (`git init --object-format=sha256`); `git rev-parse --show-object-format` tells.
    #[arg(long, value_enum, value_name = "FORMAT", requires = "git_object")]
    pub object_format: Option<crate::address::ObjectFormat>,
}

impl AddressArgs {
    /// The address these options name.
    pub fn address(&self) -> crate::address::Address {
        match self.git_object {
            Some(object) => crate::address::Address {
                hash: self.object_format.unwrap_or_default().hash(),
                git_object: Some(object),
            },
            None => crate::address::Address { hash: self.hash.unwrap_or_default(), git_object: None },
        }
    }

    /// `digits` as a prefix of this address, refused when longer than its digest.
    pub fn prefix(&self, digits: &PrefixDigits) -> Result<crate::target::Prefix, crate::target::PrefixError> {
        digits.for_hash(self.address().hash)
    }
}

/// What kind of file the suffix goes on, which decides the default alphabet.
#[derive(Args, Debug, Clone)]
pub struct KindArgs {
    /// What kind of file this is, for the default alphabet: the largest set of symbols that is
    /// invisible in every viewer measured for that kind (cat, less, vim, nano, Chromium, and
    /// the parser or renderer of the format). Default: from the file name's extension (.md,
    /// .py, .yaml...), else text. `ghostsum alphabets` shows each kind's alphabet and why.
    #[arg(long = "for", value_name = "KIND", value_enum)]
    pub for_kind: Option<FileKind>,
}

/// How a long job shows it is alive.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print one JSON object describing the result on stdout (stderr when the file goes to stdout).
    #[arg(long)]
    pub json: bool,
    /// Progress as a plain line every SECONDS (the default when stderr is not a terminal, every
    /// 10 s, so a job log shows the search is alive).
    #[arg(long, value_name = "SECONDS")]
    pub progress_every: Option<Seconds>,
}

impl ReportArgs {
    /// How the run reports; --progress-every with --quiet is a mistake worth a word.
    pub fn reporting(&self) -> anyhow::Result<crate::run::Reporting> {
        if self.quiet && self.progress_every.is_some() {
            anyhow::bail!("--progress-every has no effect with --quiet; drop one of them");
        }
        Ok(crate::run::Reporting { quiet: self.quiet, progress_every: self.progress_every.map(|s| s.duration()) })
    }
}

/// Which devices search, and how.
#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// Devices, a comma list: auto (every real GPU, else the CPU), cpu, gpu (every real GPU),
    /// gpu:N (adapter N of `ghostsum devices`, software ones too), all (every real GPU and the
    /// CPU). They share one search; the answer is the same on any mix.
    #[arg(short, long, default_value = "auto", value_name = "LIST")]
    pub backend: BackendList,
    /// CPU worker threads (default: all cores, less one per GPU while GPUs take part; at most 4 per core).
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Only GPU adapters whose name contains this text (a software one too, when named).
    #[arg(long, value_name = "SUBSTRING")]
    pub adapter: Option<String>,
    /// Up to 63 more suffix symbols for up to ~20% more speed: the suffix then ends late in
    /// its MD5 block, so fewer steps run per candidate. Off: the shortest suffix.
    #[arg(long)]
    pub fast_layout: bool,
    /// The hash the devices will search (set by [`EngineArgs::for_address`]): the CPU's
    /// kernel is chosen for it when the devices open, so the device's name says which runs.
    #[arg(skip)]
    pub hash: crate::hash::HashKind,
}

impl EngineArgs {
    /// Refuses options that would have no effect with the chosen devices.
    pub fn check(&self) -> anyhow::Result<()> {
        if !self.backend.may_use_gpu() && self.adapter.is_some() {
            anyhow::bail!("--adapter picks a GPU and has no effect with --backend cpu; drop one of them");
        }
        if self.adapter.is_some() && !self.backend.filters_adapters() {
            anyhow::bail!(
                "--adapter narrows gpu, all and auto, and has no effect with --backend {}, which names adapters by number; drop one of them",
                self.backend
            );
        }
        if !self.backend.may_use_cpu() && self.threads.is_some() {
            anyhow::bail!(
                "--threads sets CPU workers and has no effect with --backend {}; drop one of them",
                self.backend
            );
        }
        Ok(())
    }

    /// These arguments for a search of `address`: every device searches every hash, and the
    /// CPU's kernel is chosen for it when the devices open ([`EngineArgs::tuning`]).
    pub fn for_address(&self, address: &crate::address::Address) -> EngineArgs {
        EngineArgs { hash: address.hash, ..self.clone() }
    }

    /// The environment's tuning, with the CPU kernel for the hash chosen now (for SHA,
    /// measured: [`crate::cpu::kernel::KernelKind::fastest_for`]) unless GHOSTSUM_CPU_KERNEL
    /// names one, so the device's name says which kernel runs.
    fn tuning(&self) -> anyhow::Result<crate::tuning::Tuning> {
        let mut tuning = crate::tuning::Tuning::from_env()?;
        if self.backend.may_use_cpu() && tuning.cpu_kernel.is_none() {
            // `--fast-layout` plans SHA's split layout, whose fastest kernel may differ.
            tuning.cpu_kernel = Some(crate::cpu::kernel::KernelKind::fastest_for(self.hash, self.fast_layout));
        }
        Ok(tuning)
    }

    /// Opens the devices these arguments name (once for a whole run), with the tuning knobs
    /// from the environment. Checked with [`EngineArgs::check`] first, by each command, early.
    pub fn open_devices(&self) -> anyhow::Result<(crate::device::DeviceSet, Option<String>)> {
        let tuning = self.tuning()?;
        backends::open(&self.backend, self.threads, self.adapter.as_deref(), &tuning)
    }

    /// A batch's run: as [`EngineArgs::session`], but a GPU named by index beside the CPU
    /// opens on its own thread while the CPU starts (the batch settles it before writing).
    pub fn batch_session(&self, report: &ReportArgs, check_gpus_now: bool) -> anyhow::Result<crate::run::Session> {
        let tuning = self.tuning()?;
        match backends::open_beside_cpu(&self.backend, self.threads, self.adapter.as_deref(), &tuning, check_gpus_now) {
            Some((devices, opening)) => {
                Ok(crate::run::Session::new(devices, None, report.reporting()?).with_opening(opening))
            }
            None => self.session(report),
        }
    }

    /// The run these devices make, reporting as `report` says.
    pub fn session(&self, report: &ReportArgs) -> anyhow::Result<crate::run::Session> {
        let reporting = report.reporting()?;
        let (devices, note) = self.open_devices()?;
        Ok(crate::run::Session::new(devices, note, reporting))
    }
}

#[derive(Args, Debug)]
/// `ghostsum batch`.
pub struct BatchArgs {
    /// The manifest (TOML): url, digits, seed, alphabet and [[page]] entries.
    pub manifest: PathBuf,
    /// Where the finished pages and ghostsum-report.json go (never the pages' own files).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    #[command(flatten)]
    /// Devices.
    pub engine: EngineArgs,
    /// Overrides the manifest's alphabets (by default each page gets its own kind's: see
    /// `ghostsum alphabets`).
    #[arg(short, long, value_name = "NAME")]
    pub alphabet: Option<Alphabet>,
    /// Where each page's suffix goes, as `search --place` says: `auto` (before its last line
    /// break, proven by its kind's reader) or `end`.
    #[arg(long, value_name = "WHERE", value_enum, default_value_t = crate::placement::PlaceMode::Auto)]
    pub place: crate::placement::PlaceMode,
    #[command(flatten)]
    /// Progress and reports.
    pub report: ReportArgs,
    /// Search even when the estimate says the pages would take more than a day.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    /// --shard and --shard-count.
    pub sharding: ShardArgs<BatchShardHelp>,
    /// Search nothing: check that every page is finished (written by the tasks of a job
    /// array), verify each one and its links, and write ghostsum-report.json. Exit 1, naming
    /// them, when pages are missing.
    #[arg(long, conflicts_with = "shard")]
    pub collect: bool,
}

#[derive(Args, Debug)]
/// `ghostsum git-commit`.
pub struct GitCommitArgs {
    /// Hex digits HEAD's new id must start with, either case; _ stands for any digit. The
    /// repository's object format (SHA-1 or SHA-256) decides the hash.
    #[arg(short, long, value_name = "HEX")]
    pub prefix: PrefixDigits,
    /// The repository (as git -C DIR); default the current folder.
    #[arg(short = 'C', value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The fewest blanks, instead of the default fast layout's up to 63 more, which search
    /// about 1.25x (SHA-1) to 1.3x (SHA-256) faster; both are invisible in git log and git
    /// show, as lucky-commit's padding is.
    #[arg(long, conflicts_with = "fast_layout")]
    pub shortest: bool,
    #[command(flatten)]
    /// Devices.
    pub engine: EngineArgs,
    #[command(flatten)]
    /// Progress and reports.
    pub report: ReportArgs,
}

#[derive(Args, Debug)]
/// `ghostsum verify`.
pub struct VerifyArgs {
    /// The file to check, or - for standard input.
    pub file: PathBuf,
    /// Hex digits its address (MD5 unless --hash or --git-object say otherwise) should start
    /// with; _ stands for any digit.
    #[arg(short, long, value_name = "HEX")]
    pub prefix: PrefixDigits,
    #[command(flatten)]
    /// Which digest is the address.
    pub address: AddressArgs,
    /// Count only this alphabet's symbols as the suffix (default: every symbol of the named
    /// alphabets).
    #[arg(short, long, value_name = "NAME")]
    pub alphabet: Option<Alphabet>,
    #[command(flatten)]
    /// What kind of file it is.
    pub kind: KindArgs,
    /// Also fail (exit 1) unless the file is content plus an invisible suffix: no symbol that
    /// shows in a viewer of the file's kind (VT in less, say), and with --original exactly
    /// ORIGINAL with suffix symbols inserted at one place, changing neither its line endings,
    /// its final line break nor what its reader reads; without, at least as many symbols as a
    /// search for PREFIX appends.
    #[arg(long)]
    pub strict: bool,
    /// The file before the search: say whether the checked file is it with alphabet symbols
    /// inserted, and what they change.
    #[arg(long, value_name = "FILE")]
    pub original: Option<PathBuf>,
    /// Print nothing; the exit status tells.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
/// `ghostsum bench`.
pub struct BenchArgs {
    /// The devices measured and how (`--backend` defaults to all here).
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Seconds of measurement per run (after a warm-up); at least 0.1.
    #[arg(short, long, default_value = "5")]
    pub seconds: Seconds,
    /// Content length of the measured search: where the suffix falls in its block decides
    /// how many MD5 steps each candidate costs (the bench prints it).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = values::parse_content_bytes)]
    pub content_bytes: usize,
    /// The suffix alphabet of the measured search (its size and width decide the layout).
    #[arg(short, long, default_value = "space-tab-lf", value_name = "NAME")]
    pub alphabet: Alphabet,
    /// The hash measured: md5, sha1 or sha256 (git's ids are SHA-1 or SHA-256 searches).
    #[arg(long, value_enum, default_value_t = crate::hash::HashKind::Md5, value_name = "HASH")]
    pub hash: crate::hash::HashKind,
    /// One JSON object per run on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs a parsed command line; returns how it ended.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    crate::signals::install();
    match cli.command {
        Command::Search(args) => search::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Batch(args) => batch::run(args),
        Command::GitCommit(args) => git_commit::run(args),
        Command::Alphabets { json } => extras::alphabets(json),
        Command::Devices { check: Some(list), .. } => extras::check_devices(&list),
        Command::Devices { json, check: None } => extras::devices(json),
        Command::Completions { shell } => extras::completions(shell),
        Command::Man { dir } => extras::man(dir),
    }
}

/// `--shard` and `--shard-count`, for search (a slice of the keyspace) and batch (a share of
/// the pages); `H` gives each its help text.
#[derive(Args, Debug, Clone)]
pub struct ShardArgs<H: ShardHelp> {
    #[arg(long, value_name = "I/N|env", help = H::SHARD)]
    shard: Option<ShardSpec>,
    /// The number of shards, for --shard env in a Kubernetes indexed job (its completions), or
    /// in a Slurm array that runs chosen tasks again (--array=3,5): the task ID is then the shard.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    shard_count: Option<u64>,
    #[arg(skip)]
    help: std::marker::PhantomData<H>,
}

/// The help text of `--shard`, per command.
pub trait ShardHelp: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// --shard's help.
    const SHARD: &'static str;
}

/// `search --shard`.
#[derive(Clone, Debug)]
pub struct SearchShardHelp;
impl ShardHelp for SearchShardHelp {
    const SHARD: &'static str = "Search only shard I of N of the keyspace (0-based), e.g. 3/16; or `env` to read it from a Slurm job array or a Kubernetes indexed job. Exit 3: this shard held no hit";
}

/// `batch --shard`.
#[derive(Clone, Debug)]
pub struct BatchShardHelp;
impl ShardHelp for BatchShardHelp {
    const SHARD: &'static str = "Search only task I of N's share of the pages (0-based, split by expected work), e.g. 3/16; or `env` to read it from a Slurm job array or a Kubernetes indexed job. Then run the batch once more with --collect for the report";
}

impl<H: ShardHelp> ShardArgs<H> {
    /// The shard, read from the scheduler's variables for `--shard env`; None without --shard.
    pub fn resolve(&self) -> anyhow::Result<Option<Shard>> {
        if self.shard_count.is_some() && self.shard != Some(ShardSpec::FromEnvironment) {
            anyhow::bail!(
                "--shard-count is only for --shard env (a Kubernetes indexed job); with --shard I/N the count is N"
            );
        }
        let env = |name: &str| std::env::var(name).ok();
        Ok(self.shard.map(|spec| spec.resolve(self.shard_count, &env)).transpose()?)
    }
}
