//! Real files that other projects wrote (what Debian's packages install) and the cases issue
//! 28 names, searched with default options and read back as their own readers and a person
//! at a bash prompt read them (tests/real_files.py). Skips with the reason when tmux is
//! missing, except under CI=true, where .ci/run installs it.

mod common;

use std::process::Command;

#[test]
fn real_files_read_the_same_after_a_search_or_are_refused_with_a_reason() {
    let out = Command::new("python3")
        .args(["tests/real_files.py", "--ghostsum"])
        .arg(common::bin())
        .output()
        .expect("python3 is installed");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.code() == Some(4) {
        assert!(std::env::var("CI").is_err(), "CI must run real_files.py: {stderr}");
        eprintln!("skipped real_files.py: {stderr}");
        return;
    }
    assert!(out.status.success(), "real_files.py failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    println!("{stdout}");
}
