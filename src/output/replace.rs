//! The one way ghostsum replaces a regular file: a temporary file in the same folder, filled,
//! given the old file's mode, (where allowed) owner and extended attributes, synced, then
//! renamed over it. A
//! stop signal or an error before the rename deletes the temporary file; a forced exit
//! deletes it through [`crate::signals::TempFileGuard`].

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
    let dir = super::resolve::parent_dir(real);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".ghostsum-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A new file gets 0666 minus the umask, as `cp` or a shell redirect would make it.
        // A replacement starts private and takes the old file's mode once it is complete,
        // so a secret file's next version is never readable by others on the way.
        let mode = if existing.is_some() { 0o600 } else { 0o666 };
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    let mut temp = builder.tempfile_in(dir).map_err(|e| io_error::at("write in", dir, &e))?;
    let _guard = TempFileGuard::new(temp.path());
    fill(temp.as_file_mut())?;
    if let Some(old) = existing {
        keep_owner_and_mode(temp.as_file(), old).map_err(|e| io_error::at("set the mode of", temp.path(), &e))?;
        // After the chown: a chown drops some attributes (file capabilities).
        let lost = keep_extended_attributes(real, temp.as_file());
        if !lost.is_empty() {
            crate::stdio::say(format!(
                "ghostsum: note: {} lost extended attributes that could not be copied: {}",
                real.display(),
                lost.join(", ")
            ));
        }
    }
    temp.as_file().sync_all().map_err(|e| io_error::at("write", real, &e))?;
    if stop_on_signal {
        // A stop that came while the data was flushed still wins: the old file stays.
        crate::signals::check()?;
    }
    temp.persist(real).map_err(|e| io_error::at("write", real, &e.error))?;
    Ok(())
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
