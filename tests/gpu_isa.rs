//! The GPU kernels' cost in a real GPU's instructions: ghostsum's search kernel for the MD5,
//! SHA-1 and SHA-256 of `hello world\n` and prefix c0ffee, compiled by Mesa's RADV for an RDNA2 chip on its null device
//! (no GPU needed) by the gpu-isa tool (benches/gpu_isa, which `cargo test` builds as an
//! example). Instruction counts are deterministic for one Mesa, so a change that adds
//! instructions to the hot loop fails here, and one that sheds some must record the new count.

use std::path::PathBuf;
use std::process::Command;

/// VALU instructions per candidate on RDNA2 (navi21) by hash, layout (`--fast-layout`: SHA's
/// split kernels) and Mesa version, with the steps per candidate the layout runs. Lower an
/// entry when a change sheds instructions.
const RECORDED: [(&str, bool, &str, usize, &str); 5] = [
    ("md5", false, "Mesa 22.3.6", 364, "56 MD5 steps"),
    ("sha1", false, "Mesa 22.3.6", 685, "75 SHA-1 steps"),
    ("sha256", false, "Mesa 22.3.6", 1922, "59 SHA-256 steps"),
    ("sha1", true, "Mesa 22.3.6", 621, "80 SHA-1 steps"),
    ("sha256", true, "Mesa 22.3.6", 1537, "64 SHA-256 steps"),
];

const RADV: &str = "/usr/share/vulkan/icd.d/radeon_icd.x86_64.json";

/// The gpu-isa tool that `cargo test` built beside this test.
fn tool() -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    deps.parent().unwrap().join("examples").join(format!("gpu-isa{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn the_default_kernels_run_the_recorded_amd_instructions_per_candidate() {
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
    for entry in RECORDED {
        check(&tool, &input, entry, ci);
    }
}

/// Compiles the kernel of a [`RECORDED`] entry (hash, `--fast-layout`, Mesa, count, steps)
/// and compares its count with the one recorded for that Mesa (a machine with another Mesa
/// skips, outside CI).
fn check(
    tool: &std::path::Path,
    input: &std::path::Path,
    (hash, fast, mesa, recorded, steps): (&str, bool, &str, usize, &str),
    ci: bool,
) {
    let out = Command::new(tool)
        .args(["amd", input.to_str().unwrap(), "c0ffee", "--hash", hash, "--family", "navi21", "--icd", RADV])
        .args(fast.then_some("--fast-layout"))
        .output()
        .unwrap();
    let hash = if fast { format!("{hash} --fast-layout") } else { hash.to_string() };
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    let valu: usize = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("VALU "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no VALU count in:\n{report}"));
    assert!(report.contains(&format!("{steps} per candidate")), "{hash}: {report}");
    // "  device: RADV NAVI21, Mesa 22.3.6, ACO"
    let device = report.lines().find_map(|l| l.trim().strip_prefix("device: ")).unwrap_or("?");
    let here = device.split(", ").find(|part| part.starts_with("Mesa ")).unwrap_or("no Mesa version");
    if here != mesa {
        assert!(
            !ci,
            "no {hash} count recorded for {here}; add ({hash:?}, {here:?}, {valu}, ..) to RECORDED:\n{report}"
        );
        eprintln!("skipped: no {hash} count recorded for {here} (it gives {valu})");
        return;
    }
    assert!(
        valu <= recorded,
        "{hash}: the hot loop grew from {recorded} to {valu} VALU instructions per candidate:\n{report}"
    );
    assert_eq!(
        valu, recorded,
        "{hash}: the hot loop shed instructions ({recorded} -> {valu}): record {valu} in RECORDED"
    );
}
