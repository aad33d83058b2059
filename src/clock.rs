//! Where "now" comes from, so timestamp windows and lease expiry can be tested.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> OffsetDateTime;

    /// The current time in nanoseconds since the unix epoch, for comparisons that need no
    /// calendar date (replay windows on every request). The default converts
    /// [`now`](Self::now); clocks that keep the count themselves return it directly.
    fn now_unix_nanos(&self) -> i128 {
        self.now().unix_timestamp_nanos()
    }
}

/// The system clock: the default everywhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn now_unix_nanos(&self) -> i128 {
        use std::time::{SystemTime, UNIX_EPOCH};
        let now = SystemTime::now();
        match now.duration_since(UNIX_EPOCH) {
            Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
            Err(before) => i128::try_from(before.duration().as_nanos()).map_or(i128::MIN, |n| -n),
        }
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

    fn now_unix_nanos(&self) -> i128 {
        i128::from(self.unix_nanos.load(Ordering::SeqCst))
    }
}

/// [`Error::TimestampOutOfTolerance`](crate::Error::TimestampOutOfTolerance) when
/// `timestamp` (unix nanoseconds) is more than `tolerance` away from the clock's now, in
/// either direction. Integer arithmetic only: no calendar conversion on the request path.
pub(crate) fn check_tolerance(
    timestamp_unix_nanos: i128,
    clock: &dyn Clock,
    tolerance: std::time::Duration,
) -> Result<(), crate::Error> {
    let skew = timestamp_unix_nanos.saturating_sub(clock.now_unix_nanos());
    if skew.unsigned_abs() > tolerance.as_nanos() {
        let seconds = skew / 1_000_000_000;
        return Err(crate::Error::TimestampOutOfTolerance {
            skew_seconds: i64::try_from(seconds).unwrap_or(if seconds < 0 {
                i64::MIN
            } else {
                i64::MAX
            }),
            tolerance_seconds: tolerance.as_secs(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_nanos_agree_with_its_date() {
        let before = SystemClock.now().unix_timestamp_nanos();
        let nanos = SystemClock.now_unix_nanos();
        let after = SystemClock.now().unix_timestamp_nanos();
        assert!(
            before <= nanos && nanos <= after,
            "{before} {nanos} {after}"
        );
    }

    #[test]
    fn manual_clock_nanos_agree_with_its_date() {
        let clock = ManualClock::at_unix(1_649_367_553);
        clock.advance(Duration::milliseconds(-1_500));
        assert_eq!(clock.now_unix_nanos(), clock.now().unix_timestamp_nanos());
        assert_eq!(clock.now_unix_nanos(), 1_649_367_551_500_000_000);
    }

    #[test]
    fn tolerance_is_inclusive_and_symmetric_to_the_nanosecond() {
        let clock = ManualClock::at_unix(1_000);
        let tolerance = std::time::Duration::from_secs(300);
        let at = |seconds: i128, nanos: i128| seconds * 1_000_000_000 + nanos;
        assert!(check_tolerance(at(1_300, 0), &clock, tolerance).is_ok());
        assert!(check_tolerance(at(700, 0), &clock, tolerance).is_ok());
        assert!(check_tolerance(at(1_300, 1), &clock, tolerance).is_err());
        assert!(check_tolerance(at(699, 999_999_999), &clock, tolerance).is_err());
        match check_tolerance(at(699, 0), &clock, tolerance) {
            Err(crate::Error::TimestampOutOfTolerance {
                skew_seconds,
                tolerance_seconds,
            }) => assert_eq!((skew_seconds, tolerance_seconds), (-301, 300)),
            other => panic!("{other:?}"),
        }
        // Far-off values saturate instead of overflowing.
        assert!(check_tolerance(i128::MIN, &clock, tolerance).is_err());
        assert!(check_tolerance(i128::MAX, &clock, tolerance).is_err());
    }
}
