//! Components: checking uploaded bytes, and the registry of names, versions and bytes kept
//! in NATS.

mod inspect;
mod names;
mod source;
mod store;

pub use inspect::{InspectError, inspect};
pub use source::NatsSource;
pub use store::{ComponentRef, ComponentStore, NameError, StoreError, read_object, validate_name};
