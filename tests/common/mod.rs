//! Helpers the integration tests share: the binary, independent MD5s, root-only set-up.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The ghostsum binary under test.
pub fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("ghostsum")
}

/// `ghostsum ARGS` as an assert_cmd command.
pub fn ghostsum() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("ghostsum").unwrap()
}

/// The system's md5sum of a file.
pub fn md5sum(path: &Path) -> String {
    let out = Command::new("md5sum").arg(path).output().expect("md5sum is installed");
    assert!(out.status.success(), "md5sum {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()[..32].to_string()
}

/// Python's hashlib MD5 of bytes given on its stdin.
pub fn hashlib_of(bytes: &[u8]) -> String {
    python_digest(ghostsum::address::Address::MD5, bytes)
}

/// The address of `bytes` by Python's hashlib: the digest of the bytes, or of git's
/// `"<type> <len>\0"` header and the bytes for a git object.
pub fn python_digest(address: ghostsum::address::Address, bytes: &[u8]) -> String {
    let header = address.git_object.map(|o| o.name()).unwrap_or("");
    let code = format!(
        "import hashlib,sys; d=sys.stdin.buffer.read(); t=b'{header}'; \
         print(hashlib.{}((t + b' %d\\0' % len(d) if t else b'') + d).hexdigest())",
        address.hash.name()
    );
    let mut child = Command::new("python3")
        .args(["-c", &code])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is installed");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs a shell command line (for umask, redirections and process substitution).
pub fn sh(script: &str) -> std::process::Output {
    Command::new("bash").args(["-c", script]).output().unwrap()
}

/// Are we root? Tests that need mknod, chown or another user skip (with a printed reason)
/// when not, except under CI=true, where CI runs as root and a skip would hide a regression.
pub fn root_or_skip(what: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        assert!(std::env::var("CI").is_err(), "CI must run {what} as root");
        eprintln!("skipped {what}: needs root (mknod, chown, another user)");
    }
    root
}

/// Names in a folder that look like ghostsum's temporary files.
pub fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".ghostsum-"))
        .collect()
}

/// Is process `pid` writing a new file into `dir`? Either a `.ghostsum-XXXXXX` file is there,
/// or (Linux, `O_TMPFILE`) the process holds a file in `dir` that has no name yet, which
/// /proc shows as `DIR/#INODE (deleted)`.
pub fn writing_into(dir: &Path, pid: u32) -> bool {
    if !temp_files(dir).is_empty() {
        return true;
    }
    let dir = std::fs::canonicalize(dir).unwrap();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .any(|target| target.parent() == Some(dir.as_path()) && target.to_string_lossy().ends_with(" (deleted)"))
}

/// Waits until `ready()` holds, for at most `limit`.
pub fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

/// Sends a signal by name (TERM, HUP, INT, KILL) to a process.
pub fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status().unwrap();
    assert!(status.success());
}

/// File mode bits (permissions, setuid, setgid, sticky).
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().mode() & 0o7777
}

/// Owner and group.
pub fn owner(path: &Path) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap();
    (m.uid(), m.gid())
}

/// Writes `pages` pages `{stem}0.txt`... into `dir`, each linking to the next in a ring, and
/// returns a batch manifest for them (addresses at `host`, `digits` digits, seed `seed`).
#[allow(dead_code)]
pub fn ring_manifest(dir: &Path, stem: &str, pages: usize, host: &str, digits: u32, seed: u64) -> String {
    let mut manifest = format!("url = \"https://{host}/{{prefix}}\"\ndigits = {digits}\nseed = {seed}\n");
    for n in 0..pages {
        let next = (n + 1) % pages;
        let text = format!("page {n}, next: {{{{url:{stem}{next}}}}}\n");
        std::fs::write(dir.join(format!("{stem}{n}.txt")), text).unwrap();
        manifest += &format!("[[page]]\nname = \"{stem}{n}\"\nfile = \"{stem}{n}.txt\"\n");
    }
    manifest
}
