//! Signed checkpoints of the hash chains, kept outside the database (等保 §8.1.4.3: audit records
//! protected against deletion, modification or overwrite; §8.1.4 数据完整性).
//!
//! Anyone who can write the database can rewrite a whole chain and recompute every SHA-256 link.
//! What they cannot do is sign: every so often (and on `fazhi audit checkpoint`) fazhi writes each
//! tenant's chain head — `(seq, hash)` — with the time, signed with an Ed25519 key that is not in
//! the database, as one JSON line appended to a file (by default `<data_dir>/checkpoints.jsonl`),
//! and, when `[audit] checkpoint_url` is set, sends it to the district's fazhi, which appends it to
//! its own file. `fazhi audit verify` then requires the chain to pass through every checkpoint it
//! is given: a chain rewritten before a checkpoint holds another hash at its `seq`; a chain whose
//! tail was deleted and head rolled back ends before it.
//!
//! The same key file also yields the chain's MAC key ([`ChainKey`]), which makes an event
//! appended by hand after the last checkpoint detectable too. A copy of the checkpoints kept where
//! the database's administrator cannot write (another disk, the district, a WORM store, the latest
//! head printed into the paper archive) is what makes a rewrite of the database *and* of the local
//! file detectable; see the README.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier as _, VerifyingKey};
use fazhi_domain::event::{ChainKey, canonical_json};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Result, ServiceError};

/// The key that signs checkpoints, and the chain MAC key derived from it.
#[derive(Clone)]
pub struct CheckpointKey {
    signing: SigningKey,
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointKey({})", self.key_id())
    }
}

impl CheckpointKey {
    /// Reads the key (PKCS#8 PEM) at `path`, or creates one there (mode 0600) when the file does
    /// not exist.
    ///
    /// # Errors
    /// An unreadable or malformed key file.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| ServiceError::internal_in(path.display(), e))?;
            let signing = SigningKey::from_pkcs8_pem(&text).map_err(|e| {
                ServiceError::internal(format!("{}: 不是有效的 Ed25519 私钥（PKCS#8 PEM）：{e}", path.display()))
            })?;
            return Ok(Self { signing });
        }
        let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        let pem = signing
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| ServiceError::internal_in("checkpoint key", e))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ServiceError::internal_in(dir.display(), e))?;
        }
        crate::write_private(path, &pem)?;
        tracing::warn!(path = %path.display(), "generated a new checkpoint signing key; keep a copy of it (and of its public key) away from the database");
        Ok(Self { signing })
    }

    /// The MAC key of the chains: SHA-256 over a label and the signing key's seed, so one file
    /// holds both and neither can be had from the other's public half.
    pub fn chain_key(&self) -> ChainKey {
        let mut h = Sha256::new();
        h.update(b"fazhi chain mac v1\0");
        h.update(self.signing.to_bytes());
        ChainKey::new(h.finalize().into())
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The public key in hex (what the district or an auditor keeps to check signatures).
    pub fn public_hex(&self) -> String {
        hex::encode(self.public_key().as_bytes())
    }

    /// The first 16 hex digits of the SHA-256 of the public key.
    pub fn key_id(&self) -> String {
        key_id(&self.public_key())
    }

    /// Signs a checkpoint of `tenant` at `(seq, hash)`.
    pub fn sign(&self, tenant: &str, tenant_code: &str, seq: i64, hash: &str, at: i64) -> Checkpoint {
        let mut c = Checkpoint {
            tenant: tenant.to_string(),
            tenant_code: tenant_code.to_string(),
            seq,
            hash: hash.to_string(),
            at,
            key_id: self.key_id(),
            public_key: self.public_hex(),
            signature: String::new(),
        };
        c.signature = hex::encode(self.signing.sign(c.message().as_bytes()).to_bytes());
        c
    }
}

fn key_id(k: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(k.as_bytes()))[..16].to_string()
}

/// One signed checkpoint: a tenant's chain head at a time. One JSON line in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The tenant's id.
    pub tenant: String,
    pub tenant_code: String,
    pub seq: i64,
    pub hash: String,
    /// Unix ms.
    pub at: i64,
    pub key_id: String,
    /// The signing key's public half, hex (so a receiver can check the line on its own).
    pub public_key: String,
    /// Ed25519 over the canonical JSON of every other field, hex.
    pub signature: String,
}

impl Checkpoint {
    /// What is signed.
    fn message(&self) -> String {
        canonical_json(&serde_json::json!({
            "tenant": self.tenant, "tenant_code": self.tenant_code, "seq": self.seq, "hash": self.hash,
            "at": self.at, "key_id": self.key_id, "public_key": self.public_key,
        }))
    }

    /// Whether the signature is good under the key the line names.
    pub fn signature_ok(&self) -> bool {
        let Some(pk) = hex::decode(&self.public_key).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
            return false;
        };
        let Ok(vk) = VerifyingKey::from_bytes(&pk) else { return false };
        let Some(sig) = hex::decode(&self.signature).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
            return false;
        };
        key_id(&vk) == self.key_id && vk.verify(self.message().as_bytes(), &Signature::from_bytes(&sig)).is_ok()
    }

    /// The line as written.
    ///
    /// # Errors
    /// Never in practice (plain strings and numbers).
    pub fn to_line(&self) -> Result<String> {
        serde_json::to_string(self).map_err(ServiceError::internal)
    }
}

