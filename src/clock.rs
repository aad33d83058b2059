//! Where "now" comes from, so timestamp windows and lease expiry can be tested.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock: the default everywhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that moves only when told to; clones share the same time.
///
/// ```
/// use webhook_receiver::clock::{Clock, ManualClock};
/// let clock = ManualClock::at_unix(1_649_367_553);
/// clock.advance(time::Duration::seconds(301));
/// assert_eq!(clock.now().unix_timestamp(), 1_649_367_854);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    unix_nanos: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `unix_seconds`.
    #[must_use]
    pub fn at_unix(unix_seconds: i64) -> Self {
        Self {
            unix_nanos: Arc::new(AtomicI64::new(unix_seconds.saturating_mul(1_000_000_000))),
        }
    }

    /// A clock standing at `time`.
    #[must_use]
    pub fn at(time: OffsetDateTime) -> Self {
        let nanos = i64::try_from(time.unix_timestamp_nanos()).unwrap_or(i64::MAX);
        Self {
            unix_nanos: Arc::new(AtomicI64::new(nanos)),
        }
    }

    /// Moves the clock by `by` (which may be negative).
    pub fn advance(&self, by: Duration) {
        let nanos = i64::try_from(by.whole_nanoseconds()).unwrap_or(i64::MAX);
        self.unix_nanos.fetch_add(nanos, Ordering::SeqCst);
    }

    /// Sets the clock to `unix_seconds`.
    pub fn set_unix(&self, unix_seconds: i64) {
        self.unix_nanos
            .store(unix_seconds.saturating_mul(1_000_000_000), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let nanos = self.unix_nanos.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// [`Error::TimestampOutOfTolerance`](crate::Error::TimestampOutOfTolerance) when `timestamp`
/// is more than `tolerance` away from `now`, in either direction.
pub(crate) fn check_tolerance(
    timestamp: OffsetDateTime,
    now: OffsetDateTime,
    tolerance: std::time::Duration,
) -> Result<(), crate::Error> {
    let skew = timestamp - now;
    let limit = Duration::try_from(tolerance).unwrap_or(Duration::MAX);
    if skew.abs() > limit {
        return Err(crate::Error::TimestampOutOfTolerance {
            skew_seconds: skew.whole_seconds(),
            tolerance_seconds: tolerance.as_secs(),
        });
    }
    Ok(())
}
