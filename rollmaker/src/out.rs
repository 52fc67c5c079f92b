//! Standard output that never panics: `println!` panics when the reader has gone (`| head`); `out!`
//! returns the write's error instead (the function using it must return `anyhow::Result`), and
//! `main` treats a broken pipe as a normal end.

/// `println!` that returns a failed write as the enclosing function's error.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?;
    }};
}
pub(crate) use out;
