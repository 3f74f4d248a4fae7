//! File I/O at the edge: one writer and one bounded reader, used for every file headroom
//! writes or reads from the user.
//!
//! The writer ([`write_file`]) replaces only regular files. It refuses devices, FIFOs,
//! sockets and directories, and a read-only file, with an error that names the path. A
//! symlink is written *through*: the link is resolved and its target replaced atomically, so
//! the link itself stays a link. The new text goes to a temporary file in the target's own
//! folder, is flushed to disk, takes the old file's permissions (and, where allowed, its
//! owner), and is renamed over the old file: a failed write leaves the old file as it was.
//!
//! The reader ([`read_bounded`]) opens only regular files: it checks the path before opening,
//! opens without blocking (a FIFO cannot hang it), checks the open file again and reads at
//! most the limit, whatever the file system says its size is (`/dev/zero`, `/proc` files).
//!
//! [`with_lock`] serialises read-modify-write cycles of one file between processes (an
//! advisory `flock` on a `.lock` file beside it on unix).

use std::ffi::OsString;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A refused or failed read or write; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// Not a regular file: a device, FIFO, socket or directory.
    #[error("{path}: {what}, not a regular file; refusing to {op} it")]
    NotRegular {
        path: String,
        what: &'static str,
        op: &'static str,
    },
    /// Larger than the reader's limit.
    #[error("{path}: larger than the {limit} byte limit for {what}; refusing to read it")]
    TooLarge {
        path: String,
        limit: u64,
        what: &'static str,
    },
    /// The target exists and has no write permission.
    #[error("{path}: the file is read-only; refusing to replace it (make it writable first)")]
    ReadOnly { path: String },
    /// An operating-system error.
    #[error("{path}: cannot {op}: {source}")]
    Io {
        path: String,
        op: &'static str,
        #[source]
        source: io::Error,
    },
}

impl FsError {
    fn io(path: &Path, op: &'static str, source: io::Error) -> Self {
        FsError::Io {
            path: path.display().to_string(),
            op,
            source,
        }
    }

    /// The message without the path, for callers that name the file themselves.
    pub fn reason(&self) -> String {
        if let FsError::Io { source, .. } = self {
            return source.to_string();
        }
        let full = self.to_string();
        let path = match self {
            FsError::NotRegular { path, .. }
            | FsError::TooLarge { path, .. }
            | FsError::ReadOnly { path }
            | FsError::Io { path, .. } => path,
        };
        full.strip_prefix(path.as_str())
            .and_then(|r| r.strip_prefix(": "))
            .map_or(full.clone(), str::to_owned)
    }

