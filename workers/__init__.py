"""RQ job entry points. Jobs are thin: load, call the pipeline, store, enqueue the next step."""
