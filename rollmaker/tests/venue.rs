//! `rollmaker venue` serves Deribit's JSON-RPC on loopback: a client authenticates with the key
//! it was given, lists the instruments, sees the house's market move and reads the marks.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Kills the venue when the test ends, passed or not.
struct Venue(std::process::Child);

impl Drop for Venue {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `rollmaker venue --port 0` with `args`, and the address it listens on.
fn spawn(args: &[&str]) -> (Venue, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_rollmaker"))
        .args(["venue", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the rollmaker binary runs");
    let mut venue = Venue(child);
    let mut line = String::new();
    let stdout = venue.0.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .nth(2)
        .expect("listening on ws://...");
    (venue, url.to_string())
}

async fn ask(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
              + SinkExt<Message>
              + Unpin),
    id: u64,
    method: &str,
    params: Value,
) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let _ = ws.send(Message::text(request.to_string())).await;
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("the venue went away")
        };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        if v["id"] == id {
            return v;
        }
    }
}

/// The data of the next notification on a channel starting with `prefix`.
async fn next_data(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
    prefix: &str,
) -> Value {
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("the venue went away")
        };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        if v["params"]["channel"]
            .as_str()
            .is_some_and(|c| c.starts_with(prefix))
        {
            return v["params"]["data"].clone();
        }
    }
}

#[tokio::test]
async fn the_venue_serves_deribit_json_rpc_on_loopback() {
    let (_venue, url) = spawn(&["--key", "desk:s3cret", "--step-ms", "20"]);
    let script = async {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        let wrong = ask(
            &mut ws,
            1,
            "public/auth",
            json!({"grant_type": "client_credentials", "client_id": "desk", "client_secret": "x"}),
        )
        .await;
        assert_eq!(wrong["error"]["code"], 13004);
        let auth = ask(&mut ws, 2, "public/auth", json!({"grant_type": "client_credentials", "client_id": "desk", "client_secret": "s3cret"})).await;
        assert!(auth["result"]["expires_in"].as_i64().unwrap() > 0, "{auth}");
        let listed = ask(
            &mut ws,
            3,
            "public/get_instruments",
            json!({"currency": "ETH"}),
        )
        .await;
        let names: Vec<&str> = listed["result"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["instrument_name"].as_str())
            .collect();
        assert!(names.contains(&"ETH-PERPETUAL"), "{names:?}");
        assert!(
            names.iter().filter(|n| n.ends_with("-C")).count() > 100,
            "{}",
            names.len()
        );
        // The house's market moves: the perpetual's book, a snapshot, then changes as the index
        // moves a minute every 20 ms.
        let book = json!({"channels": ["book.ETH-PERPETUAL.raw"]});
        ask(&mut ws, 4, "public/subscribe", book).await;
        let mut kinds = Vec::new();
        while kinds.len() < 3 {
            let data = next_data(&mut ws, "book.").await;
            assert!(
                data["bids"].is_array() && data["change_id"].is_u64(),
                "{data}"
            );
            kinds.push(data["type"].as_str().unwrap().to_string());
        }
        assert_eq!(kinds, ["snapshot", "change", "change"]);
        // And the marks: a call's ticker, its mark IV in percent as Deribit sends it.
        let call = names
            .iter()
            .find(|n| n.ends_with("-C"))
            .unwrap()
            .to_string();
        let ticker = json!({"channels": [format!("ticker.{call}.raw")]});
        ask(&mut ws, 5, "public/subscribe", ticker).await;
        let data = next_data(&mut ws, "ticker.").await;
        let iv = data["mark_iv"].as_f64().unwrap();
        assert!(iv > 5.0 && iv < 500.0, "mark_iv {iv} (percent)");
        assert!(data["index_price"].as_f64().unwrap() > 0.0, "{data}");
    };
    tokio::time::timeout(Duration::from_secs(20), script)
        .await
        .expect("the venue answered in time");
}

/// `--data` replays Deribit chain snapshots: the file's options listed, and a ticker carries the
/// first snapshot's mark of that option (its mark IV in percent).
#[tokio::test]
async fn the_venue_replays_chain_snapshots() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/deribit_eth_chain/deribit_eth_options_chain_202601.csv.gz");
    if !file.exists() {
        eprintln!("SKIPPED: ../shared/data is absent");
        return;
    }
    let first = backtest::chain::ChainReader::open(&file)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let row = first
        .rows
        .iter()
        .find(|r| r.instrument.ends_with("-C"))
        .unwrap()
        .clone();
    let path = file.display().to_string();
    let (_venue, url) = spawn(&["--data", &path, "--to", "2026-01-03", "--step-ms", "2000"]);
    let script = async {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        let listed = ask(
            &mut ws,
            1,
            "public/get_instruments",
            json!({"currency": "ETH"}),
        )
        .await;
        let names: Vec<&str> = (listed["result"].as_array().unwrap().iter())
            .filter_map(|i| i["instrument_name"].as_str())
            .collect();
        assert!(names.contains(&&*row.instrument), "{}", names.len());
        let channel = format!("ticker.{}.100ms", row.instrument);
        ask(
            &mut ws,
            2,
            "public/subscribe",
            json!({"channels": [channel]}),
        )
        .await;
        let data = next_data(&mut ws, "ticker.").await;
        assert_eq!(data["mark_price"].as_f64(), Some(row.mark), "{data}");
        let iv = data["mark_iv"].as_f64().unwrap();
        assert!(
            (iv - 100.0 * row.mark_iv).abs() < 1e-9,
            "{iv} against {}",
            row.mark_iv
        );
        assert_eq!(
            data["timestamp"].as_i64(),
            Some(first.timestamp.0 / 1_000_000)
        );
    };
    tokio::time::timeout(Duration::from_secs(30), script)
        .await
        .expect("the venue answered in time");
}
