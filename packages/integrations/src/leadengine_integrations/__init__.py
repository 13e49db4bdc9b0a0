"""LeadEngine integrations."""
