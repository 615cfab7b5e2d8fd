//! What the guests share.

pub mod http;

use std::io::Write;

/// Exits with `code`. Rust's std reports only 0 or 1 on wasip2 (`wasi:cli/exit.exit`
/// takes a result); `exit-with-code` carries the real code.
pub fn exit(code: u8) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    wasip2::cli::exit::exit_with_code(code);
    unreachable!("exit-with-code returned")
}
