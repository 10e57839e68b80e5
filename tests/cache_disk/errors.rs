use crate::builder;
use perfkit::cache::disk::{DiskError, DiskStore};

#[test]
fn bad_settings_are_typed_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let field = |r: Result<DiskStore, DiskError>| match r {
        Err(DiskError::InvalidConfig { field, .. }) => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    };
    assert_eq!(field(DiskStore::builder(d).open()), "capacity_bytes");
    assert_eq!(
        field(DiskStore::builder(d).capacity_bytes(0).open()),
        "capacity_bytes"
    );
    assert_eq!(
        field(
            DiskStore::builder(d)
                .capacity_bytes(1 << 20)
                .segment_size(100)
                .open()
        ),
        "segment_size"
    );
    assert_eq!(
        field(
            DiskStore::builder(d)
                .capacity_bytes(1 << 20)
                .segment_size(1 << 20)
                .open()
        ),
        "segment_size"
    );
    assert_eq!(field(builder(d).write_queue(0).open()), "write_queue");
    assert_eq!(
        field(
            builder(d)
                .fsync(perfkit::cache::disk::FsyncPolicy::Interval(
                    std::time::Duration::ZERO
                ))
                .open()
        ),
        "fsync"
    );
}

#[test]
fn a_file_is_not_a_directory() {
    let file = tempfile::NamedTempFile::new().expect("file");
    match builder(file.path()).open() {
        Err(DiskError::NotADirectory { path }) => assert_eq!(path, file.path()),
        other => panic!("expected NotADirectory, got {other:?}"),
    }
}

#[test]
fn an_uncreatable_directory_is_an_io_error_with_the_path() {
    // Under a regular file and under /proc: neither can be created, even by root.
    let file = tempfile::NamedTempFile::new().expect("file");
    let below_file = file.path().join("cache");
    match builder(&below_file).open() {
        Err(DiskError::Io { path, .. }) => assert_eq!(path, below_file),
        other => panic!("expected Io, got {other:?}"),
    }
    let in_proc = std::path::Path::new("/proc/perfkit-disk-cache-test");
    match builder(in_proc).open() {
        Err(DiskError::Io { path, .. }) => assert_eq!(path, in_proc),
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn a_read_only_directory_fails_to_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).expect("mkdir");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let probe = std::fs::File::create(ro.join("probe"));
    if probe.is_ok() {
        // Running as root: permissions do not bind; the /proc case above covers it.
        return;
    }
    assert!(matches!(builder(&ro).open(), Err(DiskError::Io { .. })));
}

#[test]
fn another_format_version_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(builder(dir.path()).open().expect("open"));
    let manifest = dir.path().join("perfkit-disk-cache.manifest");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    assert!(text.contains("format 1"), "{text}");
    std::fs::write(&manifest, text.replace("format 1", "format 2")).expect("write");
    match builder(dir.path()).open() {
        Err(DiskError::IncompatibleVersion {
            found, expected, ..
        }) => assert_eq!((found, expected), (2, 1)),
        other => panic!("expected IncompatibleVersion, got {other:?}"),
    }
    std::fs::write(&manifest, "something else entirely").expect("write");
    assert!(matches!(
        builder(dir.path()).open(),
        Err(DiskError::IncompatibleVersion { found: 0, .. })
    ));
}

/// Where `lock_holder_child` opens its store; set only for that child process.
const HOLDER_DIR: &str = "PERFKIT_TEST_DISK_LOCK_HOLDER";

/// The child process of the test below, not a test of its own (ignored, so a normal run
/// skips it): opens a store in `$PERFKIT_TEST_DISK_LOCK_HOLDER`, says so, and holds it until
/// it is killed (or for two minutes, should its parent be gone).
#[test]
#[ignore = "run as a child process by another_process_holding_the_directory_locks_it_out"]
fn lock_holder_child() {
    let dir =
        std::env::var_os(HOLDER_DIR).expect("run by its parent test, which sets the directory");
    let _store = builder(std::path::Path::new(&dir))
        .open()
        .expect("child open");
    println!("holding");
    std::io::Write::flush(&mut std::io::stdout()).expect("flush");
    std::thread::sleep(std::time::Duration::from_secs(120));
}

