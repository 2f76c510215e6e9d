//! Telling files apart, and placing one inside a folder, without absolute paths.
//!
//! A folder nested deep enough has an absolute path longer than PATH_MAX (4096 bytes on
//! Linux): `realpath` and `fs::canonicalize` fail there with "File name too long", while `cp
//! a b`, given short relative names, works. So ghostsum never builds an absolute path to
//! compare or resolve files: it follows symlinks from the path as given, compares files by
//! device and inode, and climbs folders with `openat(dir, "..")`, as `find` and `rm -r` do.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The folder a path lies in ("." for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Where a path leads: an existing file by its device and inode; a file not yet made by its
/// nearest existing folder's device and inode and the names below that folder. Two paths
/// with the same FileId name the same file, through any symlinks and hard links.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileId {
    device: u64,
    inode: u64,
    below: Vec<OsString>,
}

/// The FileId of `path`, or None when neither it nor any folder above it can be looked up
/// (or a name on the way is `..` below a folder that does not exist).
pub fn file_id(path: &Path) -> Option<FileId> {
    let mut below = Vec::new();
    let mut existing = if path.as_os_str().is_empty() { Path::new(".") } else { path };
    loop {
        if let Ok(meta) = fs::metadata(existing) {
            let (device, inode) = device_and_inode(&meta);
            below.reverse();
            return Some(FileId { device, inode, below });
        }
        below.push(existing.file_name()?.to_os_string());
        existing = parent_dir(existing);
    }
}

/// Do two paths name the same file (existing or still to be made)?
pub fn same_file(a: &Path, b: &Path) -> bool {
    matches!((file_id(a), file_id(b)), (Some(x), Some(y)) if x == y)
}

/// The path after every symlink at its end, kept relative where it was given relative. A
/// relative link target is read from the link's folder, as the kernel reads it (a `..` in
/// it climbs from the folder the link really lies in, whatever symlinks led there).
pub fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    // Linux's own limit on symlinks in one lookup.
    for _ in 0..40 {
        if !fs::symlink_metadata(&current)?.file_type().is_symlink() {
            return Ok(current);
        }
        let target = fs::read_link(&current)?;
        current = parent_dir(&current).join(target);
    }
    Err(io::Error::from_raw_os_error(libc::ELOOP))
}

/// Does the existing file `path`, through every symlink, lie in `folder` or below it? Climbs
/// from the file's real folder through `..` until it meets `folder` or the root.
#[cfg(unix)]
pub fn lies_within(path: &Path, folder: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let wanted = fs::metadata(folder)?;
    let wanted = (wanted.dev(), wanted.ino());
    let file = follow_links(path)?;
    let mut dir = open_folder(parent_dir(&file))?;
    loop {
        let here = dir.metadata()?;
        if (here.dev(), here.ino()) == wanted {
            return Ok(true);
        }
        let up = open_parent(&dir)?;
        let above = up.metadata()?;
        if (above.dev(), above.ino()) == (here.dev(), here.ino()) {
            // The root is its own parent.
            return Ok(false);
        }
        dir = up;
    }
}

#[cfg(not(unix))]
pub fn lies_within(path: &Path, folder: &Path) -> io::Result<bool> {
    Ok(fs::canonicalize(path)?.starts_with(fs::canonicalize(folder)?))
}

/// How folders are opened to be climbed: on Linux as bare handles (`O_PATH`), which need
/// only search permission, so a folder such as a 0711 home is climbed too.
#[cfg(target_os = "linux")]
const FOLDER_HANDLE: libc::c_int = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
#[cfg(all(unix, not(target_os = "linux")))]
const FOLDER_HANDLE: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;

#[cfg(unix)]
fn open_folder(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().read(true).custom_flags(FOLDER_HANDLE).open(path)
}

/// The folder above an open folder, opened by `openat(dir, "..")`: no path is built, so
/// any depth can be climbed.
#[cfg(unix)]
fn open_parent(dir: &fs::File) -> io::Result<fs::File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: the name is a NUL-terminated literal and `dir` stays open for the call.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), c"..".as_ptr(), FOLDER_HANDLE) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    Ok(unsafe { fs::File::from_raw_fd(fd) })
}

#[cfg(unix)]
fn device_and_inode(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Without inodes: a stand-in that tells only the metadata's kind and times apart.
#[cfg(not(unix))]
fn device_and_inode(meta: &fs::Metadata) -> (u64, u64) {
    let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    (meta.len(), modified.map_or(0, |d| d.as_nanos() as u64))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn files_to_be_made_are_told_apart_by_their_folder_and_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("real")).unwrap();
        symlink("real", d.join("link")).unwrap();
        assert!(same_file(&d.join("link/new.txt"), &d.join("real/new.txt")));
        assert!(same_file(&d.join("real/a/b.txt"), &d.join("link/a/b.txt")));
        assert!(!same_file(&d.join("real/a.txt"), &d.join("real/b.txt")));
        fs::write(d.join("real/x"), "x").unwrap();
        fs::hard_link(d.join("real/x"), d.join("y")).unwrap();
        assert!(same_file(&d.join("link/x"), &d.join("y")));
    }

    #[test]
    fn links_are_followed_from_the_folder_they_lie_in() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("a/b")).unwrap();
        fs::write(d.join("a/target.txt"), "t").unwrap();
        symlink("../target.txt", d.join("a/b/up")).unwrap();
        symlink("a/b", d.join("ab")).unwrap();
        // ab/up is a/b/up, whose ../ is a, not the folder holding the link `ab`.
        let followed = follow_links(&d.join("ab/up")).unwrap();
        assert_eq!(fs::read_to_string(followed).unwrap(), "t");
        symlink("loop", d.join("loop")).unwrap();
        assert_eq!(follow_links(&d.join("loop")).unwrap_err().raw_os_error(), Some(libc::ELOOP));
    }

    #[test]
    fn a_file_lies_within_a_folder_only_through_its_real_folders() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (inside, outside) = (d.join("site"), d.join("elsewhere"));
        fs::create_dir_all(inside.join("sub")).unwrap();
        fs::create_dir(&outside).unwrap();
        fs::write(inside.join("sub/page.html"), "p").unwrap();
        fs::write(outside.join("secret"), "s").unwrap();
        symlink("../elsewhere", inside.join("out")).unwrap();
        symlink("../elsewhere/secret", inside.join("secret-link")).unwrap();
        symlink("sub/page.html", inside.join("page-link")).unwrap();
        assert!(lies_within(&inside.join("sub/page.html"), &inside).unwrap());
        assert!(lies_within(&inside.join("page-link"), &inside).unwrap());
        assert!(!lies_within(&inside.join("out/secret"), &inside).unwrap());
        assert!(!lies_within(&inside.join("secret-link"), &inside).unwrap());
        assert!(!lies_within(&outside.join("secret"), &inside).unwrap());
    }
}
