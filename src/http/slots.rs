//! Slots for documents rendered on request (filtered feeds, searches, archive and article
//! pages): each reads and parses files on a blocking thread. A request waits a little for a
//! slot, then gets `503` with `Retry-After`, so a burst of expensive requests (sixteen clients
//! searching for new words each time) cannot queue without end, and the cheap prerendered
//! documents keep being served meanwhile.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{info, warn};

use super::limits::Episode;

/// The render slots, and whether they are saturated (logged once when it starts and once when
/// it ends, not per request).
#[derive(Debug)]
pub(crate) struct RenderSlots {
    permits: Arc<Semaphore>,
    slots: usize,
    wait: Duration,
    saturated: Episode,
}

impl RenderSlots {
    /// `slots` renders at once, each request waiting at most `wait` for one.
    pub(crate) fn new(slots: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(slots)),
            slots,
            wait,
            saturated: Episode::default(),
        }
    }

    /// A slot, held until the permit is dropped; `None` when none freed up in time.
    pub(crate) async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        let permits = Arc::clone(&self.permits);
        match tokio::time::timeout(self.wait, permits.acquire_owned()).await {
            // The semaphore is never closed.
            Ok(permit) => {
                if self.saturated.clear() {
                    info!("render slots available again");
                }
                permit.ok()
            }
            Err(_) => {
                if self.saturated.hit() {
                    warn!(
                        slots = self.slots,
                        wait = ?self.wait,
                        "all render slots busy; expensive requests get 503 until one frees up"
                    );
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_request_waits_a_little_then_is_refused() {
        let slots = RenderSlots::new(1, Duration::from_millis(100));
        let held = slots.acquire().await.expect("a free slot");
        assert!(slots.acquire().await.is_none(), "all busy");
        drop(held);
        assert!(slots.acquire().await.is_some(), "freed");
    }
}
