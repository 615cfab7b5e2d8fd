//! edge on NATS: the names, connecting with clear errors, and creating the streams,
//! consumer and buckets that `nats/` defines.

mod events;
pub mod names;
mod setup;

pub use events::{EventPublisher, publish_done};
pub use setup::{
    DEAD_LETTER_HANDLERS_CONSUMER, EXECUTORS_CONSUMER, Platform, WEBHOOK_SENDERS_CONSUMER, connect, ensure_consumer,
    ensure_platform,
};
