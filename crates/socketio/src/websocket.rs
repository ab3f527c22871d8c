//! WebSocket transport: WebSocket-only sessions, the polling → WebSocket upgrade
//! (`2probe` / `3probe` / `5`), and the reader and writer tasks (the writer also drives the
//! heartbeat).

use super::engine::{Conversation, Engine};
use super::engine_packet::{EnginePacket, Frame};
use super::routes::{engine_error, too_many_waiting, EngineError};
use super::session::{
    CloseReason, CloseState, ConnInfo, EngineSession, Outgoing, ReaderEvent, TransportKind,
};
use actix_web::{HttpRequest, HttpResponse};
use agentgate_websocket::{self as websocket, Batch, CloseFrame, Message, Pending, Reader, Writer};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// How long closing a WebSocket may wait for room in its send buffer.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Sends a close frame, waiting at most `CLOSE_WAIT` for room in the send buffer. Boxed: it
/// happens once, and inline its state (about 490 B) would size the reader and the writer for
/// the connection's whole life.
async fn close_socket(ws: &Writer, frame: Option<CloseFrame>) {
    let _ = Box::pin(tokio::time::timeout(CLOSE_WAIT, ws.close(frame))).await;
}

/// The accepted socket split into its halves; `None` when the client left before the handoff.
/// `max_message` is the session's limit now (small until it is admitted).
async fn connect(pending: Pending, max_message: usize) -> Option<(Reader, Writer)> {
    Some(pending.socket().await?.split(max_message))
}

/// `?EIO=4&transport=websocket` without sid: a WebSocket-only session.
pub(crate) fn open(engine: &Engine, req: &HttpRequest, info: ConnInfo) -> HttpResponse {
    // Counted before the handshake is accepted, so that a refusal is a plain HTTP answer.
    let slot = match engine.reserve(&info) {
        Ok(slot) => slot,
        Err(e) => return too_many_waiting(e),
    };
    let Ok((res, pending)) = websocket::accept(req) else {
        return engine_error(EngineError::BadRequest);
    };
    let (session, conversation) = engine.create_session(TransportKind::Websocket, info, slot);
    let limit = session.message_limit();
    // The handshake's task ends with it: the reader and the writer get tasks of their own, sized
    // for what they hold while the connection idles.
    actix_web::rt::spawn(async move {
        match connect(pending, limit).await {
            Some((reader, writer)) => run(session, reader, writer, conversation),
            None => session.close(CloseReason::TransportClose),
        }
    });
    res
}

/// `?EIO=4&transport=websocket&sid=…`: an upgrade of a polling session.
pub(crate) fn upgrade(session: Arc<EngineSession>, req: &HttpRequest) -> HttpResponse {
    let Ok((res, pending)) = websocket::accept(req) else {
        return engine_error(EngineError::BadRequest);
    };
    let limit = session.message_limit();
    if !session.begin_upgrade() {
        // Already upgraded or upgrading: like the reference, accept and close at once.
        actix_web::rt::spawn(async move {
            if let Some((_, ws)) = connect(pending, limit).await {
                close_socket(&ws, None).await;
            }
        });
        return res;
    }
    actix_web::rt::spawn(async move {
        match connect(pending, limit).await {
            Some((reader, writer)) => probe_then_run(session, reader, writer).await,
            None => session.abort_upgrade(),
        }
    });
    res
}

/// What the probe WebSocket said next.
enum ProbeStep {
    Text(String),
    Other,
}

async fn next_probe_message(ws: &Writer, stream: &mut Reader) -> ProbeStep {
    loop {
        match stream.recv().await {
            Some(Ok(Message::Text(t))) => return ProbeStep::Text(t.to_string()),
            Some(Ok(Message::Ping(b))) => {
                let _ = ws.pong(&b).await;
            }
            Some(Ok(Message::Pong(_))) => {}
            _ => return ProbeStep::Other,
        }
    }
}

