//! An `edge:platform/job` component: counts the primes up to N (the input, as text;
//! default 200000) in ten steps, reporting progress after each, and returns the count.

mod bindings {
    wit_bindgen::generate!({ world: "job", path: "../wit" });
}

use bindings::edge::platform::host::{self, Level};
use bindings::exports::edge::platform::handler::Guest;

struct ProgressDemo;

impl Guest for ProgressDemo {
    fn run(input: Vec<u8>) -> Result<Vec<u8>, String> {
        let text = String::from_utf8(input).map_err(|_| "the input must be a number as text".to_string())?;
        let text = text.trim();
        let limit: u64 =
            if text.is_empty() { 200_000 } else { text.parse().map_err(|_| format!("{text:?} is not a number"))? };
        host::log(Level::Info, &format!("counting primes up to {limit}"));
        let steps = 10;
        let mut count = 0u64;
        for step in 0..steps {
            let from = limit * step / steps + 1;
            let to = limit * (step + 1) / steps;
            count += (from..=to).filter(|&n| is_prime(n)).count() as u64;
            let percent = u8::try_from((step + 1) * 100 / steps).unwrap_or(100);
            host::progress(percent, &format!("{count} primes up to {to}"));
        }
        Ok(format!("{count}\n").into_bytes())
    }
}

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

bindings::export!(ProgressDemo with_types_in bindings);

// A component has no `main`; Rust's bin target wants one.
fn main() {}
