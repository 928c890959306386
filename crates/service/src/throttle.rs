//! Login throttling by client address and account (等保 2.0, GB/T 22239-2019 §8.1.4.1 b: limit
//! failed login attempts), and the cap on guesses of one receipt's query code ([`ReceiptChecks`]).
//!
//! Locking an account after N failures, whoever made them, lets anyone lock anyone out — the
//! 安全管理员 included — and a lock message that only real accounts get tells which usernames
//! exist. So fazhi counts failures in a sliding window under three keys:
//!
//! * **address + username**: `lockout_threshold` failures and that address may not try that name
//!   again until the window has passed. Other addresses are not affected.
//! * **address**: `address_threshold` failures on any names (real or not) and that address may not
//!   log in at all until the window has passed: one address cannot walk through many accounts.
//! * **username**: `account_threshold` failures from all addresses together and the account may be
//!   logged in to only from addresses it logged in from before, so a guessing attack spread over
//!   many addresses is capped while its real user, at their usual desk, still gets in.
//!
//! Names are counted whether or not an account has them, so being throttled says nothing about
//! whether a username exists. IPv6 clients are counted by their /64 prefix (one subscriber).
//! The counts live in memory: a restart forgets them, which only ever lets a user in sooner.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Limits of the throttle (from `security.*`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_pair: u32,
    pub per_address: u32,
    pub per_account: u32,
    pub window_ms: i64,
}

/// Why an attempt was refused or what a failure tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Too many failures of this address on this username.
    Pair,
    /// Too many failures of this address.
    Address,
    /// Too many failures on this username from everywhere, and this address is not a known one.
    Account,
}

impl Block {
    /// The word the audit log records.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pair => "address_and_account",
            Self::Address => "address",
            Self::Account => "account",
        }
    }
}

/// How long an address that logged in to an account stays known to it.
const KNOWN_FOR_MS: i64 = 30 * 24 * 3_600_000;
/// Above this many keys, expired ones are swept on the next failure.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    pairs: HashMap<(String, String), VecDeque<i64>>,
    addresses: HashMap<String, VecDeque<i64>>,
    accounts: HashMap<String, VecDeque<i64>>,
    /// username → (address → last successful login)
    known: HashMap<String, HashMap<String, i64>>,
}

/// The key an address is counted under: the IP, or for IPv6 its /64 network.
pub fn address_key(client: &str) -> String {
    match client.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or_else(|| client.to_string(), |v4| v4.to_string()),
        _ => client.to_string(),
    }
}

fn name_key(username: &str) -> String {
    username.trim().to_lowercase()
}

fn live(q: &VecDeque<i64>, now: i64, window: i64) -> usize {
    q.iter().filter(|t| **t > now - window).count()
}

fn push(q: &mut VecDeque<i64>, now: i64, window: i64, keep: u32) {
    while q.front().is_some_and(|t| *t <= now - window) {
        q.pop_front();
    }
    q.push_back(now);
    while q.len() > keep as usize {
        q.pop_front();
    }
}

impl LoginThrottle {
    /// Whether an attempt from `client` as `username` may be checked at all.
    pub fn check(&self, l: &Limits, client: &str, username: &str, now: i64) -> Option<Block> {
        let (addr, name) = (address_key(client), name_key(username));
        let w = l.window_ms;
        if self.addresses.get(&addr).is_some_and(|q| live(q, now, w) >= l.per_address as usize) {
            return Some(Block::Address);
        }
        if self.pairs.get(&(addr.clone(), name.clone())).is_some_and(|q| live(q, now, w) >= l.per_pair as usize) {
            return Some(Block::Pair);
        }
        if self.accounts.get(&name).is_some_and(|q| live(q, now, w) >= l.per_account as usize)
            && !self.is_known(&name, &addr, now)
        {
            return Some(Block::Account);
        }
        None
    }

    fn is_known(&self, name: &str, addr: &str, now: i64) -> bool {
        self.known.get(name).and_then(|m| m.get(addr)).is_some_and(|t| *t > now - KNOWN_FOR_MS)
    }

