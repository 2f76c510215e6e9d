//! Real signals to a real process: SIGINT, SIGTERM and SIGHUP stop a search or a write
//! promptly, save the checkpoint, leave no temporary file, print one line and exit 128 + N.
#![cfg(unix)]

mod common;
use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn spawn(args: &[&str]) -> Child {
    Command::new(bin()).args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Waits for the child, at most `limit`; returns its exit code and stderr.
fn finish(child: Child, limit: Duration) -> (Option<i32>, String) {
    let pid = child.id();
    let started = Instant::now();
    // The watchdog kills a hung child, and only while it has not been reaped: after that its
    // pid may belong to another process.
    let reaped = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let reaped = Arc::clone(&reaped);
        std::thread::spawn(move || {
            while started.elapsed() < limit && !reaped.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            if !reaped.load(Ordering::SeqCst) {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        })
    };
    let out = child.wait_with_output().unwrap();
    reaped.store(true, Ordering::SeqCst);
    assert!(started.elapsed() < limit, "the process did not stop within {limit:?}");
    watchdog.join().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn each_stop_signal_saves_the_checkpoint_and_exits_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "a long search\n").unwrap();
    let out = dir.path().join("out.txt");
    let checkpoint = dir.path().join("cp.json");
    for (signal, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let child = spawn(&[
            "search",
            input.to_str().unwrap(),
            "-p",
            "0123456789abcdef",
            "--force",
            "-q",
            "-b",
            "cpu",
            "-o",
            out.to_str().unwrap(),
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--checkpoint-every",
            "0.1",
        ]);
        assert!(wait_until(Duration::from_secs(20), || checkpoint.exists()), "no checkpoint was saved");
        kill(child.id(), signal);
        let (status, err) = finish(child, Duration::from_secs(10));
        assert_eq!(status, Some(code), "SIG{signal}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("SIG{signal}: stopped; progress saved to")), "{err}");
        let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&checkpoint).unwrap()).unwrap();
        assert!(saved["next_index"].as_str().unwrap().parse::<u128>().unwrap() > 0);
        assert!(!out.exists());
        assert!(temp_files(dir.path()).is_empty(), "SIG{signal} left {:?}", temp_files(dir.path()));
        std::fs::remove_file(&checkpoint).unwrap();
    }
}

/// A sparse file of `mib` MiB: quick to make, and long enough to copy that a signal can
/// land during the write.
fn big_input(dir: &Path, mib: u64) -> std::path::PathBuf {
    let path = dir.join("big.bin");
    std::fs::File::create(&path).unwrap().set_len(mib << 20).unwrap();
    path
}

#[test]
fn a_signal_during_the_write_of_a_large_output_stops_it_and_removes_the_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_input(dir.path(), 256);
    let out = dir.path().join("out.bin");
    for (signal, code, in_place) in [("TERM", 143, false), ("INT", 130, true), ("HUP", 129, false)] {
        let mut args = vec!["search", input.to_str().unwrap(), "-p", "a", "-q", "-b", "cpu"];
        if in_place {
            args.push("--in-place");
        } else {
            args.extend(["-o", out.to_str().unwrap()]);
        }
        let child = spawn(&args);
        let began = wait_until(Duration::from_secs(30), || writing_into(dir.path(), child.id()));
        assert!(began, "the write never began");
        kill(child.id(), signal);
        let (status, err) = finish(child, Duration::from_secs(10));
        assert_eq!(status, Some(code), "SIG{signal}: {err}");
        assert!(err.contains(&format!("SIG{signal}: stopped")), "{err}");
        assert!(temp_files(dir.path()).is_empty(), "SIG{signal} left {:?}", temp_files(dir.path()));
        assert!(!out.exists(), "a half-written output after SIG{signal}");
        assert_eq!(std::fs::metadata(&input).unwrap().len(), 256 << 20, "the input changed");
    }
}

/// A search whose output is a FIFO nobody opens: it is blocked in open(2) once it has its hit.
fn blocked_on_a_fifo() -> (tempfile::TempDir, Child) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "x").unwrap();
    let fifo = dir.path().join("nobody-reads");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let child =
        spawn(&["search", input.to_str().unwrap(), "-p", "ab", "-q", "-b", "cpu", "-o", fifo.to_str().unwrap()]);
    std::thread::sleep(Duration::from_millis(800));
    (dir, child)
}

/// SIGKILL cannot be handled: on Linux the output is written to a file that has no name until
/// it is complete (`O_TMPFILE`), so a killed write leaves nothing either.
#[cfg(target_os = "linux")]
#[test]
fn a_kill_during_the_write_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_input(dir.path(), 256);
    let out = dir.path().join("out.bin");
    let child = spawn(&["search", input.to_str().unwrap(), "-p", "a", "-q", "-b", "cpu", "-o", out.to_str().unwrap()]);
    let began = wait_until(Duration::from_secs(30), || writing_into(dir.path(), child.id()));
    assert!(began, "the write never began");
    kill(child.id(), "KILL");
    let (status, err) = finish(child, Duration::from_secs(10));
    assert_eq!(status, None, "killed, so no exit code: {err}");
    assert!(temp_files(dir.path()).is_empty(), "SIGKILL left {:?}", temp_files(dir.path()));
    assert!(!out.exists(), "a half-written output after SIGKILL");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the input is left");
}

#[test]
fn a_process_blocked_on_a_fifo_nobody_reads_still_stops() {
    let (_dir, child) = blocked_on_a_fifo();
    kill(child.id(), "TERM");
    // Blocked in open(2): the signal thread ends it after its grace period.
    let (status, err) = finish(child, Duration::from_secs(10));
    assert_eq!(status, Some(143), "{err}");
    assert!(err.contains("SIGTERM") && err.contains("stopped while waiting on input or output"), "{err}");
}

#[test]
fn a_second_signal_stops_at_once() {
    let (_dir, child) = blocked_on_a_fifo();
    kill(child.id(), "INT");
    std::thread::sleep(Duration::from_millis(100));
    kill(child.id(), "INT");
    // The message names the path taken: not the grace period's "waiting on input or output".
    let (status, err) = finish(child, Duration::from_secs(10));
    assert_eq!(status, Some(130), "{err}");
    assert!(err.contains("second stop signal"), "{err}");
}

#[test]
fn a_stopped_batch_keeps_finished_pages_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("quick.txt"), "quick {{url:slow}}\n").unwrap();
    std::fs::write(d.join("slow.txt"), "slow\n").unwrap();
    std::fs::write(
        d.join("m.toml"),
        "url = \"https://x/{prefix}\"\n[[page]]\nname = \"quick\"\nfile = \"quick.txt\"\nprefix = \"ab\"\n\
         [[page]]\nname = \"slow\"\nfile = \"slow.txt\"\nprefix = \"0123456789abcdef\"\n",
    )
    .unwrap();
    let out = d.join("out");
    let child = spawn(&[
        "batch",
        d.join("m.toml").to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "-q",
        "-b",
        "cpu",
        "--force",
    ]);
    assert!(wait_until(Duration::from_secs(20), || out.join("quick.txt").exists()));
    std::thread::sleep(Duration::from_millis(300));
    kill(child.id(), "TERM");
    let (status, err) = finish(child, Duration::from_secs(10));
    assert_eq!(status, Some(143), "{err}");
    assert!(err.contains("SIGTERM: stopped; finished pages are kept"), "{err}");
    assert!(md5sum(&out.join("quick.txt")).starts_with("ab"));
    assert!(!out.join("slow.txt").exists());
    assert!(temp_files(&out).is_empty());
}
