//! The command line: arguments, and one module per subcommand.

mod batch;
mod bench;
mod search;
mod verify;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit status when a shard's part of the keyspace held no hit.
pub const EXIT_SHARD_EMPTY: i32 = 3;
/// Exit status after Ctrl-C.
pub const EXIT_INTERRUPTED: i32 = 130;

#[derive(Parser, Debug)]
#[command(
    name = "ghostsum",
    version,
    about = "Make a file's MD5 digest start with the hex digits you choose, by appending invisible whitespace.",
    long_about = "Make a file's MD5 digest start with the hex digits you choose, by appending a short \
suffix of invisible whitespace. The file reads the same; only its digest moves.\n\n\
Every hit is re-checked with an independent MD5 (the md-5 crate) before anything is written, and \
outputs are written to a temporary file and renamed, so an interrupted run leaves the old file or \
the finished one, never half of one.\n\n\
Examples:\n  ghostsum search notes.txt --prefix c0ffee -o notes.out.txt\n  \
ghostsum search - --prefix abcd -o - < in > out\n  ghostsum search notes.txt --prefix c0ffee --in-place\n  \
ghostsum verify notes.out.txt --prefix c0ffee\n  ghostsum bench --seconds 5"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Append an invisible suffix so the file's MD5 starts with PREFIX.
    Search(SearchArgs),
    /// Check that a file's MD5 starts with PREFIX (exit 0) or not (exit 1).
    Verify(VerifyArgs),
    /// Measure candidates per second of each backend's real search loop, side by side.
    Bench(BenchArgs),
    /// Build linked pages from a TOML manifest: each page's MD5 starts with its prefix, and
    /// {{url:NAME}} / {{prefix:NAME}} in any page become that page's address / prefix.
    Batch(BatchArgs),
    /// List the GPU adapters wgpu finds.
    Devices,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    /// The GPU when a real one is present, else the CPU; says which.
    Auto,
    /// Every CPU core, SIMD lanes chosen at run time (AVX-512, AVX2 or portable).
    Cpu,
    /// The best GPU adapter wgpu finds (a software one too), or the one --adapter names.
    Gpu,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The file to extend, or - for standard input.
    pub input: PathBuf,
    /// Hex digits the MD5 must start with: 1 to 32, either case.
    #[arg(short, long, value_name = "HEX")]
    pub prefix: String,
    /// Where to write the result: a path, or - for standard output.
    #[arg(short, long, value_name = "PATH", conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// Rewrite INPUT itself, atomically (temporary file and rename).
    #[arg(long)]
    pub in_place: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// The suffix symbols: whitespace (space, tab, LF, VT, FF), space-tab, zero-width
    /// (U+200B/C/D, U+2060), or bytes:HEX,HEX,... for your own.
    #[arg(short, long, default_value = "whitespace", value_name = "NAME")]
    pub alphabet: String,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print one JSON object describing the result on stdout (stderr when the file goes to stdout).
    #[arg(long)]
    pub json: bool,
    /// Search even when the estimate says it would take more than a day.
    #[arg(long)]
    pub force: bool,
    /// Search only shard I of N of the keyspace (0-based), e.g. 3/16; or `env` to read it
    /// from a Slurm job array or a Kubernetes indexed job. Exit 3: this shard held no hit.
    #[arg(long, value_name = "I/N|env")]
    pub shard: Option<String>,
    /// The number of shards, for --shard env in a Kubernetes indexed job (its completions).
    #[arg(long, value_name = "N")]
    pub shard_count: Option<u64>,
    /// Save progress to FILE and resume from it when the same command runs again.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Seconds between checkpoint saves.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub checkpoint_every: f64,
}

#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// Which search engine to use.
    #[arg(short, long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// CPU worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// GPU adapter whose name contains this text (see `ghostsum devices`).
    #[arg(long, value_name = "SUBSTRING")]
    pub adapter: Option<String>,
    /// Up to 63 more suffix symbols for up to ~20% more speed: the suffix then ends late in
    /// its MD5 block, so fewer steps run per candidate. Off: the shortest suffix.
    #[arg(long)]
    pub fast_layout: bool,
}

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// The manifest (TOML): url, digits, seed, alphabet and [[page]] entries.
    pub manifest: PathBuf,
    /// Where the finished pages and ghostsum-report.json go.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Overrides the manifest's alphabet.
    #[arg(short, long, value_name = "NAME")]
    pub alphabet: Option<String>,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the report as JSON on stdout instead of the summary table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The file to check, or - for standard input.
    pub file: PathBuf,
    /// Hex digits its MD5 should start with.
    #[arg(short, long, value_name = "HEX")]
    pub prefix: String,
    /// Print nothing; the exit status tells.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchChoice {
    Cpu,
    Gpu,
    All,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Which backends to measure.
    #[arg(short, long, value_enum, default_value = "all")]
    pub backend: BenchChoice,
    /// Seconds of measurement per backend (after a warm-up).
    #[arg(short, long, default_value_t = 5.0)]
    pub seconds: f64,
    /// CPU worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// GPU adapter whose name contains this text.
    #[arg(long, value_name = "SUBSTRING")]
    pub adapter: Option<String>,
    /// Content length of the measured search: where the suffix falls in its block decides
    /// how many MD5 steps each candidate costs (the bench prints it).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub content_bytes: usize,
    /// Measure the --fast-layout layout of that content instead of the shortest one.
    #[arg(long)]
    pub fast_layout: bool,
    /// One JSON object per backend on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs a parsed command line; returns the process exit status.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Search(args) => search::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Batch(args) => batch::run(args),
        Command::Devices => devices(),
    }
}

/// The backend a user asked for, ready to run, with a note on why `auto` chose the CPU.
pub fn make_backend(args: &EngineArgs) -> anyhow::Result<(Box<dyn crate::backend::Backend>, Option<String>)> {
    let threads = match args.threads {
        Some(0) => anyhow::bail!("--threads must be at least 1"),
        Some(n) => Some(n),
        None => None,
    };
    let cpu = || -> Box<dyn crate::backend::Backend> {
        Box::new(match threads {
            Some(n) => crate::cpu::CpuBackend::new(n),
            None => crate::cpu::CpuBackend::all_cores(),
        })
    };
    let gpu = |real_gpu_only: bool| {
        crate::gpu::GpuBackend::new(crate::gpu::GpuOptions {
            adapter: args.adapter.clone(),
            real_gpu_only,
            ..Default::default()
        })
    };
    Ok(match args.backend {
        BackendChoice::Cpu => (cpu(), None),
        BackendChoice::Gpu => (Box::new(gpu(false)?) as Box<dyn crate::backend::Backend>, None),
        // auto takes a real GPU only; a software rasteriser is slower than the CPU kernel.
        BackendChoice::Auto => match gpu(args.adapter.is_none()) {
            Ok(g) => (Box::new(g), None),
            Err(e) => (cpu(), Some(format!("auto chose the CPU: {e:#}"))),
        },
    })
}

fn devices() -> anyhow::Result<i32> {
    let adapters = crate::gpu::device::adapters();
    if adapters.is_empty() {
        println!("no GPU adapters found (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers)");
    }
    for a in adapters {
        let info = a.get_info();
        let kind =
            if crate::gpu::device::is_real_gpu(&info) { "GPU" } else { "not a real GPU: --backend auto skips it" };
        println!("{}  [{kind}]", crate::gpu::device::describe(&info));
    }
    Ok(0)
}
