//! Raw SVI slices (placeholder filled below).
