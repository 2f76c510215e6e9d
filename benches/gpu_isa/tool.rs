//! gpu-isa: the machine instructions a real GPU runs per candidate for ghostsum's search
//! kernel, without a GPU (benches/gpu-isa.sh runs it for every target and beside hashcat).
//!
//!   gpu-isa shader INPUT PREFIX STEM [--fast-layout] [--hash H] [--alphabet A]
//!                                                      STEM.wgsl and STEM.spv, as wgpu makes them
//!   gpu-isa spirv FILE.wgsl FILE.spv                   the same for any WGSL (respellings)
//!   gpu-isa compile STEM                               the driver compiles STEM.spv (env picks it)
//!   gpu-isa count FILE [--function NAME] [--no-loop]   instructions on the hot loop of an ISA dump
//!                                                      (--no-loop: from entry to end, for a kernel
//!                                                      that tests one candidate an invocation)
//!   gpu-isa amd INPUT PREFIX [--fast-layout] [--hash H] [--alphabet A] [--family F] [--icd JSON] [--llvm] [--wgsl FILE]
//!                                                      all of it on RADV's null device, one summary

mod amd;
mod blocks;
mod count;
mod kernel;
mod sass;
mod vulkan;

use clap::{Parser, Subcommand};
use ghostsum::hash::HashKind;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "gpu-isa", about = "GPU instructions per candidate for ghostsum's search kernel, without a GPU")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes STEM.wgsl and STEM.spv: the kernel ghostsum makes for INPUT and PREFIX.
    Shader {
        input: PathBuf,
        prefix: String,
        stem: PathBuf,
        #[arg(long)]
        fast_layout: bool,
        /// The hash searched: md5, sha1 or sha256.
        #[arg(long, value_enum, default_value_t = HashKind::Md5)]
        hash: HashKind,
        /// The suffix alphabet (the original five by default, as the recorded counts use;
        /// space-tab is git-commit's, space-tab-lf a text file's).
        #[arg(long, default_value = "whitespace")]
        alphabet: ghostsum::alphabet::Alphabet,
    },
    /// Compiles any WGSL compute shader (entry point `search`) to SPIR-V as wgpu would.
    Spirv { wgsl: PathBuf, spv: PathBuf },
    /// Has the first Vulkan device compile STEM.wgsl's SPIR-V into a pipeline; the driver's
    /// own environment variables decide which device and what it prints.
    Compile { stem: PathBuf },
    /// Counts the instructions of one pass of the hot loop in an AMD ISA dump (RADV's
    /// RADV_DEBUG=shaders output, or LLVM AMDGPU assembly from clang -S).
    Count {
        file: PathBuf,
        /// The kernel to count in an assembly file with several.
        #[arg(long)]
        function: Option<String>,
        /// Count the cheapest way from the kernel's entry to its end instead: a kernel that
        /// tests one candidate per invocation (lucky-commit's) has no search loop.
        #[arg(long)]
        no_loop: bool,
    },
    /// Makes the kernel for INPUT and PREFIX, compiles it on RADV's null device for FAMILY
    /// and counts its hot loop.
    Amd {
        input: PathBuf,
        prefix: String,
        #[arg(long)]
        fast_layout: bool,
        /// The hash searched: md5, sha1 or sha256.
        #[arg(long, value_enum, default_value_t = HashKind::Md5)]
        hash: HashKind,
        /// The suffix alphabet (the original five by default, as the recorded counts use;
        /// space-tab is git-commit's, space-tab-lf a text file's).
        #[arg(long, default_value = "whitespace")]
        alphabet: ghostsum::alphabet::Alphabet,
        /// The chip RADV pretends to be: navi21 (RDNA2), gfx1100 (RDNA3), vega10 (GCN).
        #[arg(long, default_value = "navi21")]
        family: String,
        /// The RADV driver's ICD file (another Mesa, unpacked locally).
        #[arg(long, default_value = "/usr/share/vulkan/icd.d/radeon_icd.x86_64.json")]
        icd: PathBuf,
        /// Folder of the libraries that driver needs (LD_LIBRARY_PATH).
        #[arg(long)]
        libraries: Option<PathBuf>,
        /// Use RADV's LLVM backend instead of ACO.
        #[arg(long)]
        llvm: bool,
        /// Keep the ISA dump here.
        #[arg(long)]
        dump: Option<PathBuf>,
        /// Compile this WGSL (a respelling of the kernel for INPUT and PREFIX) instead.
        #[arg(long)]
        wgsl: Option<PathBuf>,
    },
}

