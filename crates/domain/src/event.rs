//! Events and their hash chain (全过程记录; 等保 audit integrity). Every action appends one event;
//! the events of a tenant form one chain in which each event carries the hash of the one before.
//! Editing, deleting, inserting or reordering an event breaks a link that [`verify`] finds.
//!
//! The hash covers the event's content and the previous hash, not its sequence number: the chain
//! order is what the links prove, and `seq` is only the index that stores them in that order.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::ids::{CaseId, EventId, TenantId, UserId};

/// The hash a tenant's first event points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub tenant_id: TenantId,
    /// Position in the tenant's chain, from 1.
    pub seq: i64,
    /// The case it belongs to; `None` for events about users, units or the calendar.
    pub case_id: Option<CaseId>,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    /// The action's code (`dispatch`), or a system event's (`user.lock`, `clock.recompute`).
    pub action: String,
    /// The action's label at the time (`派单`).
    pub action_label: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub payload: Json,
    pub attachments: Vec<String>,
    /// Unix ms.
    pub occurred_at: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// Serialises JSON with object keys sorted, so the hash does not depend on map order.
pub fn canonical_json(v: &Json) -> String {
    fn write(v: &Json, out: &mut String) {
        match v {
            Json::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Json::String((*k).clone()).to_string());
                    out.push(':');
                    write(&m[*k], out);
                }
                out.push('}');
            }
            Json::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    write(v, &mut s);
    s
}

/// What the store seals into an event beside the content its caller gave: which record the event
/// is about (for events about no case: `user:<id>`, `unit:<id>`, …) and the digest of that record
/// (or of the case row) as the event left it ([`crate::record`]). Both are covered by the hash, so
/// a row edited behind the chain's back no longer matches the last event about it. Events written
/// before migration 0008 have neither, and their hash is computed as it always was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seal {
    pub subject: Option<String>,
    pub digest: Option<String>,
}

impl Seal {
    /// The seal of a case event: the digest of the case row it produced.
    pub fn case(digest: String) -> Self {
        Self { subject: None, digest: Some(digest) }
    }

    /// The seal of an event about a record that is not a case.
    pub fn record(subject: String, digest: String) -> Self {
        Self { subject: Some(subject), digest: Some(digest) }
    }
}

/// The key that makes the chain's links unforgeable without it (等保 §8.1.4 数据完整性): each
/// event also carries an HMAC-SHA-256 of its hash under this key (its `mac`). Anyone with write
/// access to the database can compute a valid SHA-256 link, but not the MAC, so an event appended
/// or rewritten by hand is found even after the last signed checkpoint. The key lives outside the
/// database (derived from the checkpoint signing key, see `fazhi_service::checkpoint`).
#[derive(Clone, PartialEq, Eq)]
pub struct ChainKey([u8; 32]);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(******)")
    }
}

impl ChainKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The MAC of an event hash: HMAC-SHA-256, the first 16 bytes in hex (128 bits, as RFC 2104
    /// §5 allows).
    pub fn mac(&self, hash: &str) -> String {
        use hmac::{Hmac, Mac};
        let Ok(mut m) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            // HMAC takes keys of any length: this cannot happen.
            return String::new();
        };
        m.update(hash.as_bytes());
        hex::encode(&m.finalize().into_bytes()[..16])
    }
}

impl Event {
    /// The hash of this event's content and its link.
    pub fn compute_hash(&self) -> String {
        self.compute_sealed_hash(&Seal::default())
    }

    /// The hash of this event's content, its seal and its link.
    pub fn compute_sealed_hash(&self, seal: &Seal) -> String {
        let mut content = serde_json::json!({
            "id": self.id.to_string(),
            "tenant_id": self.tenant_id.to_string(),
            "case_id": self.case_id.map(|c| c.to_string()),
            "actor_id": self.actor_id.map(|u| u.to_string()),
            "actor_name": self.actor_name,
            "action": self.action,
            "action_label": self.action_label,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "payload": self.payload,
            "attachments": self.attachments,
            "occurred_at": self.occurred_at,
            "prev_hash": self.prev_hash,
        });
        // Present only when set, so events written before seals existed keep their hash.
        if let Some(m) = content.as_object_mut() {
            if let Some(s) = &seal.subject {
                m.insert("subject".into(), Json::String(s.clone()));
            }
            if let Some(d) = &seal.digest {
                m.insert("digest".into(), Json::String(d.clone()));
            }
        }
        hex::encode(Sha256::digest(canonical_json(&content).as_bytes()))
    }

