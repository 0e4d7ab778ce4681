//! The small part of DER (ITU-T X.690) that certificates, PKCS#8 keys and CMS signatures need:
//! single-byte tags and definite lengths up to 4 bytes.

pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OBJECT_IDENTIFIER: u8 = 0x06;
pub const UTF8_STRING: u8 = 0x0C;
pub const UTC_TIME: u8 = 0x17;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Returns the constructed context-specific tag `[number]`.
pub const fn context(number: u8) -> u8 {
    0xA0 | number
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DerError {
    #[error("DER data ends inside an element")]
    Truncated,
    #[error("DER length form is not supported")]
    UnsupportedLength,
    #[error("expected DER tag 0x{expected:02x}, found 0x{found:02x}")]
    UnexpectedTag { expected: u8, found: u8 },
    #[error("invalid DER object identifier")]
    InvalidOid,
    #[error("DER data continues after the last element")]
    TrailingData,
}

/// Encodes one element with `tag` and `content`.
pub fn element(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut encoded = vec![tag];
    let length = content.len();
    if length < 0x80 {
        encoded.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let first = bytes.iter().position(|&byte| byte != 0).unwrap_or(bytes.len() - 1);
        encoded.push(0x80 | (bytes.len() - first) as u8);
        encoded.extend_from_slice(&bytes[first..]);
    }
    encoded.extend_from_slice(content);
    encoded
}

/// Encodes a constructed element whose content is `parts` in order.
pub fn constructed(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    element(tag, &parts.concat())
}

/// Encodes a SET OF, sorting the encoded members as DER requires.
pub fn set_of(mut members: Vec<Vec<u8>>) -> Vec<u8> {
    members.sort();
    element(SET, &members.concat())
}

/// Encodes a non-negative INTEGER from its big-endian magnitude.
pub fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let first = magnitude.iter().position(|&byte| byte != 0).unwrap_or(magnitude.len());
    let mut content = magnitude[first..].to_vec();
    if content.first().is_none_or(|&byte| byte & 0x80 != 0) {
        content.insert(0, 0);
    }
    element(INTEGER, &content)
}

/// Encodes an OBJECT IDENTIFIER written with dots, such as `1.2.643.7.1.1.1.1`.
///
/// Panics on a malformed identifier, since every identifier here is a constant.
pub fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|arc| arc.parse().expect("an OID arc is a number")).collect();
    assert!(arcs.len() >= 2, "an OID has at least two arcs");
    let mut content = Vec::new();
    let mut push_arc = |mut value: u64| {
        let mut bytes = vec![(value & 0x7F) as u8];
        value >>= 7;
        while value > 0 {
            bytes.push(0x80 | (value & 0x7F) as u8);
            value >>= 7;
        }
        bytes.reverse();
        content.extend_from_slice(&bytes);
    };
    push_arc(arcs[0] * 40 + arcs[1]);
    arcs[2..].iter().for_each(|&arc| push_arc(arc));
    element(OBJECT_IDENTIFIER, &content)
}

/// Decodes the content of an OBJECT IDENTIFIER into its dotted form.
pub fn parse_oid(content: &[u8]) -> Result<String, DerError> {
    let mut arcs = Vec::new();
    let mut value: u64 = 0;
    for (index, &byte) in content.iter().enumerate() {
        if value > u64::MAX >> 7 {
            return Err(DerError::InvalidOid);
        }
        value = (value << 7) | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        } else if index + 1 == content.len() {
            return Err(DerError::InvalidOid);
        }
    }
    let first = *arcs.first().ok_or(DerError::InvalidOid)?;
    let (top, second) = if first < 80 { (first / 40, first % 40) } else { (2, first - 80) };
    let mut dotted = format!("{top}.{second}");
    for arc in &arcs[1..] {
        dotted.push_str(&format!(".{arc}"));
    }
    Ok(dotted)
}

