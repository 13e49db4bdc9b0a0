"""LeadEngine storage."""