    /// Links this event after the head `(seq, hash)` and seals it.
    pub fn link(self, head_seq: i64, head_hash: &str) -> Self {
        self.link_sealed(head_seq, head_hash, &Seal::default())
    }

    /// Links this event after the head `(seq, hash)` with its seal.
    pub fn link_sealed(mut self, head_seq: i64, head_hash: &str, seal: &Seal) -> Self {
        self.seq = head_seq + 1;
        self.prev_hash = head_hash.to_string();
        self.hash = self.compute_sealed_hash(seal);
        self
    }
}

/// What kind of tampering a broken link shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The event's content no longer matches its hash.
    Edited,
    /// An event is missing (a gap, or a link to an event that is nowhere in the chain).
    Deleted,
    /// An event was put in that the chain never held.
    Inserted,
    /// Events are out of the order the links prove.
    Reordered,
    /// The newest events are missing: the chain ends before its recorded head.
    Truncated,
    /// The event's MAC is missing or wrong: it was not written by fazhi (a forged or rewritten
    /// event whose SHA-256 link was recomputed by hand).
    Forged,
    /// The chain disagrees with a signed checkpoint: at the checkpoint's position it holds another
    /// hash (the chain was rewritten), or it ends before it (its tail was deleted).
    Anchor,
}

impl BreakKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Edited => "事件内容被修改（与其摘要不符）",
            Self::Deleted => "事件被删除（链接指向不存在的事件）",
            Self::Inserted => "插入了链上不存在的事件",
            Self::Reordered => "事件顺序被改动",
            Self::Truncated => "链尾事件被删除（与链头记录不符）",
            Self::Forged => "事件的密钥校验码缺失或不符（不是 fazhi 写入的，链被伪造或重写）",
            Self::Anchor => "与已签名的检查点不符（链被重写，或链尾被删除后回滚了链头）",
        }
    }
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("第{seq}号事件（{event_id}，案件 {case}）：{}", kind.label())]
pub struct ChainBreak {
    pub kind: BreakKind,
    pub seq: i64,
    pub event_id: String,
    pub case_id: Option<String>,
    /// The case's receipt number or id, for the message.
    pub case: String,
}

/// A broken link that may need one look-up to tell a reorder from a deletion: the event links to
/// a hash that is not its predecessor's; if that hash belongs to some event of the chain the
/// events were reordered, otherwise one was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Break(ChainBreak),
    /// Call [`Unresolved::resolve`] with whether `hash` belongs to any event of the tenant.
    Unresolved(Unresolved),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub hash: String,
    at: ChainBreak,
}

impl Unresolved {
    pub fn resolve(self, hash_exists: bool) -> ChainBreak {
        ChainBreak { kind: if hash_exists { BreakKind::Reordered } else { BreakKind::Deleted }, ..self.at }
    }
}

/// Checks a tenant's events fed in `seq` order, one at a time, keeping only the last two links:
/// memory stays flat however long the chain.
#[derive(Debug, Default)]
pub struct Verifier {
    /// The previous event's (seq, hash, id, case).
    prev: Option<(i64, String, EventId, Option<CaseId>)>,
    before_prev: Option<String>,
    count: u64,
    /// When set, every event must carry its MAC under this key.
    key: Option<ChainKey>,
    /// Where the walk starts when not at the beginning: the (seq, hash) of a trusted checkpoint.
    start: Option<(i64, String)>,
    /// Signed checkpoints `(seq, hash)` the chain must pass through, in ascending order; the walk
    /// pops them as it passes.
    anchors: std::collections::VecDeque<(i64, String)>,
}

fn brk(kind: BreakKind, seq: i64, id: EventId, case_id: Option<CaseId>) -> ChainBreak {
    ChainBreak {
        kind,
        seq,
        event_id: id.to_string(),
        case_id: case_id.map(|c| c.to_string()),
        case: case_id.map_or_else(|| "—".to_string(), |c| c.to_string()),
    }
}

