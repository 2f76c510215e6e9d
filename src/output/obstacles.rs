//! Why a regular file could not be replaced, found before a search rather than after it:
//! the file or its folder immutable or append-only (`chattr +i`, `+a`: even root's rename
//! fails), or another user's file in a sticky folder such as /tmp (only its owner, the
//! folder's owner or root may rename over it). Each gets its own message; "check its
//! permissions" would send the user to the wrong place.

use std::fs::Metadata;
use std::path::Path;

/// `FS_IMMUTABLE_FL` and `FS_APPEND_FL` of linux/fs.h.
#[cfg(target_os = "linux")]
const IMMUTABLE: libc::c_long = 0x10;
#[cfg(target_os = "linux")]
const APPEND_ONLY: libc::c_long = 0x20;

/// Fails with the reason when `real` (the file, None for a new one) or its folder `dir` is
/// in one of the states the module comment lists.
pub(super) fn check(real: &Path, existing: Option<&Metadata>, dir: &Path) -> anyhow::Result<()> {
    if let Some(what) = attribute(dir) {
        anyhow::bail!(
            "cannot write {}: its folder {} is {what}, so no file in it can be created or replaced; write elsewhere",
            real.display(),
            dir.display()
        );
    }
    if existing.is_none() {
        return Ok(());
    }
    if let Some(what) = attribute(real) {
        anyhow::bail!(
            "cannot replace {}: it is {what}; write elsewhere, or have root clear the attribute first",
            real.display()
        );
    }
    sticky(real, existing, dir)
}

/// "immutable (chattr +i)" or "append-only (chattr +a)", where the file system says so.
#[cfg(target_os = "linux")]
fn attribute(path: &Path) -> Option<&'static str> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: a FIFO swapped in must not block; a file we may not read has no answer.
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).ok()?;
    let mut flags: libc::c_long = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one long into `flags`, which outlives the call.
    if unsafe { libc::ioctl(file.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) } != 0 {
        return None;
    }
    if flags & IMMUTABLE != 0 {
        Some("immutable (chattr +i)")
    } else if flags & APPEND_ONLY != 0 {
        Some("append-only (chattr +a)")
    } else {
        None
    }
}

#[cfg(not(target_os = "linux"))]
fn attribute(_path: &Path) -> Option<&'static str> {
    None
}

#[cfg(unix)]
fn sticky(real: &Path, existing: Option<&Metadata>, dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let (Some(file), Ok(folder)) = (existing, std::fs::metadata(dir)) else { return Ok(()) };
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if folder.mode() & 0o1000 != 0 && me != 0 && file.uid() != me && folder.uid() != me {
        anyhow::bail!(
            "cannot replace {}: it belongs to another user (uid {}) in {}, a sticky folder (like /tmp) where only a file's owner may replace it; write elsewhere",
            real.display(),
            file.uid(),
            dir.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn sticky(_real: &Path, _existing: Option<&Metadata>, _dir: &Path) -> anyhow::Result<()> {
    Ok(())
}
