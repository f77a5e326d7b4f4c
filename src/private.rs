//! The app's own folder and files (settings, the window's journal): hook data is
//! personal data, so they are readable by their owner only (0700 folders, 0600 files);
//! and the process itself, which holds the secrets, leaves no core dump.

use std::io;
use std::path::Path;

/// Marks the process as one that leaves no core dump (and that other processes of
/// the same user may not trace): its memory holds the secrets and the hooks.
/// Linux only; elsewhere nothing changes.
pub fn no_core_dumps() -> io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    Ok(())
}

/// Creates `path` (and its parents) and makes it the owner's alone.
pub fn dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)?;
    restrict(path, 0o700)
}

/// Creates `path` holding `initial` if it is missing, and makes it the owner's alone
/// either way (for the app's own files: a settings file from an older version was 0644).
pub fn file(path: &Path, initial: &str) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut created) => io::Write::write_all(&mut created, initial.as_bytes())?,
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(err),
    }
    restrict(path, 0o600)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    // Elsewhere the user's profile folder is private already.
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn folder_and_file_are_the_owners() {
        let root = tempfile::tempdir().unwrap();
        let folder = root.path().join("a/hookscope");
        dir(&folder).unwrap();
        assert_eq!(mode(&folder), 0o700);
        let settings = folder.join("settings.ron");
        std::fs::write(&settings, "x").unwrap();
        std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o644)).unwrap();
        file(&settings, "{}").unwrap();
        assert_eq!(mode(&settings), 0o600);
        assert_eq!(std::fs::read_to_string(&settings).unwrap(), "x");
        let fresh = folder.join("new.ron");
        file(&fresh, "{}").unwrap();
        assert_eq!(mode(&fresh), 0o600);
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "{}");
    }
}
