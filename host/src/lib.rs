//! `edge`: run WebAssembly components as sandboxed jobs over NATS JetStream and as edge
//! functions. The `edge` binary is a thin shell over [`cli`]; the library exists so the
//! benchmarks can drive the [`runtime`] directly.

pub mod cli;
#[doc(hidden)]
pub mod fuzzing;
pub mod logging;
pub mod runtime;

mod api;
mod auth;
mod clock;
mod components;
mod executor;
mod functions;
mod jobs;
mod micro;
mod nats;
mod telemetry;
mod webhooks;
