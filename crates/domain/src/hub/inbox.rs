//! A listener's bounded event queue: a `VecDeque` under a lock and a `Notify`. An idle
//! listener's queue holds no allocation (a tokio mpsc channel costs about 0.8 KB per listener
//! before anything is sent, and the hub has one listener per live connection).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// A queue that grew past this many slots is given back once it empties.
const KEPT_SLOTS: usize = 8;

struct State<E> {
    events: VecDeque<Arc<E>>,
    /// The hub let go of the listener: nothing more will come.
    closed: bool,
}

struct Shared<E> {
    state: Mutex<State<E>>,
    capacity: usize,
    arrived: Notify,
}

impl<E> Shared<E> {
    fn lock(&self) -> MutexGuard<'_, State<E>> {
        // Every update leaves the queue consistent, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The hub's end of a listener's queue.
pub(super) struct Sender<E>(Arc<Shared<E>>);

/// Whether an event was queued.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Queued {
    Yes,
    /// The queue is full: the listener did not keep up.
    Full,
}

impl<E> Sender<E> {
    pub(super) fn try_send(&self, event: Arc<E>) -> Queued {
        let mut st = self.0.lock();
        if st.events.len() >= self.0.capacity {
            return Queued::Full;
        }
        st.events.push_back(event);
        drop(st);
        self.0.arrived.notify_one();
        Queued::Yes
    }
}

impl<E> Drop for Sender<E> {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.arrived.notify_one();
    }
}

/// The listener's end: the events published to its topics, in order.
pub struct Inbox<E>(Arc<Shared<E>>);

/// A queue of `capacity` events.
pub(super) fn bounded<E>(capacity: usize) -> (Sender<E>, Inbox<E>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            events: VecDeque::new(),
            closed: false,
        }),
        capacity: capacity.max(1),
        arrived: Notify::new(),
    });
    (Sender(shared.clone()), Inbox(shared))
}

impl<E> Inbox<E> {
    /// The next event; `None` once the hub let go of the listener and the queue is drained.
    pub async fn recv(&mut self) -> Option<Arc<E>> {
        loop {
            {
                let mut st = self.0.lock();
                if let Some(e) = st.events.pop_front() {
                    if st.events.is_empty() && st.events.capacity() > KEPT_SLOTS {
                        st.events = VecDeque::new();
                    }
                    return Some(e);
                }
                if st.closed {
                    return None;
                }
            }
            // A notification sent since the check is kept as a permit, so none is lost.
            self.0.arrived.notified().await;
        }
    }

    /// The next event if one is queued.
    pub fn try_recv(&mut self) -> Option<Arc<E>> {
        self.0.lock().events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_arrive_in_order_then_none_after_the_sender_goes() {
        let (tx, mut rx) = bounded::<u32>(2);
        assert_eq!(tx.try_send(Arc::new(1)), Queued::Yes);
        assert_eq!(tx.try_send(Arc::new(2)), Queued::Yes);
        assert_eq!(tx.try_send(Arc::new(3)), Queued::Full);
        drop(tx);
        assert_eq!(rx.recv().await.as_deref(), Some(&1));
        assert_eq!(rx.recv().await.as_deref(), Some(&2));
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_waiting_listener_wakes_for_an_event() {
        let (tx, mut rx) = bounded::<u32>(4);
        let t = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        assert_eq!(tx.try_send(Arc::new(9)), Queued::Yes);
        assert_eq!(t.await.unwrap().as_deref(), Some(&9));
    }
}
