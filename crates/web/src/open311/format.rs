//! One response tree rendered as JSON or as XML, the two formats of GeoReport v2. Handlers build
//! a [`Document`]; the file suffix of the request (`.json` or `.xml`) picks the rendering.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use pomoshnik_core::deadline::CITY_TIME_ZONE;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// The response format, chosen by the suffix of the resource name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Json, Format::Xml];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
        }
    }

    pub fn from_extension(extension: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.extension() == extension)
    }

    /// Returns the media type listed in the discovery document.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "text/xml",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "text/xml; charset=utf-8",
        }
    }
}

/// Splits `parking_violation.json` into the name and the format; None for another suffix.
pub fn split_resource(file: &str) -> Option<(&str, Format)> {
    let (name, extension) = file.rsplit_once('.')?;
    Some((name, Format::from_extension(extension)?))
}

/// A node of a response. In JSON a record is an object and a list is an array. In XML a
/// record's fields are child elements, and each list item is an element named by the list.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON `null`, an empty element in XML.
    Null,
    Bool(bool),
    Integer(i64),
    Number(f64),
    Text(String),
    Record(Vec<(&'static str, Value)>),
    /// Items and the XML element name of each item.
    List(&'static str, Vec<Value>),
}

impl Value {
    pub fn text(text: impl Into<String>) -> Value {
        Value::Text(text.into())
    }

    pub fn optional_text(text: Option<impl Into<String>>) -> Value {
        text.map_or(Value::Null, |text| Value::Text(text.into()))
    }

    /// Builds a time in the W3C profile of ISO 8601 with the Moscow offset, such as
    /// `2026-12-04T15:30:00+03:00`.
    pub fn datetime(time: DateTime<Utc>) -> Value {
        Value::Text(w3c_datetime(time))
    }

    pub fn optional_datetime(time: Option<DateTime<Utc>>) -> Value {
        time.map_or(Value::Null, Value::datetime)
    }
}

pub fn w3c_datetime(time: DateTime<Utc>) -> String {
    time.with_timezone(&CITY_TIME_ZONE).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A whole response: the XML root element and its content. JSON has no root name and renders
/// the content alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub root: &'static str,
    pub value: Value,
}

impl Document {
    pub fn new(root: &'static str, value: Value) -> Document {
        Document { root, value }
    }

    pub fn to_json(&self) -> serde_json::Value {
        json_of(&self.value)
    }

    pub fn to_xml(&self) -> String {
        let mut writer = Writer::new(Vec::new());
        // Writing into a Vec cannot fail.
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).expect("writing XML into memory");
        write_element(&mut writer, self.root, &self.value);
        String::from_utf8(writer.into_inner()).expect("quick-xml writes the UTF-8 it was given")
    }

    /// Renders the document with `status` in `format`.
    pub fn into_response(self, format: Format, status: StatusCode) -> Response {
        let body = match format {
            Format::Json => self.to_json().to_string(),
            Format::Xml => self.to_xml(),
        };
        let mut response = (status, body).into_response();
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
        response
    }
}

fn json_of(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(flag) => serde_json::Value::Bool(*flag),
        Value::Integer(number) => serde_json::Value::from(*number),
        Value::Number(number) => serde_json::Number::from_f64(*number).map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Text(text) => serde_json::Value::String(text.clone()),
        Value::Record(fields) => serde_json::Value::Object(fields.iter().map(|(name, field)| ((*name).to_owned(), json_of(field))).collect()),
        Value::List(_, items) => serde_json::Value::Array(items.iter().map(json_of).collect()),
    }
}

fn write_element(writer: &mut Writer<Vec<u8>>, name: &str, value: &Value) {
    let start = || Event::Start(BytesStart::new(name));
    let end = || Event::End(BytesEnd::new(name));
    let scalar = match value {
        Value::Null => {
            write(writer, Event::Empty(BytesStart::new(name)));
            return;
        }
        Value::Record(fields) => {
            write(writer, start());
            for (field_name, field) in fields {
                write_element(writer, field_name, field);
            }
            write(writer, end());
            return;
        }
        Value::List(item_name, items) => {
            write(writer, start());
            for item in items {
                write_element(writer, item_name, item);
            }
            write(writer, end());
            return;
        }
        Value::Bool(flag) => flag.to_string(),
        Value::Integer(number) => number.to_string(),
        Value::Number(number) => number.to_string(),
        Value::Text(text) => xml_safe(text),
    };
    write(writer, start());
    // BytesText::new escapes `<`, `>`, `&`, `'` and `"`.
    write(writer, Event::Text(BytesText::new(&scalar)));
    write(writer, end());
}

fn write(writer: &mut Writer<Vec<u8>>, event: Event<'_>) {
    writer.write_event(event).expect("writing XML into memory");
}

/// Replaces the characters XML 1.0 forbids even when escaped (most C0 controls, surrogates and
/// U+FFFE, U+FFFF) with U+FFFD, so that a stray control character in a description cannot make
/// the document unreadable.
fn xml_safe(text: &str) -> String {
    text.chars()
        .map(|character| match character {
            '\t' | '\n' | '\r' => character,
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        Document::new(
            "service_requests",
            Value::List(
                "request",
                vec![Value::Record(vec![
                    ("service_request_id", Value::text("2026-0000001")),
                    ("description", Value::text("<b>\"Мусор\" & снег</b>\u{1}")),
                    ("lat", Value::Number(55.764)),
                    ("media_url", Value::Null),
                    ("values", Value::List("value", vec![Value::Record(vec![("key", Value::text("bench"))])])),
                ])],
            ),
        )
    }

    #[test]
    fn json_renders_lists_as_arrays() {
        let json = sample().to_json();
        assert_eq!(json[0]["service_request_id"], "2026-0000001");
        assert_eq!(json[0]["lat"], 55.764);
        assert!(json[0]["media_url"].is_null());
        assert_eq!(json[0]["values"][0]["key"], "bench");
    }

    #[test]
    fn xml_escapes_every_text() {
        let xml = sample().to_xml();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{xml}");
        assert!(xml.contains("<description>&lt;b&gt;&quot;Мусор&quot; &amp; снег&lt;/b&gt;\u{FFFD}</description>"), "{xml}");
        assert!(xml.contains("<media_url/>"), "{xml}");
        assert!(xml.contains("<values><value><key>bench</key></value></values>"), "{xml}");
    }

    #[test]
    fn resource_suffix_selects_format() {
        assert_eq!(split_resource("services.json"), Some(("services", Format::Json)));
        assert_eq!(split_resource("2026-0000001.xml"), Some(("2026-0000001", Format::Xml)));
        assert_eq!(split_resource("services.csv"), None);
        assert_eq!(split_resource("services"), None);
    }

    #[test]
    fn datetime_uses_moscow_offset() {
        let time: DateTime<Utc> = "2026-12-04T12:30:00Z".parse().unwrap();
        assert_eq!(w3c_datetime(time), "2026-12-04T15:30:00+03:00");
    }
}