/// One decoded element: its tag, its content and its whole encoding.
#[derive(Debug, Clone, Copy)]
pub struct Element<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub encoded: &'a [u8],
}

impl<'a> Element<'a> {
    /// Returns a reader over the members of a constructed element.
    pub fn members(&self) -> Reader<'a> {
        Reader::new(self.content)
    }
}

/// Reads consecutive elements from DER data.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Returns the tag of the next element without reading it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    pub fn read(&mut self) -> Result<Element<'a>, DerError> {
        let [tag, first_length, ..] = *self.data else {
            return Err(DerError::Truncated);
        };
        if tag & 0x1F == 0x1F {
            return Err(DerError::UnsupportedLength);
        }
        let (length, header) = if first_length < 0x80 {
            (usize::from(first_length), 2)
        } else {
            let count = usize::from(first_length & 0x7F);
            if count == 0 || count > 4 {
                return Err(DerError::UnsupportedLength);
            }
            let bytes = self.data.get(2..2 + count).ok_or(DerError::Truncated)?;
            (bytes.iter().fold(0usize, |length, &byte| (length << 8) | usize::from(byte)), 2 + count)
        };
        let end = header.checked_add(length).filter(|&end| end <= self.data.len()).ok_or(DerError::Truncated)?;
        let element = Element { tag, content: &self.data[header..end], encoded: &self.data[..end] };
        self.data = &self.data[end..];
        Ok(element)
    }

    /// Reads the next element and checks its tag.
    pub fn expect(&mut self, tag: u8) -> Result<Element<'a>, DerError> {
        let element = self.read()?;
        if element.tag != tag {
            return Err(DerError::UnexpectedTag { expected: tag, found: element.tag });
        }
        Ok(element)
    }

    /// Reads an element with `tag` if the next element has it.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Element<'a>>, DerError> {
        if self.peek_tag() == Some(tag) { self.read().map(Some) } else { Ok(None) }
    }

    /// Reads an OBJECT IDENTIFIER and returns its dotted form.
    pub fn oid(&mut self) -> Result<String, DerError> {
        parse_oid(self.expect(OBJECT_IDENTIFIER)?.content)
    }

    /// Fails unless every element was read.
    pub fn finish(&self) -> Result<(), DerError> {
        if self.data.is_empty() { Ok(()) } else { Err(DerError::TrailingData) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_round_trip() {
        // 1.2.643.7.1.1.1.1 encodes as 06 08 2A 85 03 07 01 01 01 01 (RFC 9215's OID for GOST R 34.10-2012 256-bit keys).
        let encoded = oid("1.2.643.7.1.1.1.1");
        assert_eq!(encoded, [0x06, 0x08, 0x2A, 0x85, 0x03, 0x07, 0x01, 0x01, 0x01, 0x01]);
        assert_eq!(parse_oid(&encoded[2..]).as_deref(), Ok("1.2.643.7.1.1.1.1"));
    }

    #[test]
    fn long_lengths_read_back() {
        let content = vec![7u8; 300];
        let encoded = element(OCTET_STRING, &content);
        assert_eq!(&encoded[..4], &[0x04, 0x82, 0x01, 0x2C]);
        let mut reader = Reader::new(&encoded);
        let read = reader.expect(OCTET_STRING).expect("the element reads back");
        assert_eq!(read.content, content.as_slice());
        assert!(reader.is_empty());
    }

    #[test]
    fn integer_gets_sign_byte() {
        assert_eq!(unsigned_integer(&[0x00, 0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(unsigned_integer(&[0x01]), [0x02, 0x01, 0x01]);
        assert_eq!(unsigned_integer(&[]), [0x02, 0x01, 0x00]);
    }

    #[test]
    fn truncated_input_rejected() {
        let mut reader = Reader::new(&[0x30, 0x05, 0x02, 0x01]);
        assert_eq!(reader.read().err(), Some(DerError::Truncated));
    }
}
