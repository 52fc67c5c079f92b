//! `rollmaker book-demo`: a scripted session that shows the engine at work, printed in decimals.

use crate::out::out;
use anyhow::{Context, Result};
use engine::instrument::Instrument;
use engine::matching::{MatchEvent, MatchingEngine, NewOrder, OwnerId, PostOnly};
use engine::position::{Fill, Ledger};
use engine::{InstrumentId, Side, Timestamp};
use rust_decimal::Decimal;

const MAKER: OwnerId = OwnerId(1);
const OTHER: OwnerId = OwnerId(2);
const ROLLER: OwnerId = OwnerId(3);

/// The session: (who, side, price, amount, post-only, what it shows).
const SCRIPT: [(OwnerId, Side, &str, &str, PostOnly, &str); 6] = [
    (
        MAKER,
        Side::Sell,
        "0.0125",
        "5",
        PostOnly::Reject,
        "maker offers the call",
    ),
    (
        OTHER,
        Side::Sell,
        "0.0125",
        "3",
        PostOnly::Off,
        "another offer joins behind it",
    ),
    (
        OTHER,
        Side::Sell,
        "0.0140",
        "4",
        PostOnly::Off,
        "a higher offer",
    ),
    (
        MAKER,
        Side::Buy,
        "0.0110",
        "2",
        PostOnly::Off,
        "maker bids below",
    ),
    (
        ROLLER,
        Side::Buy,
        "0.0130",
        "6",
        PostOnly::Slide,
        "post-only bid through the offer slides one tick behind it",
    ),
    (
        ROLLER,
        Side::Buy,
        "0.0140",
        "7",
        PostOnly::Off,
        "a roller crosses: fills in price-time order",
    ),
];

pub fn run() -> Result<()> {
    let inst = Instrument::deribit("ETH-27MAR26-2000-C")?;
    let mut book = MatchingEngine::new(inst.tick_rule().clone());
    let mut ledger = [Ledger::new(), Ledger::new(), Ledger::new(), Ledger::new()];
    out!(
        "book demo on {} (prices in ETH, sizes in contracts)\n",
        inst.name()
    );

    let mut events = Vec::new();
    for (owner, side, price, amount, post_only, what) in SCRIPT {
        let mut order = NewOrder::limit(
            owner,
            side,
            inst.parse_price(price)?,
            inst.parse_qty(amount)?,
        );
        order.post_only = post_only;
        events.clear();
        out!("> owner {} {side} {amount} @ {price} ({what})", owner.0);
        match book.submit(order, &mut events) {
            Ok(id) => out!("  accepted as {id}"),
            Err(reject) => out!("  rejected: {reject}"),
        }
        for e in &events {
            print_event(&inst, e)?;
            for x in e.executions().into_iter().flatten() {
                let fill = Fill::from_execution(InstrumentId(0), &x, Decimal::ZERO, Timestamp(0));
                ledger[x.owner.0 as usize]
                    .apply(&inst, &fill)
                    .context("applying a fill")?;
            }
        }
    }

    print_book(&inst, &book, &ledger)
}

/// The book left, and each owner's position.
fn print_book(inst: &Instrument, book: &MatchingEngine, ledger: &[Ledger]) -> Result<()> {
    out!("\nbook:");
    for side in [Side::Sell, Side::Buy] {
        for (price, qty, count) in book.levels(side) {
            out!(
                "  {side:4} {:>8} x {:>3} ({count} orders)",
                inst.price_decimal(price),
                inst.qty_decimal(qty)
            );
        }
    }
    out!("\npositions (fees left out):");
    for (who, l) in ledger.iter().enumerate() {
        for (_, p) in l.iter() {
            out!(
                "  owner {who}: {} contracts, avg {}, realized {} ETH",
                inst.qty_decimal(p.size()),
                p.avg_price(inst)
                    .map_or("-".into(), |d| d.round_dp(6).to_string()),
                p.realized_pnl()
            );
        }
    }
    Ok(())
}

fn print_event(inst: &Instrument, e: &MatchEvent) -> Result<()> {
    let px = |p| inst.price_decimal(p);
    let q = |q| inst.qty_decimal(q);
    match *e {
        MatchEvent::Fill {
            maker,
            taker,
            price,
            qty,
            maker_remaining,
            ..
        } => out!(
            "  fill {} @ {}: maker {maker} (left {}), taker {taker}",
            q(qty),
            px(price),
            q(maker_remaining)
        ),
        MatchEvent::Rested {
            id,
            side,
            price,
            qty,
            ..
        } => {
            out!("  {id} rests: {side} {} @ {}", q(qty), px(price))
        }
        MatchEvent::Cancelled {
            id,
            remaining,
            reason,
            ..
        } => {
            out!("  {id} cancelled ({reason:?}), {} left", q(remaining))
        }
        MatchEvent::Amended {
            id,
            price,
            qty,
            kept_priority,
            ..
        } => out!(
            "  {id} amended to {} @ {} (priority kept: {kept_priority})",
            q(qty),
            px(price)
        ),
    }
    Ok(())
}
