//! What a person sees: the default alphabets against real viewers (tests/viewers/matrix.py:
//! cat, less, vim and nano through tmux, Chromium's pixels, each format's parser), and the
//! adventure example served by nginx and walked in Chromium (tests/viewers/walk.py), and real
//! files searched and looked at where their suffix is (tests/viewers/real_looks.py). Each
//! skips with the reason when a viewer is missing, except under CI=true, where .ci/run
//! installs them and a skip would hide a regression.

mod common;

use std::process::Command;

/// Runs one of the scripts against the binary under test; `None` when it says a tool is
/// missing (exit 4) outside CI.
fn run_script(script: &str) -> Option<std::process::Output> {
    let out = Command::new("python3")
        .arg(format!("tests/viewers/{script}"))
        .arg("--ghostsum")
        .arg(common::bin())
        .output()
        .expect("python3 is installed");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if out.status.code() == Some(4) {
        assert!(std::env::var("CI").is_err(), "CI must run {script}: {stderr}");
        eprintln!("skipped {script}: {stderr}");
        return None;
    }
    Some(out)
}

fn assert_passed(script: &str, out: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    println!("{stdout}");
}

#[test]
fn each_kinds_default_alphabet_is_the_measured_invisible_one() {
    let Some(out) = run_script("matrix.py") else { return };
    assert_passed("matrix.py", &out);
    // One row per kind, each with ghostsum's default and no failure mark.
    let stdout = String::from_utf8_lossy(&out.stdout);
    for kind in ["text", "markdown", "html", "shell", "python", "json", "toml", "yaml"] {
        assert!(stdout.contains(&format!("| {kind} |")), "no row for {kind}:\n{stdout}");
    }
    assert!(!stdout.contains("FAILED"));
}

#[test]
fn the_adventure_served_by_nginx_walks_in_chromium_and_looks_unchanged() {
    let Some(out) = run_script("walk.py") else { return };
    assert_passed("walk.py", &out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("walked 3 pages on nginx"));
}

#[test]
fn real_files_look_the_same_at_their_end_in_less_vim_nano_and_chromium() {
    let Some(out) = run_script("real_looks.py") else { return };
    assert_passed("real_looks.py", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for view in [
        "cat",
        "less-end",
        "vim-end",
        "vim-debian-end",
        "nano-end",
        "vim-status",
        "chromium-plain",
        "chromium-end",
        "reader",
    ] {
        assert!(stdout.contains(&format!("| {view} |")), "no row for {view}:\n{stdout}");
    }
}
