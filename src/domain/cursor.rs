//! Opaque, tamper-evident cursors for keyset pagination. A cursor names a boundary row by its sort key and its
//! id (not the id alone, so it stays valid when that row is deleted), and is signed with the instance's secret,
//! so a forged or edited cursor is rejected instead of reaching SQL.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

const VERSION: &str = "1";
const MAC_LEN: usize = 16;

/// Which way from the boundary row the page goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Rows after the boundary in sort order (the next page).
    After,
    /// Rows before the boundary in sort order (the previous page).
    Before,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// The sort the cursor was made for; a cursor used with another sort is rejected.
    pub sort: String,
    pub direction: Direction,
    /// The boundary row's sort key, as text (RFC 3339 for times, the title, or the rank).
    pub key: String,
    pub id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this server issued")]
pub struct InvalidCursor;

impl Cursor {
    pub fn encode(&self, secret: &[u8]) -> String {
        let dir = match self.direction {
            Direction::After => "a",
            Direction::Before => "b",
        };
        let payload = format!(
            "{VERSION}|{}|{dir}|{}|{}",
            self.sort,
            self.id.simple(),
            self.key
        );
        let mut bytes = payload.into_bytes();
        let tag = mac(secret, &bytes);
        bytes.extend_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(secret: &[u8], text: &str) -> Result<Cursor, InvalidCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| InvalidCursor)?;
        if bytes.len() <= MAC_LEN {
            return Err(InvalidCursor);
        }
        let (payload, tag) = bytes.split_at(bytes.len() - MAC_LEN);
        let mut check = HmacSha256::new_from_slice(secret).map_err(|_| InvalidCursor)?;
        check.update(payload);
        check
            .verify_truncated_left(tag)
            .map_err(|_| InvalidCursor)?;
        let payload = std::str::from_utf8(payload).map_err(|_| InvalidCursor)?;
        let mut parts = payload.splitn(5, '|');
        let (Some(VERSION), Some(sort), Some(dir), Some(id), Some(key)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(InvalidCursor);
        };
        let direction = match dir {
            "a" => Direction::After,
            "b" => Direction::Before,
            _ => return Err(InvalidCursor),
        };
        Ok(Cursor {
            sort: sort.to_owned(),
            direction,
            key: key.to_owned(),
            id: Uuid::parse_str(id).map_err(|_| InvalidCursor)?,
        })
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], payload: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = HmacSha256::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(payload);
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor {
            sort: "title".to_owned(),
            direction: Direction::Before,
            key: "A | title with pipes".to_owned(),
            id: Uuid::new_v4(),
        }
    }

    #[test]
    fn round_trips() {
        let c = cursor();
        assert_eq!(Cursor::decode(b"secret", &c.encode(b"secret")), Ok(c));
    }

    #[test]
    fn rejects_forgeries_and_garbage() {
        let text = cursor().encode(b"secret");
        assert_eq!(Cursor::decode(b"other", &text), Err(InvalidCursor));
        let mut bytes = URL_SAFE_NO_PAD.decode(&text).unwrap_or_default();
        bytes[3] ^= 1;
        assert_eq!(
            Cursor::decode(b"secret", &URL_SAFE_NO_PAD.encode(bytes)),
            Err(InvalidCursor)
        );
        for garbage in ["", "x", "!!!", "AAAA", &"A".repeat(5000)] {
            assert_eq!(
                Cursor::decode(b"secret", garbage),
                Err(InvalidCursor),
                "{garbage}"
            );
        }
    }
}
