//! The commands the README shows keep working.

use std::process::Command;

fn rollmaker(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rollmaker"))
        .args(args)
        .output()
        .expect("the rollmaker binary runs")
}

#[test]
fn book_demo_trades_and_prints_positions() {
    let out = rollmaker(&["book-demo"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("fill 5 @ 0.0125"), "{text}");
    assert!(
        text.contains("rests: buy 6 @ 0.0120"),
        "post-only slide: {text}"
    );
    assert!(text.contains("owner 3: 7 contracts"), "{text}");
}

#[test]
fn instrument_prints_terms_and_refuses_bad_names_with_exit_2() {
    let out = rollmaker(&["instrument", "ETH-5JAN26-1500-P"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("2026-01-05T08:00:00Z"));
    let out = rollmaker(&["instrument", "ETH-5JAN26-1500-X"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'ETH-5JAN26-1500-X': option right must be C or P"),
        "{err}"
    );
}
