"""Message templates: the model, validation rules, variables, rendering for previews."""
