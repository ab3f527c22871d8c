//! What permessage-deflate (RFC 7692) would cost each socket, measured: the memory a
//! compressor and a decompressor hold at the default window (15 bits), with flate2's default
//! (pure Rust) backend, after one message each way so lazily made buffers are counted. The
//! figure backs the decision in docs/protocols.md not to negotiate the extension: a raw idle
//! WebSocket costs about 7.4 KiB in all (docs/PERFORMANCE.md).
//!
//! The binary has this one test so that the counting allocator sees no other thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

/// Live heap bytes of the process.
static LIVE: AtomicIsize = AtomicIsize::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The idle raw WebSocket of docs/PERFORMANCE.md, in bytes (7.35 KiB at 10,000 sockets).
const IDLE_SOCKET_BYTES: isize = 7_526;

#[test]
fn a_deflate_context_pair_costs_far_more_than_an_idle_socket() {
    let message =
        br#"{"type":"notification","data":{"id":"n1","kind":"dm","preview":"hello there"}}"#;
    let mut compressed = vec![0u8; 1024];
    let mut plain = vec![0u8; 1024];
    let before = LIVE.load(Ordering::SeqCst);
    // Raw deflate (no zlib header), as RFC 7692 frames it, at the default window of 2^15.
    let mut tx = Compress::new(Compression::default(), false);
    let mut rx = Decompress::new(false);
    let at_creation = LIVE.load(Ordering::SeqCst) - before;
    tx.compress(message, &mut compressed, FlushCompress::Sync)
        .unwrap();
    let n = tx.total_out() as usize;
    rx.decompress(&compressed[..n], &mut plain, FlushDecompress::Sync)
        .unwrap();
    assert_eq!(&plain[..rx.total_out() as usize], &message[..]);
    let in_use = LIVE.load(Ordering::SeqCst) - before;
    drop((tx, rx));
    let compress_alone = {
        let b = LIVE.load(Ordering::SeqCst);
        let c = Compress::new(Compression::default(), false);
        let size = LIVE.load(Ordering::SeqCst) - b;
        drop(c);
        size
    };
    println!(
        "deflate pair: {at_creation} bytes at creation ({compress_alone} the compressor), \
         {in_use} after one message each way; idle socket {IDLE_SOCKET_BYTES} bytes: \
         {:.1}x",
        in_use as f64 / IDLE_SOCKET_BYTES as f64
    );
    // Context takeover keeps both for the socket's life: many times the socket itself.
    assert!(in_use > 10 * IDLE_SOCKET_BYTES, "{in_use} bytes");
    assert!(in_use >= at_creation);
}