    /// Counts a failure; answers the limit this failure reached, if any (worth an audit event).
    pub fn failed(&mut self, l: &Limits, client: &str, username: &str, now: i64) -> Option<Block> {
        let (addr, name) = (address_key(client), name_key(username));
        let w = l.window_ms;
        if self.pairs.len() + self.addresses.len() + self.accounts.len() > SWEEP_ABOVE {
            self.sweep(now, w);
        }
        let pair = self.pairs.entry((addr.clone(), name.clone())).or_default();
        push(pair, now, w, l.per_pair);
        let pair_n = pair.len();
        let a = self.addresses.entry(addr).or_default();
        push(a, now, w, l.per_address);
        let addr_n = a.len();
        let acc = self.accounts.entry(name).or_default();
        push(acc, now, w, l.per_account);
        let acc_n = acc.len();
        if addr_n == l.per_address as usize {
            Some(Block::Address)
        } else if pair_n == l.per_pair as usize {
            Some(Block::Pair)
        } else if acc_n == l.per_account as usize {
            Some(Block::Account)
        } else {
            None
        }
    }

    /// A successful login: this address's failures on this name are forgotten and the address
    /// becomes a known one of the account.
    pub fn succeeded(&mut self, client: &str, username: &str, now: i64) {
        let (addr, name) = (address_key(client), name_key(username));
        self.pairs.remove(&(addr.clone(), name.clone()));
        let known = self.known.entry(name).or_default();
        known.retain(|_, t| *t > now - KNOWN_FOR_MS);
        known.insert(addr, now);
    }

    /// The 安全管理员 unlocked the account: every count on its name is forgotten.
    pub fn forget_account(&mut self, username: &str) {
        let name = name_key(username);
        self.pairs.retain(|(_, n), _| *n != name);
        self.accounts.remove(&name);
    }

    fn sweep(&mut self, now: i64, w: i64) {
        self.pairs.retain(|_, q| q.back().is_some_and(|t| *t > now - w));
        self.addresses.retain(|_, q| q.back().is_some_and(|t| *t > now - w));
        self.accounts.retain(|_, q| q.back().is_some_and(|t| *t > now - w));
    }
}

/// Failed checks of one's current password (changing it), per account: a stolen session cannot
/// be used to guess the password behind it (等保 §8.1.4.1 b).
#[derive(Debug, Default)]
pub struct PasswordChecks {
    failures: HashMap<String, VecDeque<i64>>,
}

impl PasswordChecks {
    pub fn blocked(&self, l: &Limits, user: &str, now: i64) -> bool {
        self.failures.get(user).is_some_and(|q| live(q, now, l.window_ms) >= l.per_pair as usize)
    }

    /// Counts a failure; true when it reached the limit.
    pub fn failed(&mut self, l: &Limits, user: &str, now: i64) -> bool {
        let q = self.failures.entry(user.to_string()).or_default();
        push(q, now, l.window_ms, l.per_pair);
        q.len() == l.per_pair as usize
    }

    pub fn succeeded(&mut self, user: &str) {
        self.failures.remove(user);
    }
}

/// Failed look-ups of one receipt number on the public tracking page, from every address
/// together. Six digits of query code are a million guesses: spread over many addresses, the
/// per-address limit alone would not stop them. Past the limit every look-up of that number —
/// with the right code or not, whether the number exists or not — answers the same 429 until
/// the window has passed, so the cap neither lets the guess through nor tells that the number
/// is real. Kept in memory like the login counts.
#[derive(Debug, Default)]
pub struct ReceiptChecks {
    failures: HashMap<String, VecDeque<i64>>,
}

/// The window of [`ReceiptChecks`].
pub const RECEIPT_WINDOW_MS: i64 = 3_600_000;

impl ReceiptChecks {
    /// Whether look-ups of `receipt` are refused now (`limit` failures within the hour).
    pub fn blocked(&self, limit: u32, receipt: &str, now: i64) -> bool {
        self.failures.get(receipt).is_some_and(|q| live(q, now, RECEIPT_WINDOW_MS) >= limit as usize)
    }

