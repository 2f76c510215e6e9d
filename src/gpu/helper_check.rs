//! Is gpu:N here? Asked of a helper process, `ghostsum devices --check gpu:N`, for a GPU
//! named beside the CPU in a batch. Finding an adapter loads every Vulkan driver: in this
//! process that is tens of milliseconds of mapping and relocating libraries (LLVM for a
//! software one) in the address space the CPU's workers and the page writes share, and it
//! slowed a batch of 200 short pages by a third on two cores; in a helper, at the lowest
//! priority, it costs them a few percent. The GPU is then loaded here only when a page is
//! long enough to give it work ([`super::on_demand`]).

use super::on_demand::Readiness;
use std::process::{Command, Stdio};
use std::sync::Arc;

/// Starts the helper for `label` ("gpu:0"); its answer goes to `ready` unless something
/// surer has by then. False when no helper could be started: the caller finds the GPU itself.
pub fn start(label: &str, ready: Arc<Readiness>) -> bool {
    let mut command = Command::new(this_program());
    command.args(["devices", "--check", label]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec the closure only makes two system calls, both
        // async-signal-safe, and touches no memory of ours.
        unsafe {
            command.pre_exec(|| {
                // The lowest priority, and gone with the batch if it is killed (-9 included).
                libc::setpriority(libc::PRIO_PROCESS, 0, 19);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
    let Ok(child) = command.spawn() else { return false };
    let label = label.to_string();
    // Waiting is all this thread does: it loads nothing.
    std::thread::Builder::new()
        .name("ghostsum gpu check".into())
        .spawn(move || {
            let verdict = match child.wait_with_output() {
                Ok(output) if output.status.success() => Ok(()),
                Ok(output) => Err(reason(&label, &output)),
                Err(e) => Err(format!("checking {label} failed ({e}); see ghostsum devices --check {label}")),
            };
            ready.set_if_unknown(verdict);
        })
        .is_ok()
}

/// The running program, even if its file has since been replaced or deleted.
fn this_program() -> std::path::PathBuf {
    if cfg!(target_os = "linux") {
        "/proc/self/exe".into()
    } else {
        std::env::current_exe().unwrap_or_else(|_| "ghostsum".into())
    }
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
