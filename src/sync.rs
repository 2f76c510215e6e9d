//! Locks that survive a panic elsewhere.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, also when a thread that panicked while holding it poisoned it: every mutex
/// in ghostsum guards plain data that stays consistent between statements (a dispenser's
/// maps, a list of temporary files, an error message), and a stop or a clean-up must still
/// get at it.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