    /// Counts a failed look-up of `receipt` (an unknown number, or a wrong code).
    pub fn failed(&mut self, limit: u32, receipt: &str, now: i64) {
        if self.failures.len() > SWEEP_ABOVE {
            self.failures.retain(|_, q| q.back().is_some_and(|t| *t > now - RECEIPT_WINDOW_MS));
        }
        let q = self.failures.entry(receipt.to_string()).or_default();
        push(q, now, RECEIPT_WINDOW_MS, limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits { per_pair: 5, per_address: 20, per_account: 50, window_ms: 15 * 60_000 };

    #[test]
    fn five_failures_stop_one_address_on_one_account_and_nobody_else() {
        // GB/T 22239-2019 §8.1.4.1 b: limit failed attempts — without letting a stranger lock
        // the real user out.
        let mut t = LoginThrottle::default();
        for i in 0..4 {
            assert_eq!(t.failed(&L, "10.0.0.9", "security", i), None);
        }
        assert_eq!(t.failed(&L, "10.0.0.9", "security", 4), Some(Block::Pair));
        assert_eq!(t.check(&L, "10.0.0.9", "security", 5), Some(Block::Pair));
        assert_eq!(t.check(&L, "10.0.0.7", "security", 5), None, "the real user at another desk gets in");
        assert_eq!(t.check(&L, "10.0.0.9", "clerk", 5), None, "other accounts from that address are not blocked");
        assert_eq!(t.check(&L, "10.0.0.9", "security", L.window_ms + 1), None, "the window slides");
    }

    #[test]
    fn one_address_trying_many_usernames_is_stopped() {
        let mut t = LoginThrottle::default();
        for i in 0..19 {
            t.failed(&L, "203.0.113.5", &format!("guess{i}"), i);
        }
        assert_eq!(t.failed(&L, "203.0.113.5", "guess19", 19), Some(Block::Address));
        assert_eq!(t.check(&L, "203.0.113.5", "a-name-never-tried", 20), Some(Block::Address));
        assert_eq!(t.check(&L, "203.0.113.6", "guess1", 20), None);
    }

    #[test]
    fn a_spread_out_attack_caps_the_account_but_its_known_address_still_gets_in() {
        let mut t = LoginThrottle::default();
        t.succeeded("10.0.0.7", "security", 0);
        for i in 0..50 {
            t.failed(&L, &format!("198.51.100.{i}"), "security", 10 + i);
        }
        assert_eq!(t.check(&L, "198.51.100.200", "security", 100), Some(Block::Account));
        assert_eq!(t.check(&L, "10.0.0.7", "security", 100), None, "the usual desk is known");
        t.forget_account("security");
        assert_eq!(t.check(&L, "198.51.100.200", "security", 100), None, "the security admin's unlock clears it");
    }

    #[test]
    fn unknown_and_real_usernames_are_counted_alike_and_ipv6_by_its_network() {
        let mut t = LoginThrottle::default();
        for i in 0..5 {
            t.failed(&L, "2001:db8:1:2::10", "nobody", i);
        }
        assert_eq!(t.check(&L, "2001:db8:1:2::99", "NOBODY", 6), Some(Block::Pair), "same /64, name case-folded");
        assert_eq!(t.check(&L, "2001:db8:1:3::10", "nobody", 6), None);
        assert_eq!(address_key("::ffff:10.1.2.3"), "10.1.2.3");
    }

    #[test]
    fn the_current_password_check_is_limited_too() {
        let mut c = PasswordChecks::default();
        for i in 0..4 {
            assert!(!c.failed(&L, "u1", i));
        }
        assert!(c.failed(&L, "u1", 4));
        assert!(c.blocked(&L, "u1", 5));
        assert!(!c.blocked(&L, "u2", 5));
        assert!(!c.blocked(&L, "u1", L.window_ms + 5));
    }

    #[test]
    fn one_receipt_is_capped_whatever_the_address_and_unknown_numbers_alike() {
        let mut r = ReceiptChecks::default();
        for i in 0..10 {
            assert!(!r.blocked(10, "AT-GD-2024-000001", i));
            r.failed(10, "AT-GD-2024-000001", i);
        }
        assert!(r.blocked(10, "AT-GD-2024-000001", 11));
        assert!(!r.blocked(10, "AT-GD-2024-000002", 11), "other numbers are not affected");
        assert!(!r.blocked(10, "AT-GD-2024-000001", RECEIPT_WINDOW_MS + 10), "the window slides");
    }
}
