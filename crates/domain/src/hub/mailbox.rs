//! A listener without a task of its own: its events wait in a bounded mailbox, and the delivery
//! task of the thread that registered it hands them to its [`Sink`], in order.
//!
//! A task per listener cost a future and a task header for every idle connection (about 380 B
//! for a MoChat socket); a mailbox costs its queue's few words until something arrives.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::mem;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::inbox::Queued;
use super::Dropped;

/// Events one mailbox hands over before the others ready on its thread get a turn.
const BURST: usize = 32;
/// Mailboxes served between two yields: the thread's sockets then write what they were given,
/// and its other tasks (requests, MoltCities sockets) get a turn. Measured at 19,000 sockets
/// (docs/PERFORMANCE.md, round 11): yielding every 2,048 raised the fan-out p99 to 315 ms and
/// `/health` to 291 ms, every 256 kept them at 193–198 and 199–255 ms, as the build before
/// mailboxes (207 and 193 ms, same day).
const SERVED_PER_YIELD: usize = 256;
/// A queue that grew past this many slots is given back once it empties.
const KEPT_SLOTS: usize = 8;

/// Where a listener's events go: called by the delivery task, never on the publishing thread.
pub trait Sink<E>: Send + Sync + 'static {
    /// Takes one event; `false` ends the listener's deliveries (it is gone or cannot keep up).
    fn deliver(&self, event: &Arc<E>) -> bool;
    /// The hub let go of the listener, after its last queued event was delivered. `why` says
    /// why the hub dropped it; `None` when its registration was dropped.
    fn ended(&self, why: Option<Dropped>);
}

struct State<E> {
    events: VecDeque<Arc<E>>,
    /// Waiting in its thread's ready list, or being served.
    scheduled: bool,
    /// The hub let go of it, and why.
    closed: Option<Option<Dropped>>,
    /// Its sink refused an event or was told it ended: nothing more is delivered.
    done: bool,
}

/// One listener's queue and sink.
pub(super) struct Mailbox<E> {
    state: Mutex<State<E>>,
    capacity: usize,
    sink: Box<dyn Sink<E>>,
    deliveries: Arc<Deliveries>,
}

