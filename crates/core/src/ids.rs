//! Record ids and the hybrid logical clock that orders changes.

use uuid::Uuid;

/// A new record id: UUIDv7, time-sortable, made on this device.
pub fn new_record_id() -> String {
    Uuid::now_v7().to_string()
}

/// A new device (actor) id: random, never reused.
pub fn new_device_id() -> String {
    Uuid::new_v4().simple().to_string()
}

/// Checks that `id` is a UUID in the canonical hyphenated form we store.
pub fn is_record_id(id: &str) -> bool {
    Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

/// Hybrid logical clock: 48 bits of Unix milliseconds, 16 bits of counter.
/// It orders a device's changes even when its wall clock steps backwards;
/// it is used for display order and tie-breaks, never for correctness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hlc(pub u64);

impl Hlc {
    const COUNTER_BITS: u32 = 16;

    pub fn from_parts(ms: u64, counter: u16) -> Self {
        Hlc((ms << Self::COUNTER_BITS) | u64::from(counter))
    }

    pub fn millis(self) -> u64 {
        self.0 >> Self::COUNTER_BITS
    }

    /// The next timestamp after `self` given the wall clock `now_ms`.
    pub fn tick(self, now_ms: u64) -> Hlc {
        if now_ms > self.millis() {
            Hlc::from_parts(now_ms, 0)
        } else {
            Hlc(self.0 + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_are_v7_and_sortable() {
        let a = new_record_id();
        let b = new_record_id();
        assert!(is_record_id(&a));
        assert_eq!(Uuid::parse_str(&a).unwrap().get_version_num(), 7);
        assert!(a < b);
        assert!(!is_record_id("not-an-id"));
        assert!(!is_record_id(&a.to_uppercase()));
    }

    #[test]
    fn hlc_is_monotonic_when_the_clock_goes_back() {
        let t = Hlc::from_parts(1_000, 0);
        let u = t.tick(500);
        assert!(u > t);
        assert_eq!(u.millis(), 1_000);
        let v = u.tick(2_000);
        assert_eq!(v, Hlc::from_parts(2_000, 0));
    }
}
