//! Jobs: the limits a job may ask for, the records in the `edge_jobs` bucket, and
//! dispatching a request to the executors.

mod cancel;
mod dead_letters;
mod dispatch;
mod end;
mod follow;
mod idempotency;
pub mod limits;
mod retry;
mod store;

pub use cancel::CancelOutcome;
pub use dead_letters::DeadLetters;
pub use dispatch::{Dispatcher, SubmitError};
pub(crate) use dispatch::{ValidRequest, validate};
pub use end::announce_end;
pub use follow::{FollowError, follow};
pub use idempotency::{IdempotencyError, IdempotencyKeys};
pub use limits::{LimitError, LimitPolicy};
pub use retry::RetryError;
pub use store::{JobStore, JobStoreError, QUEUED};
