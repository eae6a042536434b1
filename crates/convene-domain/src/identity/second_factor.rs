//! The second factor: time-based one-time passwords (RFC 6238: SHA-1, six
//! digits, 30-second steps, what every authenticator app speaks) and
//! single-use recovery codes.

use totp_rs::{Algorithm, TOTP};

use super::tokens::{NoRandomness, constant_time_eq, hash_secret};

const STEP_SECONDS: u64 = 30;
/// Codes from one step either side are accepted, for clocks that drift.
const SKEW_STEPS: i64 = 1;
pub const RECOVERY_CODE_COUNT: usize = 10;

/// A fresh 160-bit TOTP secret.
pub fn new_secret() -> Result<Vec<u8>, NoRandomness> {
    let mut secret = vec![0u8; 20];
    getrandom::fill(&mut secret).map_err(|_| NoRandomness)?;
    Ok(secret)
}

fn totp(secret: &[u8], account: &str, issuer: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        0,
        STEP_SECONDS,
        secret.to_vec(),
        Some(issuer.to_string()),
        account.to_string(),
    )
    .ok()
}

/// The secret as base32, for typing into an app by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    base32::encode(base32::Alphabet::Rfc4648 { padding: false }, secret)
}

/// Reads a secret written by [`secret_base32`].
pub fn secret_from_base32(text: &str) -> Option<Vec<u8>> {
    base32::decode(base32::Alphabet::Rfc4648 { padding: false }, text)
}

/// The `otpauth://` link an authenticator app reads (usually from a QR code).
pub fn otpauth_url(secret: &[u8], account: &str, issuer: &str) -> Option<String> {
    totp(secret, account, issuer).map(|t| t.get_url())
}

/// The code for `unix_time`; for tests and the demo's printed codes.
pub fn code_at(secret: &[u8], unix_time: u64) -> Option<String> {
    totp(secret, "-", "Convene").map(|t| t.generate(unix_time))
}

/// Checks `code` at `unix_time`. Returns the time step it matched, which the
/// caller stores: a code is accepted only for a step later than the last one
/// used, so no code works twice.
pub fn verify_code(
    secret: &[u8],
    code: &str,
    unix_time: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) || unix_time < 0 {
        return None;
    }
    let totp = totp(secret, "-", "Convene")?;
    let current = unix_time / STEP_SECONDS as i64;
    (current - SKEW_STEPS..=current + SKEW_STEPS)
        .filter(|step| *step >= 0 && last_used_step.is_none_or(|last| *step > last))
        .find(|step| {
            constant_time_eq(
                totp.generate(*step as u64 * STEP_SECONDS).as_bytes(),
                code.as_bytes(),
            )
        })
}

/// Ten recovery codes (each 50 random bits, shown as `xxxxx-xxxxx`), and the
/// hashes to store.
pub fn new_recovery_codes() -> Result<Vec<(String, String)>, NoRandomness> {
    let alphabet = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODE_COUNT);
    for _ in 0..RECOVERY_CODE_COUNT {
        let mut bytes = [0u8; 10];
        getrandom::fill(&mut bytes).map_err(|_| NoRandomness)?;
        let chars: String = bytes
            .iter()
            .map(|b| alphabet[*b as usize % alphabet.len()] as char)
            .collect();
        let code = format!("{}-{}", &chars[..5], &chars[5..]);
        let hash = hash_secret(&normalise_recovery_code(&code));
        codes.push((code, hash));
    }
    Ok(codes)
}

/// Recovery codes are compared without case, spaces or hyphens.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_works_once_and_only_near_its_time() {
        let secret = new_secret().unwrap();
        let now = 1_795_000_000_i64;
        let code = code_at(&secret, now as u64).unwrap();
        let step = verify_code(&secret, &code, now, None).expect("the current code is accepted");
        assert_eq!(step, now / 30);
        // The same code again (same step) is refused: no replay.
        assert_eq!(verify_code(&secret, &code, now, Some(step)), None);
        assert_eq!(verify_code(&secret, &code, now + 10, Some(step)), None);
        // A code from 30 seconds ago is accepted once; from 2 minutes ago, not.
        let earlier = code_at(&secret, (now - 30) as u64).unwrap();
        assert!(verify_code(&secret, &earlier, now, None).is_some());
        let stale = code_at(&secret, (now - 120) as u64).unwrap();
        if stale != code && stale != earlier {
            assert_eq!(verify_code(&secret, &stale, now, None), None);
        }
        assert_eq!(verify_code(&secret, "12345", now, None), None);
        assert_eq!(verify_code(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalised() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        let (code, hash) = &codes[0];
        assert_eq!(code.len(), 11);
        assert_eq!(
            &hash_secret(&normalise_recovery_code(
                &code.to_uppercase().replace('-', " ")
            )),
            hash
        );
        let unique: std::collections::HashSet<_> = codes.iter().map(|(c, _)| c).collect();
        assert_eq!(unique.len(), RECOVERY_CODE_COUNT);
    }

    #[test]
    fn the_otpauth_link_names_the_issuer_and_account() {
        let url = otpauth_url(&new_secret().unwrap(), "amina@school.example", "Convene").unwrap();
        assert!(
            url.starts_with("otpauth://totp/Convene:amina%40school.example?secret="),
            "{url}"
        );
    }
}
