//! The service against Deribit's chain replayed by the local venue (four snapshots a day, a day
//! in about a second): an option it holds expires while it runs and is delivered, booked from
//! the settlement history (journaled once, with those of the series it traded itself), its
//! positions still the venue's, and a restart after `kill -9` replays the delivery and
//! reconciles clean; and a fill made while it was away for more than a day of the venue's time
//! (beyond Deribit's recent trades) is found among the trades since its last fill; and series
//! the venue lists while it runs are taken on and read.

mod live;

use live::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn a_held_option_is_delivered_booked_once_and_survives_a_restart() {
    let Some(data) = chain() else { return };
    let dir = folder("service-expiry");
    // Four snapshots a day, one every 300 ms: the 27MAR26 expiry about 8 s in.
    let flags = ["--data", data, "--from", "2026-03-20", "--to", "2026-04-10"];
    let (_venue, url) = venue(&[&flags[..], &["--step-ms", "300"]].concat());
    // The service's account holds a 27MAR26 call before it starts: the reconcile books it.
    let name = call(&url, "-27MAR26-");
    buy_from_the_taker(&url, &name, "rm-5");
    let config = config(&dir, &url);
    let (mut svc, metrics) = service(&config);
    let told = format!("{name}: delivered at");
    let delivered = until(Duration::from_secs(60), || svc.count(&told) > 0);
    assert!(delivered, "no delivery booked:\n{}", svc.log());
    assert!(!venue_positions(&url).contains_key(&name));
    let health = get(&metrics, "/health").1;
    assert!(!health.contains("killed"), "{health}\n{}", svc.log());
    svc.signal("KILL");
    svc.wait(Duration::from_secs(10));
    // Journaled before it was booked (others the service traded on that expiry too), each once.
    let settled = journal_settled(&dir);
    assert!(settled.contains(&name), "{settled:?}");
    let distinct: std::collections::BTreeSet<_> = settled.iter().collect();
    assert_eq!(distinct.len(), settled.len(), "{settled:?}");
    // Restarted: the delivery replayed, the positions equal the venue's, quoting again.
    let (mut svc, metrics) = service(&config);
    let reconciled = until(Duration::from_secs(60), || {
        svc.count("reconciled: quoting") > 0
    });
    assert!(reconciled, "{}", svc.log());
    let health = get(&metrics, "/health").1;
    assert!(!health.contains("killed"), "{health}\n{}", svc.log());
    svc.signal("INT");
    svc.wait(Duration::from_secs(20));
    assert_eq!(journal_settled(&dir), settled, "each booked once");
    assert_eq!(journal_fills(&dir).1, venue_positions(&url));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_fill_made_more_than_a_day_away_is_found_and_booked() {
    let Some(data) = chain() else { return };
    let dir = folder("service-away");
    let flags = ["--data", data, "--from", "2026-03-20", "--to", "2026-04-30"];
    let (_venue, url) = venue(&[&flags[..], &["--step-ms", "300"]].concat());
    let config = config(&dir, &url);
    let (mut svc, metrics) = service(&config);
    // A fill journaled: the trades since it are what a restart asks for.
    let filled = until(Duration::from_secs(60), || {
        take_one(&url);
        metric(&metrics, "rollmaker_fills_total") >= 1.0
    });
    assert!(filled, "no fill:\n{}", svc.log());
    svc.signal("KILL");
    svc.wait(Duration::from_secs(10));
    // Away: a fill of the account's (its label scheme), then two days of the venue's time.
    let name = call(&url, "-24APR26-");
    buy_from_the_taker(&url, &name, "rm-7");
    std::thread::sleep(Duration::from_millis(2_500));
    let recent = ask(
        &url,
        "private/get_user_trades_by_currency",
        json!({"currency": "ETH", "count": 1000}),
    );
    let seen =
        (recent["trades"].as_array().unwrap().iter()).any(|t| t["instrument_name"] == json!(name));
    assert!(
        !seen,
        "still among the recent trades: the test shows nothing"
    );
    let (mut svc, metrics) = service(&config);
    let reconciled = until(Duration::from_secs(60), || {
        svc.count("reconciled: quoting") > 0
    });
    assert!(reconciled, "{:?}\n{}", get(&metrics, "/health"), svc.log());
    svc.signal("INT");
    svc.wait(Duration::from_secs(20));
    let (_, booked) = journal_fills(&dir);
    assert_eq!(booked.get(&name), Some(&2.0), "{booked:?}");
    assert_eq!(booked, venue_positions(&url));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_position_no_fill_of_ours_explains_trips_the_kill_switch_after_three_looks() {
    let Some(data) = chain() else { return };
    let dir = folder("service-gap");
    let flags = ["--data", data, "--from", "2026-03-20", "--to", "2026-04-30"];
    let (_venue, url) = venue(&flags);
    // Another client on the account (no label of ours) buys: a position the journal cannot
    // explain, in every list the venue gives.
    let name = call(&url, "-24APR26-");
    buy_from_the_taker(&url, &name, "");
    let config = config(&dir, &url);
    let (mut svc, metrics) = service(&config);
    let killed = until(Duration::from_secs(60), || {
        svc.count("kill switch: 1 positions differ from the venue's") > 0
    });
    assert!(killed, "{}", svc.log());
    // Looked at three times (a gap on one look may be lists taken at different moments).
    let again = svc.count("1 positions differ from the venue's; asking again");
    assert_eq!(again, 2, "{}", svc.log());
    assert_eq!(svc.count(&format!("position {name}: 0 lots booked")), 1);
    let health = get(&metrics, "/health").1;
    assert!(health.contains("killed"), "{health}");
    assert!(our_open_orders(&url).values().all(|o| o.is_empty()));
    svc.signal("INT");
    svc.wait(Duration::from_secs(20));
    std::fs::remove_dir_all(&dir).ok();
}

/// The shared chain snapshots, if they are beside the repository.
fn chain() -> Option<&'static str> {
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/deribit_eth_chain"
    );
    if !std::path::Path::new(data).exists() {
        eprintln!("skipped: {data} is not here");
        return None;
    }
    Some(data)
}

