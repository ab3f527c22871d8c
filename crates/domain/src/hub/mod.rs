//! Live delivery: which listener listens to what, fan-out of published events, and presence:
//! this process's listeners, and in cluster mode the other nodes' online users as the bus
//! reports them (`core::live`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

mod inbox;
mod mailbox;
mod remote;

pub use inbox::Inbox;
use inbox::{Queued, Sender};
use mailbox::Mailbox;
pub use mailbox::Sink;
pub use remote::RemotePresence;

/// What a listener can subscribe to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// One conversation (session or panel).
    Conversation(String),
    /// Everything addressed to one user (their sessions, their credentials).
    User(String),
    /// Every panel of one group.
    Group(String),
}

/// Why a listener stopped receiving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Its bounded queue was full: it did not keep up.
    SlowConsumer,
}

/// Where a listener's events wait: its own task's inbox, or a mailbox its thread's delivery
/// task serves.
enum Queue<E> {
    Inbox(Sender<E>),
    Mailbox(Arc<Mailbox<E>>),
}

impl<E: Send + Sync + 'static> Queue<E> {
    fn try_send(&self, event: Arc<E>) -> Queued {
        match self {
            Queue::Inbox(q) => q.try_send(event),
            Queue::Mailbox(m) => m.try_send(event),
        }
    }

    /// The hub lets go of the listener (an inbox closes when its sender is dropped).
    fn close(self, why: Option<Dropped>) {
        if let Queue::Mailbox(m) = self {
            m.close(why);
        }
    }
}

struct Listener<E> {
    queue: Queue<E>,
    /// A listener follows one to three topics: a list costs less than a hash set's smallest
    /// table, and one per live connection adds up.
    topics: Vec<Topic>,
    user: Option<String>,
}

struct State<E> {
    listeners: HashMap<u64, Listener<E>>,
    by_topic: HashMap<Topic, HashSet<u64>>,
    online: HashMap<String, usize>,
    /// When each user's last listener went away (milliseconds since the epoch).
    left_at: HashMap<String, i64>,
    dropped: HashMap<u64, Dropped>,
}

/// Told when a user comes online here (first listener) or goes offline here (last one gone).
pub type PresenceObserver = Box<dyn Fn(&str, bool) + Send + Sync>;

/// The hub: shared by every worker.
pub struct Hub<E> {
    state: Mutex<State<E>>,
    observer: std::sync::OnceLock<PresenceObserver>,
    /// The other nodes' online users.
    pub remote: RemotePresence,
    next_id: AtomicU64,
    slow_dropped: AtomicU64,
    published: AtomicU64,
}

impl<E> Default for Hub<E> {
    fn default() -> Self {
        Hub {
            state: Mutex::new(State {
                listeners: HashMap::new(),
                by_topic: HashMap::new(),
                online: HashMap::new(),
                left_at: HashMap::new(),
                dropped: HashMap::new(),
            }),
            observer: std::sync::OnceLock::new(),
            remote: RemotePresence::default(),
            next_id: AtomicU64::new(1),
            slow_dropped: AtomicU64::new(0),
            published: AtomicU64::new(0),
        }
    }
}

/// A registered listener; dropping it unsubscribes everything.
pub struct Registration<E: Send + Sync + 'static> {
    id: u64,
    hub: Arc<Hub<E>>,
}

