//! The GPU kernel's cost in a real GPU's instructions: ghostsum's search kernel for `hello
//! world\n` and prefix c0ffee, compiled by Mesa's RADV for an RDNA2 chip on its null device
//! (no GPU needed) by the gpu-isa tool (benches/gpu_isa, which `cargo test` builds as an
//! example). Instruction counts are deterministic for one Mesa, so a change that adds
//! instructions to the hot loop fails here, and one that sheds some must record the new count.

use std::path::PathBuf;
use std::process::Command;

/// VALU instructions per candidate on RDNA2 (navi21), by Mesa version, and what the default
/// layout's 56 MD5 steps cost in them. Lower an entry when a change sheds instructions.
const RECORDED: [(&str, usize); 1] = [("Mesa 22.3.6", 364)];

const RADV: &str = "/usr/share/vulkan/icd.d/radeon_icd.x86_64.json";

/// The gpu-isa tool that `cargo test` built beside this test.
fn tool() -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    deps.parent().unwrap().join("examples").join(format!("gpu-isa{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn the_default_kernel_runs_the_recorded_amd_instructions_per_candidate() {
    let ci = std::env::var("CI").is_ok();
    if !std::path::Path::new(RADV).is_file() {
        assert!(!ci, "CI must measure the kernel on RADV: apt-get install mesa-vulkan-drivers");
        eprintln!("skipped: no RADV driver ({RADV}); Debian: apt-get install mesa-vulkan-drivers");
        return;
    }
    let tool = tool();
    if !tool.is_file() {
        assert!(!ci, "{} is missing: run plain `cargo test`, which builds the examples", tool.display());
        eprintln!("skipped: {} is not built (cargo build --example gpu-isa)", tool.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hello.txt");
    std::fs::write(&input, "hello world\n").unwrap();
    let out = Command::new(&tool)
        .args(["amd", input.to_str().unwrap(), "c0ffee", "--family", "navi21", "--icd", RADV])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    let valu: usize = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("VALU "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no VALU count in:\n{report}"));
    assert!(report.contains("56 MD5 steps per candidate"), "{report}");
    // "  device: RADV NAVI21, Mesa 22.3.6, ACO"
    let device = report.lines().find_map(|l| l.trim().strip_prefix("device: ")).unwrap_or("?");
    let mesa = device.split(", ").find(|part| part.starts_with("Mesa ")).unwrap_or("no Mesa version").to_string();
    let Some(&(_, recorded)) = RECORDED.iter().find(|(version, _)| *version == mesa) else {
        assert!(!ci, "no count recorded for {mesa}; add ({mesa:?}, {valu}) to RECORDED:\n{report}");
        eprintln!("skipped: no count recorded for {mesa} (it gives {valu})");
        return;
    };
    assert!(valu <= recorded, "the hot loop grew from {recorded} to {valu} VALU instructions per candidate:\n{report}");
    assert_eq!(valu, recorded, "the hot loop shed instructions ({recorded} -> {valu}): record {valu} in RECORDED");
}
