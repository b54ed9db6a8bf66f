"""Qt item models and view-models: no widgets here, so they are tested without a window."""
