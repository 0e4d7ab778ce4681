//! Reports as people and programs see them: codes for programs, Russian labels for people,
//! times in Moscow. The JSON API serialises these views and the pages render them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::deadline::{CITY_TIME_ZONE, working_days_left};
use pomoshnik_media::FileKind;
use pomoshnik_store::{FileRecord, Notification, NotificationKind, Report, ReportEvent};
use serde::Serialize;

use crate::i18n::Tr;
use crate::state::AppState;

/// Returns the start of `day` in Moscow, the bound of a period typed as dates.
pub fn moscow_midnight(day: chrono::NaiveDate) -> DateTime<Utc> {
    let local = day.and_time(chrono::NaiveTime::MIN);
    // Moscow has had no clock change since 2014, so every local midnight exists once.
    chrono::TimeZone::from_local_datetime(&CITY_TIME_ZONE, &local)
        .earliest()
        .map_or_else(|| chrono::TimeZone::from_utc_datetime(&Utc, &local), |time| time.with_timezone(&Utc))
}

/// Formats a time as pages show it: `04.12.2026 15:30` in Moscow time.
pub fn moscow_time(time: DateTime<Utc>) -> String {
    time.with_timezone(&CITY_TIME_ZONE).format("%d.%m.%Y %H:%M").to_string()
}

#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadlineView {
    pub at: DateTime<Utc>,
    /// Working days left; negative when overdue.
    pub working_days_left: i64,
    pub overdue: bool,
    #[serde(skip)]
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub size: i64,
    pub sha256: String,
    pub url: String,
    /// Upright copy without metadata, at most 1600 px; present for photos, and for videos whose
    /// poster frame `ffmpeg` extracted.
    pub preview_url: Option<String>,
    /// At most 320 px.
    pub thumbnail_url: Option<String>,
    #[serde(skip)]
    pub is_image: bool,
    #[serde(skip)]
    pub size_text: String,
}

impl FileView {
    pub fn new(report_number: &str, file: &FileRecord) -> FileView {
        let is_image = FileKind::from_code(&file.kind).is_some_and(FileKind::is_image);
        let size_text = Tr.t_text_args("file-size-kb", &[("size", ((file.size + 1023) / 1024).to_string())]);
        FileView {
            id: file.id,
            name: file.original_name.clone(),
            kind: file.kind.clone(),
            size: file.size,
            sha256: file.sha256.clone(),
            url: format!("/reports/{report_number}/files/{}", file.id),
            preview_url: file.metadata.has_preview.then(|| format!("/reports/{report_number}/files/{}/preview", file.id)),
            thumbnail_url: file.metadata.has_preview.then(|| format!("/reports/{report_number}/files/{}/thumbnail", file.id)),
            is_image,
            size_text,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub to: String,
    pub to_name: String,
    pub actor_role: String,
    pub comment: Option<String>,
    pub decision: Option<String>,
    pub rejection_reason: Option<String>,
    pub agency: Option<String>,
    #[serde(skip)]
    pub at_text: String,
    #[serde(skip)]
    pub detail: Option<String>,
}

impl EventView {
    fn new(event: &ReportEvent, catalog: &Catalog) -> EventView {
        let detail = if let Some(decision) = event.decision.filter(|_| event.to_status == pomoshnik_core::status::Status::Resolved) {
            Some(Tr.decision(decision))
        } else if let Some(reason) = event.rejection_reason.filter(|_| event.to_status == pomoshnik_core::status::Status::Rejected) {
            Some(Tr.reason(reason))
        } else if event.to_status == pomoshnik_core::status::Status::Dispatched {
            event.agency.as_deref().and_then(|code| catalog.agency(code)).map(|agency| agency.name.clone())
        } else {
            None
        };

        EventView {
            at: event.created_at,
            from: event.from_status.map(|status| status.code().to_owned()),
            to: event.to_status.code().to_owned(),
            to_name: Tr.status(event.to_status),
            actor_role: event.actor_role.code().to_owned(),
            comment: event.comment.clone(),
            decision: event.decision.map(|decision| decision.code().to_owned()),
            rejection_reason: event.rejection_reason.map(|reason| reason.code().to_owned()),
            agency: event.agency.clone(),
            at_text: moscow_time(event.created_at),
            detail,
        }
    }
}

/// A report with everything its card shows. `events` and `files` are filled only for a single
/// report, not in lists.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub number: String,
    pub status: String,
    pub status_name: String,
    pub category: Named,
    pub agency: Option<Named>,
    pub latitude: f64,
    pub longitude: f64,
    pub address: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub description: String,
    pub fields: BTreeMap<String, String>,
    pub decision: Option<String>,
    pub decision_name: Option<String>,
    pub rejection_reason: Option<String>,
    pub rejection_reason_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deadline: Option<DeadlineView>,
    pub version: i64,
    pub district: Option<Named>,
    pub okrug: Option<Named>,
    /// Whether the viewer follows this report instead of having filed it.
    pub joined: bool,
    /// Number of the report this one was rejected as a duplicate of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<FileView>>,
    /// The registered owner of the vehicle in `fields.plate`, for executors of the report's
    /// agency only; see [`ReportView::with_vehicle_owner`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle_owner: Option<OwnerView>,
    #[serde(skip)]
    pub created_text: String,
    #[serde(skip)]
    pub occurred_text: String,
    /// Extra fields as label and shown value, in the category's order.
    #[serde(skip)]
    pub field_rows: Vec<(String, String)>,
}

impl ReportView {
    pub fn summary(state: &AppState, report: &Report, catalog: &Catalog) -> ReportView {
        let agency = report.agency.as_deref().map(|code| Named { code: code.to_owned(), name: agency_name(catalog, code, report) });
        let deadline = report.deadline_at.filter(|_| report.status.is_open()).map(|at| {
            let left = working_days_left(&state.calendar.get(), at, Utc::now());
            let overdue = Utc::now() >= at;
            let text = if overdue {
                Tr.count("deadline-overdue", -left.min(-1))
            } else {
                Tr.count("working-days-left", left)
            };
            DeadlineView { at, working_days_left: left, overdue, text }
        });

        ReportView {
            number: report.number.to_string(),
            status: report.status.code().to_owned(),
            status_name: Tr.status(report.status),
            category: Named { code: report.category_code.clone(), name: report.category_name.clone() },
            agency,
            latitude: report.latitude,
            longitude: report.longitude,
            address: report.address.clone(),
            occurred_at: report.occurred_at,
            description: report.description.clone(),
            fields: report.fields.clone(),
            decision: report.decision.map(|decision| decision.code().to_owned()),
            decision_name: report.decision.map(|decision| Tr.decision(decision)),
            rejection_reason: report.rejection_reason.map(|reason| reason.code().to_owned()),
            rejection_reason_name: report.rejection_reason.map(|reason| Tr.reason(reason)),
            created_at: report.created_at,
            updated_at: report.updated_at,
            deadline,
            version: report.version,
            district: report.area.as_ref().map(|area| Named { code: area.district_code.clone(), name: area.district_name.clone() }),
            okrug: report.area.as_ref().map(|area| Named { code: area.okrug_code.clone(), name: area.okrug_name.clone() }),
            joined: false,
            duplicate_of: None,
            events: None,
            files: None,
            vehicle_owner: None,
            created_text: moscow_time(report.created_at),
            occurred_text: moscow_time(report.occurred_at),
            field_rows: field_rows(report, catalog),
        }
    }