async fn probe_then_run(session: Arc<EngineSession>, mut stream: Reader, ws: Writer) {
    let timeout = session.config().upgrade_timeout;
    let probe = async {
        match next_probe_message(&ws, &mut stream).await {
            ProbeStep::Text(t) if t == "2probe" => {}
            _ => return false,
        }
        // Marked first: a client may poll the moment it reads `3probe`, and that GET must
        // already see the probe (a `6`, the data waiting for the WebSocket).
        session.mark_probed();
        if ws.text("3probe").await.is_err() {
            return false;
        }
        matches!(next_probe_message(&ws, &mut stream).await, ProbeStep::Text(t) if t == "5")
    };
    let ok = tokio::select! {
        r = tokio::time::timeout(timeout, probe) => r.unwrap_or(false),
        _ = session.closing() => false,
    };
    if ok && session.complete_upgrade() {
        run(session, stream, ws, None);
    } else {
        // A failed probe must not kill the session: it stays on polling.
        session.abort_upgrade();
        close_socket(&ws, None).await;
    }
}

/// Starts the transport: a reader task (which also runs the application's conversation, if
/// any) and a writer task draining the outbox.
fn run(
    session: Arc<EngineSession>,
    stream: Reader,
    ws: Writer,
    conversation: Option<Box<dyn Conversation>>,
) {
    actix_web::rt::spawn(writer(Arc::clone(&session), ws.clone()));
    actix_web::rt::spawn(reader(session, ws, stream, conversation));
}

/// Reads until the session closes; the conversation it runs ends with it at the latest.
///
/// A plain fn around an `async move` block: the block mutates what it captured in place, where
/// an `async fn` would copy its `mut` arguments into locals and hold each twice (the reader,
/// 152 B, for the connection's whole life).
#[allow(clippy::manual_async_fn)]
fn reader(
    session: Arc<EngineSession>,
    ws: Writer,
    mut stream: Reader,
    mut conversation: Option<Box<dyn Conversation>>,
) -> impl Future<Output = ()> {
    async move {
        read(&session, &ws, &mut stream, &mut conversation).await;
        end_conversation(&session, &mut conversation);
    }
}

/// Tells the conversation, once, that the session is closing.
fn end_conversation(session: &EngineSession, conversation: &mut Option<Box<dyn Conversation>>) {
    if let Some(c) = conversation.take() {
        c.finish(
            session
                .close_state()
                .reason()
                .unwrap_or(CloseReason::TransportClose),
        );
    }
}

/// Sleeps until `due`; never resolves without one. Boxed: a `Sleep` is 112 B, and a
/// connection has a deadline only until its connect timeout (45 s by default) or while
/// attachments are due.
async fn sleep_until_some(due: Option<Instant>) {
    match due {
        Some(due) => Box::pin(tokio::time::sleep_until(due)).await,
        None => std::future::pending().await,
    }
}

async fn read(
    session: &EngineSession,
    ws: &Writer,
    stream: &mut Reader,
    conversation: &mut Option<Box<dyn Conversation>>,
) {
    // Checked at the top of the loop: the socket may have been split before an admission.
    let mut raised = false;
    loop {
        if !raised && session.is_admitted() {
            stream.set_max_message(session.message_limit());
            raised = true;
        }
        let due = conversation.as_ref().and_then(|c| c.deadline());
        let msg = tokio::select! {
            // First, so that the limit is raised before the next frame header is checked.
            biased;
            event = session.reader_event(!raised, conversation.is_some()) => match event {
                ReaderEvent::Admitted => continue,
                ReaderEvent::Closed => return,
                // A flush, then the close: the application lets go at once.
                ReaderEvent::Closing => {
                    end_conversation(session, conversation);
                    continue;
                }
            },
            _ = sleep_until_some(due) => {
                if let Some(Err(reason)) = conversation.as_mut().map(|c| c.on_deadline(Instant::now())) {
                    session.close(reason);
                }
                continue;
            }
            m = stream.recv() => m,
        };
        let msg = match msg {
            None => {
                session.close(CloseReason::TransportClose);
                return;
            }
            Some(Err(e)) => {
                log::debug!("engine.io session {}: websocket error {e}", session.sid());
                session.close(CloseReason::TransportError);
                // The close frame names the broken rule (1002, 1007, 1008 or 1009); sent before
                // the writer task's own close, which then finds the socket closed.
                if let Some(reply) = e.close_frame() {
                    close_socket(ws, Some(reply)).await;
                }
                return;
            }
            Some(Ok(m)) => m,
        };
        match msg {
            Message::Text(t) => {
                session.touch();
                match EnginePacket::decode_text(&t) {
                    Ok(EnginePacket::Message(f)) => hand(session, conversation, f).await,
                    Ok(EnginePacket::Pong(_)) => session.on_pong(),
                    Ok(EnginePacket::Close) => {
                        // Close at once instead of waiting for the ping timeout like Node.
                        session.close(CloseReason::TransportClose);
                        return;
                    }
                    Ok(EnginePacket::Ping(_)) => {
                        session.close(CloseReason::TransportError);
                        return;
                    }
                    Ok(EnginePacket::Open(_) | EnginePacket::Upgrade | EnginePacket::Noop) => {}
                    Err(_) => {
                        session.close(CloseReason::ParseError);
                        return;
                    }
                }
            }
            Message::Binary(b) => {
                session.touch();
                hand(session, conversation, Frame::Binary(b)).await;
            }
            Message::Ping(b) => {
                // Boxed like a close: rare, and inline it would size the idle reader.
                let _ = Box::pin(ws.pong(&b)).await;
            }
            Message::Pong(_) => {}
            Message::Close(reason) => {
                session.close(CloseReason::TransportClose);
                // Echo the client's code (RFC 6455 §5.5.1); codes that may not be sent were
                // already refused as protocol errors.
                let reply = CloseFrame::reply_to(reason.as_ref());
                close_socket(ws, reply).await;
                return;
            }
        }
    }
}

