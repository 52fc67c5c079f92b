//! `rollmaker run` against a `rollmaker venue` that misbehaves on purpose: a hundred dropped
//! connections leave no order the service does not know of; malformed frames, lost book
//! changes, a venue that stops answering and rate-limit errors are survived, counted, and the
//! service keeps quoting; a Market Maker Protection trigger pauses it for the frozen time. Each
//! test prints what was injected and what the service counted.

mod live;

use live::*;
use std::collections::BTreeSet;
use std::time::Duration;

/// The venue's count of `name` from its `injected:` line (printed when it is stopped).
fn injected(venue: &mut Proc, name: &str) -> u64 {
    let line = venue
        .line("injected:", Duration::from_secs(10))
        .unwrap_or_default();
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        if w == name {
            return words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        }
    }
    0
}

/// Stops the service with SIGINT (exit 0, nothing left resting), checks its journal's fills
/// against the venue's positions and trades, then stops the venue (which prints its counts).
fn stop_both(svc: &mut Proc, venue: &mut Proc, url: &str, dir: &std::path::Path) {
    svc.signal("INT");
    let status = svc.wait(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}:\n{}",
        svc.log()
    );
    assert!(our_open_orders(url).is_empty(), "orders left resting");
    let (ids, booked) = journal_fills(dir);
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "a trade booked twice");
    let log = svc.log();
    let stop_lines: Vec<&str> = (log.lines())
        .filter(|l| l.contains("stop") || l.contains("cancel_all") || l.contains("disconnected"))
        .collect();
    let stop_lines = stop_lines[stop_lines.len().saturating_sub(20)..].join("\n");
    assert_eq!(
        unique,
        venue_trade_ids(url).into_iter().collect(),
        "the journal's trades against the venue's; the service's last stop lines:\n{stop_lines}"
    );
    assert_eq!(booked, venue_positions(url));
    venue.signal("TERM");
    venue.wait(Duration::from_secs(10));
}

