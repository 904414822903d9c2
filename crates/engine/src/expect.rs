//! Expect-style console automation (regex waits with timeouts, full transcript).
