//! Helpers for the loopback tests of `rollmaker run` against `rollmaker venue`, both run as the
//! binary a user runs: each process's output collected line by line, its metrics and health
//! read over HTTP, the venue asked what it holds over its own JSON-RPC, the journal read back.

#![allow(dead_code)]

use serde_json::{json, Value};
use service::journal::{Entry, Journal};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::stream::MaybeTlsStream;
use tokio_tungstenite::tungstenite::{connect, Message};

/// A child process, killed when dropped, its stdout and stderr lines kept.
pub struct Proc {
    pub child: Child,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    pub fn spawn(args: &[&str]) -> Proc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rollmaker"))
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the rollmaker binary runs");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let err = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        for stream in [out, err].into_iter().flatten() {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        Proc { child, lines }
    }

    /// The first line containing `text`, waiting up to `timeout`.
    pub fn line(&self, text: &str, timeout: Duration) -> Option<String> {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Some(l) = self.lines.lock().unwrap().iter().find(|l| l.contains(text)) {
                return Some(l.clone());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// How many lines contain `text`.
    pub fn count(&self, text: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(text))
            .count()
    }

    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-s", name, &pid]).status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -s {name} {pid}");
    }

    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The local venue on a free port with `extra` flags, and its socket's address.
pub fn venue(extra: &[&str]) -> (Proc, String) {
    // A minute of market every 100 ms unless `extra` says; the service's account and the
    // test's taker.
    let mut args = vec!["venue", "--port", "0"];
    if !extra.contains(&"--step-ms") {
        args.extend(["--step-ms", "100"]);
    }
    args.extend(["--key", "local:local", "--key", "taker:taker"]);
    args.extend_from_slice(extra);
    let p = Proc::spawn(&args);
    let line = p
        .line("listening on ", Duration::from_secs(30))
        .expect("the venue listens");
    let url = line["listening on ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    (p, url)
}

/// A fresh folder for one test's files.
pub fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollmaker-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shipped `live_local.toml` pointed at `url`, its journal in `dir`: the service's config.
pub fn config(dir: &Path, url: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shipped = root.join("strategies/configs/live_local.toml");
    let text = std::fs::read_to_string(&shipped).unwrap();
    let strategy = root.join("strategies/configs/roll_maker.toml");
    let replaced = text
        .replace("ws://127.0.0.1:8765/ws/api/v2", url)
        .replace(
            "\"roll_maker.toml\"",
            &format!("{:?}", strategy.display().to_string()),
        )
        .replace(
            "\"rollmaker-live.journal\"",
            &format!("{:?}", dir.join("journal.redb").display().to_string()),
        )
        .replace(
            "request_timeout_seconds = 10.0",
            "request_timeout_seconds = 3.0",
        )
        .replace("relist_seconds = 600.0", "relist_seconds = 2.0");
    assert_ne!(replaced, text);
    let path = dir.join("live.toml");
    std::fs::write(&path, replaced).unwrap();
    path
}

/// `rollmaker run` with `config`, and where its metrics are served.
pub fn service(config: &Path) -> (Proc, String) {
    let path = config.display().to_string();
    let p = Proc::spawn(&["run", "--config", &path, "--metrics", "127.0.0.1:0"]);
    let Some(line) = p.line("metrics on http://", Duration::from_secs(30)) else {
        panic!("no metrics address:\n{}", p.log())
    };
    let from = line.find("http://").unwrap() + "http://".len();
    let addr = line[from..].split('/').next().unwrap().to_string();
    (p, addr)
}

/// (status, body) of GET `path`.
pub fn get(addr: &str, path: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let _ = s.write_all(req.as_bytes());
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

/// A metric's value (0 when absent).
pub fn metric(addr: &str, name: &str) -> f64 {
    let (_, body) = get(addr, "/metrics");
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Waits up to `timeout` for `ok`.
pub fn until(timeout: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Asks the venue `method` as the service's account, on a connection of the test's own (no
/// cancel-on-disconnect: closing it cancels nothing).
pub fn ask(url: &str, method: &str, params: Value) -> Value {
    ask_as(url, "local", method, params)
}

/// [`ask`] as the account whose key is `id:id`, again on a new connection where one fails (the
/// faults the venue injects hit the test's connections too).
pub fn ask_as(url: &str, id: &str, method: &str, params: Value) -> Value {
    for _ in 0..100 {
        if let Some(v) = try_ask(url, id, method, &params) {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{method}: no answer from the venue in 100 tries")
}

fn try_ask(url: &str, id: &str, method: &str, params: &Value) -> Option<Value> {
    let (mut ws, _) = connect(url).ok()?;
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    }
    let mut call = |n: u64, method: &str, params: Value| -> Option<Value> {
        let req = json!({"jsonrpc": "2.0", "id": n, "method": method, "params": params});
        ws.send(Message::text(req.to_string())).ok()?;
        loop {
            let Message::Text(t) = ws.read().ok()? else {
                continue;
            };
            // A malformed frame (injected) is skipped.
            let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                continue;
            };
            if v["id"] == n {
                return v.get("result").cloned();
            }
        }
    };
    let auth = json!({"grant_type": "client_credentials", "client_id": id, "client_secret": id});
    call(1, "public/auth", auth)?;
    let answer = call(2, method, params.clone());
    let _ = ws.close(None);
    answer
}

/// Our open orders at the venue, by instrument: the directions they rest on.
pub fn our_open_orders(url: &str) -> BTreeMap<String, Vec<String>> {
    let open = ask(
        url,
        "private/get_open_orders_by_currency",
        json!({"currency": "ETH"}),
    );
    let mut by = BTreeMap::new();
    for o in open.as_array().unwrap() {
        if o["label"].as_str().is_some_and(|l| l.starts_with("rm-")) {
            let name = o["instrument_name"].as_str().unwrap().to_string();
            let side = o["direction"].as_str().unwrap().to_string();
            by.entry(name).or_insert_with(Vec::new).push(side);
        }
    }
    by
}

/// The test's taker trades one contract against one of the service's resting orders; whether
/// it did (none rests, or it moved first).
pub fn take_one(url: &str) -> bool {
    let open = ask(
        url,
        "private/get_open_orders_by_currency",
        json!({"currency": "ETH"}),
    );
    let ours = (open.as_array().unwrap().iter())
        .find(|o| o["label"].as_str().is_some_and(|l| l.starts_with("rm-")));
    let Some(o) = ours else { return false };
    let method = if o["direction"] == "sell" {
        "private/buy"
    } else {
        "private/sell"
    };
    let params = json!({"instrument_name": o["instrument_name"], "amount": 1.0,
                        "price": o["price"], "time_in_force": "immediate_or_cancel"});
    let r = ask_as(url, "taker", method, params);
    r["order"]["filled_amount"]
        .as_f64()
        .is_some_and(|f| f > 0.0)
}

/// The venue's positions of the account: instrument -> signed size.
pub fn venue_positions(url: &str) -> BTreeMap<String, f64> {
    let list = ask(url, "private/get_positions", json!({"currency": "ETH"}));
    (list.as_array().unwrap().iter())
        .map(|p| {
            (
                p["instrument_name"].as_str().unwrap().to_string(),
                p["size"].as_f64().unwrap(),
            )
        })
        .filter(|(_, s)| *s != 0.0)
        .collect()
}

/// The venue's trade ids of our orders.
pub fn venue_trade_ids(url: &str) -> Vec<String> {
    let r = ask(
        url,
        "private/get_user_trades_by_currency",
        json!({"currency": "ETH", "count": 1000, "historical": true}),
    );
    assert_eq!(
        r["has_more"],
        json!(false),
        "more than a page of our trades"
    );
    (r["trades"].as_array().unwrap().iter())
        .filter(|t| t["label"].as_str().is_some_and(|l| l.starts_with("rm-")))
        .map(|t| t["trade_id"].as_str().unwrap().to_string())
        .collect()
}

/// The journal's fills: (trade ids in order, positions by instrument as signed sizes, a
/// delivered one gone).
pub fn journal_fills(dir: &Path) -> (Vec<String>, BTreeMap<String, f64>) {
    let j = Journal::open(&dir.join("journal.redb")).unwrap();
    let mut ids = Vec::new();
    let mut positions: BTreeMap<String, f64> = BTreeMap::new();
    for (_, e) in j.entries().unwrap() {
        if let Entry::Fill {
            trade_id,
            instrument,
            side,
            amount,
            ..
        } = e
        {
            ids.push(trade_id);
            let sign = if side == "buy" { 1.0 } else { -1.0 };
            let size: f64 = amount.to_string().parse().unwrap();
            *positions.entry(instrument).or_default() += sign * size;
        } else if let Entry::Settled { instrument, .. } = e {
            positions.remove(&instrument);
        }
    }
    positions.retain(|_, s| *s != 0.0);
    (ids, positions)
}

/// The journal's deliveries: the instruments, in the order booked.
pub fn journal_settled(dir: &Path) -> Vec<String> {
    let j = Journal::open(&dir.join("journal.redb")).unwrap();
    (j.entries().unwrap().into_iter())
        .filter_map(|(_, e)| match e {
            Entry::Settled { instrument, .. } => Some(instrument),
            _ => None,
        })
        .collect()
}
