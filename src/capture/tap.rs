//! The original header names and order of each request, read off the wire beside
//! hyper (which lowercases names and groups repeated headers).
//!
//! [`TapIo`] wraps the connection and feeds every byte hyper reads into a [`HeadTap`],
//! a small HTTP/1 framing parser that queues the head of each request. The handler
//! takes the queued head whose method and target match hyper's request; if the two
//! parsers ever disagree, the tap stops and hyper's own header map is used.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most header bytes the tap buffers for one head, and hyper accepts.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most headers one request may have.
pub const MAX_HEADERS: usize = 128;
const MAX_LINE: usize = 4096;

/// One request head as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHead {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug)]
enum State {
    Head,
    Body(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers,
    Stopped,
}

/// Incremental framing parser that queues request heads.
#[derive(Debug)]
pub struct HeadTap {
    state: State,
    buf: Vec<u8>,
    heads: VecDeque<RawHead>,
}

impl Default for HeadTap {
    fn default() -> Self {
        HeadTap {
            state: State::Head,
            buf: Vec::new(),
            heads: VecDeque::new(),
        }
    }
}

impl HeadTap {
    /// Feeds bytes as they are read from the connection.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match self.state {
                State::Stopped => return,
                State::Head => {
                    // Parse in place when no partial head is buffered: pipelined heads
                    // in one read are taken one after another without copying the rest.
                    let held = self.buf.len();
                    let take = data.len().min(MAX_HEAD_BYTES + 1 - held);
                    let parsed = if held == 0 {
                        self.parse_head(&data[..take])
                    } else {
                        self.buf.extend_from_slice(&data[..take]);
                        let buf = std::mem::take(&mut self.buf);
                        let parsed = self.parse_head(&buf);
                        self.buf = buf;
                        parsed
                    };
                    match parsed {
                        Some(used) => {
                            // `used` counts the buffered bytes too; skip the new ones it took.
                            data = &data[used - held..];
                            self.buf.clear();
                        }
                        None => {
                            if held == 0 && !matches!(self.state, State::Stopped) {
                                self.buf.extend_from_slice(&data[..take]);
                            }
                            data = &data[take..];
                            if self.buf.len() > MAX_HEAD_BYTES {
                                self.stop();
                            }
                        }
                    }
                }
                State::Body(remaining) => {
                    let skip = (data.len() as u64).min(remaining);
                    data = &data[skip as usize..];
                    self.state = match remaining - skip {
                        0 => State::Head,
                        left => State::Body(left),
                    };
                }
                State::ChunkData(remaining) => {
                    let skip = (data.len() as u64).min(remaining);
                    data = &data[skip as usize..];
                    self.state = match remaining - skip {
                        0 => State::ChunkEnd,
                        left => State::ChunkData(left),
                    };
                }
                State::ChunkSize | State::ChunkEnd | State::Trailers => {
                    let Some(pos) = data.iter().position(|b| *b == b'\n') else {
                        self.buf.extend_from_slice(data);
                        if self.buf.len() > MAX_LINE {
                            self.stop();
                        }
                        return;
                    };
                    self.buf.extend_from_slice(&data[..pos]);
                    data = &data[pos + 1..];
                    let line = std::mem::take(&mut self.buf);
                    self.on_line(&line);
                }
            }
        }
    }

    fn on_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        self.state = match self.state {
            State::ChunkSize => {
                let size = line.split(|b| *b == b';').next().unwrap_or_default();
                let parsed = std::str::from_utf8(size)
                    .ok()
                    .and_then(|s| u64::from_str_radix(s.trim(), 16).ok());
                match parsed {
                    Some(0) => State::Trailers,
                    Some(n) => State::ChunkData(n),
                    None => State::Stopped,
                }
            }
            State::ChunkEnd if line.is_empty() => State::ChunkSize,
            State::Trailers if line.is_empty() => State::Head,
            State::Trailers => State::Trailers,
            _ => State::Stopped,
        };
    }

    /// Parses a complete head at the start of `bytes`; returns the bytes it used.
    fn parse_head(&mut self, bytes: &[u8]) -> Option<usize> {
        // Left uninitialised: the parser fills what it uses (no 4 KB to clear per request).
        let mut slots =
            [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut []);
        let used = match request.parse_with_uninit_headers(bytes, &mut slots) {
            Ok(httparse::Status::Complete(used)) => used,
            Ok(httparse::Status::Partial) => return None,
            Err(_) => {
                self.stop();
                return None;
            }
        };
        let mut chunked = false;
        let mut length = 0u64;
        let headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|h| {
                if h.name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = String::from_utf8_lossy(h.value)
                        .to_ascii_lowercase()
                        .trim_end()
                        .ends_with("chunked");
                } else if h.name.eq_ignore_ascii_case("content-length") {
                    length = String::from_utf8_lossy(h.value).trim().parse().unwrap_or(0);
                }
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        self.heads.push_back(RawHead {
            method: request.method.unwrap_or_default().to_owned(),
            target: request.path.unwrap_or_default().to_owned(),
            headers,
        });
        self.state = if chunked {
            State::ChunkSize
        } else if length > 0 {
            State::Body(length)
        } else {
            State::Head
        };
        Some(used)
    }

    fn stop(&mut self) {
        self.state = State::Stopped;
        self.buf = Vec::new();
    }

    /// The queued head for the request hyper parsed, if the two agree.
    pub fn take(&mut self, method: &str, target: &str) -> Option<RawHead> {
        let head = self.heads.pop_front()?;
        if head.method == method && head.target == target {
            Some(head)
        } else {
            // Out of step with hyper: stop rather than attribute wrong headers.
            self.heads.clear();
            self.stop();
            None
        }
    }
}

