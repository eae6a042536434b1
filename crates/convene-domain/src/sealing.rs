//! Sealing personal data at rest: XChaCha20-Poly1305 under a configured key
//! that carries an id, so keys can be rotated (new values sealed under the
//! current key, old ones opened with theirs until re-sealed), and blind
//! indexes (HMAC-SHA256 under a separate key) so sealed values can still be
//! looked up by exact match without being readable.
//!
//! A sealed value is `<key id>:<base64url(nonce || ciphertext)>`. Each is
//! bound to where it lives (the `context`: table, column and row), so a
//! value copied into another row or column does not open.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::identity::tokens::NoRandomness;

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;

/// Why the configured keys cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no data keys are configured")]
    NoKeys,
    #[error("{0:?} is not a key id (1 to 16 letters, digits or hyphens)")]
    BadId(String),
    #[error("the key {0:?} is not 32 bytes of base64")]
    BadKey(String),
    #[error("the key id {0:?} appears twice")]
    Repeated(String),
    #[error("the current key {0:?} is not among the configured keys")]
    NoCurrent(String),
    #[error("the blind index key is not 32 bytes of base64")]
    BadIndexKey,
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the value is not in the sealed form")]
    Malformed,
    #[error("the value was sealed with the key {0:?}, which is not configured")]
    UnknownKey(String),
    /// The wrong key, a changed value, or a value moved from elsewhere.
    #[error("the value does not open with the key {0:?}")]
    Rejected(String),
}

/// A key's secret bytes; never printed.
#[derive(Clone)]
struct Secret([u8; KEY_BYTES]);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn decode_key(text: &str) -> Option<Secret> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim()))
        .ok()?;
    Some(Secret(bytes.try_into().ok()?))
}