/// Hands one message to the application: to the conversation the reader runs (it reads
/// nothing more until the message is handled), or else to the application's queue. Boxed:
/// waiting for room in the queue takes 256 B that the idle reader would otherwise hold.
async fn hand(
    session: &EngineSession,
    conversation: &mut Option<Box<dyn Conversation>>,
    frame: Frame,
) {
    match conversation {
        Some(c) => {
            if let Err(reason) = c.on_frames(vec![frame]).await {
                session.close(reason);
            }
        }
        None => Box::pin(session.deliver(vec![frame])).await,
    }
}

/// Sends a batch of WS messages unless the session is closed for good meanwhile; the
/// heartbeat keeps running while a slow client holds the write up.
async fn write(session: &EngineSession, ws: &Writer, beat: Pin<&mut Sleep>, batch: &Batch) -> bool {
    tokio::select! {
        r = ws.send_batch(batch) => r.is_ok(),
        _ = session.closed() => false,
        _ = heartbeat(session, beat) => false,
    }
}

/// Drives the session's heartbeat from the writer's task; never returns. A polling session
/// has a task of its own for this, a WebSocket session does not: one task and one timer less
/// per idle connection.
async fn heartbeat(session: &EngineSession, mut beat: Pin<&mut Sleep>) {
    loop {
        beat.as_mut().await;
        match session.heartbeat_step(Instant::now()) {
            Some(at) => beat.as_mut().reset(at),
            // Closing: nothing is due any more.
            None => std::future::pending::<()>().await,
        }
    }
}

/// Drains the outbox to the socket: what is queued at one time goes out in one write.
async fn writer(session: Arc<EngineSession>, ws: Writer) {
    // Due at once: the first step arms it for the first ping.
    let beat = tokio::time::sleep_until(Instant::now());
    tokio::pin!(beat);
    loop {
        let notified = session.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (items, life) = session.drain_for_ws();
        if let CloseState::Closed(_) = life {
            close_socket(&ws, None).await;
            return;
        }
        let mut batch = Batch::default();
        let mut closing = false;
        for item in items {
            match item {
                Outgoing::Control(EnginePacket::Close) => {
                    // WebSocket clients are closed with a close frame, not an EIO `1`.
                    closing = true;
                    break;
                }
                Outgoing::Control(p) => {
                    if let Some(t) = p.encode_text() {
                        batch.text(&t);
                    }
                }
                Outgoing::Frames(frames) => {
                    for f in frames.as_ref().as_ref() {
                        match f {
                            Frame::Text(t) => batch.text_prefixed("4", t),
                            Frame::Binary(b) => batch.binary(b),
                        }
                    }
                }
            }
        }
        // Boxed: a write's state (about 350 B) would otherwise size the idle writer.
        if !batch.is_empty() && !Box::pin(write(&session, &ws, beat.as_mut(), &batch)).await {
            session.close(CloseReason::TransportClose);
            close_socket(&ws, None).await;
            return;
        }
        if closing {
            close_socket(&ws, None).await;
            session.finish_closing();
            return;
        }
        // Not kept while idle.
        drop(batch);
        tokio::select! {
            _ = notified => {}
            _ = heartbeat(&session, beat.as_mut()) => {}
        }
    }
}
