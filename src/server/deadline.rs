//! Request-body deadlines for every route: a body must arrive whole within a total time and
//! never fall below a minimum rate, or the request is answered `408` and its connection closed.
//! actix-http only times the request head, so a body trickled in byte by byte would otherwise
//! hold its connection (and a descriptor) forever.

use std::cell::Cell;
use std::future::{ready, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_http::{ConnectionType, Payload};
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpResponse};
use bytes::Bytes;
use futures_util::future::LocalBoxFuture;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use super::refusal::Refusal;

/// How long a body may arrive slower than the minimum rate before that rate is enforced:
/// the first bytes of a body often come a moment after the head.
const RATE_GRACE: Duration = Duration::from_secs(5);

/// The body limits; `min_bytes_per_sec` 0 turns the rate check off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDeadline {
    /// Longest a whole body may take.
    pub total: Duration,
    /// Slowest average rate accepted after [`RATE_GRACE`].
    pub min_bytes_per_sec: u64,
}

impl Default for BodyDeadline {
    fn default() -> Self {
        BodyDeadline {
            total: Duration::from_secs(30),
            min_bytes_per_sec: 1024,
        }
    }
}

/// Which limit ended a body, kept for the answer.
type Fired = Rc<Cell<Option<String>>>;

impl<S> Transform<S, ServiceRequest> for BodyDeadline
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = actix_web::Error> + 'static,
{
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Transform = BodyDeadlineService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(BodyDeadlineService {
            service: Rc::new(service),
            limits: *self,
        }))
    }
}

/// The middleware of [`BodyDeadline`].
pub struct BodyDeadlineService<S> {
    service: Rc<S>,
    limits: BodyDeadline,
}

impl<S> Service<ServiceRequest> for BodyDeadlineService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = actix_web::Error> + 'static,
{
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<ServiceResponse, actix_web::Error>>;

    actix_service::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let payload = req.take_payload();
        // Requests without a body (most GETs) pay nothing.
        if matches!(payload, Payload::None) {
            req.set_payload(payload);
            return Box::pin(self.service.call(req));
        }
        let fired = Fired::default();
        let stream = TimedBody::new(payload, self.limits, Rc::clone(&fired));
        req.set_payload(Payload::from(
            Box::pin(stream) as actix_http::BoxedPayloadStream
        ));
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let res = service.call(req).await;
            match fired.take() {
                Some(limit) => {
                    let http_req = match &res {
                        Ok(r) => r.request().clone(),
                        Err(_) => return res,
                    };
                    log::debug!("request body cut: {limit}");
                    let mut answer = timeout_answer(&limit);
                    answer.head_mut().set_connection_type(ConnectionType::Close);
                    Ok(ServiceResponse::new(http_req, answer))
                }
                None => res,
            }
        })
    }
}

/// The `408` answer naming the limit that was hit.
fn timeout_answer(limit: &str) -> HttpResponse<BoxBody> {
    Refusal::answer(
        StatusCode::REQUEST_TIMEOUT,
        "RequestTimeout",
        limit.to_string(),
    )
}

/// A request body that fails with a timeout once a limit is passed.
struct TimedBody {
    inner: Payload,
    limits: BodyDeadline,
    start: Instant,
    received: u64,
    sleep: Pin<Box<Sleep>>,
    fired: Fired,
    done: bool,
}

impl TimedBody {
    fn new(inner: Payload, limits: BodyDeadline, fired: Fired) -> TimedBody {
        let start = Instant::now();
        let mut body = TimedBody {
            inner,
            limits,
            start,
            received: 0,
            sleep: Box::pin(tokio::time::sleep_until(start)),
            fired,
            done: false,
        };
        let next = body.next_deadline();
        body.sleep.as_mut().reset(next);
        body
    }

    /// When the body will have broken a limit unless more bytes arrive first.
    fn next_deadline(&self) -> Instant {
        let total = self.start + self.limits.total;
        match self.limits.min_bytes_per_sec {
            0 => total,
            rate => {
                let allowed = Duration::from_secs_f64(self.received as f64 / rate as f64);
                total.min(self.start + RATE_GRACE + allowed)
            }
        }
    }

    /// Which limit was broken at `now`.
    fn broken(&self, now: Instant) -> String {
        if now >= self.start + self.limits.total {
            format!(
                "the request body was not complete within {} s (body_timeout_secs)",
                self.limits.total.as_secs()
            )
        } else {
            format!(
                "the request body arrived slower than {} bytes per second (body_min_bytes_per_sec)",
                self.limits.min_bytes_per_sec
            )
        }
    }
}

impl Stream for TimedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.received += chunk.len() as u64;
                let next = self.next_deadline();
                self.sleep.as_mut().reset(next);
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.done = true;
        let limit = self.broken(Instant::now());
        self.fired.set(Some(limit.clone()));
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            limit,
        )))))
    }
}
