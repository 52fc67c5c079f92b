//! `rollmaker run` against `rollmaker venue` on loopback, both the binary a user runs: quotes
//! appear one-sided, fills reach the journal and the positions, SIGINT cancels everything and
//! exits 0, and `kill -9` ten times over loses and double-counts nothing.

mod live;

use live::*;
use std::collections::BTreeSet;
use std::time::Duration;

#[test]
fn quotes_rest_one_sided_fills_reach_the_journal_and_sigint_cancels_everything() {
    quote_fill_and_stop("service-quotes", false);
}

/// The same with the trading thread spinning and running the connection itself (`busy_poll`):
/// the orders written from there, the cancel-all at the stop too.
#[test]
fn spinning_with_the_connection_on_the_trading_thread_does_the_same() {
    quote_fill_and_stop("service-quotes-spin", true);
}

fn quote_fill_and_stop(name: &str, busy_poll: bool) {
    let dir = folder(name);
    let (_venue, url) = venue(&[]);
    let config = config(&dir, &url);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("busy_poll = false"), "the shipped default");
    let set = format!("busy_poll = {busy_poll}");
    std::fs::write(&config, text.replace("busy_poll = false", &set)).unwrap();
    let (mut svc, metrics) = service(&config);
    let quoting = until(Duration::from_secs(60), || {
        metric(&metrics, "rollmaker_quotes_live") > 0.0
    });
    assert!(quoting, "no quotes:\n{}", svc.log());
    assert_eq!(svc.count("the connection runs on it") > 0, busy_poll);
    let filled = until(Duration::from_secs(60), || {
        take_one(&url);
        metric(&metrics, "rollmaker_fills_total") >= 2.0
    });
    assert!(filled, "no fill in time:\n{}", svc.log());
    // The market's trades channel: ours are among them.
    assert!(metric(&metrics, "rollmaker_market_trades_total") >= 2.0);
    assert_eq!(
        get(&metrics, "/health").0,
        200,
        "{}",
        get(&metrics, "/health").1
    );
    let open = our_open_orders(&url);
    let held = venue_positions(&url);
    assert!(!open.is_empty());
    for (name, sides) in &open {
        let both = sides.iter().collect::<BTreeSet<_>>().len() > 1;
        // Both sides of one series only where inventory is offered back (the layoff).
        assert!(
            !both || held.contains_key(name),
            "{name}: {sides:?}, nothing held"
        );
    }
    svc.signal("INT");
    let status = svc.wait(Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}:\n{}",
        svc.log()
    );
    assert!(our_open_orders(&url).is_empty(), "orders left resting");
    // The venue's lists asked for once more after the cancel-all, and booked.
    let last = svc.line("reconciled before stopping", Duration::from_secs(5));
    assert!(last.is_some(), "{}", svc.log());
    let (ids, booked) = journal_fills(&dir);
    assert!(!ids.is_empty());
    assert_eq!(
        ids.len(),
        ids.iter().collect::<BTreeSet<_>>().len(),
        "a trade twice"
    );
    assert_eq!(booked, venue_positions(&url));
    // `rollmaker journal` reads the same back, as a restart books it.
    let shown = std::process::Command::new(env!("CARGO_BIN_EXE_rollmaker"))
        .arg("journal")
        .arg(dir.join("journal.redb"))
        .output()
        .unwrap();
    assert!(shown.status.success(), "{shown:?}");
    let read: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(read["fills"], ids.len());
    assert_eq!(read["distinct_trades"], ids.len());
    let positions: std::collections::BTreeMap<String, f64> = (read["positions"].as_object())
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().parse().unwrap()))
        .collect();
    assert_eq!(positions, booked);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ten_kill_9s_and_restarts_lose_and_double_count_nothing() {
    let dir = folder("service-kill9");
    let (_venue, url) = venue(&[]);
    let config = config(&dir, &url);
    for round in 0..10 {
        let (mut svc, metrics) = service(&config);
        // Quoting means reconciled with the venue's positions equal to the journal's: a gap
        // trips the kill switch and the health says so.
        let quoting = until(Duration::from_secs(60), || {
            get(&metrics, "/health").0 == 200
        });
        assert!(
            quoting,
            "round {round}: {:?}\n{}",
            get(&metrics, "/health"),
            svc.log()
        );
        // A fill, then the kill: on even rounds at once (the service may not have booked it
        // yet), on odd ones once it has.
        let took = until(Duration::from_secs(20), || take_one(&url));
        assert!(took, "round {round}: nothing to take:\n{}", svc.log());
        if round % 2 == 1 {
            let booked = until(Duration::from_secs(20), || {
                metric(&metrics, "rollmaker_fills_total") >= 1.0
            });
            assert!(booked, "round {round}: the fill was not booked");
        }
        svc.child.kill().unwrap();
        svc.wait(Duration::from_secs(10)).expect("killed");
    }
    let (mut svc, metrics) = service(&config);
    let quoting = until(Duration::from_secs(60), || {
        get(&metrics, "/health").0 == 200
    });
    assert!(quoting, "{:?}\n{}", get(&metrics, "/health"), svc.log());
    svc.signal("TERM");
    let status = svc.wait(Duration::from_secs(20));
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    let (ids, booked) = journal_fills(&dir);
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "a trade booked twice");
    let at_venue: BTreeSet<String> = venue_trade_ids(&url).into_iter().collect();
    assert_eq!(unique, at_venue, "the journal's trades are not the venue's");
    assert!(unique.len() >= 10, "{} fills in ten rounds", unique.len());
    assert_eq!(booked, venue_positions(&url));
    eprintln!(
        "10 kills: {} fills journaled, {} positions",
        ids.len(),
        booked.len()
    );
    std::fs::remove_dir_all(&dir).ok();
}
