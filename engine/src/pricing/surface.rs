//! Vol surface (placeholder filled below).
