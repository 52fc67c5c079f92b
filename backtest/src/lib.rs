//! The backtester: data readers, synthetic market, roll demand, fill simulation, reports (issue 5).
//! Nothing here yet.
