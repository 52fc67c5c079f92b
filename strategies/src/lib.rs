//! Quoting logic behind one `Strategy` trait (issue 4). Nothing here yet: the crate exists so the
//! workspace shows the architecture; the strategy issue fills it.
