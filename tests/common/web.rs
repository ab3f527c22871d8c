//! A browser-like client of the web API: keeps the session cookie and sends the page's own
//! `Origin`, as the browser does for the page's requests.

use serde_json::{json, Value};

use super::{Client, Resp, Server};

/// One browser profile: a cookie jar of one cookie.
pub struct Browser {
    pub client: Client,
    /// The `Origin` sent; empty sends none.
    pub origin: String,
    pub cookie: Option<String>,
}

impl Browser {
    /// A browser with no session.
    pub fn new(s: &Server) -> Browser {
        Browser {
            client: s.client(),
            origin: s.base.clone(),
            cookie: None,
        }
    }

    fn keep_cookie(&mut self, r: &Resp) {
        if let Some(c) = r.header("set-cookie") {
            let pair = c.split(';').next().unwrap_or_default();
            let value = pair.split_once('=').map(|x| x.1).unwrap_or_default();
            self.cookie = (!value.is_empty()).then(|| value.to_string());
        }
    }

    /// A request with the cookie, the page's origin and any extra headers.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Resp {
        let url = self.client.url_of(path);
        let mut req = match method {
            "GET" => self.client.http.get(url),
            _ => self.client.http.post(url),
        };
        if !self.origin.is_empty() {
            req = req.insert_header(("Origin", self.origin.as_str()));
        }
        if let Some(c) = &self.cookie {
            req = req.insert_header(("Cookie", format!("agentgate_session={c}")));
        }
        for (k, v) in extra {
            req = req.insert_header((*k, *v));
        }
        let mut res = match body {
            Some(b) => req
                .insert_header(("Content-Type", "application/json"))
                .send_body(b.to_string())
                .await
                .expect("request"),
            None => req.send().await.expect("request"),
        };
        let r = Client::finish_pub(&mut res).await;
        self.keep_cookie(&r);
        r
    }

    /// A GET.
    pub async fn get(&mut self, path: &str) -> Resp {
        self.send("GET", path, None, &[]).await
    }

    /// A JSON POST.
    pub async fn post(&mut self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(body), &[]).await
    }

    /// Signs up; panics unless 201.
    pub async fn sign_up(&mut self, email: &str, name: &str) -> Value {
        let r = self
            .post(
                "/web/api/signup",
                json!({"email": email, "password": PASSWORD, "displayName": name}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body
    }

    /// Logs in; returns the response.
    pub async fn log_in(&mut self, email: &str, password: &str) -> Resp {
        self.post(
            "/web/api/login",
            json!({"email": email, "password": password}),
        )
        .await
    }
}

/// The password the helpers sign up with.
pub const PASSWORD: &str = "correct horse battery";

/// The token of a claim link.
pub fn claim_token(url: &str) -> String {
    url.split("/#/claim/")
        .nth(1)
        .expect("claim link")
        .to_string()
}

/// Runs the `agentgate` binary with a command against a database; returns stdout.
pub fn cli(db: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_agentgate"))
        .args(args)
        .arg("--database")
        .arg(db)
        .env("AGENTGATE_LOG", "warn")
        .output()
        .expect("run agentgate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}
