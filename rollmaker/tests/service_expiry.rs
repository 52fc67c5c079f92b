//! An option the service holds expires while it runs: the venue delivers it (its market is
//! Deribit's chain replayed across the 27 March 2026 expiry), the service books the delivery
//! from the settlement history (journaled once, with those of the series it traded itself), its positions still equal the venue's (no kill
//! switch), and a restart after `kill -9` replays the delivery and reconciles clean.

mod live;

use live::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn a_held_option_is_delivered_booked_once_and_survives_a_restart() {
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/deribit_eth_chain"
    );
    if !std::path::Path::new(data).exists() {
        eprintln!("skipped: {data} is not here");
        return;
    }
    let dir = folder("service-expiry");
    // Four snapshots a day, one every 300 ms: the 27MAR26 expiry about 8 s in.
    let flags = ["--data", data, "--from", "2026-03-20", "--to", "2026-04-10"];
    let (_venue, url) = venue(&[&flags[..], &["--step-ms", "300"]].concat());
    // The service's account holds a 27MAR26 call before it starts (an order of its label
    // scheme, filled by the taker's): the reconcile books it.
    let listed = ask(&url, "public/get_instruments", json!({"currency": "ETH"}));
    // The highest strike's: 0.5 ETH is far above its market, so only the two orders trade.
    let strike = |n: &str| n.split('-').nth(2).and_then(|k| k.parse::<u64>().ok());
    let name = (listed.as_array().unwrap().iter())
        .filter_map(|i| i["instrument_name"].as_str())
        .filter(|n| n.contains("-27MAR26-") && n.ends_with("-C"))
        .max_by_key(|n| strike(n))
        .expect("a 27MAR26 call listed")
        .to_string();
    let order =
        |label: &str| json!({"instrument_name": name, "amount": 2.0, "price": 0.5, "label": label});
    ask_as(&url, "taker", "private/sell", order(""));
    let bought = ask(&url, "private/buy", order("rm-5"));
    assert_eq!(bought["order"]["filled_amount"], json!(2.0), "{bought}");
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