    /// Builds the whole card. `url_prefix` is prepended to file URLs: empty for pages, `/api/v1` for
    /// the API, so each client downloads through the route that authenticates it.
    pub fn full(state: &AppState, report: &Report, catalog: &Catalog, events: &[ReportEvent], files: &[FileRecord], url_prefix: &str) -> ReportView {
        let mut view = ReportView::summary(state, report, catalog);
        view.events = Some(events.iter().map(|event| EventView::new(event, catalog)).collect());
        view.files = Some(
            files
                .iter()
                .map(|file| {
                    let mut file_view = FileView::new(&view.number, file);
                    file_view.url = format!("{url_prefix}{}", file_view.url);
                    file_view.preview_url = file_view.preview_url.map(|url| format!("{url_prefix}{url}"));
                    file_view.thumbnail_url = file_view.thumbnail_url.map(|url| format!("{url_prefix}{url}"));
                    file_view
                })
                .collect(),
        );
        view
    }

    /// Builds the card a follower may read: the public fields plus the status history. The
    /// description is left out for categories marked `personal_data`, the category's own fields
    /// (such as a plate) and the files always, and comments unless a staff member wrote them in
    /// a category without personal data.
    pub fn for_follower(state: &AppState, report: &Report, catalog: &Catalog, events: &[ReportEvent]) -> ReportView {
        let personal_data = catalog.category(&report.category_code).is_none_or(|category| category.personal_data);
        let mut view = ReportView::summary(state, report, catalog);
        view.joined = true;
        if personal_data {
            view.description = String::new();
        }
        view.fields = BTreeMap::new();
        view.field_rows = Vec::new();
        view.files = Some(Vec::new());
        view.events = Some(
            events
                .iter()
                .map(|event| {
                    let mut event_view = EventView::new(event, catalog);
                    if personal_data || event.actor_role == pomoshnik_core::role::Role::Resident {
                        event_view.comment = None;
                    }
                    event_view
                })
                .collect(),
        );
        view
    }
}

/// Returns the name of the agency a report is assigned to. An agency organised by district is
/// named by its unit in the report's district, such as «ГБУ «Жилищник» (Басманный район)».
pub fn agency_name(catalog: &Catalog, code: &str, report: &Report) -> String {
    match (catalog.agency(code), &report.area) {
        (Some(agency), Some(area)) if agency.by_district => {
            Tr.t_text_args("agency-district-unit", &[("agency", agency.short_name.clone()), ("district", area.district_name.clone())])
        }
        (Some(agency), _) => agency.name.clone(),
        (None, _) => code.to_owned(),
    }
}

impl ReportView {
    /// Fills in the number of the original of a report rejected as a duplicate.
    pub async fn with_original(mut self, state: &AppState, report: &Report) -> Result<ReportView, pomoshnik_store::StoreError> {
        if let Some(id) = report.duplicate_of_id {
            self.duplicate_of = state.store.report_by_id(id).await?.map(|original| original.number.to_string());
        }
        Ok(self)
    }
}

/// The owner lookup of a report's plate as an executor sees it.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerView {
    /// `pending` while the registry has not answered, `found`, `unknown` when the registry does
    /// not know the plate, or `failed` when the attempts ran out.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<String>,
    /// The status as a sentence, for the card.
    #[serde(skip)]
    pub text: String,
}

