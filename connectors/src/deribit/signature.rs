//! Deribit's `client_signature` authentication: the signature is the hex HMAC-SHA256, keyed with
//! the client secret, of `timestamp + "\n" + nonce + "\n" + data` (timestamp in milliseconds since
//! the epoch). Over HTTP the same goes in `Authorization: deri-hmac-sha256 id=..,ts=..,sig=..,nonce=..`.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt::Write as _;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp_ms: i64, nonce: &str, data: &str) -> HmacSha256 {
    // An HMAC takes a key of any length.
    let mut m = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(format!("{timestamp_ms}\n{nonce}\n{data}").as_bytes());
    m
}

/// The signature, lowercase hex.
pub fn sign(secret: &str, timestamp_ms: i64, nonce: &str, data: &str) -> String {
    let bytes = mac(secret, timestamp_ms, nonce, data)
        .finalize()
        .into_bytes();
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Whether `signature` (hex) is the right one, compared in constant time.
pub fn verify(secret: &str, timestamp_ms: i64, nonce: &str, data: &str, signature: &str) -> bool {
    let Some(bytes) = hex(signature) else {
        return false;
    };
    mac(secret, timestamp_ms, nonce, data)
        .verify_slice(&bytes)
        .is_ok()
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_inputs_only() {
        // RFC 4231-style check of the HMAC itself: key "key", message "The quick brown fox...".
        let m = HmacSha256::new_from_slice(b"key")
            .unwrap()
            .chain_update(b"The quick brown fox jumps over the lazy dog");
        let known = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
        let got: String = m
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, known);
        let sig = sign("s3cr3t", 1_774_000_000_000, "abc", "");
        assert_eq!(sig.len(), 64);
        assert!(verify("s3cr3t", 1_774_000_000_000, "abc", "", &sig));
        assert!(
            !verify("s3cr3t", 1_774_000_000_001, "abc", "", &sig),
            "another timestamp"
        );
        assert!(
            !verify("other", 1_774_000_000_000, "abc", "", &sig),
            "another secret"
        );
        assert!(
            !verify("s3cr3t", 1_774_000_000_000, "abd", "", &sig),
            "another nonce"
        );
        assert!(
            !verify("s3cr3t", 1_774_000_000_000, "abc", "", "zz"),
            "not hex"
        );
    }
}