/// A store open in another, real process keeps this one out, and a killed process's lock
/// goes with it: a crash never locks the directory out.
#[test]
fn another_process_holding_the_directory_locks_it_out() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--ignored",
            "--exact",
            "errors::lock_holder_child",
            "--nocapture",
        ])
        .env(HOLDER_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the holder");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    // libtest's own lines come first; EOF means the child failed before holding the store.
    while line.trim() != "holding" {
        line.clear();
        let read = out.read_line(&mut line).expect("child output");
        if read == 0 {
            let _ = child.kill();
            panic!(
                "the holder exited without opening the store: {:?}",
                child.wait()
            );
        }
    }
    let refused = builder(dir.path()).open();
    child.kill().expect("kill the holder");
    child.wait().expect("reap the holder");
    match refused {
        Err(DiskError::LockedElsewhere { path }) => {
            assert_eq!(path, dir.path().canonicalize().expect("canonical"));
        }
        other => panic!("expected LockedElsewhere, got {other:?}"),
    }
    drop(
        builder(dir.path())
            .open()
            .expect("open after the holder died"),
    );
}

/// A lock file that cannot be opened (here a directory squats its name) is an I/O error
/// naming it, not a store running without its lock.
#[test]
fn an_unopenable_lock_file_is_an_io_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lock = dir.path().join("perfkit-disk-cache.lock");
    std::fs::create_dir(&lock).expect("mkdir");
    match builder(dir.path()).open() {
        Err(DiskError::Io { path, .. }) => assert!(path.ends_with("perfkit-disk-cache.lock")),
        other => panic!("expected Io for the lock file, got {other:?}"),
    }
}

/// A directory refused for its contents keeps nothing of ours: the lock file this open made
/// is removed again (one a store made earlier stays).
#[test]
fn a_refused_foreign_directory_keeps_no_lock_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("perfkit-disk-cache.manifest"), "not ours").expect("write");
    assert!(matches!(
        builder(dir.path()).open(),
        Err(DiskError::IncompatibleVersion { found: 0, .. })
    ));
    assert!(!dir.path().join("perfkit-disk-cache.lock").exists());
    // The refusal released the claim: after a fix the directory opens.
    std::fs::remove_file(dir.path().join("perfkit-disk-cache.manifest")).expect("rm");
    drop(
        builder(dir.path())
            .open()
            .expect("open once the manifest is gone"),
    );
    assert!(dir.path().join("perfkit-disk-cache.lock").exists());
}

#[test]
fn segments_without_a_manifest_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = builder(dir.path()).open().expect("open");
        store.put(b"k", b"v", None);
    }
    std::fs::remove_file(dir.path().join("perfkit-disk-cache.manifest")).expect("rm");
    assert!(matches!(
        builder(dir.path()).open(),
        Err(DiskError::IncompatibleVersion { found: 0, .. })
    ));
}

#[test]
fn a_second_store_on_one_directory_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = builder(dir.path()).open().expect("open");
    // Also through another spelling of the same path.
    let other_spelling = dir.path().join(".");
    for p in [dir.path().to_path_buf(), other_spelling] {
        assert!(matches!(
            builder(&p).open(),
            Err(DiskError::AlreadyOpen { .. })
        ));
    }
    drop(first);
    let again = builder(dir.path()).open().expect("reopen after drop");
    drop(again);
}

/// Another process's store is seen through the directory's advisory lock. A lock taken here
/// on a separate open of the lock file conflicts exactly as another process's would.
#[test]
fn a_directory_locked_by_another_process_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(builder(dir.path()).open().expect("create"));
    let lock_path = dir.path().join("perfkit-disk-cache.lock");
    let other = std::fs::File::open(&lock_path).expect("the store made its lock file");
    other.lock().expect("nobody holds the lock after drop");
    match builder(dir.path()).open() {
        Err(e @ DiskError::LockedElsewhere { .. }) => {
            assert!(e.to_string().contains("locked by another process"), "{e}");
        }
        other => panic!("expected LockedElsewhere, got {other:?}"),
    }
    // A refused open leaves nothing claimed in this process.
    other.unlock().expect("unlock");
    let store = builder(dir.path())
        .open()
        .expect("open once the lock is gone");
    // While the store is open, its own lock keeps others out.
    let probe = std::fs::File::open(&lock_path).expect("lock file");
    assert!(matches!(
        probe.try_lock(),
        Err(std::fs::TryLockError::WouldBlock)
    ));
    drop(store);
    probe
        .try_lock()
        .expect("closing the store releases the lock");
}