impl OwnerView {
    fn new(lookup: pomoshnik_store::OwnerLookup) -> OwnerView {
        use pomoshnik_store::OutboxState;

        let status = match (lookup.state, &lookup.owner) {
            (OutboxState::Sent, Some(_)) => "found",
            (OutboxState::Sent, None) => "unknown",
            (OutboxState::Pending, _) => "pending",
            (OutboxState::Failed, _) => "failed",
        };
        let text = Tr.t(&format!("registry-owner-{status}"));
        let (name, vehicle) = match lookup.owner {
            Some(owner) => (Some(owner.name), owner.vehicle),
            None => (None, None),
        };
        OwnerView { status, name, vehicle, text }
    }
}

impl ReportView {
    /// Fills in the vehicle owner for an executor who may see the report (of its agency and, if
    /// bound to one, its district). Everyone else, moderators and administrators included, gets
    /// the view unchanged: the owner is personal data that only the agency acting on the report
    /// needs.
    pub async fn with_vehicle_owner(mut self, state: &AppState, user: &pomoshnik_store::User, report: &Report) -> Result<ReportView, pomoshnik_store::StoreError> {
        if user.role == pomoshnik_core::role::Role::Executor && crate::reports::can_view(user, report) {
            self.vehicle_owner = state.store.owner_lookup(report.id).await?.map(OwnerView::new);
        }
        Ok(self)
    }
}

fn field_rows(report: &Report, catalog: &Catalog) -> Vec<(String, String)> {
    let Some(category) = catalog.category(&report.category_code) else {
        return report.fields.iter().map(|(code, value)| (code.clone(), value.clone())).collect();
    };
    category
        .fields
        .iter()
        .filter_map(|definition| {
            let value = report.fields.get(&definition.code)?;
            let shown = definition.values.iter().find(|allowed| &allowed.key == value).map(|allowed| allowed.name.clone()).unwrap_or_else(|| value.clone());
            Some((definition.label.clone(), shown))
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct NotificationView {
    pub id: i64,
    pub report_number: String,
    pub category_name: String,
    pub status: String,
    pub status_name: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
    /// `status`, `message` or `escalation`.
    #[serde(skip)]
    pub kind: &'static str,
    #[serde(skip)]
    pub created_text: String,
    #[serde(skip)]
    pub line: String,
}

impl NotificationView {
    pub fn new(notification: &Notification) -> NotificationView {
        NotificationView {
            id: notification.id,
            report_number: notification.report_number.to_string(),
            category_name: notification.category_name.clone(),
            status: notification.event.to_status.code().to_owned(),
            status_name: Tr.status(notification.event.to_status),
            comment: match notification.kind {
                NotificationKind::Status => notification.event.comment.clone(),
                NotificationKind::Message => notification.message_text.clone(),
                NotificationKind::Escalation => None,
            },
            created_at: notification.created_at,
            read: notification.read_at.is_some(),
            kind: notification.kind.code().unwrap_or("status"),
            created_text: moscow_time(notification.created_at),
            line: match notification.kind {
                NotificationKind::Status => Tr.t_with(
                    "notification-line",
                    &[("number", notification.report_number.to_string().into()), ("status", Tr.status(notification.event.to_status).into())],
                ),
                NotificationKind::Message => Tr.t_with("dialogue-notification-line", &[("number", notification.report_number.to_string().into())]),
                NotificationKind::Escalation => Tr.t_with("escalation-notification-line", &[("number", notification.report_number.to_string().into())]),
            },
        }
    }
}