impl Verifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Also checks every event's MAC under `key`.
    #[must_use]
    pub fn with_key(mut self, key: Option<ChainKey>) -> Self {
        self.key = key;
        self
    }

    /// Starts after a trusted position `(seq, hash)` instead of the chain's beginning (the
    /// `--since-checkpoint` fast path): the first event fed must be `seq + 1` and link to `hash`.
    #[must_use]
    pub fn starting_after(mut self, seq: i64, hash: String) -> Self {
        self.start = Some((seq, hash));
        self
    }

    /// The signed checkpoints `(seq, hash)` the chain must pass through.
    #[must_use]
    pub fn with_anchors(mut self, mut anchors: Vec<(i64, String)>) -> Self {
        anchors.sort();
        anchors.dedup();
        self.anchors = anchors.into_iter().collect();
        self
    }

    /// The (seq, hash) of the last event verified, if any.
    pub fn last(&self) -> Option<(i64, &str)> {
        self.prev.as_ref().map(|(s, h, _, _)| (*s, h.as_str())).or(self.start.as_ref().map(|(s, h)| (*s, h.as_str())))
    }

    /// Checks the next event with its seal and MAC.
    ///
    /// # Errors
    /// As [`Verifier::feed`]; also [`BreakKind::Forged`] when a key is set and the MAC is missing
    /// or wrong, and [`BreakKind::Anchor`] when the event sits where a checkpoint says another did.
    pub fn feed_sealed(&mut self, e: Event, seal: &Seal, mac: Option<&str>) -> Result<(), Found> {
        if e.compute_sealed_hash(seal) != e.hash {
            return Err(Found::Break(brk(BreakKind::Edited, e.seq, e.id, e.case_id)));
        }
        if let Some(key) = &self.key
            && mac != Some(key.mac(&e.hash).as_str())
        {
            return Err(Found::Break(brk(BreakKind::Forged, e.seq, e.id, e.case_id)));
        }
        while let Some((s, h)) = self.anchors.front() {
            if *s < e.seq {
                // The chain skipped the checkpoint's position: events were renumbered away.
                return Err(Found::Break(brk(BreakKind::Anchor, *s, e.id, e.case_id)));
            }
            if *s > e.seq {
                break;
            }
            if *h != e.hash {
                return Err(Found::Break(brk(BreakKind::Anchor, e.seq, e.id, e.case_id)));
            }
            self.anchors.pop_front();
        }
        self.link_check(e)
    }

    /// Events verified so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Checks the next event.
    ///
    /// # Errors
    /// The first broken link, possibly needing one look-up to classify.
    pub fn feed(&mut self, e: Event) -> Result<(), Found> {
        self.feed_sealed(e, &Seal::default(), None)
    }

    fn link_check(&mut self, e: Event) -> Result<(), Found> {
        let (expected_seq, expected_prev) = match (&self.prev, &self.start) {
            (None, None) => (1, GENESIS),
            (None, Some((s, h))) => (s + 1, h.as_str()),
            (Some((s, h, _, _)), _) => (s + 1, h.as_str()),
        };
        if e.prev_hash != expected_prev {
            if self.before_prev.as_deref() == Some(e.prev_hash.as_str())
                && let Some((s, _, id, case_id)) = self.prev.take()
            {
                // This event links over the one before it: that one was put in.
                return Err(Found::Break(brk(BreakKind::Inserted, s, id, case_id)));
            }
            if e.seq > expected_seq {
                return Err(Found::Break(brk(BreakKind::Deleted, e.seq, e.id, e.case_id)));
            }
            return Err(Found::Unresolved(Unresolved {
                hash: e.prev_hash.clone(),
                at: brk(BreakKind::Deleted, e.seq, e.id, e.case_id),
            }));
        }
        self.before_prev = self.prev.as_ref().map(|(_, h, _, _)| h.clone());
        self.prev = Some((e.seq, e.hash, e.id, e.case_id));
        self.count += 1;
        Ok(())
    }

    /// Checks the end of the chain against its recorded head `(seq, hash)`.
    ///
    /// # Errors
    /// The chain ends before its head.
    pub fn finish(self, head: Option<(i64, String)>) -> Result<u64, ChainBreak> {
        if let Some((seq, _)) = self.anchors.front() {
            // A checkpoint lies beyond the chain's end: its tail was deleted (and the head, if it
            // agrees, rolled back).
            return Err(ChainBreak {
                kind: BreakKind::Anchor,
                seq: *seq,
                event_id: "—".into(),
                case_id: None,
                case: "—".into(),
            });
        }
        if let Some((head_seq, head_hash)) = head {
            let last = self.last().map(|(_, h)| h.to_string());
            let ends_at_head = last.as_deref() == Some(head_hash.as_str()) || (last.is_none() && head_seq == 0);
            if !ends_at_head {
                return Err(ChainBreak {
                    kind: BreakKind::Truncated,
                    seq: head_seq,
                    event_id: "—".into(),
                    case_id: None,
                    case: "—".into(),
                });
            }
        }
        Ok(self.count)
    }
}

