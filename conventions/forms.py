"""Forms of the conventions app (crispy-forms, Bootstrap 5, French labels)."""
