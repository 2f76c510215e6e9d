//! Is gpu:N here? Asked of a helper process, `ghostsum devices --check gpu:N`, for a GPU
//! named beside the CPU in a batch. Finding an adapter loads every installed Vulkan driver
//! (30-45 ms of CPU here, most of it the dynamic linker relocating LLVM for lavapipe); in a
//! helper, the batch process loads a driver only when a page is long enough to give the GPU
//! work ([`super::on_demand`]), so a batch of short pages neither maps nor tears down a
//! driver it never uses, and a driver that crashes while it is enumerated fails the check,
//! not the batch. (It is not faster: on two cores the loading costs the batch about the
//! same CPU time in either process; BENCHMARKS.md.)

use super::on_demand::Readiness;
use std::process::{Command, Stdio};
use std::sync::Arc;

/// Starts the helper for `label` ("gpu:0"); its answer goes to `ready` unless something
/// surer has by then. False when no helper could be started: the caller finds the GPU itself.
pub fn start(label: &str, ready: Arc<Readiness>) -> bool {
    let mut command = Command::new(this_program());
    command.args(["devices", "--check", label]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // Spawned as it is (posix_spawn, no code of ours between fork and exec): a plain fork
    // would copy this process's page tables and write-protect its pages, for the workers and
    // the page writes to fault on next.
    let Ok(child) = command.spawn() else { return false };
    // Then the lowest priority. If the batch is killed meanwhile, the helper only finishes
    // its check, which writes nothing, and ends.
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on our own child's pid touches no memory of ours.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, child.id(), 19);
    }
    let label = label.to_string();
    // Waiting is all this thread does: it loads nothing.
    std::thread::Builder::new()
        .name("ghostsum gpu check".into())
        .spawn(move || {
            let verdict = match child.wait_with_output() {
                Ok(output) if output.status.success() => Ok(found(&label, &output.stdout)),
                Ok(output) => {
                    wait_for_a_shared_stop(&output.status);
                    Err(reason(&label, &output))
                }
                Err(e) => Err(format!("checking {label} failed ({e}); see ghostsum devices --check {label}")),
            };
            ready.set_if_unknown(verdict);
        })
        .is_ok()
}

/// A signal that ended the helper (a Ctrl-C, a scheduler's kill) usually reaches this
/// process too, a moment later on its signal thread: waits up to a second for it, so that the
/// batch stops as stopped ([`crate::run::Session::check_opening`]) instead of failing as if
/// the GPU were missing.
fn wait_for_a_shared_stop(status: &std::process::ExitStatus) {
    #[cfg(unix)]
    if std::os::unix::process::ExitStatusExt::signal(status).is_some() {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
        while crate::signals::received().is_none() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

/// The running program, even if its file has since been replaced or deleted.
fn this_program() -> std::path::PathBuf {
    if cfg!(target_os = "linux") {
        "/proc/self/exe".into()
    } else {
        std::env::current_exe().unwrap_or_else(|_| "ghostsum".into())
    }
}

/// The adapter in words, from the helper's `found: gpu:N NAME` (the label if it said less).
fn found(label: &str, stdout: &[u8]) -> String {
    let said = String::from_utf8_lossy(stdout);
    let prefix = format!("found: {label} ");
    said.lines().find_map(|l| l.strip_prefix(&prefix)).map_or_else(|| label.to_string(), str::to_string)
}

/// The helper's one-line error, as search would have printed it; or how it ended.
fn reason(label: &str, output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => line.trim_start_matches("ghostsum: error: ").to_string(),
        None => format!(
            "checking {label} in a helper process ended with {}; see ghostsum devices --check {label}",
            output.status
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helpers_words_become_a_name_or_a_reason() {
        let said = b"found: gpu:1 llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, Cpu)\n";
        assert_eq!(found("gpu:1", said), "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, Cpu)");
        assert_eq!(found("gpu:1", b""), "gpu:1");
        let failed = std::process::Command::new("sh")
            .args(["-c", "echo 'ghostsum: error: --backend gpu:9: there is no adapter 9' >&2; exit 2"])
            .output()
            .unwrap();
        assert_eq!(reason("gpu:9", &failed), "--backend gpu:9: there is no adapter 9");
        let killed = std::process::Command::new("sh").args(["-c", "kill -9 $$"]).output().unwrap();
        let why = reason("gpu:9", &killed);
        assert!(why.starts_with("checking gpu:9 in a helper process ended with") && why.contains('9'), "{why}");
    }
}
