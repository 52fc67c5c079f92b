//! Venue connectors. So far the Deribit wire ([`deribit`]): frames and book data, tested without a
//! socket; the socket task, the session (auth, heartbeat, cancel-on-disconnect, subscriptions,
//! reconciliation) and the local venue come next (issue 13).

pub mod deribit;
