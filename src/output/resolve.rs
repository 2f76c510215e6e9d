//! What an output path names on disk: a regular file to replace (after following symlinks),
//! something already open to write into (a device, a FIFO, /dev/stdout), or a mistake.

use crate::file_id::{self, parent_dir};
use crate::io_error;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Component, Path, PathBuf};

/// What writing to a path will do.
#[derive(Debug)]
pub enum Resolved {
    /// A regular file, existing or new, replaced through a temporary file and a rename.
    /// `real` is the path after every symlink: the file that is replaced (a link stays a link).
    Replace {
        /// The file after every symlink.
        real: PathBuf,
        /// The file being replaced; None for a new one.
        existing: Option<Metadata>,
    },
    /// A device or a FIFO: opened and written into.
    WriteInto(PathBuf),
    /// One of ghostsum's own open descriptors (`/dev/stdout`, `/dev/fd/3`): written into as
    /// the shell set it up, at its offset and in its mode, so `>>` stays an append.
    Descriptor(i32),
}

/// Looks the path up, following symlinks, and says what writing to it will do.
pub fn resolve(path: &Path) -> anyhow::Result<Resolved> {
    // `-o newname/` names a folder: cp says "Not a directory"; Rust's file_name() would
    // quietly drop the slash and make a file.
    if path.as_os_str().to_string_lossy().ends_with('/') && !path.is_dir() {
        anyhow::bail!(
            "cannot write {}: a name ending in / is a folder, and there is none; give a file name without the /",
            path.display()
        );
    }
    match through_descriptor_folder(path) {
        // `3</tmp`: a descriptor open on a folder; writing to it would fail with "Bad file
        // descriptor" after the search. cat says "Is a directory".
        Some(OpenDescriptor::Own(fd)) if fs::metadata(path).is_ok_and(|m| m.is_dir()) => anyhow::bail!(
            "cannot write {}: descriptor {fd} is open on a folder (is a directory); give it a file",
            path.display()
        ),
        Some(OpenDescriptor::Own(fd)) => return Ok(Resolved::Descriptor(fd)),
        Some(OpenDescriptor::Other) => return Ok(Resolved::WriteInto(path.to_path_buf())),
        None => {}
    }
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => {
            let real = file_id::follow_links(path).map_err(|e| io_error::at("resolve", path, &e))?;
            Ok(Resolved::Replace { real, existing: Some(meta) })
        }
        Ok(meta) if meta.is_dir() => {
            anyhow::bail!("cannot write {}: it is a folder; give a file name", path.display())
        }
        Ok(meta) if is_socket(&meta) => {
            anyhow::bail!("cannot write {}: it is a socket; give a file, a FIFO or a device", path.display())
        }
        Ok(_) => Ok(Resolved::WriteInto(path.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => new_file(path),
        Err(e) => Err(not_a_folder(path).unwrap_or_else(|| io_error::at("write", path, &e))),
    }
}

/// A path that does not exist yet: its folder must, and it must not be a dangling symlink.
fn new_file(path: &Path) -> anyhow::Result<Resolved> {
    if let Ok(link) = fs::read_link(path) {
        anyhow::bail!(
            "cannot write {}: it is a symlink to {}, which does not exist; create the target first or remove the link",
            path.display(),
            link.display()
        );
    }
    if let Some(e) = not_a_folder(path) {
        return Err(e);
    }
    let dir = parent_dir(path);
    fs::metadata(dir).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => {
            anyhow::anyhow!("cannot write {}: the folder {} does not exist", path.display(), dir.display())
        }
        _ => io_error::at("write in", dir, &e),
    })?;
    if path.file_name().is_none() {
        anyhow::bail!("cannot write {}: give a file name", path.display());
    }
    // Kept as given, not made absolute: a deep folder's absolute path can pass PATH_MAX.
    Ok(Resolved::Replace { real: path.to_path_buf(), existing: None })
}

/// "a.txt is a file, not a folder" for `-o a.txt/x`, naming the ancestor that is in the way.
fn not_a_folder(path: &Path) -> Option<anyhow::Error> {
    path.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()).find_map(|ancestor| {
        let meta = fs::metadata(ancestor).ok()?;
        (!meta.is_dir())
            .then(|| anyhow::anyhow!("cannot write {}: {} is a file, not a folder", path.display(), ancestor.display()))
    })
}

/// A path into a process's descriptor folder.
#[derive(Debug, PartialEq, Eq)]
enum OpenDescriptor {
    /// One of ghostsum's own descriptors, by number.
    Own(i32),
    /// Another process's (`/proc/1234/fd/3`), which can only be opened anew.
    Other,
}

/// Does the path lead, through symlinks, into a process's descriptor folder (`/dev/stdout`
/// is a link to `/proc/self/fd/1`, `/dev/fd` a link to `/proc/self/fd`)? Such a path is a
/// descriptor that is already open. Opening it again would start a regular file at byte 0
/// without truncating it (`>> log` overwritten, a longer file's stale tail kept), so
/// ghostsum's own descriptors are written into directly, as gawk does for "/dev/stdout".
fn through_descriptor_folder(path: &Path) -> Option<OpenDescriptor> {
    let own_folder = fs::canonicalize("/proc/self/fd").ok();
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        // A folder deeper than PATH_MAX cannot be made absolute; it is no descriptor folder.
        if let Some(dir) = fs::canonicalize(parent_dir(&current)).ok().filter(|d| is_descriptor_folder(d)) {
            let number = current.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse::<i32>().ok());
            return Some(match number {
                Some(fd) if Some(&dir) == own_folder.as_ref() => OpenDescriptor::Own(fd),
                _ => OpenDescriptor::Other,
            });
        }
        match fs::read_link(&current) {
            Ok(target) => current = parent_dir(&current).join(target),
            Err(_) => return None,
        }
    }
    None
}

fn is_descriptor_folder(dir: &Path) -> bool {
    let parts: Vec<Component> = dir.components().collect();
    matches!(parts.as_slice(), [Component::RootDir, Component::Normal(proc), _, Component::Normal(fd)]
        if *proc == "proc" && *fd == "fd")
}

/// What a non-regular file is, in words: "a FIFO", "a character device"...
pub fn kind_of(meta: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else if meta.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

#[cfg(unix)]
fn is_socket(meta: &Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_socket()
}

#[cfg(not(unix))]
fn is_socket(_meta: &Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_folders() {
        assert!(is_descriptor_folder(Path::new("/proc/self/fd")));
        assert!(is_descriptor_folder(Path::new("/proc/1234/fd")));
        assert!(!is_descriptor_folder(Path::new("/proc/1234/fdinfo")));
        assert!(!is_descriptor_folder(Path::new("/home/fd")));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn dev_stdout_is_written_into() {
        assert_eq!(through_descriptor_folder(Path::new("/dev/stdout")), Some(OpenDescriptor::Own(1)));
        assert_eq!(through_descriptor_folder(Path::new("/dev/fd/2")), Some(OpenDescriptor::Own(2)));
        assert_eq!(through_descriptor_folder(Path::new("/proc/1/fd/2")), Some(OpenDescriptor::Other));
        assert_eq!(through_descriptor_folder(Path::new("/tmp/x")), None);
    }
}