    /// Whether the file did not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, FsError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

impl From<FsError> for io::Error {
    fn from(e: FsError) -> Self {
        let kind = match &e {
            FsError::Io { source, .. } => source.kind(),
            FsError::ReadOnly { .. } => io::ErrorKind::PermissionDenied,
            FsError::NotRegular { .. } | FsError::TooLarge { .. } => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, e.to_string())
    }
}

/// Words for a file type that is not a regular file.
fn non_regular_kind(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

fn check_regular(path: &Path, meta: &Metadata, op: &'static str) -> Result<(), FsError> {
    match non_regular_kind(meta) {
        None => Ok(()),
        Some(what) => Err(FsError::NotRegular {
            path: path.display().to_string(),
            what,
            op,
        }),
    }
}

/// Opens the regular file at `path` for reading: refused before opening when it is not a
/// regular file, opened without blocking (a FIFO swapped in after the check cannot hang
/// the open), and checked again on the open descriptor. Returns the file and its metadata.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), FsError> {
    let meta = fs::metadata(path).map_err(|e| FsError::io(path, "read", e))?;
    check_regular(path, &meta, "read")?;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(path)
        .map_err(|e| FsError::io(path, "open", e))?;
    let meta = file.metadata().map_err(|e| FsError::io(path, "read", e))?;
    check_regular(path, &meta, "read")?;
    Ok((file, meta))
}

/// Reads at most `limit` bytes of the regular file at `path`; `what` names the kind of file
/// in the error ("a catalogue file"). Devices, FIFOs and directories are refused before
/// they are opened; a file that grows past the limit while read is refused too.
pub fn read_bounded(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, FsError> {
    let meta = fs::metadata(path).map_err(|e| FsError::io(path, "read", e))?;
    check_regular(path, &meta, "read")?;
    let too_large = || FsError::TooLarge {
        path: path.display().to_string(),
        limit,
        what,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let (file, meta) = open_regular(path)?;
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FsError::io(path, "read", e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// [`read_bounded`], as UTF-8 text with a leading byte-order mark removed.
pub fn read_text_bounded(path: &Path, limit: u64, what: &'static str) -> Result<String, FsError> {
    let bytes = read_bounded(path, limit, what)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        FsError::io(
            path,
            "read",
            io::Error::new(io::ErrorKind::InvalidData, format!("not UTF-8 text ({e})")),
        )
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// Where a write to `path` lands: `path` itself, or the file its symlinks lead to, with the
/// existing file's metadata (`None` for a new file).
fn resolve_target(path: &Path) -> Result<(PathBuf, Option<Metadata>), FsError> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((path.to_path_buf(), None)),
        Err(e) => Err(FsError::io(path, "write", e)),
        Ok(link_meta) => {
            let target = if link_meta.file_type().is_symlink() {
                fs::canonicalize(path).map_err(|e| {
                    FsError::io(
                        path,
                        "write",
                        io::Error::new(
                            e.kind(),
                            format!("the symlink does not lead to an existing file ({e})"),
                        ),
                    )
                })?
            } else {
                path.to_path_buf()
            };
            let meta = fs::metadata(&target).map_err(|e| FsError::io(&target, "write", e))?;
            check_regular(path, &meta, "write")?;
            if meta.permissions().readonly() {
                return Err(FsError::ReadOnly {
                    path: path.display().to_string(),
                });
            }
            Ok((target, Some(meta)))
        }
    }
}

/// Writes `contents` to the regular file at `path`, atomically (module docs): refuses
/// anything that is not a regular file or is read-only, writes through symlinks, and keeps
/// the permissions of the file it replaces. The folder must exist.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<(), FsError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let (target, existing) = resolve_target(path)?;
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target.file_name().ok_or_else(|| {
        FsError::io(
            path,
            "write",
            io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
        )
    })?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(tmp_name);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Private until it has the old file's permissions.
        options.mode(if existing.is_some() { 0o600 } else { 0o666 });
    }
    let mut file = options
        .open(&tmp)
        .map_err(|e| FsError::io(path, "create a temporary file beside", e))?;
    let result = (|| -> Result<(), FsError> {
        if let Some(meta) = &existing {
            file.set_permissions(meta.permissions())
                .map_err(|e| FsError::io(path, "keep the permissions of", e))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                // Only root may give a file away; elsewhere the owner is already ours.
                let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
            }
        }
        file.write_all(contents)
            .map_err(|e| FsError::io(path, "write", e))?;
        file.sync_all().map_err(|e| FsError::io(path, "flush", e))?;
        fs::rename(&tmp, &target).map_err(|e| FsError::io(path, "replace", e))?;
        // The rename itself reaches the disk when the folder is flushed.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Runs `f` holding an exclusive advisory lock for `path` (a `.NAME.lock` file beside it,
/// which is left in place): two headroom processes updating the same file run one after
/// the other. Without unix `flock`, `f` runs unlocked.
pub fn with_lock<T, E: From<FsError>>(
    path: &Path,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let (target, _) = resolve_target(path)?;
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut lock_name = OsString::from(".");
    lock_name.push(target.file_name().unwrap_or_default());
    lock_name.push(".lock");
    let lock_path = dir.join(lock_name);
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| FsError::io(&lock_path, "create the lock file", e))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        loop {
            // SAFETY: flock on a descriptor this function owns for the whole call.
            let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                break;
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(FsError::io(&lock_path, "lock", err).into());
            }
        }
    }
    let out = f();
    // Closing the descriptor releases the lock.
    drop(lock);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_at_most_the_limit_whatever_the_size_says() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read_bounded(&p, 10, "a test file").unwrap(), b"0123456789");
        let err = read_bounded(&p, 9, "a test file").unwrap_err();
        assert!(matches!(err, FsError::TooLarge { limit: 9, .. }), "{err}");
        assert!(err.to_string().contains("a.txt"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_and_directories() {
        let err = read_bounded(Path::new("/dev/zero"), 100, "a test file").unwrap_err();
        assert!(err.to_string().contains("character device"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let err = read_bounded(dir.path(), 100, "a test file").unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        let err = write_file(dir.path(), b"x").unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
    }

    #[test]
    fn strips_a_byte_order_mark() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bom.ron");
        fs::write(&p, "\u{feff}(x: 1)").unwrap();
        assert_eq!(read_text_bounded(&p, 100, "a test file").unwrap(), "(x: 1)");
    }
}
