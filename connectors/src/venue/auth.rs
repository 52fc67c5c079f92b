//! `public/auth` on the local venue: by client credentials, by signature (Deribit's
//! `client_signature`, fresh within a minute of the venue's clock), or by the refresh token of an
//! authenticated connection.

use super::core::VenueCore;
use super::trading::Refusal;
use super::ConnId;
use crate::deribit::signature;
use serde_json::{json, Value};

impl VenueCore {
    pub(super) fn auth(&mut self, conn: ConnId, p: &Value) -> Result<Value, Refusal> {
        let c = self.conns.entry(conn).or_default();
        let owner = match p["grant_type"].as_str() {
            Some("client_credentials") => {
                let id = p["client_id"].as_str().unwrap_or_default();
                let secret = p["client_secret"].as_str().unwrap_or_default();
                match self.keys.get(id) {
                    Some((s, owner)) if s == secret => *owner,
                    _ => return Err((13004, "invalid_credentials".to_string())),
                }
            }
            Some("client_signature") => {
                let id = p["client_id"].as_str().unwrap_or_default();
                let ts = p["timestamp"].as_i64().unwrap_or(i64::MIN);
                let (nonce, data) = (
                    p["nonce"].as_str().unwrap_or_default(),
                    p["data"].as_str().unwrap_or_default(),
                );
                let sig = p["signature"].as_str().unwrap_or_default();
                // A signature a minute old (or from a minute ahead) is refused: no replays.
                let fresh = (self.trading.now_ms - ts).abs() <= 60_000;
                match self.keys.get(id) {
                    Some((s, owner)) if fresh && signature::verify(s, ts, nonce, data, sig) => {
                        *owner
                    }
                    _ => return Err((13004, "invalid_credentials".to_string())),
                }
            }
            Some("refresh_token") => c.owner.ok_or((13004, "invalid_credentials".to_string()))?,
            _ => return Err((-32602, "Invalid params: grant_type".to_string())),
        };
        c.owner = Some(owner);
        Ok(
            json!({"access_token": format!("local-{conn}"), "refresh_token": format!("local-refresh-{conn}"),
                  "expires_in": 900, "scope": "connection", "token_type": "bearer"}),
        )
    }
}
