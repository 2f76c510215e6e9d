//! I/O errors as one line that names the path and says what to do, instead of Rust's
//! "No space left on device (os error 28)".

use std::io;
use std::path::Path;

/// The reason, without the "(os error N)" tail.
pub fn reason(e: &io::Error) -> String {
    use io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or folder".into(),
        PermissionDenied => "permission denied".into(),
        StorageFull => "no space left on the device".into(),
        ReadOnlyFilesystem => "the file system is read-only".into(),
        QuotaExceeded => "the disk quota is exceeded".into(),
        IsADirectory => "it is a folder".into(),
        NotADirectory => "a part of the path is not a folder".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}

/// What the user can do about it, if the kind says.
fn hint(e: &io::Error) -> &'static str {
    use io::ErrorKind::*;
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return "; the symlinks lead in a circle (or past 40 of them): check where they point with readlink -f";
    }
    match e.kind() {
        PermissionDenied => "; check its permissions, or choose a path you may use",
        StorageFull | QuotaExceeded => "; free some space, or write elsewhere",
        ReadOnlyFilesystem => "; write elsewhere",
        _ => "",
    }
}

/// "cannot {action} {path}: {reason}; {what to do}".
pub fn at(action: &str, path: &Path, e: &io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot {action} {}: {}{}", path.display(), reason(e), hint(e))
}

/// The same for a stream that has no path ("standard input").
pub fn on(action: &str, what: &str, e: &io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot {action} {what}: {}{}", reason(e), hint(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_path_and_drop_the_os_error_number() {
        let full = io::Error::from_raw_os_error(28);
        let message = at("write", Path::new("/mnt/out.txt"), &full).to_string();
        assert_eq!(
            message,
            "cannot write /mnt/out.txt: no space left on the device; free some space, or write elsewhere"
        );
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(at("read", Path::new("secret"), &denied)
            .to_string()
            .starts_with("cannot read secret: permission denied; "));
    }
}