#[test]
fn a_hundred_dropped_connections_leave_no_orphan_order() {
    let dir = folder("service-drops");
    // Two drops a second per connection: a hundred in about a minute.
    let (mut venue, url) = venue(&["--drop-per-minute", "120", "--fault-seed", "7"]);
    let (mut svc, metrics) = service(&config(&dir, &url));
    let mut quoted_between = 0;
    let mut last = 0.0;
    let dropped = until(Duration::from_secs(240), || {
        let n = metric(&metrics, "rollmaker_reconnects_total");
        if n > last && metric(&metrics, "rollmaker_quotes_live") > 0.0 {
            quoted_between += 1;
            last = n;
        }
        take_one(&url);
        n >= 100.0
    });
    assert!(
        dropped,
        "{} reconnects:\n{}",
        metric(&metrics, "rollmaker_reconnects_total"),
        svc.log()
    );
    let fills = metric(&metrics, "rollmaker_fills_total");
    let reconnects = metric(&metrics, "rollmaker_reconnects_total");
    stop_both(&mut svc, &mut venue, &url, &dir);
    let orphans = svc.count("rests unknown");
    eprintln!(
        "drops: venue dropped {}, service reconnected {reconnects}, quoted between drops \
         {quoted_between} times, {fills} fills, orphans found {orphans}",
        injected(&mut venue, "dropped"),
    );
    assert_eq!(orphans, 0, "orders the service did not know of");
    assert!(
        quoted_between >= 10,
        "it hardly quoted between drops: {quoted_between}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_frames_gaps_a_silent_venue_and_rate_limits_are_survived_and_counted() {
    let dir = folder("service-faults");
    // The venue allows 8 requests a second and tells 25: the service meets the limit.
    let faults = [
        "--malformed",
        "0.001",
        "--lose-book-changes",
        "0.01",
        "--hang-per-minute",
        "12",
        "--rate-limit",
        "8:40",
        "--tell-rate-limit",
        "25:120",
        "--fault-seed",
        "3",
    ];
    let (mut venue, url) = venue(&faults);
    let (mut svc, metrics) = service(&config(&dir, &url));
    let names = [
        "rollmaker_malformed_total",
        "rollmaker_book_gaps_total",
        "rollmaker_reconnects_total",
        "rollmaker_rate_limited_total",
    ];
    let all_seen = until(Duration::from_secs(300), || {
        take_one(&url);
        names.iter().all(|n| metric(&metrics, n) >= 1.0)
            && svc.count("disconnected (the session ended: no message from the venue") >= 1
    });
    let counts: Vec<String> = names
        .iter()
        .map(|n| format!("{n} {}", metric(&metrics, n)))
        .collect();
    assert!(all_seen, "{counts:?}\n{}", svc.log());
    // The faults end (a connection that hangs at 12 a minute may hang during the stop, whose
    // cancel-all then goes unanswered and the journal waits for the next start: CI saw a trade
    // made on a hung connection missing from it). A hung connection speaks again, what it
    // missed stays missed: the stop's reconcile must find it.
    venue.signal("USR1");
    assert!(venue
        .line("faults ended", Duration::from_secs(10))
        .is_some());
    // Still up, and quoting again once the last fault has passed.
    let quoting = until(Duration::from_secs(60), || {
        take_one(&url);
        get(&metrics, "/health").0 == 200
    });
    assert!(quoting, "{:?}", get(&metrics, "/health"));
    let silent = svc.count("disconnected (the session ended: no message from the venue");
    stop_both(&mut svc, &mut venue, &url, &dir);
    let line = venue
        .line("injected:", Duration::from_secs(5))
        .unwrap_or_default();
    eprintln!("faults: {line}\nservice: {counts:?}, silent venue noticed {silent} times");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_venue_that_refuses_every_order_trips_the_kill_switch() {
    let dir = folder("service-refused");
    let (mut venue, url) = venue(&["--refuse-orders", "1.0"]);
    let (mut svc, metrics) = service(&config(&dir, &url));
    let killed = until(Duration::from_secs(60), || {
        get(&metrics, "/health")
            .1
            .contains("orders rejected within a minute")
    });
    assert!(killed, "{:?}\n{}", get(&metrics, "/health"), svc.log());
    assert_eq!(get(&metrics, "/health").0, 503);
    assert!(our_open_orders(&url).is_empty(), "everything cancelled");
    svc.signal("INT");
    let status = svc.wait(Duration::from_secs(20));
    assert!(status.is_some_and(|s| s.success()), "{}", svc.log());
    venue.signal("TERM");
    venue.wait(Duration::from_secs(10));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_market_maker_protection_trigger_pauses_the_quoting_until_the_freeze_ends() {
    let dir = folder("service-mmp");
    let (mut venue, url) = venue(&[]);
    let config = config(&dir, &url);
    // A limit of one contract within a minute: the test's second take trips it.
    let mmp = "\n[mmp]\ninterval_seconds = 60\nfrozen_seconds = 6\nquantity_limit = 1.0\n\
               max_quote_quantity = 50.0\n";
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}{mmp}")).unwrap();
    let (mut svc, metrics) = service(&config);
    let quoting = until(Duration::from_secs(60), || {
        get(&metrics, "/health").0 == 200
    });
    assert!(quoting, "{}", svc.log());
    let set = ask(&url, "private/get_mmp_config", serde_json::json!({}));
    assert_eq!(set[0]["quantity_limit"], 1.0, "set at the sign-in: {set}");
    let tripped = until(Duration::from_secs(60), || {
        take_one(&url);
        metric(&metrics, "rollmaker_mmp_triggers_total") >= 1.0
    });
    assert!(tripped, "{}", svc.log());
    // Paused, saying why (the health is published every 100 ms), with nothing of ours resting
    // (the venue cancelled every quote)...
    let paused = until(Duration::from_secs(2), || {
        let (code, why) = get(&metrics, "/health");
        code == 503 && why.contains("market maker protection")
    });
    assert!(paused, "{:?}", get(&metrics, "/health"));
    assert!(our_open_orders(&url).is_empty(), "quotes rest while frozen");
    // Killed and started again within the freeze (no channel tells of it now): the reconcile
    // asks the venue's status and the service stays paused...
    let status = ask(&url, "private/get_mmp_status", serde_json::json!({}));
    assert!(status[0]["frozen_until"].as_i64() > Some(0), "{status}");
    svc.signal("KILL");
    svc.wait(Duration::from_secs(10));
    let (mut svc, metrics) = service(&config);
    let paused = until(Duration::from_secs(5), || {
        let (code, why) = get(&metrics, "/health");
        code == 503 && why.contains("market maker protection")
    });
    assert!(paused, "{:?}\n{}", get(&metrics, "/health"), svc.log());
    assert!(our_open_orders(&url).is_empty(), "quotes rest while frozen");
    // ...then quoting again once the freeze is over.
    let back = until(Duration::from_secs(30), || {
        get(&metrics, "/health").0 == 200 && !our_open_orders(&url).is_empty()
    });
    assert!(back, "{:?}\n{}", get(&metrics, "/health"), svc.log());
    stop_both(&mut svc, &mut venue, &url, &dir);
    std::fs::remove_dir_all(&dir).ok();
}
