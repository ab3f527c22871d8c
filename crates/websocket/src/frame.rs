//! RFC 6455 framing as a server sees it: the header of a client frame (always masked),
//! unmasking, and the header of a server frame (never masked).

/// A continuation of a fragmented message.
pub const OP_CONTINUATION: u8 = 0x0;
/// A text message (UTF-8).
pub const OP_TEXT: u8 = 0x1;
/// A binary message.
pub const OP_BINARY: u8 = 0x2;
/// The close handshake.
pub const OP_CLOSE: u8 = 0x8;
/// A ping, answered with a pong carrying the same payload.
pub const OP_PING: u8 = 0x9;
/// A pong.
pub const OP_PONG: u8 = 0xA;

/// The largest payload of a control frame (§5.5).
const MAX_CONTROL_PAYLOAD: usize = 125;

/// The header of one client frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Whether this is the last frame of its message.
    pub fin: bool,
    /// One of the `OP_*` codes.
    pub opcode: u8,
    /// The masking key.
    pub mask: [u8; 4],
    /// Payload length in bytes.
    pub len: usize,
    /// Header length in bytes: the payload starts here.
    pub header_len: usize,
}

/// Why a frame header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// The frame breaks RFC 6455; the text names the rule (close code 1002).
    Protocol(&'static str),
    /// The payload is longer than the limit (close code 1009).
    TooBig,
}

/// Whether an opcode is a control frame's.
pub fn is_control(opcode: u8) -> bool {
    opcode & 0x8 != 0
}

/// Reads a client frame header from the start of `buf`: `Ok(None)` until the whole header is
/// there. A payload over `max_len` is refused from the header alone, before it is buffered.
pub fn parse_header(buf: &[u8], max_len: usize) -> Result<Option<Header>, HeaderError> {
    let [b0, b1, ..] = *buf else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        // No extension is ever negotiated, so every reserved bit must be clear.
        return Err(HeaderError::Protocol("reserved bits set"));
    }
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0F;
    if !matches!(
        opcode,
        OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG
    ) {
        return Err(HeaderError::Protocol("unknown opcode"));
    }
    if b1 & 0x80 == 0 {
        return Err(HeaderError::Protocol("client frame not masked"));
    }
    let (len, len_bytes) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 2),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut be = [0u8; 8];
                be.copy_from_slice(b);
                let n = u64::from_be_bytes(be);
                if n >> 63 != 0 {
                    return Err(HeaderError::Protocol("payload length has its top bit set"));
                }
                (n, 8)
            }
            None => return Ok(None),
        },
        n => (u64::from(n), 0),
    };
    if is_control(opcode) {
        if !fin {
            return Err(HeaderError::Protocol("fragmented control frame"));
        }
        if len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(HeaderError::Protocol("control frame longer than 125 bytes"));
        }
    }
    let len = usize::try_from(len).map_err(|_| HeaderError::TooBig)?;
    if len > max_len {
        return Err(HeaderError::TooBig);
    }
    let mask_at = 2 + len_bytes;
    let Some(m) = buf.get(mask_at..mask_at + 4) else {
        return Ok(None);
    };
    Ok(Some(Header {
        fin,
        opcode,
        mask: [m[0], m[1], m[2], m[3]],
        len,
        header_len: mask_at + 4,
    }))
}

/// Unmasks a payload in place.
pub fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    let word = u32::from_ne_bytes(mask);
    let mut chunks = payload.chunks_exact_mut(4);
    for c in &mut chunks {
        let v = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]) ^ word;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (b, m) in chunks.into_remainder().iter_mut().zip(mask) {
        *b ^= m;
    }
}

/// Appends a whole, unmasked server frame to `out`; the payload is `parts` joined.
pub fn encode(opcode: u8, parts: &[&[u8]], out: &mut Vec<u8>) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    out.reserve(len + 10);
    out.push(0x80 | opcode);
    if len < 126 {
        out.push(len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    for p in parts {
        out.extend_from_slice(p);
    }
}

/// A masked client frame with first byte `b0`, as a browser would send it (for tests).
#[cfg(test)]
pub(crate) fn client_frame(b0: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let mut out = Vec::new();
    encode(b0 & 0x0F, &[payload], &mut out);
    out[0] = b0;
    out[1] |= 0x80;
    let at = out.len() - payload.len();
    out.splice(at..at, mask);
    unmask(&mut out[at + 4..], mask);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_of_each_length_form() {
        for len in [0usize, 5, 125, 126, 65_535, 65_536, 70_000] {
            let payload = vec![7u8; len];
            let f = client_frame(0x81, &payload, [1, 2, 3, 4]);
            let h = parse_header(&f, 1 << 20).unwrap().unwrap();
            assert_eq!(h.len, len);
            assert_eq!(h.opcode, OP_TEXT);
            assert!(h.fin);
            assert_eq!(h.mask, [1, 2, 3, 4]);
            assert_eq!(h.header_len + len, f.len(), "len {len}");
            // Any prefix shorter than the header asks for more bytes.
            for cut in 0..h.header_len {
                assert_eq!(parse_header(&f[..cut], 1 << 20), Ok(None), "cut {cut}");
            }
        }
    }

    #[test]
    fn unmasking_restores_the_payload() {
        let text = b"hello, masked world!";
        for n in 0..text.len() {
            let f = client_frame(0x82, &text[..n], [0xA1, 0x00, 0x5C, 0xFF]);
            let h = parse_header(&f, 100).unwrap().unwrap();
            let mut p = f[h.header_len..].to_vec();
            unmask(&mut p, h.mask);
            assert_eq!(p, &text[..n]);
        }
    }

    #[test]
    fn refused_headers() {
        let m = [9, 9, 9, 9];
        let p = HeaderError::Protocol;
        assert_eq!(
            parse_header(&client_frame(0xC1, b"x", m), 10),
            Err(p("reserved bits set"))
        );
        assert_eq!(
            parse_header(&client_frame(0x83, b"x", m), 10),
            Err(p("unknown opcode"))
        );
        assert_eq!(
            parse_header(&client_frame(0x09, b"x", m), 10),
            Err(p("fragmented control frame"))
        );
        assert_eq!(
            parse_header(&client_frame(0x89, &[0; 126], m), 1000),
            Err(p("control frame longer than 125 bytes"))
        );
        let mut unmasked = Vec::new();
        encode(OP_TEXT, &[b"hi"], &mut unmasked);
        assert_eq!(
            parse_header(&unmasked, 10),
            Err(p("client frame not masked"))
        );
        let huge = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            parse_header(&huge, usize::MAX),
            Err(p("payload length has its top bit set"))
        );
        // The limit is decided from the header alone.
        assert_eq!(
            parse_header(&client_frame(0x82, &[0; 11], m)[..4], 10),
            Err(HeaderError::TooBig)
        );
        assert!(parse_header(&client_frame(0x82, &[0; 10], m), 10).is_ok());
    }

    #[test]
    fn server_frames_use_the_shortest_length() {
        let mut out = Vec::new();
        encode(OP_TEXT, &[b"a", b"bc"], &mut out);
        assert_eq!(out, [0x81, 3, b'a', b'b', b'c']);
        out.clear();
        encode(OP_BINARY, &[&[0; 300]], &mut out);
        assert_eq!(&out[..4], &[0x82, 126, 1, 44]);
        assert_eq!(out.len(), 304);
        out.clear();
        encode(OP_BINARY, &[&vec![0; 70_000]], &mut out);
        assert_eq!(&out[..10], &[0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    }
}
