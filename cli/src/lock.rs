//! The lock on an output folder: one synth at a time reads and replaces it.
//!
//! The lock is an advisory file lock (`flock`; none on systems without it) on
//! `<out>/.stackforge.lock`, which holds the
//! holder's process id so a waiting synth can name it. The operating system releases the
//! lock when its holder exits, however it exits, so a lock left by a dead process is simply
//! taken over. The holder removes the file before unlocking; a synth that locked a file
//! removed meanwhile notices (the path names another file) and tries again.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{CliError, Result};

/// The lock file inside the output folder.
pub const LOCK_FILE: &str = ".stackforge.lock";

/// How often a waiting synth tries the lock again.
const POLL: Duration = Duration::from_millis(50);

/// A held lock; released (file removed, then unlocked) when dropped. A folder the lock
/// created is removed again if it is still empty then.
#[derive(Debug)]
pub struct OutputLock {
    file: File,
    path: PathBuf,
    created: Option<PathBuf>,
}

/// What happened while taking the lock, for the caller to report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Acquired {
    /// The holder waited for (its process id, when it had written it).
    pub waited_for: Option<Holder>,
    /// A lock file left by a process that no longer holds it.
    pub recovered_from: Option<String>,
}

/// Who held the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder(pub String);

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("another stackforge process")
        } else {
            write!(f, "stackforge process {}", self.0)
        }
    }
}

impl OutputLock {
    /// Takes the lock of `dir` (created if missing), waiting up to `timeout` for another
    /// holder; `on_wait` is called once, with the holder, when the lock is busy. After the
    /// timeout the error names the holder and says nothing was done.
    pub fn acquire(
        dir: &Path,
        timeout: Duration,
        on_wait: &mut dyn FnMut(&Holder),
    ) -> Result<(OutputLock, Acquired)> {
        let created = (!dir.is_dir()).then(|| dir.to_path_buf());
        let path = dir.join(LOCK_FILE);
        let started = Instant::now();
        let mut acquired = Acquired::default();
        loop {
            fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path);
            let mut file = match opened {
                Ok(f) => f,
                // The holder removed the folder it had created: make it again.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(CliError::io(&path, e)),
            };
            match try_lock(&file) {
                Ok(true) => {
                    if !still_named(&file, &path) {
                        continue; // The previous holder removed this file: lock the new one.
                    }
                    let left = read_holder(&mut file);
                    if !left.0.is_empty() {
                        acquired.recovered_from = Some(left.0);
                    }
                    write_holder(&mut file).map_err(|e| CliError::io(&path, e))?;
                    let lock = OutputLock {
                        file,
                        path,
                        created,
                    };
                    return Ok((lock, acquired));
                }
                Ok(false) => {
                    let holder = read_holder(&mut file);
                    if acquired.waited_for.is_none() {
                        on_wait(&holder);
                        acquired.waited_for = Some(holder.clone());
                    }
                    if started.elapsed() >= timeout {
                        return Err(CliError::Failed(format!(
                            "{}: locked by {holder}, still running after {}s; nothing was done. Fix: wait for it to finish and run again, or raise --lock-timeout",
                            dir.display(),
                            timeout.as_secs()
                        )));
                    }
                    drop(file);
                    std::thread::sleep(POLL);
                }
                Err(e) => return Err(CliError::io(&path, e)),
            }
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Remove while still locked, so nobody locks a file that is about to disappear
        // without noticing; then unlock (closing the file would too).
        let _ = fs::remove_file(&self.path);
        unlock(&self.file);
        if let Some(dir) = &self.created {
            let _ = fs::remove_dir(dir); // Only succeeds when nothing was written into it.
        }
    }
}

/// Takes the exclusive lock of `file` if it is free; `false` when another holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(unix)]
fn unlock(file: &File) {
    let _ = rustix::fs::flock(file, rustix::fs::FlockOperation::Unlock);
}

#[cfg(not(unix))]
fn try_lock(_: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(not(unix))]
fn unlock(_: &File) {}

/// Whether `path` still names the open `file` (the holder before us did not remove it).
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_named(_file: &File, path: &Path) -> bool {
    path.exists()
}

fn read_holder(file: &mut File) -> Holder {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut text);
    Holder(
        text.lines()
            .find_map(|l| l.strip_prefix("pid "))
            .unwrap_or_default()
            .trim()
            .to_owned(),
    )
}

fn write_holder(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "pid {}", std::process::id())?;
    file.flush()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn never(_: &Holder) {
        panic!("the lock should be free");
    }

    #[test]
    fn a_held_lock_refuses_after_the_timeout_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let (held, _) = OutputLock::acquire(dir.path(), Duration::ZERO, &mut never).unwrap();
        let mut seen = Vec::new();
        let e = OutputLock::acquire(dir.path(), Duration::ZERO, &mut |h| seen.push(h.clone()))
            .unwrap_err();
        let pid = std::process::id().to_string();
        assert_eq!(seen, [Holder(pid.clone())]);
        assert!(
            e.to_string()
                .contains(&format!("locked by stackforge process {pid}")),
            "{e}"
        );
        drop(held);
        assert!(
            !dir.path().join(LOCK_FILE).exists(),
            "released locks leave no file"
        );
        let fresh = dir.path().join("out");
        drop(OutputLock::acquire(&fresh, Duration::ZERO, &mut never).unwrap());
        assert!(
            !fresh.exists(),
            "a folder made only for the lock is removed"
        );
        let (_again, acquired) =
            OutputLock::acquire(dir.path(), Duration::ZERO, &mut never).unwrap();
        assert_eq!(acquired, Acquired::default());
    }

    #[test]
    fn a_lock_file_left_by_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(LOCK_FILE), "pid 4194304\n").unwrap();
        let (_lock, acquired) =
            OutputLock::acquire(dir.path(), Duration::ZERO, &mut never).unwrap();
        assert_eq!(acquired.recovered_from.as_deref(), Some("4194304"));
        let text = fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(text, format!("pid {}\n", std::process::id()));
    }

    #[test]
    fn a_waiting_synth_gets_the_lock_when_the_holder_releases_it() {
        let dir = tempfile::tempdir().unwrap();
        let (held, _) = OutputLock::acquire(dir.path(), Duration::ZERO, &mut never).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(held);
        });
        let mut waited = false;
        let (_lock, acquired) =
            OutputLock::acquire(dir.path(), Duration::from_secs(30), &mut |_| waited = true)
                .unwrap();
        releaser.join().unwrap();
        assert!(waited);
        assert!(acquired.waited_for.is_some());
        assert_eq!(
            acquired.recovered_from, None,
            "a released lock leaves nothing behind"
        );
    }
}