/// Walks a whole chain in memory (tests, small chains). `find` tells whether a hash belongs to
/// any event of the tenant.
///
/// # Errors
/// The first [`ChainBreak`].
pub fn verify<I, F>(events: I, head: Option<(i64, String)>, mut find: F) -> Result<u64, ChainBreak>
where
    I: IntoIterator<Item = Event>,
    F: FnMut(&str) -> Option<i64>,
{
    let mut v = Verifier::new();
    for e in events {
        match v.feed(e) {
            Ok(()) => {}
            Err(Found::Break(b)) => return Err(b),
            Err(Found::Unresolved(u)) => {
                let exists = find(&u.hash).is_some();
                return Err(u.resolve(exists));
            }
        }
    }
    v.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: usize) -> Vec<Event> {
        let tenant = TenantId::new();
        let case = CaseId::new();
        let mut out: Vec<Event> = Vec::new();
        for i in 0..n {
            let (seq, hash) = out.last().map_or((0, GENESIS.to_string()), |e| (e.seq, e.hash.clone()));
            let e = Event {
                id: EventId::new(),
                tenant_id: tenant,
                seq: 0,
                case_id: Some(case),
                actor_id: None,
                actor_name: "受理员甲".into(),
                action: format!("a{i}"),
                action_label: "动作".into(),
                from_state: None,
                to_state: Some("s".into()),
                payload: json!({"b": 1, "a": [1, 2]}),
                attachments: vec![],
                occurred_at: 1_700_000_000_000 + i as i64,
                prev_hash: String::new(),
                hash: String::new(),
            }
            .link(seq, &hash);
            out.push(e);
        }
        out
    }

    fn head(c: &[Event]) -> Option<(i64, String)> {
        c.last().map(|e| (e.seq, e.hash.clone()))
    }

    fn finder(c: &[Event]) -> impl FnMut(&str) -> Option<i64> + '_ {
        move |h| c.iter().find(|e| e.hash == h).map(|e| e.seq)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(c.clone(), head(&c), finder(&c)), Ok(5));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        assert_eq!(canonical_json(&json!({"b": {"d": 1, "c": 2}, "a": "中"})), r#"{"a":"中","b":{"c":2,"d":1}}"#);
    }

    #[test]
    fn an_edited_event_is_found() {
        let c = chain(5);
        let h = head(&c);
        let mut t = c.clone();
        t[2].payload = json!({"b": 2});
        let e = verify(t, h, finder(&c)).unwrap_err();
        assert_eq!((e.kind, e.seq), (BreakKind::Edited, 3));
    }

    #[test]
    fn a_deleted_event_is_found() {
        let c = chain(5);
        let mut t = c.clone();
        t.remove(2);
        let e = verify(t.clone(), head(&c), finder(&t)).unwrap_err();
        assert_eq!((e.kind, e.seq), (BreakKind::Deleted, 4));
        // Deleted and renumbered: the link points at nothing.
        for (i, e) in t.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        let e = verify(t.clone(), head(&c), finder(&t)).unwrap_err();
        assert_eq!((e.kind, e.seq), (BreakKind::Deleted, 3));
    }

    #[test]
    fn an_inserted_event_is_found_even_with_a_valid_hash() {
        let c = chain(5);
        let mut forged = c[1].clone();
        forged.id = EventId::new();
        forged.action = "forged".into();
        let forged = forged.link(c[1].seq, &c[1].hash);
        let mut t = c.clone();
        t.insert(2, forged);
        for (i, e) in t.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        let e = verify(t.clone(), head(&c), finder(&t)).unwrap_err();
        assert_eq!((e.kind, e.seq), (BreakKind::Inserted, 3), "the forged event is named");
    }

    #[test]
    fn reordered_events_are_found() {
        let c = chain(5);
        let mut t = c.clone();
        t.swap(1, 3);
        for (i, e) in t.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        let e = verify(t.clone(), head(&c), finder(&t)).unwrap_err();
        assert_eq!((e.kind, e.seq), (BreakKind::Reordered, 2));
    }

    #[test]
    fn a_truncated_chain_is_found_against_its_head() {
        let c = chain(5);
        let t = c[..3].to_vec();
        let e = verify(t.clone(), head(&c), finder(&t)).unwrap_err();
        assert_eq!(e.kind, BreakKind::Truncated);
    }

    fn sealed_chain(n: usize, key: &ChainKey) -> Vec<(Event, Seal, String)> {
        let mut out: Vec<(Event, Seal, String)> = Vec::new();
        for e in chain(n) {
            let (seq, hash) = out.last().map_or((0, GENESIS.to_string()), |(e, _, _)| (e.seq, e.hash.clone()));
            let seal = Seal::case(format!("case1.{}", e.seq));
            let e = e.link_sealed(seq, &hash, &seal);
            let mac = key.mac(&e.hash);
            out.push((e, seal, mac));
        }
        out
    }

    fn walk(c: &[(Event, Seal, String)], v: &mut Verifier) -> Result<(), Found> {
        for (e, seal, mac) in c {
            v.feed_sealed(e.clone(), seal, Some(mac))?;
        }
        Ok(())
    }

    #[test]
    fn the_seal_is_covered_by_the_hash_and_absent_seals_keep_old_hashes() {
        let e = chain(1).remove(0);
        assert_eq!(e.compute_hash(), e.compute_sealed_hash(&Seal::default()), "events before 0008 keep their hash");
        assert_ne!(e.compute_hash(), e.compute_sealed_hash(&Seal::case("case1.x".into())));
    }

    #[test]
    fn an_event_with_a_valid_link_but_no_mac_is_a_forgery() {
        let key = ChainKey::new([7; 32]);
        let c = sealed_chain(3, &key);
        let mut v = Verifier::new().with_key(Some(key.clone()));
        assert!(walk(&c, &mut v).is_ok());
        // Appended by hand: the SHA-256 link is right, the MAC cannot be.
        let (last, _, _) = c.last().expect("events").clone();
        let forged = Event { id: EventId::new(), ..last.clone() }.link_sealed(last.seq, &last.hash, &Seal::default());
        let Err(Found::Break(b)) = v.feed_sealed(forged.clone(), &Seal::default(), None) else { panic!("accepted") };
        assert_eq!((b.kind, b.seq), (BreakKind::Forged, 4));
        let wrong = ChainKey::new([8; 32]).mac(&forged.hash);
        let Err(Found::Break(b)) = v.feed_sealed(forged, &Seal::default(), Some(&wrong)) else { panic!("accepted") };
        assert_eq!(b.kind, BreakKind::Forged, "a MAC under another key is no MAC");
    }

    #[test]
    fn a_chain_is_held_to_its_checkpoints() {
        let key = ChainKey::new([7; 32]);
        let c = sealed_chain(5, &key);
        let at3 = (c[2].0.seq, c[2].0.hash.clone());
        let mut v = Verifier::new().with_key(Some(key.clone())).with_anchors(vec![at3.clone()]);
        assert!(walk(&c, &mut v).is_ok());
        assert_eq!(v.finish(Some((5, c[4].0.hash.clone()))), Ok(5));
        // A checkpoint that names another hash at its position: the chain was rewritten.
        let mut v = Verifier::new().with_anchors(vec![(3, "f".repeat(64))]);
        let Err(Found::Break(b)) = walk(&c, &mut v) else { panic!("accepted") };
        assert_eq!((b.kind, b.seq), (BreakKind::Anchor, 3));
        // The tail cut and the head rolled back before a checkpoint.
        let mut v = Verifier::new().with_anchors(vec![(5, c[4].0.hash.clone())]);
        assert!(walk(&c[..3], &mut v).is_ok());
        assert_eq!(v.finish(Some((3, c[2].0.hash.clone()))).map_err(|b| b.kind), Err(BreakKind::Anchor));
        // The fast path starts after a checkpoint.
        let mut v = Verifier::new().starting_after(at3.0, at3.1);
        assert!(walk(&c[3..], &mut v).is_ok());
        assert_eq!(v.finish(Some((5, c[4].0.hash.clone()))), Ok(2));
    }
}