const ENTRY_POINT: &str = "search";

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gpu-isa: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Shader { input, prefix, stem, fast_layout, hash, alphabet } => {
            let search = kernel::Search::plan(&input, &prefix, fast_layout, hash, &alphabet)?;
            write_kernel(&search.wgsl(), &stem)?;
            println!("{}: {}", stem.display(), search.describe());
            Ok(())
        }
        Command::Spirv { wgsl, spv } => {
            let source = read_text(&wgsl)?;
            let spirv = kernel::spirv(&source, ENTRY_POINT)?;
            write(&spv, &bytes_of(&spirv.words))
        }
        Command::Compile { stem } => {
            let spirv = kernel::spirv(&read_text(&stem.with_extension("wgsl"))?, ENTRY_POINT)?;
            let device = vulkan::compile(&spirv, ENTRY_POINT)?;
            eprintln!("gpu-isa: pipeline created on {device}");
            Ok(())
        }
        Command::Count { file, function, no_loop } => {
            let text = read_text(&file)?;
            let counted = if no_loop {
                count::entry_to_exit(&text, function.as_deref())?
            } else {
                count::hot_loop(&text, function.as_deref())?
            };
            print!("{}", counted.report(&file.display().to_string()));
            Ok(())
        }
        Command::Amd { input, prefix, fast_layout, hash, alphabet, family, icd, libraries, llvm, dump, wgsl } => {
            let search = kernel::Search::plan(&input, &prefix, fast_layout, hash, &alphabet)?;
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let stem = dir.path().join("kernel");
            let source = match &wgsl {
                Some(path) => read_text(path)?,
                None => search.wgsl(),
            };
            write_kernel(&source, &stem)?;
            let text = compile_on_radv(&stem, &family, &icd, libraries.as_deref(), llvm)?;
            if let Some(dump) = &dump {
                write(dump, text.as_bytes())?;
            }
            let counted = count::hot_loop(&text, None)?;
            let steps = search.steps();
            let device = text.lines().find_map(|l| l.strip_prefix("gpu-isa: pipeline created on ")).unwrap_or("?");
            let device = format!("{device}, {}", if llvm { "RADV's LLVM backend" } else { "ACO" });
            print!("{}", counted.report(&format!("ghostsum on {device}")));
            println!("  device: {device}");
            println!("  kernel: {}", search.describe());
            println!("  VALU per {} step: {:.2}", hash.title(), counted.main() as f64 / steps as f64);
            println!("  steps: {steps}");
            if let Some((ops, shared_by)) = ghostsum::gpu::shader::outer_pass_ops(&search.shape)? {
                // Not in the counts above: the outer loop's own pass, in naga's operations.
                println!(
                    "  outer pass: {ops} naga ops, shared by {shared_by} candidates ({:.1} each)",
                    ops as f64 / shared_by as f64
                );
            }
            Ok(())
        }
    }
}

/// Runs `gpu-isa compile STEM` again with RADV's variables set (they must be in place before
/// the driver loads) and returns everything it printed: the ISA and the device line.
fn compile_on_radv(
    stem: &Path,
    family: &str,
    icd: &Path,
    libraries: Option<&Path>,
    llvm: bool,
) -> Result<String, String> {
    if !icd.is_file() {
        return Err(format!("no RADV driver at {} (Debian: apt-get install mesa-vulkan-drivers)", icd.display()));
    }
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut compile = std::process::Command::new(me);
    compile
        .arg("compile")
        .arg(stem)
        .env("VK_ICD_FILENAMES", icd)
        .env("VK_DRIVER_FILES", icd)
        .env("RADV_FORCE_FAMILY", family)
        .env("RADV_DEBUG", if llvm { "shaders,nocache,llvm" } else { "shaders,nocache" });
    if let Some(libraries) = libraries {
        compile.env("LD_LIBRARY_PATH", libraries);
    }
    let out = compile.output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !text.contains("gpu-isa: pipeline created") {
        let last = text.lines().rev().take(5).collect::<Vec<_>>().join(" / ");
        return Err(format!("RADV ({family}) did not compile the kernel: {last}"));
    }
    Ok(text)
}

fn write_kernel(wgsl: &str, stem: &Path) -> Result<(), String> {
    write(&stem.with_extension("wgsl"), wgsl.as_bytes())?;
    let spirv = kernel::spirv(wgsl, ENTRY_POINT)?;
    write(&stem.with_extension("spv"), &bytes_of(&spirv.words))
}

fn bytes_of(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}
