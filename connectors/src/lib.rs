//! Venue connectors (Deribit JSON-RPC over WebSocket) and the local venue simulator. Nothing here
//! yet: a later issue fills it on top of `engine::matching`.
