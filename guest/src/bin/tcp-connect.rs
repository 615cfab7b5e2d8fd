//! Hostile: tries to open a TCP connection to the address given (`127.0.0.1:PORT`)
//! and write to it. Exits 0 if it got through.
use std::io::Write;

fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:80".to_string());
    match std::net::TcpStream::connect(&addr) {
        Ok(mut stream) => {
            let _ = stream.write_all(b"escaped\n");
            println!("connected to {addr}");
        }
        Err(e) => {
            eprintln!("cannot connect to {addr}: {e}");
            edge_guests::exit(3);
        }
    }
}
