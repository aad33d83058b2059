//! actix-web integration (in progress).
