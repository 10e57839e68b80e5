//! The cache's notion of "now": milliseconds since the Unix epoch.
//!
//! Expiry deadlines are absolute wall-clock milliseconds so that the disk tier can keep them
//! across a restart. The reading itself comes from a monotonic source anchored to the wall
//! clock once, so a wall-clock step (NTP, a VM resume) cannot make entries live longer or
//! die early while the process runs, and tests can drive time with a
//! [`ManualClock`](crate::clock::ManualClock).

use crate::clock::{Clock, NanoClock};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub(crate) type UnixMillis = u64;

/// The clock every tier of one cache reads.
#[derive(Debug, Clone)]
pub(crate) struct CacheClock {
    source: NanoClock,
    /// Wall-clock milliseconds at the source's zero.
    anchor_ms: UnixMillis,
}

fn wall_ms() -> UnixMillis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl CacheClock {
    /// The real clock.
    pub(crate) fn system() -> Self {
        Self {
            source: NanoClock::new(None),
            anchor_ms: wall_ms(),
        }
    }

    /// `clock`'s current reading is taken to be the wall clock's now.
    pub(crate) fn custom(clock: Arc<dyn Clock>) -> Self {
        let since_zero = u64::try_from(clock.now().as_millis()).unwrap_or(u64::MAX);
        Self {
            source: NanoClock::new(Some(clock)),
            anchor_ms: wall_ms().saturating_sub(since_zero),
        }
    }

    /// Now, in milliseconds since the Unix epoch.
    #[inline]
    pub(crate) fn now_ms(&self) -> UnixMillis {
        self.anchor_ms.saturating_add(self.source.now() / 1_000_000)
    }
}

impl Default for CacheClock {
    fn default() -> Self {
        Self::system()
    }
}
