//! Hostile: prints every environment variable it can see, `KEY=VALUE` a line.
fn main() {
    for (key, value) in std::env::vars() {
        println!("{key}={value}");
    }
}
