//! Passwords: what is acceptable, and how they are stored (argon2id).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// argon2id with 19 MiB of memory, 2 passes, 1 lane: OWASP's minimum
/// recommendation, and affordable for a small server's sign-in rate.
fn hasher() -> Argon2<'static> {
    // These constants are valid parameters; `Params::new` only fails for
    // out-of-range values.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password was refused, worded for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("Password must be {MIN_LENGTH} characters or more")]
    TooShort,
    #[error("Password must be {MAX_LENGTH} characters or fewer")]
    TooLong,
    #[error("Password is too easy to guess. Try three or four random words together")]
    TooWeak,
}

/// Checks a new password: its length, and that it is not a known-weak one
/// (common passwords, dictionary words, keyboard patterns, repeats, or the
/// person's own email address and name, as judged by zxcvbn).
pub fn check_new_password(password: &str, personal: &[&str]) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordProblem::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordProblem::TooLong);
    }
    let estimate = zxcvbn::zxcvbn(password, personal);
    if (estimate.score() as u8) < 3 {
        return Err(PasswordProblem::TooWeak);
    }
    Ok(())
}

/// The PHC string to store for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, super::tokens::NoRandomness> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| super::tokens::NoRandomness)?;
    Ok(hash_password_with_salt(password, &salt))
}

/// The PHC string for `password` with a given salt. Only the demo uses a
/// chosen salt (so its data is the same every time); everything else calls
/// [`hash_password`].
pub fn hash_password_with_salt(password: &str, salt: &[u8; 16]) -> String {
    SaltString::encode_b64(salt)
        .ok()
        .and_then(|salt| {
            hasher()
                .hash_password(password.as_bytes(), &salt)
                .ok()
                .map(|h| h.to_string())
        })
        .unwrap_or_default()
}

/// Whether `password` matches the stored PHC string. A malformed stored
/// string never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if password.chars().count() > MAX_LENGTH {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash that matches nothing, verified against when an email is unknown so
/// that a failed sign-in takes the same time whether or not the account
/// exists.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3sHw4kq1GSp4bHGbW6gCR6rWWjHQKQzqz6r1fJbq1xk"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_weak_passwords_are_refused() {
        assert_eq!(
            check_new_password("short", &[]),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check_new_password(&"a".repeat(129), &[]),
            Err(PasswordProblem::TooLong)
        );
        assert_eq!(
            check_new_password("password1234", &[]),
            Err(PasswordProblem::TooWeak)
        );
        assert_eq!(
            check_new_password("qwertyuiop123", &[]),
            Err(PasswordProblem::TooWeak)
        );
        assert_eq!(
            check_new_password("amina.khan@school.example", &["amina.khan@school.example"]),
            Err(PasswordProblem::TooWeak)
        );
        assert_eq!(
            check_new_password("correct kettle orbit meadow", &[]),
            Ok(())
        );
    }

    #[test]
    fn hashes_are_argon2id_with_the_required_cost_and_verify() {
        let hash = hash_password("correct kettle orbit meadow").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct kettle orbit meadow", &hash));
        assert!(!verify_password("correct kettle orbit meadoW", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", dummy_hash()));
    }
}
