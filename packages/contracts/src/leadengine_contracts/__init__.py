"""LeadEngine contracts."""