/// A connection whose reads are copied into a shared [`HeadTap`], and whose
/// writes give up when the client reads nothing for `write_timeout`: a client that
/// pipelines requests and never reads the replies would otherwise hold its slot
/// (and its buffers) for ever.
pub struct TapIo<S> {
    inner: S,
    tap: Arc<Mutex<HeadTap>>,
    write_timeout: std::time::Duration,
    /// Since when a write has waited for the client to read.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> TapIo<S> {
    /// Wraps `inner`; the returned tap is shared with the request handler.
    pub fn new(inner: S, write_timeout: std::time::Duration) -> (Self, Arc<Mutex<HeadTap>>) {
        let tap = Arc::new(Mutex::new(HeadTap::default()));
        (
            TapIo {
                inner,
                tap: tap.clone(),
                write_timeout,
                stalled: None,
            },
            tap,
        )
    }

    /// Passes a write's outcome on; a write that stays pending past the timeout
    /// becomes an error, which closes the connection.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let timeout = self.write_timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read no reply within the write timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TapIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let fresh = &buf.filled()[before..];
            if !fresh.is_empty()
                && let Ok(mut tap) = self.tap.lock()
            {
                tap.feed(fresh);
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TapIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(tap: &mut HeadTap, bytes: &[u8], step: usize) {
        for chunk in bytes.chunks(step) {
            tap.feed(chunk);
        }
    }

    #[test]
    fn keeps_case_order_and_repeats_across_pipelined_requests() {
        let wire = b"POST /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Foo: 1\r\nContent-Length: 5\r\nx-foo: 2\r\n\r\nhelloGET /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\nPUT /c HTTP/1.1\r\nX-Up: \xff\r\n\r\n";
        for step in [1, 3, 7, wire.len()] {
            let mut tap = HeadTap::default();
            feed_all(&mut tap, wire, step);
            let a = tap.take("POST", "/a?x=1").unwrap();
            assert_eq!(
                a.headers,
                [
                    ("Host", "h"),
                    ("X-Foo", "1"),
                    ("Content-Length", "5"),
                    ("x-foo", "2")
                ]
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
            );
            assert_eq!(tap.take("GET", "/b").unwrap().headers.len(), 1);
            let c = tap.take("PUT", "/c").unwrap();
            assert_eq!(c.headers[0].1, "\u{fffd}");
        }
    }

    #[test]
    fn thousands_of_pipelined_heads_in_one_read() {
        let wire = b"GET / HTTP/1.1\r\n\r\n".repeat(5_000);
        let mut tap = HeadTap::default();
        tap.feed(&wire);
        assert_eq!(tap.heads.len(), 5_000);
        assert!(tap.buf.is_empty());
    }

    #[test]
    fn disagreement_stops_the_tap() {
        let mut tap = HeadTap::default();
        tap.feed(b"GET /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\n");
        assert!(tap.take("GET", "/other").is_none());
        assert!(tap.take("GET", "/y").is_none());
        tap.feed(b"GET /z HTTP/1.1\r\n\r\n");
        assert!(tap.take("GET", "/z").is_none());
    }

    #[test]
    fn oversized_head_stops_without_growing() {
        let mut tap = HeadTap::default();
        tap.feed(b"GET / HTTP/1.1\r\nX-Big: ");
        for _ in 0..100 {
            tap.feed(&[b'a'; 4096]);
        }
        assert!(tap.buf.capacity() <= 2 * MAX_HEAD_BYTES + 4096);
        assert!(matches!(tap.state, State::Stopped));
    }
}
