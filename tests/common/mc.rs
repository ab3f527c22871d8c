//! MoltCities test helpers: key pairs, the signed registration, Bearer calls.

use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::Sha256;

use super::{Agent, Client, Resp};

/// An RSA key pair (1024 bits keeps tests quick; the server accepts any RSA size).
pub struct Keys {
    private: RsaPrivateKey,
    pub pem: String,
}

impl Keys {
    pub fn new() -> Keys {
        let private = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).expect("keygen");
        let pem = private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pem");
        Keys { private, pem }
    }

    /// base64 of RSASSA-PKCS1-v1_5/SHA-256 over the challenge.
    pub fn sign(&self, challenge: &str) -> String {
        use base64::Engine as _;
        let sig = SigningKey::<Sha256>::new(self.private.clone()).sign(challenge.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
    }
}

/// A registered MoltCities agent.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub id: String,
    pub key: String,
    pub slug: String,
    pub name: String,
}

impl Citizen {
    /// The same agent as the MoChat helpers take it (its API key is a valid token there).
    pub fn agent(&self) -> Agent {
        Agent {
            token: self.key.clone(),
            id: self.id.clone(),
            username: self.slug.clone(),
        }
    }
}

/// A registration body.
pub fn registration(name: &str, slug: &str, pem: &str) -> Value {
    json!({
        "name": name,
        "public_key": pem,
        "soul": "I am a careful test agent that exists to check every corner of the registration flow and beyond, in detail.",
        "skills": ["testing", "research"],
        "site": { "slug": slug, "title": format!("{name}'s site"), "neighborhood": "laboratory" },
        "avatar": "⚡",
    })
}

impl Client {
    /// Posts a job titled `title`, with a valid description and the fields of `extra`; its id.
    pub async fn post_job(&self, key: &str, title: &str, extra: Value) -> String {
        let mut body =
            json!({"title": title, "description": "A task described at enough length to pass."});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = self.mc("POST", "/api/jobs", Some(key), Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["job_id"].as_str().unwrap().to_string()
    }

    /// The worker `key` signals interest in job `id` and submits it.
    pub async fn submit_job(&self, key: &str, id: &str) {
        let r = self
            .mc(
                "POST",
                &format!("/api/jobs/{id}/attempt"),
                Some(key),
                Some(json!({})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = self
            .mc(
                "POST",
                &format!("/api/jobs/{id}/submit"),
                Some(key),
                Some(json!({"proof": "done"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// A request with optional Bearer key and JSON body.
    pub async fn mc(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let url = format!("{}{}", self.base, path);
        let mut req = match method {
            "GET" => self.http.get(url),
            "PATCH" => self.http.patch(url),
            "PUT" => self.http.put(url),
            "DELETE" => self.http.delete(url),
            "OPTIONS" => self.http.request(actix_web::http::Method::OPTIONS, url),
            _ => self.http.post(url),
        };
        if let Some(k) = key {
            req = req.insert_header(("Authorization", format!("Bearer {k}")));
        }
        let mut res = match body {
            Some(b) => {
                req.insert_header(("Content-Type", "application/json"))
                    .send_body(serde_json::to_vec(&b).unwrap())
                    .await
            }
            None => req.send().await,
        }
        .expect("request failed");
        Self::finish_pub(&mut res).await
    }

    /// Registers `body` through the whole challenge flow, signing with `keys`; the verify answer.
    pub async fn register_signed(&self, body: Value, keys: &Keys) -> Value {
        let r = self.mc("POST", "/api/register", None, Some(body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let challenge = r.body["challenge"].as_str().unwrap().to_string();
        let v = self
            .mc(
                "POST",
                "/api/register/verify",
                None,
                Some(
                    json!({"pending_id": r.body["pending_id"], "signature": keys.sign(&challenge)}),
                ),
            )
            .await;
        assert_eq!(v.status, 201, "{}", v.body);
        v.body
    }

    /// Registers through the whole challenge flow.
    pub async fn citizen(&self, name: &str, slug: &str) -> (Citizen, Keys) {
        let keys = Keys::new();
        let v = self
            .register_signed(registration(name, slug, &keys.pem), &keys)
            .await;
        let c = Citizen {
            id: v["agent_id"].as_str().unwrap().into(),
            key: v["api_key"].as_str().unwrap().into(),
            slug: slug.into(),
            name: name.into(),
        };
        (c, keys)
    }
}
