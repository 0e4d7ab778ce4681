//! Load benchmarks of the Pomoshnik service. Most binaries start the real service in this
//! process on a loopback port and send it requests over HTTP; `upload_memory` starts the
//! `pomoshnik` binary as a child process instead. See docs/BENCHMARKS.md for the commands and
//! the recorded results.

pub mod load;
pub mod memory;
pub mod output;
pub mod places;
pub mod seed;
pub mod server;
pub mod stats;
