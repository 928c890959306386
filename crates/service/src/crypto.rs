//! Personal identifiers at rest: AES-256-GCM encryption and HMAC-SHA256 look-up digests, both
//! with keys derived from the installation's data key (PIPL art 51: encryption; rules.md §13.1:
//! ID numbers handled with sensitive-grade controls).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use fazhi_domain::workflow::Sealer;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The derived keys.
pub struct Crypto {
    cipher: Aes256Gcm,
    mac_key: [u8; 32],
}

fn derive(master: &[u8], label: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).unwrap_or_else(|_| unreachable_mac());
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

// HMAC accepts keys of any length; this cannot happen.
fn unreachable_mac() -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(&[0u8; 32]).unwrap_or_else(|_| panic!("HMAC rejects a 32-byte key"))
}

/// Why a sealed value could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open sealed value: {0}")]
pub struct OpenError(&'static str);

impl Crypto {
    /// From a 32-byte master key.
    pub fn new(master: &[u8; 32]) -> Self {
        let enc = derive(master, "fazhi/v1/encrypt");
        Self { cipher: Aes256Gcm::new(&enc.into()), mac_key: derive(master, "fazhi/v1/lookup") }
    }

    /// A fresh random master key, base64.
    pub fn generate_key() -> String {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        B64.encode(k)
    }

    /// Parses a base64 master key.
    ///
    /// # Errors
    /// Not base64, or not 32 bytes.
    pub fn parse_key(b64: &str) -> Result<[u8; 32], String> {
        let bytes = B64.decode(b64.trim()).map_err(|_| "数据密钥不是有效的base64".to_string())?;
        bytes.try_into().map_err(|_| "数据密钥应为32字节（base64编码后44个字符）".to_string())
    }

    /// Decrypts a value sealed by [`Sealer::seal`].
    ///
    /// # Errors
    /// A malformed value, or one sealed with another key.
    pub fn open(&self, sealed: &str) -> Result<String, OpenError> {
        let body = sealed.strip_prefix("v1:").ok_or(OpenError("unknown format"))?;
        let raw = B64.decode(body).map_err(|_| OpenError("not base64"))?;
        if raw.len() < 13 {
            return Err(OpenError("too short"));
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| OpenError("wrong key or damaged"))?;
        String::from_utf8(plain).map_err(|_| OpenError("not text"))
    }
}

impl Sealer for Crypto {
    fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and a 12-byte nonce does not fail.
        let ct = self.cipher.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ct);
        format!("v1:{}", B64.encode(out))
    }

    fn digest(&self, kind: &str, plain: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.mac_key).unwrap_or_else(|_| unreachable_mac());
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(plain.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_the_same_key_only() {
        let a = Crypto::new(&[1; 32]);
        let b = Crypto::new(&[2; 32]);
        let s = a.seal("440524188001010014");
        assert!(s.starts_with("v1:"));
        assert!(!s.contains("440524"));
        assert_eq!(a.open(&s).unwrap(), "440524188001010014");
        assert!(b.open(&s).is_err());
        assert_ne!(a.seal("x"), a.seal("x"), "a fresh nonce every time");
    }

    #[test]
    fn digests_are_stable_per_key_and_kind() {
        let a = Crypto::new(&[1; 32]);
        assert_eq!(a.digest("phone", "13812345678"), a.digest("phone", "13812345678"));
        assert_ne!(a.digest("phone", "13812345678"), a.digest("idcard", "13812345678"));
        assert_ne!(a.digest("phone", "1"), Crypto::new(&[2; 32]).digest("phone", "1"));
    }

    #[test]
    fn keys_round_trip_through_base64() {
        let k = Crypto::generate_key();
        assert_eq!(Crypto::parse_key(&k).unwrap().len(), 32);
        assert!(Crypto::parse_key("short").is_err());
    }
}
