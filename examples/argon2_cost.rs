//! What one argon2id password check costs with agentgate's parameters (docs/PERFORMANCE.md):
//! hashes one password, then verifies it N times (right and wrong alternately) on one thread
//! and prints the median, p99 and mean in milliseconds as JSON. Run it in release:
//! `cargo run --release --example argon2_cost -- 50`.

use std::time::Instant;

use agentgate::core::passwords;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let started = Instant::now();
    let hash = passwords::hash("a password of ordinary length".into())
        .await
        .expect("hash");
    let hash_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let guess = if i % 2 == 0 {
            "a password of ordinary length"
        } else {
            "a wrong password"
        };
        let t = Instant::now();
        let ok = passwords::verify(guess.into(), Some(hash.clone()))
            .await
            .expect("verify");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(ok, i % 2 == 0);
    }
    // The decoy path (unknown email) must cost the same; its hash is made on first use.
    let _ = passwords::verify("anything".into(), None).await;
    let t = Instant::now();
    let _ = passwords::verify("anything".into(), None).await;
    let _ = passwords::verify("anything".into(), None).await;
    let decoy_ms = t.elapsed().as_secs_f64() * 1000.0 / 2.0;
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{{\"params\":\"m={} KiB, t={}, p={}\",\"verifies\":{n},\"hash_ms\":{hash_ms:.1},\"verify_p50_ms\":{:.1},\"verify_p99_ms\":{:.1},\"verify_mean_ms\":{mean:.1},\"unknown_email_ms\":{decoy_ms:.1}}}",
        passwords::MEMORY_KIB,
        passwords::PASSES,
        passwords::LANES,
        pick(0.5),
        pick(0.99)
    );
}
