//! Russian text of every page, message and error, looked up from the Fluent files under
//! `locales/ru`. Plural forms follow the CLDR rules for Russian (one, few, many, other).

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};
use pomoshnik_core::status::{Decision, RejectionReason, Status};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "ru",
        // Isolation marks around arguments would end up inside plates, numbers and e-mail text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

const RUSSIAN: LanguageIdentifier = langid!("ru");

/// A value for a message placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Number(i64),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Arg {
        Arg::Text(text.to_owned())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Arg {
        Arg::Text(text)
    }
}

impl From<i64> for Arg {
    fn from(number: i64) -> Arg {
        Arg::Number(number)
    }
}

/// Looks up translated messages; templates receive one to render their text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr;

impl Tr {
    pub fn t(&self, id: &str) -> String {
        LOCALES.lookup(&RUSSIAN, id)
    }

    pub fn has(&self, id: &str) -> bool {
        LOCALES.try_lookup(&RUSSIAN, id).is_some()
    }

    pub fn t_with(&self, id: &str, args: &[(&str, Arg)]) -> String {
        let mut values: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        for (name, value) in args {
            let value = match value {
                Arg::Text(text) => FluentValue::from(text.clone()),
                Arg::Number(number) => FluentValue::from(*number),
            };
            values.insert(Cow::Owned((*name).to_owned()), value);
        }
        LOCALES.lookup_with_args(&RUSSIAN, id, &values)
    }

    /// Looks up a message with a `$count` placeholder, for plural forms.
    pub fn count(&self, id: &str, count: impl std::borrow::Borrow<i64>) -> String {
        self.t_with(id, &[("count", Arg::Number(*count.borrow()))])
    }

    /// Looks up a message whose arguments arrive as text. Arguments that parse as numbers are
    /// passed as numbers, so plural selection works.
    pub fn t_text_args(&self, id: &str, args: &[(&'static str, String)]) -> String {
        let args: Vec<(&str, Arg)> = args
            .iter()
            .map(|(name, value)| match value.parse::<i64>() {
                Ok(number) => (*name, Arg::Number(number)),
                Err(_) => (*name, Arg::Text(value.clone())),
            })
            .collect();
        self.t_with(id, &args)
    }

    pub fn status(&self, status: Status) -> String {
        self.t(&format!("status-{}", status.code()))
    }

    pub fn decision(&self, decision: Decision) -> String {
        self.t(&format!("decision-{}", decision.code()))
    }

    pub fn reason(&self, reason: RejectionReason) -> String {
        self.t(&format!("reason-{}", reason.code()))
    }

    /// Looks up the message for an error code, `error-<code>`.
    pub fn error(&self, code: &str, args: &[(&'static str, String)]) -> String {
        self.t_text_args(&format!("error-{code}"), args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_label() {
        for status in Status::ALL {
            assert!(Tr.has(&format!("status-{}", status.code())), "{status:?}");
        }
        for decision in Decision::ALL {
            assert!(Tr.has(&format!("decision-{}", decision.code())), "{decision:?}");
        }
        for reason in RejectionReason::ALL {
            assert!(Tr.has(&format!("reason-{}", reason.code())), "{reason:?}");
        }
    }

    #[test]
    fn plural_forms_follow_russian_rules() {
        assert_eq!(Tr.count("working-days-left", 1), "остался 1 рабочий день");
        assert_eq!(Tr.count("working-days-left", 3), "осталось 3 рабочих дня");
        assert_eq!(Tr.count("working-days-left", 5), "осталось 5 рабочих дней");
        assert_eq!(Tr.count("working-days-left", 21), "остался 21 рабочий день");
        assert_eq!(Tr.count("working-days-left", 11), "осталось 11 рабочих дней");
    }
}
