//! Secrets handed to people or machines (session ids, API tokens, invitation
//! and reset links, recovery codes): random, shown once, stored only as
//! SHA-256 hashes.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// How long a password-reset link works.
pub const RESET_MINUTES: i64 = 60;

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The prefix of API tokens, so a leaked one is recognisable (and secret
/// scanners can find it).
pub const API_TOKEN_PREFIX: &str = "cvn_";

/// The operating system could not supply randomness.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct NoRandomness;

/// `bytes` random bytes, URL-safe base64 (256 bits for 32 bytes).
pub fn random_secret(bytes: usize) -> Result<String, NoRandomness> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|_| NoRandomness)?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// A new API token: the prefix and 256 random bits.
pub fn new_api_token() -> Result<String, NoRandomness> {
    Ok(format!("{API_TOKEN_PREFIX}{}", random_secret(32)?))
}

/// The stored form of a secret. SHA-256 suffices (no salt, no stretching)
/// because every secret hashed here has at least 50 random bits and most
/// 256; passwords, which people choose, use argon2id instead.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What an API token may be used for. A token never does more than its
/// owner may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The owner's own account.
    Account,
    /// Organisation and account administration.
    Admin,
    /// Reading the audit trail.
    AuditRead,
    /// Editing the directory.
    Directory,
    /// People, referrals and appointments of the owner's organisations.
    Referrals,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Self::Account,
        Self::Admin,
        Self::AuditRead,
        Self::Directory,
        Self::Referrals,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Admin => "admin",
            Self::AuditRead => "audit:read",
            Self::Directory => "directory",
            Self::Referrals => "referrals",
        }
    }

    /// Parses a comma-separated list such as `audit:read,admin`.
    pub fn parse_list(list: &str) -> Result<Vec<Scope>, UnknownScope> {
        let mut scopes = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let scope: Scope = part.parse()?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(UnknownScope(list.to_string()));
        }
        Ok(scopes)
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.code())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?} (scopes: account, admin, audit:read, directory)")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.code() == s)
            .ok_or_else(|| UnknownScope(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed_stably() {
        let (a, b) = (random_secret(32).unwrap(), random_secret(32).unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert!(new_api_token().unwrap().starts_with("cvn_"));
    }

    #[test]
    fn scope_lists_parse_and_refuse_unknowns() {
        assert_eq!(
            Scope::parse_list("audit:read, admin").unwrap(),
            [Scope::AuditRead, Scope::Admin]
        );
        assert!(Scope::parse_list("everything").is_err());
        assert!(Scope::parse_list("").is_err());
    }
}