impl<E: Send + Sync + 'static> Hub<E> {
    /// Registers a listener with a bounded queue. `user` counts it as that user's presence.
    pub fn register(
        self: &Arc<Self>,
        capacity: usize,
        user: Option<String>,
    ) -> (Registration<E>, Inbox<E>) {
        let (queue, rx) = inbox::bounded(capacity);
        (self.add(Queue::Inbox(queue), user), rx)
    }

    /// Registers a listener without a task of its own: its events are handed to `sink` by the
    /// calling thread's delivery task, in order, at most `capacity` waiting. Must be called
    /// within a tokio runtime.
    pub fn register_sink(
        self: &Arc<Self>,
        capacity: usize,
        user: Option<String>,
        sink: Box<dyn Sink<E>>,
    ) -> Registration<E> {
        self.add(Queue::Mailbox(Mailbox::new(capacity, sink)), user)
    }

    fn add(self: &Arc<Self>, queue: Queue<E>, user: Option<String>) -> Registration<E> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut st = self.lock();
        if let Some(u) = &user {
            let n = st.online.entry(u.clone()).or_default();
            *n += 1;
            if *n == 1 {
                self.observe(u, true);
            }
        }
        st.listeners.insert(
            id,
            Listener {
                queue,
                topics: Vec::new(),
                user,
            },
        );
        Registration {
            id,
            hub: self.clone(),
        }
    }

    /// Publishes an event to every listener of any of `topics`, once per listener.
    /// Never waits: a listener whose queue is full is dropped as a slow consumer.
    pub fn publish(&self, topics: &[Topic], event: Arc<E>) {
        let mut st = self.lock();
        let mut targets: HashSet<u64> = HashSet::new();
        for t in topics {
            if let Some(ids) = st.by_topic.get(t) {
                targets.extend(ids.iter().copied());
            }
        }
        let mut slow = Vec::new();
        for id in targets {
            if let Some(l) = st.listeners.get(&id) {
                if l.queue.try_send(event.clone()) == Queued::Full {
                    slow.push(id);
                }
            }
        }
        self.published.fetch_add(1, Ordering::Relaxed);
        for id in slow {
            self.remove(&mut st, id, Some(Dropped::SlowConsumer));
            st.dropped.insert(id, Dropped::SlowConsumer);
            self.slow_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn remove(&self, st: &mut State<E>, id: u64, why: Option<Dropped>) {
        if let Some(l) = st.listeners.remove(&id) {
            l.queue.close(why);
            for t in l.topics {
                if let Some(set) = st.by_topic.get_mut(&t) {
                    set.remove(&id);
                    if set.is_empty() {
                        st.by_topic.remove(&t);
                    }
                }
            }
            if let Some(u) = l.user {
                if let Some(n) = st.online.get_mut(&u) {
                    *n -= 1;
                    if *n == 0 {
                        st.online.remove(&u);
                        self.observe(&u, false);
                        st.left_at.insert(u, now_ms());
                    }
                }
            }
        }
    }
}

impl<E> Hub<E> {
    fn lock(&self) -> MutexGuard<'_, State<E>> {
        // A panic while holding the lock cannot leave the maps half-updated in a harmful way,
        // so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// (listeners, events published, listeners dropped as slow consumers) since start-up.
    pub fn stats(&self) -> (usize, u64, u64) {
        let listeners = self.lock().listeners.len();
        (
            listeners,
            self.published.load(Ordering::Relaxed),
            self.slow_dropped.load(Ordering::Relaxed),
        )
    }

    /// Sets who is told of this process's presence changes (the bus, in cluster mode).
    pub fn observe_presence(&self, observer: PresenceObserver) {
        let _ = self.observer.set(observer);
    }

    fn observe(&self, user: &str, online: bool) {
        if let Some(f) = self.observer.get() {
            f(user, online);
        }
    }

    /// Number of distinct users with at least one live listener, on any node.
    pub fn online_users(&self) -> usize {
        let st = self.lock();
        st.online.len() + self.remote.count_except(|u| st.online.contains_key(u))
    }

    /// The users with a live listener in this process.
    pub fn local_users(&self) -> Vec<String> {
        self.lock().online.keys().cloned().collect()
    }

    /// Whether a user has a live listener, on any node.
    pub fn is_online(&self, user: &str) -> bool {
        self.lock().online.contains_key(user) || self.remote.is_online(user)
    }

    /// When a user was last online: now if they are, else when their last listener went away
    /// (since start-up; `None` if never seen since).
    pub fn last_seen(&self, user: &str) -> Option<i64> {
        if self.is_online(user) {
            return Some(now_ms());
        }
        let local = self.lock().left_at.get(user).copied();
        local.max(self.remote.left_at(user))
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl<E: Send + Sync + 'static> Registration<E> {
    /// Adds a topic to this listener.
    pub fn subscribe(&self, topic: Topic) {
        let mut st = self.hub.lock();
        if let Some(l) = st.listeners.get_mut(&self.id) {
            if !l.topics.contains(&topic) {
                if l.topics.len() < 4 {
                    l.topics.reserve_exact(1);
                }
                l.topics.push(topic.clone());
                st.by_topic.entry(topic).or_default().insert(self.id);
            }
        }
    }

    /// Removes a topic from this listener.
    pub fn unsubscribe(&self, topic: &Topic) {
        let mut st = self.hub.lock();
        if let Some(l) = st.listeners.get_mut(&self.id) {
            if let Some(at) = l.topics.iter().position(|t| t == topic) {
                l.topics.swap_remove(at);
                if let Some(set) = st.by_topic.get_mut(topic) {
                    set.remove(&self.id);
                    if set.is_empty() {
                        st.by_topic.remove(topic);
                    }
                }
            }
        }
    }

    /// Why this listener was dropped by the hub, if it was.
    pub fn dropped(&self) -> Option<Dropped> {
        self.hub.lock().dropped.get(&self.id).copied()
    }
}

impl<E: Send + Sync + 'static> Drop for Registration<E> {
    fn drop(&mut self) {
        let mut st = self.hub.lock();
        self.hub.remove(&mut st, self.id, None);
        st.dropped.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::mailbox::tests::{recorder, settle};
    use super::*;

    #[tokio::test]
    async fn delivers_once_per_listener_and_only_to_subscribers() {
        let hub: Arc<Hub<u32>> = Arc::new(Hub::default());
        let (a, mut rx_a) = hub.register(8, Some("u1".into()));
        let (_b, mut rx_b) = hub.register(8, None);
        a.subscribe(Topic::Conversation("c1".into()));
        a.subscribe(Topic::User("u1".into()));
        hub.publish(
            &[Topic::Conversation("c1".into()), Topic::User("u1".into())],
            Arc::new(7),
        );
        assert_eq!(*rx_a.recv().await.unwrap(), 7);
        assert!(rx_a.try_recv().is_none(), "one copy per listener");
        assert!(rx_b.try_recv().is_none(), "not subscribed");
        assert_eq!(hub.online_users(), 1);
        drop(a);
        assert_eq!(hub.online_users(), 0);
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_listener_as_slow() {
        let hub: Arc<Hub<u32>> = Arc::new(Hub::default());
        let (a, mut rx) = hub.register(1, None);
        a.subscribe(Topic::Group("g".into()));
        hub.publish(&[Topic::Group("g".into())], Arc::new(1));
        hub.publish(&[Topic::Group("g".into())], Arc::new(2));
        assert_eq!(a.dropped(), Some(Dropped::SlowConsumer));
        assert_eq!(*rx.recv().await.unwrap(), 1);
        assert!(rx.recv().await.is_none(), "queue closed after the drop");
    }

    #[tokio::test]
    async fn a_sink_listener_gets_its_events_in_order_and_hears_it_was_too_slow() {
        let hub: Arc<Hub<u32>> = Arc::new(Hub::default());
        let seen = recorder(0);
        let a = hub.register_sink(3, Some("u1".into()), Box::new(seen.clone()));
        a.subscribe(Topic::User("u1".into()));
        assert_eq!(hub.online_users(), 1);
        for i in 1..=4 {
            // Published on this thread with no await between: the delivery task has not run,
            // so the fourth overflows the mailbox of three.
            hub.publish(&[Topic::User("u1".into())], Arc::new(i));
        }
        assert_eq!(a.dropped(), Some(Dropped::SlowConsumer));
        assert_eq!(hub.online_users(), 0, "dropped from presence at once");
        settle().await;
        assert_eq!(*seen.got.lock().unwrap(), vec![1, 2, 3]);
        assert_eq!(
            *seen.ended.lock().unwrap(),
            Some(Some(Dropped::SlowConsumer))
        );
    }

    #[tokio::test]
    async fn dropping_a_sink_registration_ends_it_after_what_was_queued() {
        let hub: Arc<Hub<u32>> = Arc::new(Hub::default());
        let seen = recorder(0);
        let a = hub.register_sink(8, None, Box::new(seen.clone()));
        a.subscribe(Topic::Group("g".into()));
        hub.publish(&[Topic::Group("g".into())], Arc::new(5));
        drop(a);
        hub.publish(&[Topic::Group("g".into())], Arc::new(6));
        settle().await;
        assert_eq!(*seen.got.lock().unwrap(), vec![5]);
        assert_eq!(*seen.ended.lock().unwrap(), Some(None));
    }
}
