//! The process's descriptor limit: every connection costs one, and the usual soft limit of
//! 1,024 is far below what a gateway holding thousands of sockets needs.

/// Below this many descriptors a warning is logged at start-up.
const LOW: u64 = 4096;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and logs the result.
pub fn raise() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) if n < LOW => log::warn!(
            "descriptor limit is {n}: fewer than {LOW} connections can be open (raise the hard limit, e.g. ulimit -Hn)"
        ),
        Ok(n) => log::info!("descriptor limit {n}"),
        Err(e) => log::warn!("cannot raise the descriptor limit: {e}"),
    }
}
