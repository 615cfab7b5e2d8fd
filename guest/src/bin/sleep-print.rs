//! Prints `line <i>` COUNT times, sleeping INTERVAL_MS before each: `sleep-print 10 200`.
use std::io::Write;
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let count: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let interval_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    for i in 1..=count {
        std::thread::sleep(Duration::from_millis(interval_ms));
        println!("line {i}");
        std::io::stdout().flush().expect("flush");
    }
}
