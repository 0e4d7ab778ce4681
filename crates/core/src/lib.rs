//! Domain rules of Pomoshnik. This crate performs no I/O: it has no database, HTTP or file access,
//! so every rule here can be tested in isolation and reused by every interface.

pub mod calendar;
pub mod deadline;
pub mod catalog;
pub mod number;
pub mod plate;
pub mod rating;
pub mod report_search;
pub mod role;
pub mod search;
pub mod status;
pub mod transition;
pub mod validation;