/// The listed call of the expiry `code` (`-27MAR26-`) with the highest strike: 0.5 ETH is far
/// above its market, so only the test's orders trade at it.
fn call(url: &str, code: &str) -> String {
    let listed = ask(url, "public/get_instruments", json!({"currency": "ETH"}));
    let strike = |n: &str| n.split('-').nth(2).and_then(|k| k.parse::<u64>().ok());
    (listed.as_array().unwrap().iter())
        .filter_map(|i| i["instrument_name"].as_str())
        .filter(|n| n.contains(code) && n.ends_with("-C"))
        .max_by_key(|n| strike(n))
        .expect("a call of that expiry listed")
        .to_string()
}

/// The service's account buys 2 `name` at 0.5 from the taker, as an order labelled `label`.
fn buy_from_the_taker(url: &str, name: &str, label: &str) {
    let order =
        |label: &str| json!({"instrument_name": name, "amount": 2.0, "price": 0.5, "label": label});
    ask_as(url, "taker", "private/sell", order(""));
    let bought = ask(url, "private/buy", order(label));
    assert_eq!(bought["order"]["filled_amount"], json!(2.0), "{bought}");
}

#[test]
fn series_listed_while_running_are_taken_on_and_read() {
    let Some(data) = chain() else { return };
    let dir = folder("service-listing");
    let flags = ["--data", data, "--from", "2026-03-20", "--to", "2026-04-30"];
    let (_venue, url) = venue(&[&flags[..], &["--step-ms", "300"]].concat());
    let config = config(&dir, &url);
    // A day of the replay a second and a quarter: its books jump under quotes in flight, and
    // the post-only rejects that follow are not what this test is about.
    let text = std::fs::read_to_string(&config).unwrap();
    let relaxed = text.replace(
        "max_rejects_per_minute = 60 ",
        "max_rejects_per_minute = 100000 ",
    );
    assert_ne!(relaxed, text);
    std::fs::write(&config, relaxed).unwrap();
    let (mut svc, metrics) = service(&config);
    let listed = until(Duration::from_secs(60), || {
        svc.count("new instruments listed") >= 2
    });
    assert!(listed, "nothing listed since the start:\n{}", svc.log());
    // Their books and tickers are read like the rest (nothing unreadable: no fault is injected
    // here; the gateway without the new registry would find them "not listed").
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        metric(&metrics, "rollmaker_malformed_total"),
        0.0,
        "{}",
        svc.log()
    );
    // Not killed (quoting, or reconciling after a time-out under load).
    let health = get(&metrics, "/health").1;
    assert!(!health.contains("killed"), "{health}\n{}", svc.log());
    svc.signal("INT");
    let status = svc.wait(Duration::from_secs(20));
    assert!(status.is_some_and(|s| s.success()), "{}", svc.log());
    std::fs::remove_dir_all(&dir).ok();
}
