//! What a use case knows of the request it serves beyond the user: the client's address, for
//! the events it writes (the audit page says from which address each step was taken).
//!
//! A task-local rather than a parameter: every use case writes events, and the address is the
//! request's, not the rule's — threading it through each signature would change every use case
//! and every caller for a value the rules never read. The web sets it around each request
//! ([`with_client_address`]); the command line and background work have none, and their events
//! carry none.

use std::future::Future;

tokio::task_local! {
    static CLIENT_ADDRESS: String;
}

/// The payload key under which an event records the client's address.
pub const ADDRESS_KEY: &str = "client_address";

/// Runs `f` — one request — with the client's address known to the events it writes.
pub async fn with_client_address<F: Future>(address: String, f: F) -> F::Output {
    CLIENT_ADDRESS.scope(address, f).await
}

/// The address of the request being served, if any.
pub fn client_address() -> Option<String> {
    CLIENT_ADDRESS.try_with(Clone::clone).ok()
}
