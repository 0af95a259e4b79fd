//! Giving memory freed by bulk work back to the system at once.
//!
//! A first index or a reparse of 100,000 files frees tens of megabytes when it ends (the
//! listing of the folder, the metadata read from the state database, the parsed articles of
//! each batch). jemalloc gives freed pages back to the system over its decay time (10 s), so
//! a daemon ready after half a second would hold them that long; after bulk work they are
//! given back at once (at 100,000 articles, 27 MB in about 4 ms). Without the `jemalloc`
//! feature this does nothing.

/// Gives the pages jemalloc holds freed back to the system now, in every arena.
#[cfg(feature = "jemalloc")]
pub(crate) fn release_freed() {
    use tikv_jemalloc_ctl::{Access, AsName};
    let Ok(arenas) = tikv_jemalloc_ctl::arenas::narenas::read() else {
        return;
    };
    for arena in 0..arenas {
        // A decay time of zero purges an arena's unused dirty pages at once; its own time is
        // then put back. (Setting the time it has does not purge: jemalloc 5.3 waits for the
        // next epoch.) Arenas not created yet answer with an error and hold nothing.
        let name = format!("arena.{arena}.dirty_decay_ms\0");
        let name = name.as_str().name();
        let decay: Result<isize, _> = name.read();
        if let Ok(decay) = decay {
            let _ = name.write(0_isize);
            let _ = name.write(decay);
        }
    }
}

/// Does nothing: only jemalloc is told to give freed pages back.
#[cfg(not(feature = "jemalloc"))]
pub(crate) fn release_freed() {}
