//! Login throttling by client address and account (等保 2.0, GB/T 22239-2019 §8.1.4.1 b: limit
//! failed login attempts), and the caps on guesses of a receipt's query code ([`PublicChecks`]).
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

/// Wrong look-ups on the public tracking page (an unknown receipt number, or a wrong query code),
/// counted by address and by receipt number:
///
/// * **address**: `per_address` wrong look-ups within `address_window_ms` (any numbers) and that
///   address may not look up at all until the oldest of them has left the window — the page says
///   how many minutes that is. Other addresses are not affected.
/// * **receipt number**: `per_receipt` wrong look-ups of one number within the hour, from all
///   addresses together, with **each address counting at most `per_address`**: six digits of
///   query code are a million guesses, and spread over many addresses the per-address limit alone
///   would not stop them; but one address, whose own limit stops it first, never locks the number
///   for the resident who holds the right code at another address. Past the limit every look-up
///   of that number — with the right code or not, whether the number exists or not — answers the
///   same "wait N minutes" until enough of them have left the window, so the cap neither lets the
///   guess through nor tells that the number is real.
///
/// A right code forgets nothing: otherwise someone holding one real receipt could wipe their
/// count between guesses at another. Kept in memory like the login counts.
#[derive(Debug, Default)]
pub struct PublicChecks {
    /// receipt number → (instant, address key) of each wrong look-up.
    receipts: HashMap<String, VecDeque<(i64, String)>>,
    addresses: HashMap<String, VecDeque<i64>>,
}

/// Limits of [`PublicChecks`] (from `security.public_*`).
#[derive(Debug, Clone, Copy)]
pub struct PublicLimits {
    pub per_receipt: u32,
    pub per_address: u32,
    pub address_window_ms: i64,
}

/// The window of the per-receipt count.
pub const RECEIPT_WINDOW_MS: i64 = 3_600_000;
/// Wrong look-ups kept per receipt number (enough for any sane limit).
const KEEP_PER_RECEIPT: usize = 1_000;

impl PublicChecks {
    /// How long (ms) look-ups from `client` of `receipt` must wait, or None when they may go.
    pub fn wait(&self, l: &PublicLimits, client: &str, receipt: &str, now: i64) -> Option<i64> {
        let addr = address_key(client);
        let by_address = self.addresses.get(&addr).and_then(|q| {
            let live: Vec<i64> = q.iter().copied().filter(|t| *t > now - l.address_window_ms).collect();
            // Allowed again once the count is below the limit: when the oldest of the last
            // `per_address` leaves the window.
            (live.len() >= l.per_address as usize)
                .then(|| live[live.len() - l.per_address as usize] + l.address_window_ms - now)
        });
        let by_receipt = self.receipts.get(receipt).and_then(|q| {
            let live: Vec<&(i64, String)> = q.iter().filter(|(t, _)| *t > now - RECEIPT_WINDOW_MS).collect();
            if counted(&live, l.per_address) < l.per_receipt as usize {
                return None;
            }
            // The first instant at which, the failures older than it gone, the count is under
            // the limit.
            live.iter()
                .map(|(t, _)| *t + RECEIPT_WINDOW_MS)
                .find(|until| {
                    let rest: Vec<&(i64, String)> =
                        live.iter().copied().filter(|(t, _)| *t + RECEIPT_WINDOW_MS > *until).collect();
                    counted(&rest, l.per_address) < l.per_receipt as usize
                })
                .map(|until| until - now)
        });
        match (by_address, by_receipt) {
            (Some(a), Some(r)) => Some(a.max(r)),
            (a, r) => a.or(r),
        }
    }

    /// Counts a wrong look-up of `receipt` from `client`.
    pub fn failed(&mut self, l: &PublicLimits, client: &str, receipt: &str, now: i64) {
        if self.receipts.len() + self.addresses.len() > SWEEP_ABOVE {
            self.receipts.retain(|_, q| q.back().is_some_and(|(t, _)| *t > now - RECEIPT_WINDOW_MS));
            self.addresses.retain(|_, q| q.back().is_some_and(|t| *t > now - l.address_window_ms));
        }
        let addr = address_key(client);
        push(self.addresses.entry(addr.clone()).or_default(), now, l.address_window_ms, l.per_address);
        let q = self.receipts.entry(receipt.to_string()).or_default();
        while q.front().is_some_and(|(t, _)| *t <= now - RECEIPT_WINDOW_MS) || q.len() >= KEEP_PER_RECEIPT {
            q.pop_front();
        }
        q.push_back((now, addr));
    }
}

/// Wrong look-ups of one receipt number, each address counting at most `per_address`.
fn counted(failures: &[&(i64, String)], per_address: u32) -> usize {
    let mut by: HashMap<&str, usize> = HashMap::new();
    for (_, a) in failures {
        *by.entry(a.as_str()).or_default() += 1;
    }
    by.values().map(|n| (*n).min(per_address as usize)).sum()
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

    const P: PublicLimits = PublicLimits { per_receipt: 10, per_address: 5, address_window_ms: 15 * 60_000 };
    const R: &str = "AT-GD-2024-000001";

    #[test]
    fn wrong_codes_from_one_address_lock_that_address_and_say_for_how_long() {
        let mut c = PublicChecks::default();
        for i in 0..4 {
            c.failed(&P, "10.0.0.9", R, i * 60_000);
            assert_eq!(c.wait(&P, "10.0.0.9", R, i * 60_000 + 1), None);
        }
        c.failed(&P, "10.0.0.9", R, 4 * 60_000);
        // The first failure (at 0) leaves the 15-minute window at 15:00.
        assert_eq!(c.wait(&P, "10.0.0.9", R, 5 * 60_000), Some(10 * 60_000));
        assert_eq!(c.wait(&P, "10.0.0.9", "AT-GD-2024-000002", 5 * 60_000), Some(10 * 60_000), "any number");
        assert_eq!(c.wait(&P, "10.0.0.7", R, 5 * 60_000), None, "the right code from another address still goes");
        assert_eq!(c.wait(&P, "10.0.0.9", R, 15 * 60_000 + 1), None, "the window slides");
    }

    #[test]
    fn one_address_never_locks_a_receipt_for_everyone_but_many_addresses_do() {
        let mut c = PublicChecks::default();
        // Ten wrong codes from one address over an hour (waiting out its own lock in between).
        for i in 0..10 {
            c.failed(&P, "203.0.113.5", R, i * 5 * 60_000);
        }
        assert_eq!(c.wait(&P, "198.51.100.1", R, 50 * 60_000), None, "one address counts at most five");
        // A second address adds its five: the number is under attack from many addresses.
        for i in 0..5 {
            c.failed(&P, "203.0.113.77", R, 50 * 60_000 + i);
        }
        let wait = c.wait(&P, "198.51.100.1", R, 51 * 60_000).expect("the receipt is locked");
        assert!(wait > 0 && wait <= RECEIPT_WINDOW_MS);
        assert_eq!(c.wait(&P, "198.51.100.1", "AT-GD-2024-000002", 51 * 60_000), None, "other numbers are not");
        assert_eq!(c.wait(&P, "198.51.100.1", R, 51 * 60_000 + wait), None, "until enough leave the window");
    }
}