fn valid_id(id: &str) -> bool {
    (1..=16).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The keys personal data is sealed with.
#[derive(Debug, Clone)]
pub struct DataKeys {
    current: String,
    keys: BTreeMap<String, Secret>,
    index: Secret,
}

impl DataKeys {
    /// Reads `id:base64key` pairs separated by commas, the id of the key
    /// new values are sealed with, and the blind index key.
    pub fn parse(keys: &str, current: &str, index_key: &str) -> Result<Self, KeyError> {
        let mut parsed = BTreeMap::new();
        for pair in keys.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, key) = pair
                .split_once(':')
                .ok_or_else(|| KeyError::BadKey(pair.chars().take(16).collect()))?;
            let id = id.trim();
            if !valid_id(id) {
                return Err(KeyError::BadId(id.to_string()));
            }
            let secret = decode_key(key).ok_or_else(|| KeyError::BadKey(id.to_string()))?;
            if parsed.insert(id.to_string(), secret).is_some() {
                return Err(KeyError::Repeated(id.to_string()));
            }
        }
        if parsed.is_empty() {
            return Err(KeyError::NoKeys);
        }
        let current = current.trim();
        if !parsed.contains_key(current) {
            return Err(KeyError::NoCurrent(current.to_string()));
        }
        let index = decode_key(index_key).ok_or(KeyError::BadIndexKey)?;
        Ok(Self {
            current: current.to_string(),
            keys: parsed,
            index,
        })
    }

    /// A new random key, base64, for configuration.
    pub fn generate_key() -> Result<String, NoRandomness> {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| NoRandomness)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// The id new values are sealed under.
    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// Every configured key id.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    fn cipher(&self, id: &str) -> Option<XChaCha20Poly1305> {
        self.keys
            .get(id)
            .map(|secret| XChaCha20Poly1305::new((&secret.0).into()))
    }

    /// Seals `plain` under the current key, bound to `context`.
    pub fn seal(&self, plain: &str, context: &str) -> Result<String, NoRandomness> {
        self.seal_with(&self.current, plain, context)
    }

    fn seal_with(&self, id: &str, plain: &str, context: &str) -> Result<String, NoRandomness> {
        let cipher = self.cipher(id).ok_or(NoRandomness)?;
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|_| NoRandomness)?;
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            // Encryption fails only for messages of gigabytes.
            .map_err(|_| NoRandomness)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{id}:{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a value sealed under any configured key, bound to `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, OpenError> {
        let (id, body) = sealed.split_once(':').ok_or(OpenError::Malformed)?;
        let cipher = self
            .cipher(id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_string()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::Malformed)?;
        if bytes.len() < NONCE_BYTES + 16 {
            return Err(OpenError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| OpenError::Malformed)?;
        let plain = cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Rejected(id.to_string()))?;
        String::from_utf8(plain).map_err(|_| OpenError::Malformed)
    }

    /// The key id a sealed value was sealed under.
    pub fn key_of(sealed: &str) -> Option<&str> {
        sealed.split_once(':').map(|(id, _)| id)
    }

    /// A sealed value under the current key again (for rotation); `None`
    /// when it is already under the current key.
    pub fn reseal(&self, sealed: &str, context: &str) -> Result<Option<String>, OpenError> {
        if Self::key_of(sealed) == Some(self.current.as_str()) {
            return Ok(None);
        }
        let plain = self.open(sealed, context)?;
        self.seal(&plain, context)
            .map(Some)
            .map_err(|_| OpenError::Rejected(self.current.clone()))
    }

    /// An exact-match lookup token for `value` of `field`: equal values give
    /// equal tokens, and the token reveals nothing without the index key.
    /// Values are compared as `normalise` leaves them.
    pub fn blind_index(&self, field: &str, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.index.0).expect("HMAC takes any key size");
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(normalise(value).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A value sealed under `id` for checking, at start-up, that the
    /// configured key is the one the database was sealed with.
    pub fn key_check(&self, id: &str) -> Result<String, NoRandomness> {
        self.seal_with(id, KEY_CHECK, KEY_CHECK)
    }

    /// Whether `check` (from [`DataKeys::key_check`]) opens with the key it
    /// names.
    pub fn verify_check(&self, check: &str) -> Result<(), OpenError> {
        match self.open(check, KEY_CHECK)? {
            text if text == KEY_CHECK => Ok(()),
            _ => Err(OpenError::Rejected(
                Self::key_of(check).unwrap_or("").to_string(),
            )),
        }
    }
}

const KEY_CHECK: &str = "convene data key check";

/// How values are compared for lookups: case, accents aside, and spacing
/// ignored ("  Zoë  O'Neill" and "zoe o'neill" match).
pub fn normalise(value: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = value
        .nfkd()
        // Combining diacritical marks: "ë" decomposes to "e" and one of these.
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .collect::<String>()
        .to_lowercase();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(spec: &str, current: &str) -> DataKeys {
        DataKeys::parse(spec, current, &DataKeys::generate_key().unwrap()).unwrap()
    }

    #[test]
    fn sealed_values_open_only_in_their_place_and_hide_the_text() {
        let k1 = DataKeys::generate_key().unwrap();
        let keys = keys(&format!("k1:{k1}"), "k1");
        let sealed = keys.seal("Zoë O'Neill", "people.name.1").unwrap();
        assert!(sealed.starts_with("k1:"));
        // The payload is random-looking bytes: neither the text nor its bytes
        // appear in it. (A two-letter check on the base64 would match by chance
        // about once in a hundred runs.)
        assert!(!sealed.contains("Zoë O'Neill"));
        let payload = URL_SAFE_NO_PAD
            .decode(sealed.trim_start_matches("k1:"))
            .unwrap();
        let plain = "Zoë O'Neill".as_bytes();
        assert!(!payload.windows(plain.len()).any(|w| w == plain));
        assert_eq!(keys.open(&sealed, "people.name.1").unwrap(), "Zoë O'Neill");
        // Moved to another row: refused.
        assert_eq!(
            keys.open(&sealed, "people.name.2"),
            Err(OpenError::Rejected("k1".into()))
        );
        // The same text seals differently each time.
        assert_ne!(keys.seal("Zoë O'Neill", "people.name.1").unwrap(), sealed);
        // Tampered: refused.
        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(keys.open(&tampered, "people.name.1").is_err());
        assert_eq!(keys.open("nonsense", "x"), Err(OpenError::Malformed));
    }

    #[test]
    fn rotation_opens_old_values_and_reseals_under_the_new_key() {
        let (a, b) = (
            DataKeys::generate_key().unwrap(),
            DataKeys::generate_key().unwrap(),
        );
        let index = DataKeys::generate_key().unwrap();
        let old = DataKeys::parse(&format!("2025:{a}"), "2025", &index).unwrap();
        let sealed = old.seal("07700 900123", "people.phone.9").unwrap();
        let both = DataKeys::parse(&format!("2025:{a},2026:{b}"), "2026", &index).unwrap();
        assert_eq!(
            both.open(&sealed, "people.phone.9").unwrap(),
            "07700 900123"
        );
        let resealed = both.reseal(&sealed, "people.phone.9").unwrap().unwrap();
        assert_eq!(DataKeys::key_of(&resealed), Some("2026"));
        assert_eq!(both.reseal(&resealed, "people.phone.9").unwrap(), None);
        let new_only = DataKeys::parse(&format!("2026:{b}"), "2026", &index).unwrap();
        assert_eq!(
            new_only.open(&resealed, "people.phone.9").unwrap(),
            "07700 900123"
        );
        assert_eq!(
            new_only.open(&sealed, "people.phone.9"),
            Err(OpenError::UnknownKey("2025".into()))
        );
    }

    #[test]
    fn a_wrong_key_fails_the_check() {
        let index = DataKeys::generate_key().unwrap();
        let right = DataKeys::parse(
            &format!("k:{}", DataKeys::generate_key().unwrap()),
            "k",
            &index,
        )
        .unwrap();
        let wrong = DataKeys::parse(
            &format!("k:{}", DataKeys::generate_key().unwrap()),
            "k",
            &index,
        )
        .unwrap();
        let check = right.key_check("k").unwrap();
        assert_eq!(right.verify_check(&check), Ok(()));
        assert_eq!(
            wrong.verify_check(&check),
            Err(OpenError::Rejected("k".into()))
        );
    }

    #[test]
    fn blind_indexes_match_equal_values_only() {
        let keys = keys(&format!("k:{}", DataKeys::generate_key().unwrap()), "k");
        let a = keys.blind_index("name", "  Zoë   O'Neill ");
        assert_eq!(a, keys.blind_index("name", "zoe o'neill"));
        assert_ne!(a, keys.blind_index("name", "Zoe ONeill"));
        assert_ne!(a, keys.blind_index("surname", "zoe o'neill"));
        let other = self::keys(&format!("k:{}", DataKeys::generate_key().unwrap()), "k");
        assert_ne!(a, other.blind_index("name", "zoe o'neill"));
    }

    #[test]
    fn bad_configuration_is_named() {
        let key = DataKeys::generate_key().unwrap();
        let index = DataKeys::generate_key().unwrap();
        assert_eq!(
            DataKeys::parse("", "k", &index).unwrap_err(),
            KeyError::NoKeys
        );
        assert_eq!(
            DataKeys::parse(&format!("k:{key}"), "j", &index).unwrap_err(),
            KeyError::NoCurrent("j".into())
        );
        assert_eq!(
            DataKeys::parse("k:c2hvcnQ=", "k", &index).unwrap_err(),
            KeyError::BadKey("k".into())
        );
        assert_eq!(
            DataKeys::parse(&format!("k:{key},k:{key}"), "k", &index).unwrap_err(),
            KeyError::Repeated("k".into())
        );
        assert_eq!(
            DataKeys::parse(&format!("bad id:{key}"), "k", &index).unwrap_err(),
            KeyError::BadId("bad id".into())
        );
        assert_eq!(
            DataKeys::parse(&format!("k:{key}"), "k", "short").unwrap_err(),
            KeyError::BadIndexKey
        );
        // Keys never print.
        let keys = DataKeys::parse(&format!("k:{key}"), "k", &index).unwrap();
        assert!(!format!("{keys:?}").contains(&key[..10]));
    }
}