impl<E: Send + Sync + 'static> Mailbox<E> {
    /// A mailbox of `capacity` events, served by the calling thread's delivery task.
    pub(super) fn new(capacity: usize, sink: Box<dyn Sink<E>>) -> Arc<Self> {
        Arc::new(Mailbox {
            state: Mutex::new(State {
                events: VecDeque::new(),
                scheduled: false,
                closed: None,
                done: false,
            }),
            capacity: capacity.max(1),
            sink,
            deliveries: Deliveries::local(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<E>> {
        // Every update leaves the state consistent, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an event for delivery; `Full` when the listener did not keep up.
    pub(super) fn try_send(self: &Arc<Self>, event: Arc<E>) -> Queued {
        let mut st = self.lock();
        if st.done || st.closed.is_some() {
            return Queued::Yes;
        }
        if st.events.len() >= self.capacity {
            return Queued::Full;
        }
        st.events.push_back(event);
        self.schedule(st);
        Queued::Yes
    }

    /// The hub lets go: what is queued is still delivered, then the sink is told why.
    pub(super) fn close(self: &Arc<Self>, why: Option<Dropped>) {
        let mut st = self.lock();
        if st.closed.is_none() {
            st.closed = Some(why);
            self.schedule(st);
        }
    }

    fn schedule(self: &Arc<Self>, mut st: MutexGuard<'_, State<E>>) {
        if !st.scheduled && !st.done {
            st.scheduled = true;
            drop(st);
            self.deliveries.ready(self.clone());
        }
    }

    /// The next thing to do, decided under the lock; the sink is called without it, since a
    /// sink may end its own registration (which closes this mailbox).
    fn next(&self) -> Step<E> {
        let mut st = self.lock();
        if st.done {
            st.scheduled = false;
            return Step::Rest;
        }
        if let Some(e) = st.events.pop_front() {
            if st.events.is_empty() && st.events.capacity() > KEPT_SLOTS {
                st.events = VecDeque::new();
            }
            return Step::Deliver(e);
        }
        match st.closed {
            Some(why) => {
                st.done = true;
                st.scheduled = false;
                Step::End(why)
            }
            None => {
                st.scheduled = false;
                Step::Rest
            }
        }
    }

    fn refuse_more(&self) {
        let mut st = self.lock();
        st.done = true;
        st.scheduled = false;
        st.events = VecDeque::new();
    }
}

enum Step<E> {
    Deliver(Arc<E>),
    End(Option<Dropped>),
    Rest,
}

/// A mailbox as its thread's delivery task sees it.
trait Ready: Send + Sync {
    /// Delivers up to a burst; `true` when more is left and it should be served again.
    fn serve(&self) -> bool;
}

impl<E: Send + Sync + 'static> Ready for Mailbox<E> {
    fn serve(&self) -> bool {
        for _ in 0..BURST {
            match self.next() {
                Step::Deliver(e) => {
                    if !self.sink.deliver(&e) {
                        self.refuse_more();
                        return false;
                    }
                }
                Step::End(why) => {
                    self.sink.ended(why);
                    return false;
                }
                Step::Rest => return false,
            }
        }
        true
    }
}

/// One thread's delivery task and the mailboxes ready for it.
struct Deliveries {
    ready: Mutex<Vec<Arc<dyn Ready>>>,
    wake: Notify,
    /// Cleared when the task is dropped (its runtime shut down): the thread then starts another.
    alive: AtomicBool,
}

thread_local! {
    static LOCAL: RefCell<Option<Arc<Deliveries>>> = const { RefCell::new(None) };
}

impl Deliveries {
    /// The calling thread's delivery task, started on first use. Must be called within a
    /// tokio runtime; on an actix worker, that is the worker's own.
    fn local() -> Arc<Deliveries> {
        LOCAL.with(|local| {
            let mut local = local.borrow_mut();
            if let Some(d) = local.as_ref().filter(|d| d.alive.load(Ordering::Acquire)) {
                return d.clone();
            }
            let d = Arc::new(Deliveries {
                ready: Mutex::new(Vec::new()),
                wake: Notify::new(),
                alive: AtomicBool::new(true),
            });
            tokio::spawn(deliver(d.clone()));
            *local = Some(d.clone());
            d
        })
    }

    fn ready(&self, mailbox: Arc<dyn Ready>) {
        self.lock().push(mailbox);
        self.wake.notify_one();
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<dyn Ready>>> {
        self.ready.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Clears `alive` when the delivery task goes, however it goes.
struct Alive(Arc<Deliveries>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::Release);
    }
}

/// The delivery task: serves ready mailboxes in the order they became ready.
async fn deliver(deliveries: Arc<Deliveries>) {
    let alive = Alive(deliveries);
    let d = &alive.0;
    let mut batch = Vec::new();
    loop {
        mem::swap(&mut batch, &mut *d.lock());
        if batch.is_empty() {
            // A notification sent since the check is kept as a permit, so none is lost.
            d.wake.notified().await;
            continue;
        }
        for (n, mailbox) in batch.drain(..).enumerate() {
            if mailbox.serve() {
                d.lock().push(mailbox);
            }
            if n % SERVED_PER_YIELD == SERVED_PER_YIELD - 1 {
                tokio::task::yield_now().await;
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Records what it was given; refuses the event equal to `refuse` (0: none).
    pub(in crate::hub) struct Recorder {
        pub(in crate::hub) got: Mutex<Vec<u32>>,
        pub(in crate::hub) ended: Mutex<Option<Option<Dropped>>>,
        refuse: u32,
    }

    impl Sink<u32> for Arc<Recorder> {
        fn deliver(&self, event: &Arc<u32>) -> bool {
            self.got.lock().unwrap().push(**event);
            **event != self.refuse
        }
        fn ended(&self, why: Option<Dropped>) {
            *self.ended.lock().unwrap() = Some(why);
        }
    }

    pub(in crate::hub) fn recorder(refuse: u32) -> Arc<Recorder> {
        Arc::new(Recorder {
            got: Mutex::new(Vec::new()),
            ended: Mutex::new(None),
            refuse,
        })
    }

    /// Lets this thread's delivery task run.
    pub(in crate::hub) async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn events_are_delivered_in_order_then_the_end_and_its_reason() {
        let r = recorder(0);
        let m = Mailbox::new(100, Box::new(r.clone()));
        for i in 1..=70 {
            assert_eq!(m.try_send(Arc::new(i)), Queued::Yes);
        }
        m.close(Some(Dropped::SlowConsumer));
        assert_eq!(m.try_send(Arc::new(99)), Queued::Yes, "ignored once closed");
        settle().await;
        assert_eq!(*r.got.lock().unwrap(), (1..=70).collect::<Vec<_>>());
        assert_eq!(*r.ended.lock().unwrap(), Some(Some(Dropped::SlowConsumer)));
    }

    #[tokio::test]
    async fn a_full_mailbox_refuses_and_a_refusing_sink_gets_nothing_more() {
        let r = recorder(2);
        let m = Mailbox::new(3, Box::new(r.clone()));
        for i in 1..=3 {
            assert_eq!(m.try_send(Arc::new(i)), Queued::Yes);
        }
        assert_eq!(m.try_send(Arc::new(4)), Queued::Full);
        settle().await;
        assert_eq!(
            *r.got.lock().unwrap(),
            vec![1, 2],
            "nothing after the refusal"
        );
        assert_eq!(m.try_send(Arc::new(5)), Queued::Yes);
        m.close(None);
        settle().await;
        assert_eq!(*r.got.lock().unwrap(), vec![1, 2]);
        assert_eq!(
            *r.ended.lock().unwrap(),
            None,
            "a refusing sink ended itself"
        );
    }

    #[test]
    fn a_thread_whose_runtime_went_away_starts_a_new_delivery_task() {
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        // The first runtime starts this thread's delivery task, then shuts down with it; a
        // mailbox made on the same thread under the next runtime must not be left with the
        // dead task.
        for event in 1..=2 {
            let seen = recorder(0);
            runtime().block_on(async {
                let m = Mailbox::new(4, Box::new(seen.clone()));
                m.try_send(Arc::new(event));
                settle().await;
            });
            assert_eq!(*seen.got.lock().unwrap(), vec![event], "runtime {event}");
        }
    }
}
