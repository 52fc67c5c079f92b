//! API credentials: from the environment or from a file only its owner may read, never logged
//! (the secret is a `SecretString`: its `Debug` is redacted and it is zeroed when dropped).

use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::path::Path;
use thiserror::Error;

/// The variables [`Credentials::from_env`] reads.
pub const ID_VAR: &str = "DERIBIT_CLIENT_ID";
pub const SECRET_VAR: &str = "DERIBIT_CLIENT_SECRET";

pub struct Credentials {
    pub client_id: String,
    client_secret: SecretString,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CredentialsError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{path}: {why}")]
    File { path: String, why: String },
}

impl Credentials {
    pub fn new(client_id: String, client_secret: String) -> Credentials {
        Credentials {
            client_id,
            client_secret: SecretString::from(client_secret),
        }
    }

    /// From `DERIBIT_CLIENT_ID` and `DERIBIT_CLIENT_SECRET`.
    pub fn from_env() -> Result<Credentials, CredentialsError> {
        let get = |name| std::env::var(name).map_err(|_| CredentialsError::Missing(name));
        Ok(Credentials::new(get(ID_VAR)?, get(SECRET_VAR)?))
    }

    /// From a file of two lines, the client id then the secret, which only its owner may read or
    /// write (mode 0600 or stricter: a secret others can read is refused, not used).
    pub fn from_file(path: &Path) -> Result<Credentials, CredentialsError> {
        let bad = |why: String| CredentialsError::File {
            path: path.display().to_string(),
            why,
        };
        owner_only(path).map_err(bad)?;
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let (Some(id), Some(secret), None) = (lines.next(), lines.next(), lines.next()) else {
            return Err(bad("want two lines: the client id, then the secret".into()));
        };
        Ok(Credentials::new(id.to_string(), secret.to_string()))
    }

    /// The secret, for the one place that sends it (`public/auth`).
    pub(crate) fn secret(&self) -> &str {
        self.client_secret.expose_secret()
    }
}

#[cfg(unix)]
fn owner_only(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "readable or writable by others (mode {:o}): chmod 600 it",
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_never_shows_in_debug() {
        let c = Credentials::new("id-1".into(), "s3cr3t".into());
        let shown = format!("{c:?}");
        assert!(
            shown.contains("id-1") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        assert_eq!(c.secret(), "s3cr3t");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("rollmaker-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("deribit");
        std::fs::write(&path, "id-2\nsecret-2\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Credentials::from_file(&path).unwrap_err().to_string();
        assert!(e.contains("mode 644") && !e.contains("secret-2"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = Credentials::from_file(&path).unwrap();
        assert_eq!((c.client_id.as_str(), c.secret()), ("id-2", "secret-2"));
        std::fs::write(&path, "only-one-line\n").unwrap();
        assert!(Credentials::from_file(&path).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
