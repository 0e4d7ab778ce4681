//! The catalog: service areas, agencies and report categories with their forms. The catalog is
//! data: Moscow's default ships as JSON and is loaded into the database at first start, where
//! administrators may change it.

use serde::{Deserialize, Serialize};

/// Moscow's default catalog; the agencies and deadlines follow the city's practice for residents'
/// reports as of 2026.
const MOSCOW_CATALOG_JSON: &str = include_str!("../data/moscow/catalog.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub groups: Vec<Group>,
    pub agencies: Vec<Agency>,
    pub categories: Vec<Category>,
}

/// A service area such as «Транспорт».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub short_name: String,
    /// Whether the agency has one unit per district, such as the district «Жилищник» services.
    /// Its reports are routed to the unit of the report's district.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_district: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub description: String,
    /// Code of the service area.
    pub group: String,
    /// Code of the responsible agency.
    pub agency: String,
    /// Working days the agency has to answer, counted from dispatch.
    pub deadline_working_days: u32,
    pub keywords: Vec<String>,
    pub evidence: EvidenceRule,
    /// Whether reports of this category identify people or vehicles (plates), which keeps them
    /// out of public outputs.
    pub personal_data: bool,
    pub fields: Vec<FieldDefinition>,
}

/// The photos and videos a category requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRule {
    /// Photos the report must include at least.
    pub min_photos: u32,
    /// Whether at least one photo or video is required.
    pub media_required: bool,
}

/// An extra form field of a category, shaped like an Open311 service definition attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDefinition {
    pub code: String,
    pub label: String,
    pub datatype: FieldType,
    /// A further rule for string values; `plate` normalises and checks a Russian vehicle plate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<FieldFormat>,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<FieldValue>,
}

/// The six Open311 GeoReport v2 attribute datatypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldFormat {
    Plate,
}

/// An allowed value of a list field: the stored key and the label shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    pub key: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("category {category} refers to unknown {kind} {code}")]
    UnknownReference { category: String, kind: &'static str, code: String },
    #[error("category {category} has deadline {days} working days; allowed are 1 to 10")]
    DeadlineOutOfRange { category: String, days: u32 },
    #[error("duplicate code {0} in the catalog")]
    DuplicateCode(String),
}

impl Catalog {
    pub fn from_json(json: &str) -> Result<Catalog, CatalogError> {
        let catalog: Catalog = serde_json::from_str(json)?;
        catalog.check()?;
        Ok(catalog)
    }

    pub fn moscow_default() -> Catalog {
        Catalog::from_json(MOSCOW_CATALOG_JSON).expect("the shipped Moscow catalog is valid")
    }

    /// Checks references between categories, groups and agencies and the deadline range.
    pub fn check(&self) -> Result<(), CatalogError> {
        let mut codes = std::collections::HashSet::new();
        let all_codes = self.groups.iter().map(|g| format!("group:{}", g.code))
            .chain(self.agencies.iter().map(|a| format!("agency:{}", a.code)))
            .chain(self.categories.iter().map(|c| format!("category:{}", c.code)));
        for code in all_codes {
            if !codes.insert(code.clone()) {
                return Err(CatalogError::DuplicateCode(code));
            }
        }

        for category in &self.categories {
            if !self.groups.iter().any(|group| group.code == category.group) {
                return Err(CatalogError::UnknownReference { category: category.code.clone(), kind: "group", code: category.group.clone() });
            }
            if self.agency(&category.agency).is_none() {
                return Err(CatalogError::UnknownReference { category: category.code.clone(), kind: "agency", code: category.agency.clone() });
            }
            if !(1..=10).contains(&category.deadline_working_days) {
                return Err(CatalogError::DeadlineOutOfRange { category: category.code.clone(), days: category.deadline_working_days });
            }
        }
        Ok(())
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|category| category.code == code)
    }

    pub fn agency(&self, code: &str) -> Option<&Agency> {
        self.agencies.iter().find(|agency| agency.code == code)
    }

    pub fn group(&self, code: &str) -> Option<&Group> {
        self.groups.iter().find(|group| group.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moscow_catalog_loads() {
        let catalog = Catalog::moscow_default();
        assert_eq!(catalog.categories.len(), 8);
        assert_eq!(catalog.category("parking_violation").unwrap().deadline_working_days, 1);
        assert_eq!(catalog.category("infrastructure_damage").unwrap().agency, "zhilishchnik");
    }

    #[test]
    fn unknown_agency_is_rejected() {
        let mut catalog = Catalog::moscow_default();
        catalog.categories[0].agency = "nobody".into();
        assert!(matches!(catalog.check(), Err(CatalogError::UnknownReference { kind: "agency", .. })));
    }

    #[test]
    fn deadline_outside_range_is_rejected() {
        let mut catalog = Catalog::moscow_default();
        catalog.categories[0].deadline_working_days = 11;
        assert!(matches!(catalog.check(), Err(CatalogError::DeadlineOutOfRange { days: 11, .. })));
    }
}
