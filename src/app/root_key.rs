//! The root key file, `<data_dir>/root.key`: 64 hex characters, mode 0600, created on
//! the data directory's first start. File handling lives here, beside the rest of the
//! start-up I/O, so that `crypto::seal` stays pure.

use crate::crypto::random;
use crate::crypto::seal::{root_key_from_hex, RootKeyError, ROOT_KEY_LEN};
use crate::crypto::secret::SecretBytes;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why the root key file could not be used. Never carries the key.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyFileError {
    #[error("{} is readable by other users (mode {mode:o}); run `chmod 600 {}`", path.display(), path.display())]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("{} does not hold a usable root key: {why}", path.display())]
    Malformed { path: PathBuf, why: RootKeyError },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads the root key file, or creates it with mode 0600 when it does not exist.
/// Returns the key and whether it was created now.
pub fn load_or_create(path: &Path) -> Result<(SecretBytes, bool), RootKeyFileError> {
    let io = |action, source| RootKeyFileError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    match fs::read_to_string(path) {
        Ok(mut text) => {
            let mode = fs::metadata(path)
                .map_err(|e| io("read", e))?
                .permissions()
                .mode();
            let key = root_key_from_hex(&text);
            zeroize::Zeroize::zeroize(&mut text);
            if mode & 0o077 != 0 {
                return Err(RootKeyFileError::TooOpen {
                    path: path.to_path_buf(),
                    mode: mode & 0o777,
                });
            }
            let key = key.map_err(|why| RootKeyFileError::Malformed {
                path: path.to_path_buf(),
                why,
            })?;
            Ok((key, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random::secret(ROOT_KEY_LEN);
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| io("create", e))?;
            let mut text = hex::encode(key.expose());
            text.push('\n');
            let res = f.write_all(text.as_bytes()).and_then(|_| f.sync_all());
            zeroize::Zeroize::zeroize(&mut text);
            res.map_err(|e| io("write", e))?;
            if let Some(dir) = path.parent() {
                // Make the new directory entry itself durable.
                if let Ok(d) = fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok((key, true))
        }
        Err(e) => Err(io("read", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let (k1, created) = load_or_create(&path).unwrap();
        assert!(created);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (k2, created) = load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(k1, k2);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(&path).unwrap_err();
        assert!(matches!(err, RootKeyFileError::TooOpen { mode: 0o644, .. }));
        assert!(err.to_string().contains("chmod 600"));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, "abcd\n").unwrap();
        assert!(matches!(
            load_or_create(&path).unwrap_err(),
            RootKeyFileError::Malformed {
                why: RootKeyError::WrongLength(2),
                ..
            }
        ));
    }
}
