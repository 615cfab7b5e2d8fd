//! Jobs: the limits a job may ask for, the records in the `edge_jobs` bucket, and
//! dispatching a request to the executors.

mod cancel;
mod dispatch;
mod end;
mod follow;
pub mod limits;
mod store;

pub use cancel::CancelOutcome;
pub use dispatch::{Dispatcher, SubmitError};
pub use end::announce_end;
pub use follow::{FollowError, follow};
pub use limits::{LimitError, LimitPolicy};
pub use store::{JobStore, JobStoreError};
