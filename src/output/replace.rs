//! The one way ghostsum replaces a regular file: a temporary file in the same folder, filled,
//! given the old file's mode, (where allowed) owner and extended attributes, synced, then
//! renamed over it.
//!
//! On Linux the temporary file is made with `O_TMPFILE`: it has no name while it is written,
//! so nothing is left behind whatever ends the process (SIGKILL, the OOM killer, a power
//! cut); it is linked under a `.ghostsum-XXXXXX` name only for the moment before the rename.
//! Elsewhere, and on file systems without `O_TMPFILE`, it is `.ghostsum-XXXXXX` from the
//! start: a stop signal or an error before the rename deletes it, and a forced exit deletes
//! it through [`crate::signals::TempFileGuard`].

use crate::io_error;
use crate::signals::TempFileGuard;
use std::fs::{File, Metadata};
use std::path::Path;

/// Replaces (or creates) `real`, a regular file's path with every symlink resolved, with what
/// `fill` writes. `existing` is the file being replaced, None for a new one. With
/// `stop_on_signal`, a stop signal that arrives before the rename keeps the old file (the
/// result of a search); without, the write completes (a checkpoint saved while stopping).
pub(super) fn replace_file(
    real: &Path,
    existing: Option<&Metadata>,
    stop_on_signal: bool,
    fill: impl FnOnce(&mut File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = crate::file_id::parent_dir(real);
    // A new file gets 0666 minus the umask, as `cp` or a shell redirect would make it. A
    // replacement starts private and takes the old file's mode once it is complete, so a
    // secret file's next version is never readable by others on the way.
    let mode = if existing.is_some() { 0o600 } else { 0o666 };
    let mut pending = Pending::create(dir, mode)?;
    fill(pending.file_mut())?;
    if let Some(old) = existing {
        keep_owner_and_mode(pending.file_mut(), old).map_err(|e| io_error::at("set the mode of", real, &e))?;
        // After the chown: a chown drops some attributes (file capabilities).
        let lost = keep_extended_attributes(real, pending.file_mut());
        if !lost.is_empty() {
            crate::stdio::say(format!(
                "ghostsum: note: {} lost extended attributes that could not be copied: {}",
                real.display(),
                lost.join(", ")
            ));
        }
    }
    pending.file_mut().sync_all().map_err(|e| io_error::at("write", real, &e))?;
    if stop_on_signal {
        // A stop that came while the data was flushed still wins: the old file stays.
        crate::signals::check()?;
    }
    pending.persist(dir, real)
}

/// Makes (and at once deletes) a temporary file in `dir`, as an output would be made.
pub(super) fn probe(dir: &Path) -> anyhow::Result<()> {
    Pending::create(dir, 0o600).map(drop)
}

/// The new content on its way to `real`.
enum Pending {
    /// An `O_TMPFILE` file: no name until [`Pending::persist`].
    #[cfg(target_os = "linux")]
    Unnamed(File),
    /// `.ghostsum-XXXXXX`, deleted when dropped and on a forced exit.
    Named(File, TempName),
}

impl Pending {
    fn create(dir: &Path, mode: u32) -> anyhow::Result<Pending> {
        #[cfg(target_os = "linux")]
        if let Some(file) = unnamed_file(dir, mode)? {
            return Ok(Pending::Unnamed(file));
        }
        Pending::named(dir, mode)
    }

    /// The portable way: a named temporary file from the start.
    fn named(dir: &Path, mode: u32) -> anyhow::Result<Pending> {
        let create = |path: &Path| {
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
            options.open(path)
        };
        #[cfg(not(unix))]
        let _ = mode;
        let (name, file) = TempName::make(dir, create).map_err(|e| io_error::at("write in", dir, &e))?;
        Ok(Pending::Named(file, name))
    }

    fn file_mut(&mut self) -> &mut File {
        match self {
            #[cfg(target_os = "linux")]
            Pending::Unnamed(file) => file,
            Pending::Named(file, _) => file,
        }
    }

    /// Renames the finished file over `real` (through a short-lived name in `dir` for an
    /// unnamed one).
    fn persist(self, dir: &Path, real: &Path) -> anyhow::Result<()> {
        #[cfg(not(target_os = "linux"))]
        let _ = dir;
        let name = match self {
            #[cfg(target_os = "linux")]
            Pending::Unnamed(file) => {
                use std::os::fd::AsRawFd;
                let fd_path = format!("/proc/self/fd/{}", file.as_raw_fd());
                TempName::make(dir, |name| link(&fd_path, name)).map_err(|e| io_error::at("write in", dir, &e))?.0
            }
            Pending::Named(_, name) => name,
        };
        name.rename_over(real).map_err(|e| io_error::at("write", real, &e))
    }
}

/// A temporary name, `.ghostsum-XXXXXX`, in the destination's folder: removed when dropped (an
/// error, a stop) and on a forced exit, unless renamed over the destination. It is joined to
/// the folder as the user gave it; the tempfile crate would make it absolute, which fails in a
/// folder whose absolute path is longer than PATH_MAX (ghostsum never changes its folder,
/// so a relative name stays right).
struct TempName {
    path: std::path::PathBuf,
    renamed: bool,
    _guard: TempFileGuard,
}

impl TempName {
    /// Finds a free name in `dir` and makes it with `make` (which creates a file there, or
    /// links one, and fails with AlreadyExists when the name is taken).
    fn make<T>(dir: &Path, mut make: impl FnMut(&Path) -> std::io::Result<T>) -> std::io::Result<(TempName, T)> {
        for _ in 0..100 {
            let path = dir.join(format!(".ghostsum-{}", random_name(6)));
            match make(&path) {
                Ok(made) => {
                    let _guard = TempFileGuard::new(&path);
                    return Ok((TempName { path, renamed: false, _guard }, made));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "no free temporary name in 100 tries"))
    }

    fn rename_over(mut self, real: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, real)?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for TempName {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `len` letters and digits, different on every call (std's randomly keyed hasher over a
/// counter), for temporary names.
fn random_name(len: usize) -> String {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    const SYMBOLS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bits = std::hash::RandomState::new().hash_one((CALLS.fetch_add(1, Ordering::Relaxed), std::process::id()));
    (0..len)
        .map(|_| {
            let symbol = SYMBOLS[(bits % SYMBOLS.len() as u64) as usize];
            bits /= SYMBOLS.len() as u64;
            symbol as char
        })
        .collect()
}

/// An unnamed file in `dir` with `mode` (less the umask), or None where the kernel or the
/// file system has no `O_TMPFILE` (or /proc is missing, through which it gets its name).
#[cfg(target_os = "linux")]
fn unnamed_file(dir: &Path, mode: u32) -> anyhow::Result<Option<File>> {
    use std::os::unix::fs::OpenOptionsExt;
    if !Path::new("/proc/self/fd").is_dir() {
        return Ok(None);
    }
    match std::fs::OpenOptions::new().write(true).custom_flags(libc::O_TMPFILE).mode(mode).open(dir) {
        Ok(file) => Ok(Some(file)),
        // EOPNOTSUPP: a file system without it; EISDIR: a kernel older than 3.11.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR)) => Ok(None),
        Err(e) => Err(io_error::at("write in", dir, &e)),
    }
}

/// Gives the unnamed file behind `fd_path` (/proc/self/fd/N) the name `name`, as linkat(2)
/// allows for an `O_TMPFILE` file opened without `O_EXCL`.
#[cfg(target_os = "linux")]
fn link(fd_path: &str, name: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let from = CString::new(fd_path)?;
    let to = CString::new(name.as_os_str().as_bytes())?;
    // SAFETY: both arguments are valid NUL-terminated strings that outlive the call.
    let done =
        unsafe { libc::linkat(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::AT_SYMLINK_FOLLOW) };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Gives the new file the old one's owner, group and mode, as `cp -p` or `sed -i` would.
/// Only root may give a file away; whenever the owner (or group) cannot be kept, the setuid
/// (or setgid) bit is cleared, so that replacing another user's setuid program never makes a
/// setuid program of one's own.
#[cfg(unix)]
fn keep_owner_and_mode(file: &File, old: &Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::{fchown, MetadataExt, PermissionsExt};
    let new = file.metadata()?;
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) && fchown(file, Some(old.uid()), Some(old.gid())).is_err() {
        // Not root: the group may still be one of ours.
        let _ = fchown(file, None, Some(old.gid()));
    }
    let now = file.metadata()?;
    let mut mode = old.mode() & 0o7777;
    if now.uid() != old.uid() {
        mode &= !0o6000;
    }
    if now.gid() != old.gid() {
        mode &= !0o2000;
    }
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn keep_owner_and_mode(file: &File, old: &Metadata) -> std::io::Result<()> {
    file.set_permissions(old.permissions())
}

/// Copies the old file's extended attributes to the new one, as `cp -a` and `rsync -X` do:
/// ACLs (Linux keeps them as `system.posix_acl_*` attributes, so a web server's read access
/// granted through an ACL survives), SELinux labels, `user.*` attributes. Returns the ones
/// that could not be copied, each with its reason; a file system without extended attributes
/// has none to lose.
#[cfg(unix)]
fn keep_extended_attributes(old: &Path, new: &File) -> Vec<String> {
    use xattr::FileExt;
    let names = match xattr::list(old) {
        Ok(names) => names,
        Err(e) if is_unsupported(&e) => return Vec::new(),
        Err(e) => return vec![format!("(all: cannot list them: {})", io_error::reason(&e))],
    };
    let mut lost = Vec::new();
    for name in names {
        let copied = xattr::get(old, &name).and_then(|value| match value {
            // A label the new file got on creation may already be the same.
            Some(value) if new.get_xattr(&name).ok().flatten().as_ref() != Some(&value) => new.set_xattr(&name, &value),
            _ => Ok(()),
        });
        if let Err(e) = copied {
            lost.push(format!("{} ({})", name.to_string_lossy(), io_error::reason(&e)));
        }
    }
    lost
}

#[cfg(unix)]
fn is_unsupported(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Unsupported || e.raw_os_error() == Some(libc::ENOTSUP)
}

#[cfg(not(unix))]
fn keep_extended_attributes(_old: &Path, _new: &File) -> Vec<String> {
    Vec::new()
}

/// How many names the file has: a replaced file's other hard links keep the old content.
#[cfg(unix)]
pub(super) fn hard_links(meta: &Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
pub(super) fn hard_links(_meta: &Metadata) -> u64 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Both ways to the same result: the file's bytes under its name, nothing else left.
    #[test]
    fn named_and_unnamed_temporary_files_end_the_same() {
        let dir = tempfile::tempdir().unwrap();
        type Make = fn(&Path, u32) -> anyhow::Result<Pending>;
        let ways: [(&str, Make); 2] = [("named", Pending::named), ("where possible unnamed", Pending::create)];
        for (way, make) in ways {
            let real = dir.path().join("out.txt");
            let mut pending = make(dir.path(), 0o600).unwrap();
            pending.file_mut().write_all(way.as_bytes()).unwrap();
            pending.persist(dir.path(), &real).unwrap();
            assert_eq!(std::fs::read_to_string(&real).unwrap(), way);
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{way}: a temporary file is left");
        }
        // Dropped before it is complete: nothing is left either way.
        drop(Pending::named(dir.path(), 0o600).unwrap());
        drop(Pending::create(dir.path(), 0o600).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
