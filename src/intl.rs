//! Time zones through the JavaScript runtime's `Intl` (Workers and browsers),
//! so the wasm modules carry no time zone database.

use crate::time::{LocalTime, ZoneClock};

/// `localTime` of src/js/runtime.js: the wall clock in `zone` at
/// `epoch_ms` packed into one number (see there), NaN for an unknown zone.
/// The worker binds it through wasm-bindgen, whose glue it runs anyway.
#[cfg(any(feature = "edge", feature = "bindgen-runtime"))]
fn js_local_time(zone: &str, epoch_ms: f64) -> f64 {
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen(module = "/src/js/runtime.js")]
    extern "C" {
        #[wasm_bindgen(js_name = localTime)]
        fn local_time(zone: &str, epoch_ms: f64) -> f64;
    }
    local_time(zone, epoch_ms)
}

/// The browser engines import it raw from the loader's `tailor` module
/// (pkg-template/src/engine.js), which reads the zone from their memory:
/// no wasm-bindgen glue in every visitor's download.
#[cfg(not(any(feature = "edge", feature = "bindgen-runtime")))]
fn js_local_time(zone: &str, epoch_ms: f64) -> f64 {
    #[link(wasm_import_module = "tailor")]
    extern "C" {
        #[link_name = "localTime"]
        fn local_time(zone: *const u8, zone_len: usize, epoch_ms: f64) -> f64;
    }
    // SAFETY: the import only reads the `zone_len` bytes at `zone`.
    unsafe { local_time(zone.as_ptr(), zone.len(), epoch_ms) }
}

/// Wall clocks from `Intl.DateTimeFormat` (formatters cached per zone, and
/// the last minute's wall clock per zone, on the JavaScript side).
pub struct IntlClock;

impl ZoneClock for IntlClock {
    fn local_time(&self, zone: &str, epoch_seconds: i64) -> Option<LocalTime> {
        let packed = js_local_time(zone, epoch_seconds as f64 * 1000.0);
        // NaN (an unknown zone) and what no wall clock packs to are `None`.
        if !(0.0..9e15).contains(&packed) || packed.fract() != 0.0 {
            return None;
        }
        let mut rest = packed as u64;
        let mut field = |radix: u64| {
            let value = rest % radix;
            rest /= radix;
            value as u8
        };
        let weekday = field(7);
        let minute = field(60);
        let hour = field(24);
        let day = field(32);
        let month = field(13);
        Some(LocalTime { year: rest as i32, month, day, hour, minute, weekday })
    }
}
