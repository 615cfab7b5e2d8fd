//! Hostile: writes to stdout as fast as it can, forever.
use std::io::Write;

fn main() {
    let line = [b'x'; 1023];
    let mut out = std::io::stdout().lock();
    loop {
        if out.write_all(&line).and_then(|()| out.write_all(b"\n")).is_err() {
            // A closed stream is no reason to stop flooding: try again.
            continue;
        }
    }
}