/// Appends lines to an append-only file (created 0600), each flushed to disk before returning.
///
/// # Errors
/// The file cannot be opened or written.
pub fn append_lines(path: &Path, lines: &[String]) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| ServiceError::internal_in(dir.display(), e))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| ServiceError::internal_in(path.display(), e))?;
    let mut buf = String::new();
    for l in lines {
        buf.push_str(l);
        buf.push('\n');
    }
    f.write_all(buf.as_bytes()).map_err(|e| ServiceError::internal_in(path.display(), e))?;
    f.sync_all().map_err(|e| ServiceError::internal_in(path.display(), e))
}

/// What reading checkpoint files found: good lines, and what was wrong with the others.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub good: Vec<Checkpoint>,
    /// Correctly signed lines under another key (another town's, in a district's file), with where
    /// they were read: a problem only if they name one of this system's tenants.
    pub foreign: Vec<(String, Checkpoint)>,
    /// "checkpoints.jsonl 第 3 行：签名无效" …
    pub problems: Vec<String>,
    pub files: Vec<PathBuf>,
}

/// Reads checkpoint files line by line. A line that does not parse or is not signed correctly is a
/// problem (someone wrote the file by hand); one signed by another key than `trusted` is set apart;
/// a file that does not exist is skipped.
///
/// # Errors
/// A file that exists but cannot be read.
pub fn load(paths: &[PathBuf], trusted: &CheckpointKey) -> Result<Loaded> {
    let mut out = Loaded::default();
    let own = trusted.key_id();
    for p in paths {
        let f = match std::fs::File::open(p) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(ServiceError::internal_in(p.display(), e)),
        };
        out.files.push(p.clone());
        for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| ServiceError::internal_in(p.display(), e))?;
            if line.trim().is_empty() {
                continue;
            }
            let at = format!("检查点文件 {} 第 {} 行", p.display(), i + 1);
            // A district's file wraps each line: {"received_at", "received_by", "checkpoint"}.
            let parsed = serde_json::from_str::<serde_json::Value>(&line).ok().and_then(|mut v| {
                let inner = v.get_mut("checkpoint").map(serde_json::Value::take).unwrap_or(v);
                serde_json::from_value::<Checkpoint>(inner).ok()
            });
            match parsed.ok_or(()) {
                Err(_) => out.problems.push(format!("{at}：无法解析")),
                Ok(c) if !c.signature_ok() => {
                    out.problems.push(format!("{at}：签名无效（{} 第 {} 号事件的检查点被改动）", c.tenant_code, c.seq));
                }
                Ok(c) if c.key_id != own => out.foreign.push((at, c)),
                Ok(c) => out.good.push(c),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_checkpoint_verifies_and_any_change_breaks_its_signature() {
        let dir = tempfile::tempdir().expect("dir");
        let key = CheckpointKey::load_or_create(&dir.path().join("checkpoint.key")).expect("key");
        let c = key.sign("t1", "AT", 42, "abc", 1_700_000_000_000);
        assert!(c.signature_ok());
        for changed in [
            Checkpoint { seq: 41, ..c.clone() },
            Checkpoint { hash: "abd".into(), ..c.clone() },
            Checkpoint { tenant: "t2".into(), ..c.clone() },
        ] {
            assert!(!changed.signature_ok(), "a changed checkpoint must not verify: {changed:?}");
        }
    }

    #[test]
    fn the_key_file_is_private_and_read_back_as_the_same_key() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("checkpoint.key");
        let a = CheckpointKey::load_or_create(&path).expect("create");
        let b = CheckpointKey::load_or_create(&path).expect("read");
        assert_eq!(a.key_id(), b.key_id());
        assert_eq!(a.chain_key(), b.chain_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "等保: the signing key is readable by its owner only");
        }
    }

    #[test]
    fn lines_signed_by_another_key_or_edited_are_reported() {
        let dir = tempfile::tempdir().expect("dir");
        let ours = CheckpointKey::load_or_create(&dir.path().join("a.key")).expect("key");
        let theirs = CheckpointKey::load_or_create(&dir.path().join("b.key")).expect("key");
        let file = dir.path().join("checkpoints.jsonl");
        let mut edited = ours.sign("t1", "AT", 2, "h2", 2);
        edited.seq = 1;
        let lines = vec![
            ours.sign("t1", "AT", 1, "h1", 1).to_line().expect("line"),
            theirs.sign("t1", "AT", 3, "h3", 3).to_line().expect("line"),
            edited.to_line().expect("line"),
            "not json".into(),
        ];
        append_lines(&file, &lines).expect("write");
        let l = load(&[file], &ours).expect("load");
        assert_eq!(l.good.len(), 1);
        assert_eq!(l.foreign.len(), 1, "another key's line is kept apart: {:?}", l.foreign);
        assert_eq!(l.problems.len(), 2, "{:?}", l.problems);
    }
}
