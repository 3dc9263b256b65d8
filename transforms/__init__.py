"""Pure, typed stages of the pipeline: discover, read, normalize, load, check, metrics, render."""
