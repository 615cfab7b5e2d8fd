//! The wasmtime side of edge, narrowed to what executors need: one engine with the pooling
//! allocator and an epoch ticker, a sandboxed store per job, and a cache of ready-to-run
//! components.

mod bindings;
mod cache;
mod cancel;
mod engine;
mod http;
mod limiter;
mod outbound;
mod output;
mod run;
mod sandbox;

pub use cache::{CacheError, ComponentCache, ComponentSource, LoadedFrom};
pub use cancel::CancelSignal;
pub use engine::{EngineSettings, Runtime};
pub use http::{RequestLimits, ServeError};
pub use outbound::OutboundPolicy;
pub use output::{GuestEvent, StreamKind};
pub use run::Ready;
pub use run::{RunInput, RunOutcome};
